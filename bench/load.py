"""Load on listen() mode over loopback, then SIGTERM with slow requests in flight.

    python3 bench/load.py                       # 2,000 requests, 8 threads, then the SIGTERM phase
    python3 bench/load.py --requests 500 --json # one JSON line on stdout

A child process (this file with --serve) boots a small app and serves it with app.listen(port=0)
on 127.0.0.1, printing "PORT <n>". Phase 1 fires a bounded number of requests from a thread pool
and counts every answer that is not the expected one, and every connection error. Phase 2 starts
--slow requests to a route that sleeps, waits until the child has printed "SLOW-START" for each,
sends SIGTERM, and checks that every slow request still gets its 200, that the child prints
"APPSTOP" exactly once and that it exits by itself. Loopback only; every wait has a timeout; the
child is killed in `finally` whatever happens. Exit status 1 when any check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"  # loopback only: nothing else is ever a target


# ---------------------------------------------------------------------------------------------
# child: the server
# ---------------------------------------------------------------------------------------------
def serve(slow_seconds: float) -> None:
    """Boot the app, listen on an ephemeral loopback port, announce it; SIGTERM stops it."""
    sys.path.insert(0, ROOT)
    from koatty_lite import Controller, GetMapping, Koatty, PathVariable, PostMapping, RequestBody, run

    @Controller("/")
    class LoadController:
        """Fast and slow routes."""

        @GetMapping("/")
        def index(self):
            """A tiny JSON answer."""
            return {"ok": True}

        @GetMapping("/users/:id")
        def user(self, id: int = PathVariable("id")):
            """A dynamic route."""
            return {"id": id}

        @PostMapping("/echo")
        def echo(self, body: dict = RequestBody()):
            """A parsed JSON body."""
            return {"got": body}

        @GetMapping("/slow")
        def slow(self):
            """Announce the start on stdout, then take slow_seconds."""
            os.write(1, b"SLOW-START\n")  # one write: lines from request threads never interleave
            time.sleep(slow_seconds)
            os.write(1, b"SLOW-END\n")
            return {"slow": True}

    class LoadApp(Koatty):
        """The load test's app."""

        components = [LoadController]

    def boot(app):
        # koatty_lite.run() is what users run: it listens, blocks, and on SIGTERM stops gracefully.
        app.on("appStart", lambda a: print(f"PORT {a.server.server_address[1]}", flush=True))
        app.on("appStop", lambda a: print("APPSTOP", flush=True))

    run(LoadApp, port=0, host=HOST, boot_func=boot)


# ---------------------------------------------------------------------------------------------
# parent: the load
# ---------------------------------------------------------------------------------------------
def _request(port: int, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


REQUEST_MIX = [
    ("GET", "/", None, 200),
    ("GET", "/users/42", None, 200),
    ("POST", "/echo", b'{"a": [1, 2, 3]}', 200),
    ("GET", "/users/x", None, 400),
    ("GET", "/missing", None, 404),
    ("POST", "/echo", b"{bad json", 400),
]


def _phase_load(port: int, total: int, concurrency: int, budget: float) -> dict:
    """Fire `total` requests from `concurrency` threads; stop early when `budget` seconds run out."""
    counter = iter(range(total))
    lock = threading.Lock()
    result = {"sent": 0, "ok": 0, "errors": 0, "error_samples": []}
    deadline = time.monotonic() + budget

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            method, path, body, expected = REQUEST_MIX[i % len(REQUEST_MIX)]
            try:
                status, _ = _request(port, method, path, body, timeout=10)
                good = status == expected
                err = None if good else f"{method} {path}: {status} != {expected}"
            except OSError as exc:
                good, err = False, f"{method} {path}: {exc!r}"
            with lock:
                result["sent"] += 1
                if good:
                    result["ok"] += 1
                else:
                    result["errors"] += 1
                    if len(result["error_samples"]) < 5:
                        result["error_samples"].append(err)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(budget + 15)
    result["seconds"] = round(time.monotonic() - t0, 2)
    result["rps"] = round(result["sent"] / max(result["seconds"], 1e-9))
    result["unfinished"] = total - result["sent"]
    return result


def _reader(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _wait_for(lines: queue.Queue, seen: list, pred, timeout: float):
    """Read child lines into `seen` until pred(line) is true; return that line or None on timeout/EOF."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            return None
        if line is None:
            return None
        seen.append(line)
        if pred(line):
            return line


def run(requests: int, concurrency: int, slow: int, slow_seconds: float, budget: float) -> dict:
    """Start the child, run both phases, always reap the child; return the report."""
    report: dict = {"requests": requests, "concurrency": concurrency, "slow_requests": slow}
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", "--slow-seconds", str(slow_seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    lines: queue.Queue = queue.Queue()
    seen: list = []
    err_lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(child.stdout, lines), daemon=True).start()
    threading.Thread(target=_reader, args=(child.stderr, err_lines), daemon=True).start()
    try:
        port_line = _wait_for(lines, seen, lambda s: s.startswith("PORT "), 15)
        if port_line is None:
            report["error"] = "child did not announce a port"
            return report
        port = int(port_line.split()[1])
        report["load"] = _phase_load(port, requests, concurrency, budget)

        # Phase 2: slow requests in flight, then SIGTERM.
        slow_results: list = []
        rlock = threading.Lock()

        def slow_worker() -> None:
            try:
                status, body = _request(port, "GET", "/slow", None, timeout=slow_seconds + 20)
                out = (status, body[:100].decode("utf-8", "replace"))
            except OSError as exc:
                out = (None, repr(exc))
            with rlock:
                slow_results.append(out)

        slow_threads = [threading.Thread(target=slow_worker, daemon=True) for _ in range(slow)]
        for t in slow_threads:
            t.start()
        started = 0
        while started < slow:
            if _wait_for(lines, seen, lambda s: s == "SLOW-START", 15) is None:
                break
            started += 1
        report["slow_started_before_sigterm"] = started
        child.send_signal(signal.SIGTERM)
        t_term = time.monotonic()
        for t in slow_threads:
            t.join(slow_seconds + 25)
        try:
            child.wait(timeout=slow_seconds + 20)
            report["child_exit_code"] = child.returncode
        except subprocess.TimeoutExpired:
            report["child_exit_code"] = "did not exit"
        report["stop_seconds"] = round(time.monotonic() - t_term, 2)
        # Drain what the child printed after the signal (the reader thread ends at EOF).
        _wait_for(lines, seen, lambda s: False, 2)
        report["slow_statuses"] = sorted(str(s) for s, _ in slow_results)
        report["slow_ok"] = sum(1 for s, _ in slow_results if s == 200)
        report["appstop_count"] = seen.count("APPSTOP")
        # appStop (closing what requests use) must come after every in-flight request finished.
        report["appstop_after_in_flight"] = ("APPSTOP" in seen and seen.count("SLOW-END") == started
                                             and seen.index("APPSTOP") > max(
                                                 (i for i, s in enumerate(seen) if s == "SLOW-END"), default=-1))
        return report
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        stderr_tail = []
        while True:
            try:
                item = err_lines.get(timeout=1)
            except queue.Empty:
                break
            if item is None:
                break
            stderr_tail.append(item)
        report["child_stderr_tail"] = stderr_tail[-5:]
        child.stdout.close()
        child.stderr.close()


def check(report: dict) -> list:
    """The failed checks, as readable strings (empty when everything held)."""
    problems = []
    if "error" in report:
        return [report["error"]]
    load = report["load"]
    if load["errors"] or load["unfinished"]:
        problems.append(f"load: {load['errors']} errors, {load['unfinished']} unfinished: {load['error_samples']}")
    if report["slow_started_before_sigterm"] != report["slow_requests"]:
        problems.append(f"only {report['slow_started_before_sigterm']} slow requests started")
    if report["slow_ok"] != report["slow_requests"]:
        problems.append(f"slow requests not all 200: {report['slow_statuses']}")
    if report["appstop_count"] != 1:
        problems.append(f"appStop ran {report['appstop_count']} times")
    if not report.get("appstop_after_in_flight"):
        problems.append("appStop ran before the requests in flight finished")
    if report["child_exit_code"] not in (0, -signal.SIGTERM):
        problems.append(f"child exit code {report['child_exit_code']}")
    return problems


def main(argv=None) -> int:
    """Parse arguments; serve (child) or load (parent) and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="phase 1 request count (default 2000)")
    ap.add_argument("--concurrency", type=int, default=8, help="phase 1 client threads (default 8)")
    ap.add_argument("--budget", type=float, default=20.0, help="phase 1 time budget in seconds (default 20)")
    ap.add_argument("--slow", type=int, default=6, help="slow requests in flight at SIGTERM (default 6)")
    ap.add_argument("--slow-seconds", type=float, default=1.0, help="duration of a slow request (default 1.0)")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.slow_seconds)
        return 0
    report = run(args.requests, args.concurrency, args.slow, args.slow_seconds, args.budget)
    report["problems"] = check(report)
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        for k, v in report.items():
            print(f"{k:28} {v}")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
