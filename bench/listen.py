"""Listen mode side by side: koatty_lite's listen() server against Koatty 3.11 on Node 20 (the twin).

    python3 bench/listen.py                  # measure, print, and write the listen section of bench/RESULTS.md
    python3 bench/listen.py --seconds 2 --rounds 1 --no-write    # a quick look

The same small app on both sides (`GET /` → `{"ok":true}`, `GET /users/:id` → `{"id":...}`): ours is
`App` below, Koatty's is bench/koatty_twin/ (a Koatty 3.11.8 project: package.json, tsconfig.json
and src/ are committed; `npm install` and `tsc` fill the git-ignored node_modules/ and dist/ on the
first run). Where node or npm is missing, or the install fails, the Koatty rows say it skipped.

Clients, both over loopback with HTTP/1.1 keep-alive, each server measured in turn (rounds
alternate, the median is reported):
- `http.client`: a stdlib client in a separate process, N threads each with one kept-alive
  connection, requests back to back (the same client for both servers);
- `wrk` (C, `apt-get install wrk`) when it is on PATH: the server's own ceiling.
Server CPU per request comes from /proc/<pid>/stat (user + system time over the requests served).
Then 4,000 idle connections are opened to the koatty_lite server and its thread count is read.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TWIN = os.path.join(HERE, "koatty_twin")
HOST = "127.0.0.1"  # loopback only
PATHS = ("/", "/users/42")
START, END = "<!-- listen-mode -->", "<!-- /listen-mode -->"


# --- the koatty_lite side (child process) ------------------------------------------------------------
def serve(port: int) -> None:
    """The bench app on koatty_lite's listen() server (run() until SIGTERM)."""
    sys.path.insert(0, ROOT)
    from koatty_lite import Controller, GetMapping, Koatty, PathVariable, run

    @Controller("/")
    class IndexController:
        """The twin's routes."""

        @GetMapping("/")
        def index(self):
            """The smallest JSON answer."""
            return {"ok": True}

        @GetMapping("/users/:id")
        def user(self, id: int = PathVariable("id")):
            """A dynamic route with a converted parameter."""
            return {"id": id}

    class App(Koatty):
        """The bench app."""

        components = [IndexController]

    run(App, port=port, host=HOST)


# --- the client (child process) ----------------------------------------------------------------------
def client(port: int, path: str, seconds: float, connections: int) -> None:
    """Keep-alive GETs from `connections` threads for `seconds`; print one JSON line."""
    import http.client
    import threading

    counts, errors = [0] * connections, [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < stop:
            try:
                conn.request("GET", path)
                res = conn.getresponse()
                res.read()
                if res.status == 200 and not res.will_close:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    print(json.dumps({"requests": sum(counts), "errors": sum(errors), "seconds": took}))


def run_client(kind: str, port: int, path: str, seconds: float, connections: int) -> dict:
    """One measurement: requests, errors, seconds."""
    if kind == "wrk":
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", f"http://{HOST}:{port}{path}"],
                             capture_output=True, text=True, timeout=seconds + 30).stdout
        requests = int(next(l for l in out.splitlines() if " requests in " in l).split()[0])
        bad = [l for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
        errors = sum(int(x) for l in bad for x in l.replace(",", " ").split() if x.isdigit())
        took = float(next(l for l in out.splitlines() if " requests in " in l).split(" in ")[1].split("s,")[0])
        return {"requests": requests, "errors": errors, "seconds": took}
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--client", str(port), path, str(seconds),
                          str(connections)], capture_output=True, text=True, timeout=seconds + 60)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- servers -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), or NaN elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def build_twin() -> str | None:
    """npm install + tsc in bench/koatty_twin; None when ready, else why it was skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node or npm not found"
    try:
        if not os.path.isdir(os.path.join(TWIN, "node_modules", "koatty")):
            subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TWIN, check=True,
                           timeout=600, capture_output=True)
        subprocess.run([node, os.path.join("node_modules", "typescript", "bin", "tsc"), "-p", "."], cwd=TWIN,
                       check=True, timeout=300, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        return f"the twin did not build: {exc} {err.decode(errors='replace')[-300:]}"
    return None


def start(name: str) -> tuple:
    """(process, port) of a server: 'koatty_lite' or 'koatty'."""
    port = free_port()
    if name == "koatty_lite":
        cmd, cwd, env = [sys.executable, os.path.abspath(__file__), "--serve", str(port)], ROOT, dict(os.environ)
    else:
        cmd, cwd = ["node", os.path.join("dist", "App.js")], TWIN
        env = dict(os.environ, PORT=str(port), NODE_ENV="production")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, proc, 60):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{name} did not start")
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(names: list, clients: list, seconds: float, rounds: int, connections: int) -> dict:
    """{(server, client, path): [(req/s, cpu ms per request, errors), ...]} over alternating rounds."""
    results: dict = {}
    procs = {name: start(name) for name in names}
    try:
        for name, (proc, port) in procs.items():  # warm-up: JIT, caches, first connections
            run_client("http.client", port, "/", 1.0, connections)
        for _ in range(rounds):
            for kind in clients:
                for path in PATHS:
                    for name, (proc, port) in procs.items():
                        c0 = cpu_seconds(proc.pid)
                        r = run_client(kind, port, path, seconds, connections)
                        cpu = cpu_seconds(proc.pid) - c0
                        rps = r["requests"] / r["seconds"]
                        ms = 1000 * cpu / r["requests"] if r["requests"] else float("nan")
                        results.setdefault((name, kind, path), []).append((rps, ms, r["errors"]))
                        print(f"{name:12} {kind:12} {path:10} {rps:8.0f} req/s  {ms:.3f} ms CPU/request  "
                              f"errors {r['errors']}", file=sys.stderr)
    finally:
        for proc, _ in procs.values():
            stop(proc)
    return results


def idle_threads(count: int) -> dict:
    """Open `count` idle connections to the koatty_lite server; its thread count before and with them."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < count + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    except (ImportError, ValueError, OSError):
        pass

    def threads(pid: int) -> int:
        with open(f"/proc/{pid}/status") as fh:
            return int(next(l for l in fh if l.startswith("Threads:")).split()[1])

    proc, port = start("koatty_lite")
    socks = []
    try:
        run_client("http.client", port, "/", 0.5, 4)
        before = threads(proc.pid)
        for _ in range(count):
            socks.append(socket.create_connection((HOST, port), timeout=10))
        time.sleep(0.5)
        during = threads(proc.pid)
        served = run_client("http.client", port, "/", 0.5, 1)["requests"] > 0
        return {"connections": len(socks), "threads_before": before, "threads_with_idle": during,
                "still_serving": served}
    except OSError as exc:
        return {"connections": len(socks), "error": str(exc)}
    finally:
        for s in socks:
            s.close()
        stop(proc)


def section(results: dict, skipped: str | None, idle: dict, seconds: float, rounds: int, connections: int) -> str:
    """The markdown section for bench/RESULTS.md."""
    lines = [START, "## Listen mode: keep-alive requests per second (`python3 bench/listen.py`)", "",
             f"Same app on both sides (`GET /` → `{{\"ok\":true}}`, `GET /users/42` → `{{\"id\":42}}`), loopback, "
             f"HTTP/1.1 keep-alive, {connections} connections, {seconds:g} s per run, {rounds} alternating rounds "
             f"(median). Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the machine was shared, so compare the rows "
             "of one run, not runs.", ""]
    if skipped:
        lines += [f"Koatty twin skipped: {skipped}.", ""]
    else:
        ver = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        lines += [f"Koatty: 3.11.8 on Node {ver} (bench/koatty_twin, its default logging, output to /dev/null).", ""]
    lines += ["| server | client | path | req/s | server CPU ms / request | errors |", "|---|---|---|---|---|---|"]
    for (name, kind, path), xs in results.items():
        label = "koatty_lite listen()" if name == "koatty_lite" else "Koatty 3.11 (Node)"
        client_label = "stdlib http.client (threads)" if kind == "http.client" else "wrk -t2"
        lines.append(f"| {label} | {client_label} | `{path}` | {statistics.median(x[0] for x in xs):,.0f} | "
                     f"{statistics.median(x[1] for x in xs):.3f} | {sum(x[2] for x in xs)} |")
    if not skipped:
        verdicts = []
        for kind in {k for _, k, _ in results}:
            for path in PATHS:
                ours = results.get(("koatty_lite", kind, path))
                theirs = results.get(("koatty", kind, path))
                if ours and theirs:
                    a = statistics.median(x[0] for x in ours)
                    b = statistics.median(x[0] for x in theirs)
                    verdicts.append(f"{kind} `{path}`: {a / b:.2f}×")
        met = all(float(v.rsplit(" ", 1)[1][:-1]) >= 1 for v in verdicts)
        lines += ["", f"Goal (issue 12.2), keep-alive req/s at least Koatty's: **{'met' if met else 'NOT met'}** "
                      f"(koatty_lite / Koatty: {', '.join(verdicts)})."]
    if idle:
        if "error" in idle:
            lines += ["", f"Idle connections: stopped at {idle['connections']}: {idle['error']}."]
        else:
            lines += ["", f"Idle connections: {idle['connections']:,} open to the koatty_lite server: "
                          f"{idle['threads_with_idle']} threads (before: {idle['threads_before']}; wsgiref held one "
                          f"per connection), still serving: {'yes' if idle['still_serving'] else 'NO'}."]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) the listen section of bench/RESULTS.md."""
    path = os.path.join(HERE, "RESULTS.md")
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmark results\n"
    if START in old and END in old:
        before, rest = old.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        new = before + text + ("\n" + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)


def main(argv: list | None = None) -> int:
    """Parse arguments; serve / client children, or the whole comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds per run (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections (default 8)")
    ap.add_argument("--idle", type=int, default=4000, help="idle connections for the thread count (0: skip)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    ap.add_argument("--no-twin", action="store_true", help="koatty_lite only (no npm install, no node)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.client:
        port, path, seconds, connections = args.client
        client(int(port), path, float(seconds), int(connections))
        return 0
    skipped = "--no-twin given" if args.no_twin else build_twin()
    names = ["koatty_lite"] + ([] if skipped else ["koatty"])
    clients = ["http.client"] + (["wrk"] if shutil.which("wrk") else [])
    try:
        results = measure(names, clients, args.seconds, args.rounds, args.connections)
    except RuntimeError as exc:
        if "koatty did not start" not in str(exc):
            raise
        skipped, names = "the twin did not start (node dist/App.js)", ["koatty_lite"]
        results = measure(names, clients, args.seconds, args.rounds, args.connections)
    idle = idle_threads(args.idle) if args.idle else {}
    text = section(results, skipped, idle, args.seconds, args.rounds, args.connections)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
