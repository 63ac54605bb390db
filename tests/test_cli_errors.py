"""`serve` and `coldstart` name a user's mistake in one line with exit status 2, like the other commands."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from conftest import ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "koatty_lite", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


@pytest.mark.parametrize("command", ["serve", "coldstart"])
@pytest.mark.parametrize("target,needle", [
    ("nosuch_module:App", "cannot import module 'nosuch_module'"),
    ("examples.demo.app:Nope", "has no attribute 'Nope'"),
    ("tests.cli_broken_module:App", "importing 'tests.cli_broken_module' failed: RuntimeError"),
    ("examples.demo.app:UserService", "is not a Koatty app class"),
], ids=["no-module", "no-attribute", "import-fails", "not-an-app"])
def test_bad_target_is_one_line_exit_2(command, target, needle):
    p = run(command, target)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: ") and needle in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_serve_on_a_port_in_use_is_one_line_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = run("serve", "examples.demo.app:App", "--port", str(port))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on the configured host:{port}")
    assert "Traceback" not in p.stderr


def test_output_into_a_closed_pipe_ends_without_a_traceback(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 400_000)  # why: more than a pipe buffer, so the write meets the closed pipe
    p = subprocess.run(f"{sys.executable} -m koatty_lite event apigw-v1 --body @{big} | head -c 1", shell=True,
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.stdout == "{" and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr
