"""`python -m koatty_lite package` (issue 13 points 1-3): any app, bytecode for the runtime, dependencies."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import ROOT
from koatty_lite.cli import package
from koatty_lite.cli._common import CliError
from tests.package_support import write_sdist, write_tree, write_wheel

VERSION = "%d.%d" % sys.version_info[:2]
RUNTIME = "python" + VERSION  # Why: the test venv's own Python, so the package runs here

APP = {
    "shop/__init__.py": "",
    "shop/app.py": '''
        from koatty_lite import Controller, Get, GetMapping, Koatty

        @Controller("/")
        class ShopController:
            @GetMapping("/shout")
            def shout(self, w: str = Get("w", default="hi")):
                import klpure, klsdist

                return {"v": klpure.shout(w), "s": klsdist.whisper(w)}

        class App(Koatty):
            components = [ShopController]
        ''',
    "shop/data/prices.json": '{"tea": 3}\n',
    "shop/tests/test_shop.py": "def test_x():\n    pass\n",
    "shop/test_inline.py": "",
    "shop/conftest.py": "",
    "shop/__pycache__/app.cpython-39.pyc": "stale",
    "shop/.venv/pyvenv.cfg": "home = /usr/bin\n",
    "shop/venv2/pyvenv.cfg": "home = /usr/bin\n",
    "shop/venv2/lib/x.py": "",
    "shop/.git/HEAD": "ref: refs/heads/main\n",
    "shop/.idea/workspace.xml": "<x/>",
    "shop/.vscode/settings.json": "{}",
    "shop/app.py.swp": "",
    "shop/notes.txt~": "",
    "shop/.env": "SECRET=1\n",
    "shop/.pytest_cache/v": "",
    "shop/node_modules/a.js": "",
    "shop/koatty_lite/__init__.py": "# a vendored copy inside the app folder",
    "handler.py": '''
        import sys

        from shop.app import App
        import koatty_lite


        def report(event, context, app):
            """Which modules of the package were imported, and from where."""
            root = __file__.rsplit("/", 1)[0]
            mods = {n: m.__file__ for n, m in list(sys.modules.items())
                    if getattr(m, "__file__", None) and m.__file__.startswith(root + "/")}
            return {"root": root, "modules": mods, "koatty_lite": koatty_lite.__file__}


        handler = koatty_lite.handler(App, event_handlers={"scheduled": report})
        ''',
}


@pytest.fixture
def project(tmp_path):
    """A user's project outside the repository: shop/ (the app), handler.py, requirements with local wheels."""
    proj = tmp_path / "proj"
    write_tree(proj, APP)
    os.chmod(proj / "shop" / "data" / "prices.json", 0o644)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "klpure", "1.0", {"klpure/__init__.py": "def shout(s):\n    return s.upper() + '!'\n"})
    write_sdist(wheels, "klsdist", "1.0", {"klsdist/__init__.py": "def whisper(s):\n    return s.lower() + '...'\n"})
    (proj / "requirements.txt").write_text(f"--no-index\n--find-links {wheels}\nklpure==1.0\nklsdist==1.0\n")
    return proj


def names(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return zf.namelist()


def test_contents_exclusions_and_layout(project, tmp_path):
    out = tmp_path / "out" / "f.zip"
    res = package.build(str(project / "shop"), [str(project / "handler.py")], str(out), bytecode=False)
    got = names(out)
    assert got == sorted(got) and res.size == out.stat().st_size and len(res.entries) == len(got)
    assert "handler.py" in got and "shop/app.py" in got and "shop/data/prices.json" in got
    assert "koatty_lite/__init__.py" in got and "koatty_lite/serverless/aws.py" in got
    assert not any(n.startswith("koatty_lite/cli/") for n in got) and "koatty_lite/__main__.py" not in got
    assert not any(n.startswith("shop/koatty_lite/") for n in got)  # shipped once, as the runtime
    for bad in ("tests/", "test_inline", "conftest", "__pycache__", ".venv", "venv2", ".git", ".idea", ".vscode",
                ".swp", "~", ".env", ".pytest_cache", "node_modules"):
        assert not any(bad in n for n in got), bad
    with zipfile.ZipFile(out) as zf:
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.external_attr >> 16) == 0o100644


def test_same_tree_gives_the_same_bytes(project, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b" / "b.zip"
    for out in (a, b):
        package.build(str(project / "shop"), [str(project / "handler.py")], str(out), runtime=RUNTIME)
    assert a.read_bytes() == b.read_bytes()


def test_same_bytes_with_python_3_10_bytecode(project, tmp_path):
    # Why: 3.10's marshal writes set constants in hash order; the compiler must get PYTHONHASHSEED=0,
    # which `python -I` silently ignored (each build's pycs differed on 3.10).
    if package.find_interpreter("3.10") is None:
        pytest.skip("no Python 3.10 on this machine (PATH or pyenv)")
    a, b = tmp_path / "a.zip", tmp_path / "b" / "b.zip"
    for out in (a, b):
        package.build(str(project / "shop"), [str(project / "handler.py")], str(out), runtime="python3.10")
    assert any(n.endswith(".cpython-310.pyc") for n in zipfile.ZipFile(a).namelist())
    assert a.read_bytes() == b.read_bytes()


def test_entry_scripts_keep_their_mode_and_name_clashes_are_refused(project, tmp_path):
    boot = project / "scf_bootstrap"
    boot.write_text("#!/bin/bash\nexec python3 serve.py\n")
    boot.chmod(0o755)
    out = tmp_path / "f.zip"
    package.build(str(project / "shop"), [str(project / "handler.py"), str(boot)], str(out), bytecode=False)
    with zipfile.ZipFile(out) as zf:
        assert (zf.getinfo("scf_bootstrap").external_attr >> 16) == 0o100755
    clash = project / "koatty_lite.py"
    clash.write_text("")
    with pytest.raises(CliError, match="like koatty_lite's runtime"):
        package.build(str(project / "shop"), [str(clash)], str(out), bytecode=False)
    with pytest.raises(CliError, match="--entry"):
        package.build(str(project / "shop"), [], str(out), bytecode=False)
    bad = tmp_path / "my-app"
    bad.mkdir()
    with pytest.raises(CliError, match="give --name my_app"):
        package.build(str(bad), [str(project / "handler.py")], str(out), bytecode=False)


def test_bytecode_is_compiled_by_the_runtimes_interpreter(project, tmp_path):
    out = tmp_path / "f.zip"
    res = package.build(str(project / "shop"), [str(project / "handler.py")], str(out), runtime=RUNTIME)
    assert res.python and res.runtime == RUNTIME
    check_bytecode(out)


def check_bytecode(zip_path, magic=importlib.util.MAGIC_NUMBER, tag=sys.implementation.cache_tag):
    """Every .py of the zip has an unchecked-hash pyc of the runtime (magic number), and no other pyc."""
    with zipfile.ZipFile(zip_path) as zf:
        got = set(zf.namelist())
        sources = [n for n in got if n.endswith(".py")]
        assert sources
        for src in sources:
            folder, _, base = src.rpartition("/")
            pyc = (folder + "/" if folder else "") + f"__pycache__/{base[:-3]}.{tag}.pyc"
            assert pyc in got, f"no bytecode for {src}"
            head = zf.read(pyc)[:8]
            assert head[:4] == magic, src
            assert int.from_bytes(head[4:8], "little") == 1, f"{src}: not unchecked-hash"
        assert all(n.endswith(f".{tag}.pyc") for n in got if n.endswith(".pyc"))


def test_requirements_binary_and_pure_sdist_fallback_and_runtime_client(project, tmp_path):
    """The issue's acceptance test: a user's app with pure-Python requirements, unzipped read-only,
    run by the real AWS runtime client; every module carries bytecode of the chosen runtime and is
    loaded from it."""
    pytest.importorskip("awslambdaric")
    from koatty_lite.cli.event import build_event
    from tests.lambda_runtime_emulator import RuntimeApiEmulator

    out = tmp_path / "function.zip"
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "package", str(project / "shop"),
                        "--entry", str(project / "handler.py"), "--requirements", str(project / "requirements.txt"),
                        "--runtime", RUNTIME, "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "building the missing ones here (pure Python only)" in p.stderr  # klsdist has no wheel
    assert f"bytecode for {RUNTIME}" in p.stdout
    got = names(out)
    assert "klpure/__init__.py" in got and "klsdist/__init__.py" in got
    assert not any(n.startswith("bin/") for n in got)
    check_bytecode(out)

    task = tmp_path / "task"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(task)
    for dirpath, dirnames, filenames in os.walk(task):  # read-only, as /var/task is
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o444)
        os.chmod(dirpath, 0o555)
    before = sorted(os.path.relpath(os.path.join(d, n), task) for d, _, ns in os.walk(task) for n in ns)
    log = tmp_path / "runtime.log"
    with RuntimeApiEmulator() as emu, open(log, "wb") as fh:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
        env.update(AWS_LAMBDA_RUNTIME_API=emu.address, AWS_LAMBDA_FUNCTION_NAME="shop",
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                   LAMBDA_TASK_ROOT=str(task), PYTHONPATH=str(task), PYTHONVERBOSE="1")
        # Why: stdout to a file: the verbose import log would fill a pipe and stall the runtime.
        proc = subprocess.Popen([sys.executable, "-m", "awslambdaric", "handler.handler"], cwd=str(task), env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT)
        try:
            kind, resp = emu.invoke(build_event("apigw-v2", _get("/shout?w=Tea")), timeout=60)
            assert kind == "response", (resp, log.read_text(errors="replace")[-3000:])
            assert resp["statusCode"] == 200 and json.loads(resp["body"]) == {"v": "TEA!", "s": "tea..."}
            kind, seen = emu.invoke(build_event("schedule"), timeout=60)
            assert kind == "response", seen
        finally:
            proc.kill()
            proc.wait(10)
        for dirpath, dirnames, filenames in os.walk(task):
            os.chmod(dirpath, 0o755)
    assert seen["koatty_lite"].startswith(str(task) + "/")  # the runtime came from the zip, not the repo
    assert {"handler", "shop.app", "klpure", "klsdist", "koatty_lite.entry"} <= set(seen["modules"])
    after = sorted(os.path.relpath(os.path.join(d, n), task) for d, _, ns in os.walk(task) for n in ns)
    assert after == before  # nothing compiled or written at run time
    verbose = log.read_text(errors="replace")
    for name, path in seen["modules"].items():
        assert f"matches {path}" in verbose, f"{name} was not loaded from its bytecode"
        assert f"code object from {path}\n" not in verbose, f"{name} was compiled from source"


def _get(path):
    from koatty_lite.cli.event import HttpRequest, default_headers

    p, _, q = path.partition("?")
    return HttpRequest("GET", p, q, default_headers())


def test_requirements_with_compiled_parts_and_no_platform_wheel_is_one_clear_error(project, tmp_path):
    import platform

    wheels = tmp_path / "cwheels"
    wheels.mkdir()
    # A wheel only for this machine's plain linux tag: never a manylinux wheel for the platform.
    write_wheel(wheels, "klnative", "1.0", {"klnative/__init__.py": ""}, tag=f"py3-none-linux_{platform.machine()}")
    req = tmp_path / "req.txt"
    req.write_text(f"--no-index\n--find-links {wheels}\nklnative==1.0\n")
    if not sys.platform.startswith("linux"):
        pytest.skip("the wheel's tag is a Linux one")
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "package", str(project / "shop"), "--entry",
                        str(project / "handler.py"), "--requirements", str(req), "--source-only",
                        "-o", str(tmp_path / "f.zip")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 2
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("error: klnative 1.0 has compiled parts and no wheel for python3.12 on Linux x86_64")
    assert "Traceback" not in p.stderr and not (tmp_path / "f.zip").exists()


def test_pip_is_asked_for_the_platform_not_this_machine(project, tmp_path, monkeypatch):
    calls = []

    def fake_pip(args):
        calls.append(args)
        target = args[args.index("--target") + 1]
        os.makedirs(os.path.join(target, "dep"), exist_ok=True)
        open(os.path.join(target, "dep", "__init__.py"), "w").close()
        os.makedirs(os.path.join(target, "bin"), exist_ok=True)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(package, "_pip", fake_pip)
    req = tmp_path / "r.txt"
    req.write_text("dep\n")
    out = tmp_path / "f.zip"
    package.build(str(project / "shop"), [str(project / "handler.py")], str(out), requirements=str(req),
                  runtime="python3.12", arch="arm64", bytecode=False)
    (args,) = calls
    assert args[:1] == ["install"] and "--no-compile" in args and "--only-binary=:all:" in args
    assert args[args.index("--python-version") + 1] == "3.12" and args[args.index("--implementation") + 1] == "cp"
    plats = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert plats == ["manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64"]
    assert "dep/__init__.py" in names(out) and not any(n.startswith("bin/") for n in names(out))
    assert package.pip_platforms("3.10", "x86_64") == ["manylinux2014_x86_64", "manylinux_2_17_x86_64"]


def test_a_stdlib_only_app_needs_no_pip(project, tmp_path, monkeypatch):
    monkeypatch.setattr(package, "_pip", lambda args: pytest.fail("pip was called"))
    package.build(str(project / "shop"), [str(project / "handler.py")], str(tmp_path / "f.zip"), bytecode=False)


@pytest.mark.parametrize("text,expect", [
    ("Globals:\n  Function:\n    Runtime: python3.11\n    Architectures:\n      - arm64\n", ("python3.11", "arm64")),
    ("Resources:\n  F:\n    Properties:\n      Runtime: \"python3.12\"  # the runtime\n"
     "      Architectures: [x86_64]\n", ("python3.12", "x86_64")),
    ("resources:\n  f:\n    props:\n      runtime: python3.10\n      code: ./build\n", ("python3.10", None)),
    ("provider:\n  name: aws\n  runtime: python3.12\n  architecture: arm64\n", ("python3.12", "arm64")),
    ("inputs:\n  runtime: Python3.10\n  # runtime: python3.9\n", ("python3.10", None)),
    ("Resources:\n  N:\n    Properties:\n      Runtime: nodejs20.x\n", (None, None)),
], ids=["sam-globals", "sam-function", "s-yaml", "serverless-framework", "tencent-component", "not-python"])
def test_read_template(tmp_path, text, expect):
    t = tmp_path / "t.yaml"
    t.write_text(text)
    assert package.read_template(str(t)) == expect


def test_template_with_two_runtimes_asks_for_one(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("A:\n  Runtime: python3.11\nB:\n  Runtime: python3.12\n")
    with pytest.raises(CliError, match=r"several runtimes \(python3.11, python3.12\): choose one with --runtime"):
        package.read_template(str(t))


@pytest.mark.parametrize("given,expect", [("python3.12", "3.12"), ("Python3.10", "3.10"), ("3.11", "3.11")])
def test_runtime_version(given, expect):
    assert package.runtime_version(given) == expect


@pytest.mark.parametrize("bad", ["python3.9", "nodejs20.x", "python"])
def test_bad_runtime_is_refused(bad):
    with pytest.raises(CliError):
        package.runtime_version(bad)


def _script(path, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts stand in for interpreters")
def test_interpreter_lookup_skips_a_failing_shim_and_finds_pyenvs_version(tmp_path, monkeypatch):
    shims, pyenv = tmp_path / "shims", tmp_path / "pyenv"
    # A pyenv shim for a version that is installed but not selected: it answers "command not found".
    _script(shims / "python3.99", "echo 'pyenv: python3.99: command not found' >&2; exit 127\n")
    _script(pyenv / "versions" / "3.99.1" / "bin" / "python3.99", "echo 3.99\n")
    _script(pyenv / "versions" / "3.99.10" / "bin" / "python3.99", "echo 3.99\n")
    _script(shims / "python3.98", "echo 'pyenv: python3.98: command not found' >&2; exit 127\n")
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    assert package.find_interpreter("3.99") == str(pyenv / "versions" / "3.99.10" / "bin" / "python3.99")
    assert package.find_interpreter("3.98") is None
    assert package.find_interpreter(VERSION) == sys.executable


def test_missing_interpreter_is_one_line_and_source_only_or_strict_fails(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "nopyenv"))
    out = tmp_path / "f.zip"
    argv = ["package", str(project / "shop"), "--entry", str(project / "handler.py"), "--runtime", "python3.99",
            "-o", str(out)]
    env = dict(os.environ, PYENV_ROOT=str(tmp_path / "nopyenv"))
    p = subprocess.run([sys.executable, "-m", "koatty_lite", *argv], cwd=ROOT, capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "no working python3.99" in p.stderr
    assert "source only" in p.stdout and not any(n.endswith(".pyc") for n in names(out))
    out.unlink()
    p = subprocess.run([sys.executable, "-m", "koatty_lite", *argv, "--strict"], cwd=ROOT, capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 2 and p.stderr.startswith("error: no working python3.99")
    assert len(p.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_syntax_error_in_the_app_names_the_file(project, tmp_path):
    (project / "shop" / "broken.py").write_text("def f(:\n")
    with pytest.raises(CliError, match=r"shop/broken.py does not compile for python3"):
        package.build(str(project / "shop"), [str(project / "handler.py")], str(tmp_path / "f.zip"), runtime=RUNTIME)


def test_cli_list_and_summary(project, tmp_path):
    out = tmp_path / "f.zip"
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "package", str(project / "shop"), "--entry",
                        str(project / "handler.py"), "--source-only", "--list", "-o", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[-1] == f"{out}: {out.stat().st_size} bytes, {len(names(out))} files, source only (runtime python3.12)"
    # the line before: what of the runtime ships and why (cli/slim.py)
    assert lines[-2].startswith("runtime for aws: core + events (handler.py: event_handlers=), query (app.py: from "
                                "koatty_lite import Get); left out: aspects, config, cors, "), lines[-2]
    listed = [ln.split()[-1] for ln in lines[:-2]]
    assert listed == names(out)


@pytest.mark.parametrize("args,needle", [
    (["nosuchdir", "--entry", "handler.py"], "is not a directory"),
    (["examples/demo", "--entry", "nosuch.py"], "--entry nosuch.py: no such file"),
    (["examples/demo", "--entry", "examples/aws/handler.py", "--runtime", "python3.8"], "older than"),
    (["examples/demo", "--entry", "examples/aws/handler.py", "--template", "nosuch.yaml"], "cannot read file"),
    (["examples/demo", "--entry", "examples/aws/handler.py", "--requirements", "nosuch.txt"], "no such file"),
], ids=["no-dir", "no-entry", "old-runtime", "no-template", "no-requirements"])
def test_mistakes_are_one_line_exit_2(args, needle, tmp_path):
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "package", *args, "-o", str(tmp_path / "f.zip")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and needle in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make")
def test_make_zip_app_entry_runtime(project, tmp_path):
    out = tmp_path / "m.zip"
    p = subprocess.run(["make", "-s", "zip", f"APP={project / 'shop'}", f"ENTRY={project / 'handler.py'}",
                        f"RUNTIME={RUNTIME}", f"OUT={out}", f"PYTHON={sys.executable}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "shop/app.py" in names(out) and "handler.py" in names(out)
    check_bytecode(out)
    p = subprocess.run(["make", "-s", "zip", f"APP={project / 'shop'}", f"OUT={out}", f"PYTHON={sys.executable}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "needs ENTRY=handler.py" in p.stderr


def test_examples_templates_and_the_default_runtime_agree():
    aws = package.read_template(os.path.join(ROOT, "examples", "aws", "template.yaml"))
    assert aws == package.read_template(os.path.join(ROOT, "examples", "aws", "serverless.yml"))
    assert aws[0] == package.DEFAULT_RUNTIME
    tencent = package.read_template(os.path.join(ROOT, "examples", "tencent", "serverless.yml"))[0]
    with open(os.path.join(ROOT, "examples", "tencent", "scf_bootstrap"), encoding="utf-8") as fh:
        boot = fh.read()
    v = package.runtime_version(tencent)
    assert f"python{v}" in boot and f"/python{v.replace('.', '')}/" in boot  # the web function's interpreter
    for folder, name in (("alicloud", "s.yaml"), ("tencent", "serverless.yml")):
        package.runtime_version(package.read_template(os.path.join(ROOT, "examples", folder, name))[0])


def test_a_requirement_file_that_does_not_compile_ships_as_source_said_in_one_line(project, tmp_path):
    wheels = tmp_path / "w2"
    wheels.mkdir()
    write_wheel(wheels, "klold", "1.0", {"klold/__init__.py": "X = 1\n", "klold/py2compat.py": "print 'old'\n"})
    req = tmp_path / "r.txt"
    req.write_text(f"--no-index\n--find-links {wheels}\nklold==1.0\n")
    lines = []
    out = tmp_path / "f.zip"
    package.build(str(project / "shop"), [str(project / "handler.py")], str(out), requirements=str(req),
                  runtime=RUNTIME, log=lines.append)
    assert len(lines) == 1 and "klold/py2compat.py" in lines[0] and "ship as source" in lines[0]
    got = names(out)
    assert "klold/py2compat.py" in got and not any(n.startswith("klold/__pycache__/py2compat.") for n in got)
    assert f"klold/__pycache__/__init__.{sys.implementation.cache_tag}.pyc" in got
