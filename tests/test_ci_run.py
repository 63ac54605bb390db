""".ci/run installs the PostgreSQL server package only when it is missing, then runs `make test`."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import ROOT


def _stub(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash")
@pytest.mark.parametrize("has_server", [True, False], ids=["server-present", "server-missing"])
def test_ci_run_installs_postgresql_only_when_missing(tmp_path, has_server):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    calls = tmp_path / "calls"
    for tool in ("make", "apt-get"):
        _stub(bin_ / tool, f'echo "{tool} $*" >> {calls}\n')
    _stub(bin_ / "id", "echo 0\n")  # as root, as in a CI container
    for tool in ("ls", "dirname"):
        os.symlink(shutil.which(tool), bin_ / tool)
    if has_server:
        _stub(bin_ / "initdb", "exit 0\n")
    env = {"PATH": str(bin_), "PG_LIBDIR": str(tmp_path / "no-postgresql"), "HOME": str(tmp_path)}
    for _ in range(2):  # re-running is harmless
        p = subprocess.run([shutil.which("bash"), os.path.join(ROOT, ".ci", "run")], env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    lines = calls.read_text().splitlines()
    assert lines.count("make test") == 2
    apt = [ln for ln in lines if ln.startswith("apt-get")]
    if has_server:
        assert apt == []
    else:
        assert "apt-get update -qq" in apt and any("install -y -qq --no-install-recommends postgresql" in a
                                                   for a in apt)
