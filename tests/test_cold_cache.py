"""The code cache (koatty_lite/__init__.py: _COLD, _cold_code): the cold modules of a Lambda GET (the eager core,
entry, serverless/__init__) as one marshal blob in koatty_lite/__pycache__/cold.<cache tag>.bin, used while every
source's mtime and size are those it recorded (as a timestamp pyc), written like a pyc by the first
`import koatty_lite` that finds it missing or stale, shipped unchecked by `koatty_lite package`. Anything odd
falls back to the pycs and the import system, never to an error. Each case runs in a fresh interpreter on a
copy of the package (test_fast_load.py's helpers); an audit hook lists the files the process opened."""
from __future__ import annotations

import importlib.util
import json
import marshal
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from test_core_imports import COLD_APP
from test_fast_load import LAMBDA, copy_package, run

TAG = sys.implementation.cache_tag
CACHED = ["log", "errors", "context", "decorators", "output", "routes", "app", "entry", "serverless/__init__"]
# The cold app (boot + first GET on Lambda), printing what the finders were asked for, the koatty_lite files
# opened (relative to the package), whether a module's marker is set, and a cold function's code file name.
OPENED = """
opened = []
sys.addaudithook(lambda event, args: event == 'open' and isinstance(args[0], str) and 'koatty_lite' in args[0]
                 and opened.append(args[0].split('koatty_lite/', 1)[-1]))
"""
COLD = OPENED + COLD_APP.replace(
    "print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
    "import koatty_lite.routes as r, koatty_lite.entry as en\n"
    "print(_j.dumps([_Spy.seen, opened, getattr(r, 'MARK', None), getattr(en, 'MARK', None),"
    " en.handler.__code__.co_filename]))")


def cache(where):
    return where / "koatty_lite" / "__pycache__" / f"cold.{TAG}.bin"


def pycs_read(opened):
    """The cached modules whose pyc the process read."""
    def pyc(module):
        head, _, tail = module.rpartition("/")
        return f"{head}/__pycache__/{tail}.{TAG}.pyc".lstrip("/")

    return sorted(m for m in CACHED if pyc(m) in opened)


def read_cache(where):
    data = cache(where).read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    return marshal.loads(data[4:])


def test_the_first_import_writes_the_cache_and_the_next_cold_start_reads_no_pyc_of_its_modules(tmp_path):
    """Fails on the old code (no cache: each cold module's pyc is read and unmarshalled on its own)."""
    where = copy_package(tmp_path)
    run(where, COLD)  # writes the pycs and the cache
    stamps, code = read_cache(where)
    sources = [where / "koatty_lite" / f"{m}.py" for m in CACHED]
    assert stamps == tuple((s.stat().st_size, int(s.stat().st_mtime)) for s in sources)
    assert [c.co_filename for c in code] == [str(s) for s in sources]
    seen, opened, _, _, filename = run(where, COLD)
    assert seen == [] and pycs_read(opened) == []
    assert opened.count(f"__pycache__/cold.{TAG}.bin") == 1
    assert "serverless/__pycache__/aws.%s.pyc" % TAG in opened  # the cloud's module: its own pyc
    assert filename == str(where / "koatty_lite" / "entry.py")


@pytest.mark.parametrize("module", ["routes", "entry"])
@pytest.mark.parametrize("change", ["size", "mtime"])
def test_a_changed_source_makes_the_cache_stale_the_new_code_runs_and_the_cache_is_rewritten(tmp_path, change,
                                                                                             module):
    """routes: loaded by `import koatty_lite`; entry: after it (handler(App)). A changed size, or an mtime alone
    (the same size), is stale, as for a timestamp pyc."""
    where = copy_package(tmp_path)
    src = where / "koatty_lite" / f"{module}.py"
    src.write_text(src.read_text(encoding="utf-8") + "\nMARK = 1\n", encoding="utf-8")
    run(where, COLD)
    assert run(where, COLD)[2:4] == ([1, None] if module == "routes" else [None, 1])
    st = src.stat()
    text = src.read_text(encoding="utf-8")
    src.write_text(text.replace("\nMARK = 1\n", "\nMARK = 22\n" if change == "size" else "\nMARK = 2\n"),
                   encoding="utf-8")
    if change == "mtime":
        os.utime(src, (st.st_atime, st.st_mtime + 10))
        assert src.stat().st_size == st.st_size
    mark = 22 if change == "size" else 2
    want = [mark, None] if module == "routes" else [None, mark]
    seen, opened, *marks, _ = run(where, COLD)
    assert marks == want and pycs_read(opened) != []  # the pycs' path (the import system recompiled the module)
    seen, opened, *marks, _ = run(where, COLD)  # the rewritten cache
    assert marks == want and seen == [] and pycs_read(opened) == []


DAMAGED = {
    "garbage": os.urandom(64),
    "truncated": None,  # the first half of a valid cache
    "wrong magic": b"\0\0\r\n",  # + a valid cache's body
    "empty": b"",
    "not marshal": importlib.util.MAGIC_NUMBER + b"\xff\x00\x01",
    "another shape": importlib.util.MAGIC_NUMBER + marshal.dumps(42),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_cache_never_breaks_the_import_and_is_rewritten(tmp_path, damage):
    where = copy_package(tmp_path)
    first = run(where, COLD)
    good = cache(where).read_bytes()
    bad = DAMAGED[damage]
    if damage == "truncated":
        bad = good[:len(good) // 2]
    elif damage == "wrong magic":
        bad += good[4:]
    cache(where).write_bytes(bad)
    seen, opened, *rest = run(where, COLD)
    assert rest == first[2:] and seen == [] and pycs_read(opened) == sorted(CACHED)  # the pycs' fast path
    assert read_cache(where)[0] is not None  # rewritten
    seen, opened, *rest = run(where, COLD)
    assert rest == first[2:] and pycs_read(opened) == []


def test_a_cache_that_is_a_directory_is_neither_read_nor_written(tmp_path):
    where = copy_package(tmp_path)
    cache(where).mkdir(parents=True)
    run(where, COLD)
    seen, opened, *_ = run(where, COLD)
    assert seen == [] and pycs_read(opened) == sorted(CACHED)  # the pycs' fast path
    assert sorted(os.listdir(cache(where).parent)) == sorted(
        [f"{m}.{TAG}.pyc" for m in ["__init__", *CACHED[:8]]] + [f"cold.{TAG}.bin"])  # no temporary file left


WRITES = """
events = []
sys.addaudithook(lambda event, args: event in ('open', 'os.rename') and '/cold.' in str(args[0]) and events.append(
                 [event] + [str(a).rpartition('/')[2] for a in args[:2]]))
import koatty_lite
print(json.dumps(events))
"""


def test_the_cache_is_written_atomically(tmp_path):
    """A temporary file beside it, renamed onto it (os.replace), as importlib writes a pyc: a process starting
    meanwhile reads the old cache or the new one, never half of one."""
    where = copy_package(tmp_path)
    events = run(where, WRITES)
    name = f"cold.{TAG}.bin"
    assert events[0][:2] == ["open", name]  # the read that found none
    (event, tmp, _), rename = events[1], events[2]
    assert event == "open" and tmp.startswith(name + ".") and rename == ["os.rename", tmp, name]
    assert events[3:] == []
    assert sorted(n for n in os.listdir(cache(where).parent) if n.startswith("cold.")) == [name]
    assert [e[:2] for e in run(where, WRITES)] == [["open", name]]  # read, not written again


def test_no_cache_is_written_without_bytecode_writing(tmp_path):
    """-B, and PYTHONDONTWRITEBYTECODE (here without -I, which ignores it): no cache, as no pyc."""
    where = copy_package(tmp_path)
    run(where, "import koatty_lite\nprint(1)", "-B")
    assert not cache(where).exists()
    env = dict(LAMBDA, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(where)!r}); "
                          "import koatty_lite; print(sys.dont_write_bytecode)"], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(where))
    assert out.stdout.strip() == "True", out.stderr
    assert not cache(where).exists()


@pytest.mark.parametrize("flags", [("-O",), ("-v",), ("-X", "importtime"), ("-X", "pycache_prefix=PREFIX"),
                                   ("--check-hash-based-pycs", "always")],
                         ids=["O", "v", "importtime", "prefix", "check-always"])
def test_flags_the_cache_does_not_follow_use_the_pycs_or_the_import_system(tmp_path, flags):
    """-O (opt pycs), -v and -X importtime (the import system reports each module), a pycache prefix, and hash
    checks forced on (the cache may hold a hash-based pyc's code): the cache is neither read nor written."""
    where = copy_package(tmp_path)
    flags = tuple(f.replace("PREFIX", str(tmp_path / "prefix")) for f in flags)
    run(where, COLD, *flags)
    assert not cache(where).exists()
    run(where, COLD)
    seen, opened, *_ = run(where, COLD, *flags)
    assert f"__pycache__/cold.{TAG}.bin" not in opened


def test_what_koatty_lite_package_ships_holds_the_cache_unchecked(tmp_path):
    """`koatty_lite package` (bytecode, the default) ships the cache compiled by the target Python, unchecked as its
    pycs (the unzipped sources' mtimes are not the build's) with the pycs' relative file names: the unzipped
    function's cold GET reads no pyc of its modules, and their code names the shipped files. Two builds are
    byte for byte the same. Fails on the old code (no cache in the zip)."""
    from koatty_lite.cli import package
    from test_package_slim import _echo_project, _unzip

    app, entry = _echo_project(tmp_path)
    runtime = "python%d.%d" % sys.version_info[:2]
    res = package.build(app, [entry], str(tmp_path / "f.zip"), runtime=runtime, log=lambda line: None)
    again = package.build(app, [entry], str(tmp_path / "g.zip"), runtime=runtime, log=lambda line: None)
    assert (tmp_path / "f.zip").read_bytes() == (tmp_path / "g.zip").read_bytes()
    assert f"koatty_lite/__pycache__/cold.{TAG}.bin" in [n for n, _ in res.entries] and again
    root = tmp_path / "u"
    _unzip(res.path, root)
    stamps, code = read_cache(root)
    assert stamps is None and [c.co_filename for c in code] == [f"koatty_lite/{m}.py" for m in CACHED]
    code = OPENED + (
        "import handler, koatty_lite.app as a\n"
        "ev = {'version': '2.0', 'rawPath': '/x', 'rawQueryString': '', 'headers': {'host': 'x'},"
        " 'requestContext': {'http': {'method': 'GET', 'path': '/x', 'sourceIp': '1.2.3.4'}, 'requestId': 'r'}}\n"
        "status = handler.handler(ev, None)['statusCode']\n"
        "print(json.dumps([opened, status, a.create_application.__code__.co_filename]))")
    opened, status, filename = run(root, code)
    assert pycs_read(opened) == [] and f"__pycache__/cold.{TAG}.bin" in opened
    assert status == 200 and filename == os.path.join(root, "koatty_lite", "app.py")
    opened, status, _ = run(root, code, "--check-hash-based-pycs", "always")
    assert status == 200 and f"__pycache__/cold.{TAG}.bin" not in opened  # the import system checks the pycs
    assert pycs_read(opened) == sorted(CACHED) and "app.py" in opened


def test_a_source_only_package_ships_no_cache(tmp_path):
    from koatty_lite.cli import package
    from test_package_slim import _echo_project

    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=lambda line: None)
    assert not [n for n, _ in res.entries if n.endswith(".bin") or n.endswith(".pyc")]


def test_the_repository_tree_lists_every_cached_module():
    """_COLD names source files of the package (a renamed module would leave the cache always stale)."""
    sys.path.insert(0, ROOT)
    import koatty_lite

    assert list(getattr(koatty_lite, "_COLD", [])) == CACHED
    assert all(os.path.isfile(os.path.join(ROOT, "koatty_lite", m + ".py")) for m in CACHED)
