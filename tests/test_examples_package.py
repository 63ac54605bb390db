"""examples/*/package.sh: the package holds the example's own entry module, never a stale pyc of make zip's."""
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
            stem = entry[:-3] if entry.endswith(".py") else entry
            assert not any(n.startswith(f"__pycache__/{stem}.") for n in names), "a stale pyc would shadow it"
        assert any(n.startswith("koatty_lite/__pycache__/") for n in names)  # the runtime ships compiled
