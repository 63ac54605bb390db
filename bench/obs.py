"""The cost of each observability feature when on (part of `make bench`; alone: `python3 bench/obs.py`).

For each variant of bench/apps/koatty_obs.py (the bench app with one feature on): warm µs of an HTTP
API v2 `GET /hello` in one process, and the whole-process cold start (import, boot, first answer),
round-robin over the variants. Log and metric lines go to /dev/null, as a log service takes them
without the function waiting. Writes the "Observability" section of bench/RESULTS.md.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
APPS = os.path.join(HERE, "apps")
sys.path.insert(0, HERE)

from run import VPY, bench_env, make_event, spread  # noqa: E402

BEGIN, END = "<!-- observability:begin -->", "<!-- observability:end -->"

# (label, environment): each turns one feature on (see docs/observability.md).
VARIANTS = [
    ("off (the bench app)", {}),
    ("request line, text", {"OBS_CONFIG": '{"log": {"request": true}}'}),
    ("JSON logs (+ request line)", {"KOATTY_LOG_FORMAT": "json"}),
    ("ctx.metrics: 1 metric, EMF", {"OBS_METRIC": "1"}),
    ("ColdStart + Latency metrics", {"OBS_CONFIG": '{"metrics": {"cold_start": true, "latency": true}}'}),
    ("ctx.trace.headers()", {"OBS_TRACE": "1"}),
    ("OpenTelemetry spans (API, no SDK set up)", {"OBS_CONFIG": '{"trace": {"spans": true}}'}),
    ("Server-Timing", {"OBS_CONFIG": '{"server_timing": true}'}),
    ("all of the above", {"KOATTY_LOG_FORMAT": "json", "OBS_METRIC": "1", "OBS_TRACE": "1",
                          "OBS_CONFIG": '{"metrics": {"cold_start": true, "latency": true}, '
                                        '"trace": {"spans": true}, "server_timing": true}'}),
]

CHILD = r'''
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
spec = json.loads(sys.argv[2])
import koatty_obs
h = koatty_obs.handler
event = spec["event"]
r = h(dict(event), None)
assert r["statusCode"] == 200, r
per = []
for _ in range(spec["repeat"]):
    t = time.perf_counter()
    for _ in range(spec["n"]):
        h(dict(event), None)
    per.append((time.perf_counter() - t) / spec["n"] * 1e6)
spans = "opentelemetry" in sys.modules
with open(spec["out"], "w") as fh:
    json.dump({"warm": per, "otel": spans}, fh)
'''

COLD = "import sys; sys.path.insert(0, %r); import json; e = json.loads(%r); import koatty_obs as m; m.HANDLERS['v2'](e, None)"


def python() -> str:
    """bench/.venv's interpreter when `make bench` made it, else this one."""
    return VPY if os.path.exists(VPY) else sys.executable


def measure(quick: bool = False, py: str | None = None) -> dict:
    """{label: {"warm": [µs], "cold": [ms], "otel": bool}} for every variant."""
    import tempfile

    py = py or python()
    n, repeat, rounds, runs = (300, 2, 2, 3) if quick else (2000, 3, 7, 15)
    event = make_event("v2", "GET", "/hello")
    base = {k: v for k, v in bench_env().items() if k not in ("KOATTY_LOG_FORMAT", "AWS_LAMBDA_LOG_FORMAT")}
    results = {label: {"warm": [], "cold": [], "otel": False} for label, _ in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        # Why round-robin: on a shared machine the load drifts; each round measures every variant once,
        # so a drift weighs on all of them alike. A round's figure is its best repeat.
        for _ in range(rounds):
            for i, (label, env) in enumerate(VARIANTS):
                out = os.path.join(tmp, f"{i}.json")
                spec = json.dumps({"event": event, "n": n, "repeat": repeat, "out": out})
                subprocess.run([py, "-c", CHILD, APPS, spec], env={**base, **env}, cwd=APPS, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                with open(out) as fh:
                    child = json.load(fh)
                results[label]["warm"].append(min(child["warm"]))
                results[label]["otel"] = child["otel"]
    code = COLD % (APPS, json.dumps(event))
    for r in range(runs + 1):
        for label, env in VARIANTS:
            t = time.perf_counter()
            subprocess.run([py, "-c", code], env={**base, **env}, cwd=APPS, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r:  # the first round warms the page cache and writes pycs
                results[label]["cold"].append((time.perf_counter() - t) * 1e3)
    return results


def section(results: dict, quick: bool = False) -> str:
    """The Markdown section: warm and cold figures with the difference to the app with nothing on."""
    base = results[VARIANTS[0][0]]
    bw, bc = statistics.median(base["warm"]), statistics.median(base["cold"])
    lines = [BEGIN, "## Observability: the cost of each feature when on", "",
             f"`python3 bench/obs.py`{' --quick' if quick else ''} (run by `make bench`): bench/apps/koatty_obs.py, the "
             "bench app with one feature on; HTTP API v2 `GET /hello`; warm: median over rounds (each the best of "
             "3 × 2000 calls in a fresh process); "
             "cold: whole process (import, boot, first answer), round-robin over the variants; lines written to "
             f"/dev/null. Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a busy machine widens the spread).", "",
             "| feature on | warm µs | Δ warm µs | cold start ms | Δ cold ms |", "|---|---|---|---|---|"]
    for label, _ in VARIANTS:
        r = results[label]
        if label.startswith("OpenTelemetry") and not r.get("otel"):
            lines.append(f"| {label} | n/a: opentelemetry-api not installed in this interpreter | | | |")
            continue
        w, c = statistics.median(r["warm"]), statistics.median(r["cold"])
        lines.append(f"| {label} | {spread(r['warm'])} | {w - bw:+.1f} | {spread(r['cold'])} | {c - bc:+.1f} |")
    lines += ["", "Off costs nothing: an app that turns none of them on loads none of their modules "
              "(tests/test_core_imports.py::test_observability_is_paid_for_only_when_used).", END]
    return "\n".join(lines)


def write(text: str, path: str = os.path.join(HERE, "RESULTS.md")) -> None:
    """Put the section into RESULTS.md (replacing the previous one)."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)


def main(argv: list[str] | None = None) -> int:
    """Measure and update bench/RESULTS.md."""
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    text = section(measure(quick), quick)
    write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
