"""Instructions per call of a bench stack on one event, counted by callgrind (repeatable under load).

    python3 bench/icount.py [--n 2000] [--kinds v1,v2,url,alb] [--routes get,users,post] STACK [STACK ...]

STACK is a module of bench/apps (koatty_app, koatty_bare, apig_bare, floor, ...). For each stack and
event, two processes run under `valgrind --tool=callgrind` on the bench interpreter: one answers the
event once (import, boot and the first call), the other answers it once and then N more times; the
difference over N is the instructions one warm call costs. Wall or CPU timings on a shared machine
drift with the neighbours' load; instruction counts do not, so an A/B of a change reads in one run.
Instructions are not time (a cache miss costs more than an add), so confirm a win with
`bench/stages.py` or `timeit`; the bench's figures are `make bench`'s.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")
VPY = os.path.join(HERE, ".venv", "bin", "python")
ROUTES = {"get": ("GET", "/hello", None), "users": ("GET", "/users/42", None),
          "post": ("POST", "/echo", '{"a": 1, "b": [1, 2, 3], "c": "' + "x" * 900 + '"}')}
CHILD = """
import sys
sys.path[:0] = [%(apps)r, %(bench)r]
from run import make_event
import %(module)s as m
handler = m.HANDLERS[%(kind)r]
event = make_event(%(kind)r, %(method)r, %(path)r, %(body)r)
handler(event, None)
for _ in range(%(n)d):
    handler(event, None)
"""
KINDS = ("v1", "v2", "url", "alb")  # the events bench/run.py's make_event builds
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(module: str, kind: str, route: str, n: int) -> int:
    """Instructions callgrind counted for a whole process answering the event 1 + n times."""
    method, path, body = ROUTES[route]
    code = CHILD % {"apps": APPS, "bench": HERE, "module": module, "kind": kind, "method": method,
                    "path": path, "body": body, "n": n}
    py = VPY if os.path.exists(VPY) else sys.executable
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", py, "-c", code],
                          capture_output=True, text=True, cwd=APPS)
    found = COLLECTED.search(proc.stderr)
    if proc.returncode or not found:
        raise SystemExit(f"{module} {kind} {route}: callgrind failed\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def per_call(module: str, kind: str, route: str, n: int) -> float:
    """Instructions of one warm call: the difference of two processes over n."""
    return (instructions(module, kind, route, n) - instructions(module, kind, route, 0)) / n


def main(argv: list[str] | None = None) -> int:
    """Print one line per stack and event: instructions per warm call."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stacks", nargs="+", help="modules of bench/apps, e.g. koatty_app apig_bare")
    ap.add_argument("--n", type=int, default=2000, help="warm calls counted (default 2000)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="event kinds, comma-separated, of " + ", ".join(KINDS))
    ap.add_argument("--routes", default="get,users",
                    help="comma-separated, of " + ", ".join(f"{k} ({m} {p})" for k, (m, p, _) in ROUTES.items())
                    + " (default get,users)")
    args = ap.parse_args(argv)
    for given, valid, what in ((args.kinds, KINDS, "kind"), (args.routes, ROUTES, "route")):
        unknown = [name for name in given.split(",") if name not in valid]
        if unknown:  # why: a wrong name would die deep in a child (KeyError) after minutes of callgrind
            ap.error(f"unknown {what}(s) {', '.join(unknown)}: choose from {', '.join(valid)}")
    for kind in args.kinds.split(","):
        for route in args.routes.split(","):
            counts = {s: per_call(s, kind, route, args.n) for s in args.stacks}
            base = counts[args.stacks[-1]]
            cells = "  ".join(f"{s} {c:,.0f} ({c / base:.2f}x)" for s, c in counts.items())
            print(f"{kind:4} {route:6} {cells}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
