"""examples/*/package.sh: the example's own entry files, bytecode for its template's runtime, build/ = the zip."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None or shutil.which("make") is None,
                    reason="bash and make")
@pytest.mark.parametrize("example,entries", [("aws", ["handler.py"]), ("alicloud", ["index.py"]),
                                             ("tencent", ["index.py", "serve.py", "scf_bootstrap"])])
def test_package_holds_the_examples_entry_files(example, entries, tmp_path):
    work = tmp_path / "repo"
    # why: build in a copy, so the test never writes into the working tree
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".git", ".venv*", "bench", "dist", "build",
                                                              "__pycache__", ".hypothesis", ".pytest_cache"))
    env = dict(os.environ, PYTHON=sys.executable)
    subprocess.run(["bash", str(work / "examples" / example / "package.sh")], check=True, env=env,
                   capture_output=True, timeout=120)
    with zipfile.ZipFile(work / "examples" / example / "function.zip") as zf:
        names = zf.namelist()
        for entry in entries:
            assert zf.read(entry) == (work / "examples" / example / entry).read_bytes()
        # the runtime ships compiled for the runtime the example's template declares (or as source, said once)
        from koatty_lite.cli import package

        template = next(t for t in ("template.yaml", "s.yaml", "serverless.yml")
                        if (work / "examples" / example / t).exists())
        version = package.runtime_version(package.read_template(str(work / "examples" / example / template))[0])
        pycs = [n for n in names if n.endswith(".pyc")]
        if package.find_interpreter(version):
            tag = "cpython-" + version.replace(".", "")
            assert pycs and all(n.endswith(f".{tag}.pyc") for n in pycs)
            assert any(n.startswith("koatty_lite/__pycache__/") for n in names)
            python = package.find_interpreter(version)
            for entry in (e for e in entries if e.endswith(".py")):  # each entry's pyc is of its own source
                pyc = zf.read(f"__pycache__/{entry[:-3]}.{tag}.pyc")
                want = subprocess.run([python, "-c", "import importlib.util, sys; print(importlib.util.source_hash("
                                       "open(sys.argv[1], 'rb').read()).hex())", str(work / "examples" / example / entry)],
                                      capture_output=True, text=True, check=True).stdout.strip()
                assert pyc[8:16].hex() == want, f"{entry}: a pyc of other source would shadow it"
        else:
            assert not pycs
        build = work / "examples" / example / "build"
        for entry in entries:  # build/ (the templates' CodeUri) holds the same files, modes kept
            assert (build / entry).read_bytes() == (work / "examples" / example / entry).read_bytes()
            assert (build / entry).stat().st_mode & 0o777 == (work / "examples" / example / entry).stat().st_mode & 0o777


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="bash")
def test_package_sh_packs_a_users_app_folder_outside_the_repository(tmp_path):
    """examples/package.sh with APP=<your app folder> (it used to pack examples/demo whatever you had)."""
    from tests.package_support import write_tree

    write_tree(tmp_path / "proj", {
        "shop/__init__.py": "", "shop/app.py": "from koatty_lite import Koatty\n\nclass App(Koatty):\n    components = []\n",
        "handler.py": "from shop.app import App\nimport koatty_lite\n\nhandler = koatty_lite.handler(App)\n",
        "template.yaml": "Resources:\n  F:\n    Properties:\n      Runtime: python%d.%d\n" % sys.version_info[:2],
    })
    env = dict(os.environ, PYTHON=sys.executable, APP=str(tmp_path / "proj" / "shop"))
    p = subprocess.run(["bash", os.path.join(ROOT, "examples", "package.sh"), str(tmp_path / "proj"), "handler.py"],
                       env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    with zipfile.ZipFile(tmp_path / "proj" / "function.zip") as zf:
        names = zf.namelist()
    assert "shop/app.py" in names and "handler.py" in names and not any(n.startswith("demo/") for n in names)
    assert f"__pycache__/handler.{sys.implementation.cache_tag}.pyc" in names  # the template's runtime
    assert (tmp_path / "proj" / "build" / "shop" / "app.py").exists()
