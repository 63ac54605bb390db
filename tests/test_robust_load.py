"""bench/load.py and bench/soak.py, short runs: their checks hold (behaviour, not speed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def run_script(name, *args):
    """Run a bench script with --json; return its report."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", name), "--json", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1]), out.returncode


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_listen_under_load_then_sigterm_lets_requests_in_flight_finish_before_app_stop():
    report, code = run_script("load.py", "--requests", "300", "--concurrency", "4", "--slow", "3",
                              "--slow-seconds", "0.5")
    assert report["problems"] == [] and code == 0, report
    assert report["load"]["ok"] == 300 and report["slow_ok"] == 3
    assert report["appstop_count"] == 1 and report["appstop_after_in_flight"] is True


def test_soak_short_run_every_event_kind_answered_and_no_fd_growth():
    report, code = run_script("soak.py", "--n", "3000")
    assert code == 0, report
    assert report["invocations"] == 3000 and report["event_types"] >= 32
    assert report["failures"] == {} and report["fd_growth_after_warmup"] == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_listen_bench_short_run_serves_keep_alive_without_errors_and_idle_connections_hold_no_thread():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "listen.py"), "--no-twin", "--no-write",
                          "--seconds", "0.5", "--rounds", "1", "--idle", "300", "--connections", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [line.split("|") for line in out.stdout.splitlines() if line.startswith("| koatty_lite listen() |")]
    assert rows and all(int(r[6]) == 0 and float(r[4].replace(",", "")) > 0 for r in rows), out.stdout
    idle = next(line for line in out.stdout.splitlines() if line.startswith("Idle connections: 300 "))
    threads = int(idle.split(": ", 2)[2].split(" threads")[0])
    assert threads <= 16 + 4 and "still serving: yes" in idle, idle
