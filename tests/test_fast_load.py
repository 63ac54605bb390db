"""koatty_lite imports its own cold modules itself (koatty_lite/__init__.py: _import, _find): from the pyc
beside the source, without the import system's finders, as a module exactly like importlib's; anything
else falls back to the import system. Each case runs in a fresh interpreter (-I: bytecode is written) on a
copy of the package whose __pycache__ the test controls. A spy on the import system's path finder records
which koatty_lite modules it was asked for: those the fast path did not load."""
from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from koatty_lite.cli.package import find_interpreter
from test_core_imports import COLD_APP, COLD_PATH

SPY = """
import json, sys
class _Spy:
    seen = []
    find_spec = sys.modules['_frozen_importlib_external'].PathFinder.find_spec
def _spy(name, path=None, target=None):
    if name.startswith('koatty_lite.'):
        _Spy.seen.append(name)
    return _Spy.find_spec(name, path, target)
sys.modules['_frozen_importlib_external'].PathFinder.find_spec = _spy
"""
# A koatty_lite module as the import system left it, to compare two processes' modules field by field.
DESCRIBE = """
def describe(name):
    m = sys.modules[name]
    s, (parent, _, tail) = m.__spec__, name.rpartition('.')
    fn = next((v for v in vars(m).values() if type(v) is type(describe) and v.__module__ == name), None)
    return {'spec': [s.name, type(s.loader).__module__, type(s.loader).__qualname__, vars(s.loader), s.origin, s.cached,
                     s.has_location, s.parent, s.submodule_search_locations, s.loader_state, s._initializing],
            'module': [m.__loader__ is s.loader, m.__file__, m.__cached__, m.__package__, getattr(m, '__path__', None),
                       getattr(sys.modules[parent], tail, None) is m, m.__builtins__ is __builtins__.__dict__
                       if type(__builtins__) is type(sys) else m.__builtins__ is __builtins__],
            'names': list(vars(m)), 'code_file': fn and fn.__code__.co_filename}
def describe_all():
    return {'modules': {n: describe(n) for n in sys.modules if n.startswith('koatty_lite.')},
            'order': [n for n in sys.modules if n.startswith('koatty_lite')]}
"""
LAMBDA = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))},
          "AWS_LAMBDA_FUNCTION_NAME": "fn"}
# The cold app of test_core_imports (boot + first GET on Lambda), printing what the finders were asked for.
COLD_SEEN = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                             "print(_j.dumps(_Spy.seen))")


def copy_package(tmp_path, name="site"):
    """A copy of the runtime (no pycs) in tmp_path/name; returns that directory."""
    where = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "koatty_lite"), where / "koatty_lite",
                    ignore=shutil.ignore_patterns("__pycache__", "cli"))
    return where


def run(where, code, *flags, python=sys.executable, env=LAMBDA):
    """Run code (after SPY) in a fresh interpreter with ``where`` first on sys.path; its last line as JSON."""
    prog = f"import sys\nsys.path.insert(0, {str(where)!r})\n{SPY}\n{code}"
    out = subprocess.run([python, "-I", "-S", *flags, "-c", prog], capture_output=True, text=True, cwd=str(where),
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def block_cache(where):
    """A directory where the code cache would be (koatty_lite/__init__.py: _COLD): neither read nor written, so
    the cold modules load from their own pycs."""
    os.makedirs(where / "koatty_lite" / "__pycache__" / f"cold.{sys.implementation.cache_tag}.bin")


def pyc(where, module):
    tag = sys.implementation.cache_tag
    head, _, tail = module.rpartition("/")
    return where / "koatty_lite" / head / "__pycache__" / f"{tail}.{tag}.pyc"


IMPORT = "import koatty_lite\nprint(json.dumps(_Spy.seen))"


def test_a_cold_import_boot_and_get_load_every_koatty_lite_module_without_the_finders(tmp_path):
    """The modules `import koatty_lite`, handler(App) and a first GET on Lambda load (the lean set
    test_core_imports pins) are all loaded by _import: the finders are asked for none of them. Fails if a
    cold module is imported the normal way (a new `from . import x` at module level of a cold module)."""
    where = copy_package(tmp_path)
    block_cache(where)  # the pycs' path (test_cold_cache.py: the code cache's)
    first = run(where, COLD_SEEN)  # no pycs yet: the eager core falls back (and the import system writes them)
    # entry and serverless: from the pycs compiled by `import koatty_lite`'s attempt to write the cache
    assert sorted(first) == sorted(m for m in COLD_PATH if m not in (
        "koatty_lite", "koatty_lite.entry", "koatty_lite.serverless"))
    assert run(where, COLD_SEEN) == []


def test_fast_loaded_modules_are_the_modules_importlib_makes(tmp_path):
    """Spec (name, loader, origin, cached, has_location, parent, search locations), __loader__, __file__,
    __cached__, __package__, __path__, the parent's attribute, the namespace's order, the code's file name
    and sys.modules' order: as the import system makes them (-v turns the fast path off)."""
    where = copy_package(tmp_path)
    code = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                            DESCRIBE + "print(_j.dumps([_Spy.seen, describe_all()]))")
    run(where, code)  # writes the pycs
    seen, fast = run(where, code)
    assert "koatty_lite.app" not in seen and "koatty_lite.serverless" not in seen
    seen, normal = run(where, code, "-v")
    assert sorted(seen) == sorted(m for m in COLD_PATH if m != "koatty_lite")
    assert fast == normal
    assert fast["modules"]["koatty_lite.serverless"]["module"][4] == [str(where / "koatty_lite" / "serverless")]


@pytest.mark.parametrize("version", ["3.10", "3.12", "3.13"])
def test_the_same_on_other_pythons(tmp_path, version):
    """The private names _import uses exist, and it makes importlib's modules, on Python 3.10 to 3.13."""
    python = find_interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine (PATH or pyenv)")
    where = copy_package(tmp_path)
    code = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                            DESCRIBE + "print(_j.dumps([_Spy.seen, describe_all()]))")
    run(where, code, python=python)
    seen, fast = run(where, code, python=python)
    assert "koatty_lite.app" not in seen and "koatty_lite.entry" not in seen
    assert fast == run(where, code, "-v", python=python)[1]


def test_a_missing_pyc_falls_back_and_the_import_system_writes_it(tmp_path):
    where = copy_package(tmp_path)
    block_cache(where)
    run(where, IMPORT)
    pyc(where, "log").unlink()
    assert run(where, IMPORT) == ["koatty_lite.log"]
    assert pyc(where, "log").exists() and run(where, IMPORT) == []


@pytest.mark.parametrize("change", ["size", "mtime"])
def test_a_stale_pyc_falls_back_and_is_rewritten(tmp_path, change):
    """A source changed after its pyc (size or mtime differ): the normal import recompiles and rewrites the
    pyc; the module has the new source's names."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    src = where / "koatty_lite" / "errors.py"
    if change == "size":
        src.write_text(src.read_text(encoding="utf-8") + "\nSTALE_MARK = 1\n", encoding="utf-8")
    else:
        st = src.stat()
        os.utime(src, (st.st_atime, st.st_mtime + 10))
    old = pyc(where, "errors").read_bytes()
    check = "import koatty_lite.errors as e\nprint(json.dumps([_Spy.seen, hasattr(e, 'STALE_MARK')]))"
    assert run(where, check) == [["koatty_lite.errors"], change == "size"]
    assert pyc(where, "errors").read_bytes()[8:16] != old[8:16]  # rewritten with the source's mtime and size
    assert run(where, check) == [[], change == "size"]


def _hash_pyc(where, module, mode):
    src = where / "koatty_lite" / f"{module}.py"
    py_compile.compile(str(src), cfile=str(pyc(where, module)), dfile=f"koatty_lite/{module}.py", doraise=True,
                       invalidation_mode=mode)


def test_an_unchecked_hash_pyc_as_package_writes_it_is_used_as_it_is(tmp_path):
    """`koatty_lite package` compiles unchecked-hash pycs with a relative file name: _import runs them as the
    import system does (the source is not read, even when it changed) and the code names the real file."""
    where = copy_package(tmp_path)
    _hash_pyc(where, "output", py_compile.PycInvalidationMode.UNCHECKED_HASH)
    run(where, IMPORT)
    src = where / "koatty_lite" / "output.py"
    src.write_text(src.read_text(encoding="utf-8") + "\nNEW_MARK = 1\n", encoding="utf-8")
    check = ("import koatty_lite.output as o\n"
             "print(json.dumps([_Spy.seen, hasattr(o, 'NEW_MARK'), o.register_renderer.__code__.co_filename]))")
    assert run(where, check) == [[], False, str(src)]
    assert run(where, check, "--check-hash-based-pycs", "always") == [["koatty_lite.output"], True, str(src)]


def test_a_checked_hash_pyc_falls_back(tmp_path):
    where = copy_package(tmp_path)
    block_cache(where)
    _hash_pyc(where, "routes", py_compile.PycInvalidationMode.CHECKED_HASH)
    run(where, IMPORT)
    assert run(where, IMPORT) == ["koatty_lite.routes"]
    check = "import koatty_lite.routes as r\nprint(json.dumps([_Spy.seen, r.register_marker.__module__]))"
    assert run(where, check, "--check-hash-based-pycs", "never") == [["koatty_lite.routes"], "koatty_lite.routes"]


def test_a_pyc_of_another_python_falls_back(tmp_path):
    where = copy_package(tmp_path)
    block_cache(where)
    run(where, IMPORT)
    data = bytearray(pyc(where, "context").read_bytes())
    data[0:2] = b"\x00\x00"  # another magic number
    pyc(where, "context").write_bytes(bytes(data))
    assert run(where, IMPORT) == ["koatty_lite.context"]
    assert pyc(where, "context").read_bytes()[:4] == importlib.util.MAGIC_NUMBER  # rewritten by the import system
    assert run(where, IMPORT) == []


@pytest.mark.parametrize("flags", [("-O",), ("-X", "pycache_prefix=PREFIX"), ("-v",)], ids=["O", "prefix", "v"])
def test_optimize_a_pycache_prefix_and_verbose_use_the_import_system(tmp_path, flags):
    where = copy_package(tmp_path)
    flags = tuple(f.replace("PREFIX", str(tmp_path / "prefix")) for f in flags)
    run(where, IMPORT, *flags)
    assert sorted(run(where, IMPORT, *flags)) == sorted(
        ["koatty_lite.log", "koatty_lite.errors", "koatty_lite.context", "koatty_lite.decorators",
         "koatty_lite.output", "koatty_lite.routes", "koatty_lite.app"])


def test_koatty_lite_in_a_zip_is_imported_by_zipimport(tmp_path):
    where = copy_package(tmp_path)
    zipped = tmp_path / "site.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted((where / "koatty_lite").rglob("*.py")):
            zf.write(path, path.relative_to(where).as_posix())
    shutil.rmtree(where / "koatty_lite")
    code = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                            "print(_j.dumps([_Spy.seen, type(sys.modules['koatty_lite.app'].__loader__).__name__]))")
    seen, loader = run(where, f"sys.path.insert(0, {str(zipped)!r})\n" + code)
    assert loader == "zipimporter" and "koatty_lite.app" in seen and "koatty_lite.entry" in seen


def test_a_sourceless_module_is_imported_by_the_import_system(tmp_path):
    """A module shipped as a legacy pyc only (no .py): the normal import's SourcelessFileLoader."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    src = where / "koatty_lite" / "log.py"
    py_compile.compile(str(src), cfile=str(src) + "c", doraise=True)
    src.unlink()
    check = "import koatty_lite.log as m\nprint(json.dumps([_Spy.seen, type(m.__loader__).__name__]))"
    assert run(where, check) == [["koatty_lite.log"], "SourcelessFileLoader"]


BOOM = "import builtins\nbuiltins.BOOM_RUNS = getattr(builtins, 'BOOM_RUNS', 0) + 1\n\n\ndef f():\n    return 1 / 0\n"


def test_a_module_is_loaded_once_and_none_in_sys_modules_stops_it(tmp_path):
    where = copy_package(tmp_path)
    (where / "koatty_lite" / "boom.py").write_text(BOOM, encoding="utf-8")
    check = ("import builtins, koatty_lite\n"
             "a = koatty_lite._import('koatty_lite.boom'); b = koatty_lite._import('koatty_lite.boom')\n"
             "import koatty_lite.boom as c\n"
             "sys.modules['koatty_lite.gone'] = None\n"
             "try:\n    koatty_lite._import('koatty_lite.gone')\n"
             "except ModuleNotFoundError as exc:\n    gone = exc.name\n"
             "print(json.dumps([_Spy.seen, a is b is c is koatty_lite.boom, builtins.BOOM_RUNS, gone]))")
    run(where, check)
    assert run(where, check) == [[], True, 1, "koatty_lite.gone"]


def test_an_error_while_running_a_module_leaves_sys_modules_as_importlib_does(tmp_path):
    """The exception propagates, its traceback names the module's file and line, the module is neither in
    sys.modules nor an attribute of its package; the next import runs it again."""
    where = copy_package(tmp_path)
    (where / "koatty_lite" / "bad.py").write_text("X = 1\nraise LookupError('bad at import')\n", encoding="utf-8")
    check = ("import traceback, koatty_lite\nout = []\n"
             "for i in range(2):\n"
             "    try:\n        koatty_lite._import('koatty_lite.bad')\n"
             "    except LookupError as exc:\n"
             "        last = traceback.extract_tb(exc.__traceback__)[-1]\n"
             "        out.append([str(exc), last.filename, last.lineno, 'koatty_lite.bad' in sys.modules,"
             " hasattr(koatty_lite, 'bad')])\n"
             "print(json.dumps([[m for m in _Spy.seen if m.endswith('.bad')], out]))")
    run(where, IMPORT)
    normal = run(where, check, "-v")  # what importlib does (and the pyc is written)
    bad = str(where / "koatty_lite" / "bad.py")
    assert normal == [["koatty_lite.bad"] * 2, [["bad at import", bad, 2, False, False]] * 2]
    assert run(where, check) == [[], normal[1]]


def test_reload_getsource_and_tracebacks_work_on_a_fast_loaded_module(tmp_path):
    where = copy_package(tmp_path)
    (where / "koatty_lite" / "boom.py").write_text(BOOM, encoding="utf-8")
    check = ("import importlib, inspect, traceback, builtins, koatty_lite\n"
             "m = koatty_lite._import('koatty_lite.boom')\n"
             "try:\n    m.f()\nexcept ZeroDivisionError as exc:\n    tb = traceback.extract_tb(exc.__traceback__)[-1]\n"
             "again = importlib.reload(m)\n"
             "print(json.dumps([_Spy.seen, again is m, builtins.BOOM_RUNS, inspect.getsource(m.f), tb.filename,"
             " tb.lineno, tb.line]))")
    run(where, check)
    seen, same, runs, source, filename, lineno, line = run(where, check)
    assert seen == ["koatty_lite.boom"]  # reload finds the module again through the import system, as it must
    assert same and runs == 2 and source == "def f():\n    return 1 / 0\n"
    assert (filename, lineno, line) == (str(where / "koatty_lite" / "boom.py"), 6, "return 1 / 0")


def test_threads_importing_one_module_at_once_run_it_once(tmp_path):
    """With other threads running, _import takes the import system's module lock: threads importing the
    same module through _import and through `import` all get it whole, run once."""
    where = copy_package(tmp_path)
    (where / "koatty_lite" / "slow.py").write_text(
        "import builtins, time\nbuiltins.SLOW_RUNS = getattr(builtins, 'SLOW_RUNS', 0) + 1\ntime.sleep(0.3)\n"
        "DONE = True\n", encoding="utf-8")
    check = ("import builtins, threading, koatty_lite\ngot = []\n"
             "def fast():\n    got.append(koatty_lite._import('koatty_lite.slow').DONE)\n"
             "def normal():\n    import koatty_lite.slow as s\n    got.append(s.DONE)\n"
             "ts = [threading.Thread(target=f) for f in (fast, fast, normal, fast)]\n"
             "[t.start() for t in ts]; [t.join() for t in ts]\n"
             "print(json.dumps([got, builtins.SLOW_RUNS]))")
    run(where, check)
    assert run(where, check) == [[True] * 4, 1]


def test_a_package_beside_a_module_of_its_name_wins_as_with_filefinder(tmp_path):
    """koatty_lite/twin/__init__.py and koatty_lite/twin.py, both compiled: the package is imported, as the
    import system's FileFinder chooses."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    pkg = where / "koatty_lite" / "twin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("WHICH = 'package'\n", encoding="utf-8")
    (where / "koatty_lite" / "twin.py").write_text("WHICH = 'module'\n", encoding="utf-8")
    for src in (pkg / "__init__.py", where / "koatty_lite" / "twin.py"):
        py_compile.compile(str(src), doraise=True)
    check = ("import koatty_lite\nm = koatty_lite._import('koatty_lite.twin')\n"
             "print(json.dumps([_Spy.seen, m.WHICH, m.__path__, m.__package__]))")
    assert run(where, check) == [[], "package", [str(pkg)], "koatty_lite.twin"]


def test_what_koatty_lite_package_ships_loads_through_the_fast_path(tmp_path):
    """`koatty_lite package` ships stripped sources (their mtimes lost when unzipped) and unchecked-hash pycs
    compiled with relative file names: a cold GET of the unzipped function asks the finders for none of the
    cold path's modules (the echo app's request also loads context_extra, on first use), and their code
    names the shipped files."""
    from koatty_lite.cli import package
    from test_package_slim import _echo_project, _unzip

    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), runtime="python%d.%d" % sys.version_info[:2],
                        log=lambda line: None)
    root = _unzip(res.path, tmp_path / "u")
    code = ("import handler, koatty_lite.app as a\n"
            "ev = {'version': '2.0', 'rawPath': '/x', 'rawQueryString': '', 'headers': {'host': 'x'},"
            " 'requestContext': {'http': {'method': 'GET', 'path': '/x', 'sourceIp': '1.2.3.4'}, 'requestId': 'r'}}\n"
            "status = handler.handler(ev, None)['statusCode']\n"
            f"print(json.dumps([[m for m in _Spy.seen if m in {COLD_PATH!r}], status,"
            " a.create_application.__code__.co_filename]))")
    assert run(root, code) == [[], 200, os.path.join(root, "koatty_lite", "app.py")]


def test_audit_hooks_see_the_import_events_the_import_system_raises(tmp_path):
    """PEP 578: a hook sees an "import" event for each module the fast path loads, with importlib's
    arguments; a hook that raises stops the import as it stops importlib's."""
    where = copy_package(tmp_path)
    run(where, "import koatty_lite, koatty_lite.serverless\nprint(1)")
    check = ("events = []\n"
             "def hook(event, args):\n"
             "    if event == 'import' and args[0].startswith('koatty_lite.'):\n"
             "        events.append([args[0], args[1], args[2] is sys.path, args[3] is sys.meta_path,"
             " args[4] is sys.path_hooks])\n"
             "        if args[0] == 'koatty_lite.serverless':\n"
             "            raise PermissionError('no serverless here')\n"
             "sys.addaudithook(hook)\n"
             "import koatty_lite\n"
             "try:\n    koatty_lite._import('koatty_lite.serverless')\n"
             "except PermissionError as exc:\n    err = str(exc)\n"
             "print(json.dumps([_Spy.seen, events, err, 'koatty_lite.serverless' in sys.modules]))")
    seen, normal, err, loaded = run(where, check, "-v")
    assert err == "no serverless here" and not loaded and "koatty_lite.app" in seen
    assert len(normal) == 8 and all(e[1:] == [None, True, True, True] for e in normal)
    assert run(where, check) == [[], normal, err, False]


CORE = ["koatty_lite.app", "koatty_lite.context", "koatty_lite.decorators", "koatty_lite.errors", "koatty_lite.log",
        "koatty_lite.output", "koatty_lite.routes"]


@pytest.mark.parametrize("flags,env", [(["-I", "-X", "importtime"], LAMBDA),
                                       (["-S"], {**LAMBDA, "PYTHONPROFILEIMPORTTIME": "1"})])
def test_import_time_reports_list_every_koatty_lite_module(tmp_path, flags, env):
    """`-X importtime` and PYTHONPROFILEIMPORTTIME list each koatty_lite module (the import system does the
    imports then), as a user profiling a cold start expects. Fails on the first _import (one line:
    koatty_lite), and PYTHONPROFILEIMPORTTIME on the code cache's. Found by audit2."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    out = subprocess.run([sys.executable, *flags, "-c", f"import sys\nsys.path.insert(0, {str(where)!r})\nimport koatty_lite"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()} >= {"koatty_lite", *CORE}


HOOK = """
from importlib.machinery import PathFinder
class _Hook:  # a tracer's finder ahead of the import system's: wraps koatty_lite.errors' loader
    asked = []
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.startswith('koatty_lite.'):
            cls.asked.append(name)
        if name == 'koatty_lite.errors':
            spec = PathFinder.find_spec(name, path, target)
            run = spec.loader.exec_module
            def exec_module(module):
                module.TRACED = True
                run(module)
            spec.loader.exec_module = exec_module
            return spec
sys.meta_path.insert(0, _Hook)
import koatty_lite
print(json.dumps([sorted(set(_Hook.asked)), sorted(set(_Spy.seen)), getattr(koatty_lite.errors, 'TRACED', False)]))
"""


@pytest.mark.parametrize("cached", [True, False])
def test_a_finder_ahead_of_the_import_systems_is_asked_and_one_that_answers_imports_the_module(tmp_path, cached):
    """An import hook on sys.meta_path (a tracer, a type checker's) is asked for every koatty_lite module, as
    the import system asks it; the module it answers for is imported by the import system through its
    loader, the others still by _import (from the code cache or their pycs). Fails on the old code (no
    finder was asked). Found by audit2."""
    where = copy_package(tmp_path)
    if not cached:
        block_cache(where)
    run(where, IMPORT)
    assert run(where, HOOK) == [CORE, ["koatty_lite.errors"], True]


def test_without_pathfinder_on_sys_meta_path_the_import_system_imports(tmp_path):
    """A sys.meta_path without the import system's PathFinder (replaced by an app's own): _import loads
    nothing itself; the import system finds the modules with the finders there."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    check = ("from importlib.machinery import PathFinder\n"
             "class _Own:\n"
             "    asked = []\n"
             "    @classmethod\n"
             "    def find_spec(cls, name, path=None, target=None):\n"
             "        cls.asked.append(name)\n"
             "        return PathFinder.find_spec(name, path, target)\n"
             "sys.meta_path[sys.meta_path.index(PathFinder)] = _Own\n"
             "import koatty_lite\n"
             "print(json.dumps(sorted(set(n for n in _Own.asked if n.startswith('koatty_lite.')))))")
    assert run(where, check) == CORE


@pytest.mark.parametrize("finder,seen", [
    ("    def find_spec(self, name, path, target):\n"  # importlib passes target: many hooks give it no default
     "        _Hook.asked.append(name)\n", []),
    ("    def find_module(self, name, path=None):\n"  # a legacy finder (Python 3.10, 3.11 still ask it)
     "        _Hook.asked.append(name)\n", CORE)], ids=["target", "legacy"])
def test_a_finder_is_called_as_importlib_calls_it(tmp_path, finder, seen):
    """A hook whose find_spec takes ``target`` without a default, or a legacy finder without find_spec, on
    sys.meta_path ahead of PathFinder: `import koatty_lite` works (the import system asks the legacy one) and
    each is asked for every core module. Fails on 93fb262 (TypeError, AttributeError at import)."""
    where = copy_package(tmp_path)
    run(where, IMPORT)
    check = ("import warnings\nwarnings.simplefilter('ignore')\nclass _Hook:\n    asked = []\n" + finder +
             "sys.meta_path.insert(0, _Hook())\nimport koatty_lite\n"
             "print(json.dumps([sorted({n for n in _Hook.asked if n.startswith('koatty_lite.')}), sorted(_Spy.seen)]))")
    assert run(where, check) == [CORE, seen]
