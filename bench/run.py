"""`make bench`: koatty_lite against its peers; writes bench/RESULTS.md.

Creates bench/.venv with the pinned peers (bench/requirements.txt), then for each stack measures in
its own subprocesses: warm µs per invocation per event type (the stacks interleaved: `measure_warm`),
whole-process cold start, import time
(-X importtime) and modules loaded, zip size of the imported runtime dependencies, peak RSS; then
bench/listen.py (listen mode beside the Koatty 3.11 twin). `--quick` for a smoke run.

Partial modes (`--help`): `--dto-only` (the validation section of RESULTS.md), `--cold-only [ROUNDS]`
(floor and koatty_lite cold starts only: wall and CPU ms, `--icount` adds callgrind instructions;
printed, RESULTS.md untouched), `--size-only` (the shipped
runtime's size goal line, printed), `--no-install`.
"""
from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
APPS = os.path.join(HERE, "apps")
VENV = os.path.join(HERE, ".venv")
VPY = os.path.join(VENV, "bin", "python")

# (name, module) — the module exposes HANDLERS = {"v1"|"v2"|"url"|"alb": handler}.
STACKS = [
    ("floor", "floor"),
    ("koatty_lite", "koatty_app"),
    ("apig-wsgi + bare WSGI", "apig_bare"),
    ("koatty_lite + bare WSGI", "koatty_bare"),
    ("apig-wsgi + Flask", "apig_flask"),
    ("serverless-wsgi + Flask", "slsw_flask"),
    ("Mangum + bare ASGI", "mangum_bare"),
    ("Powertools resolvers", "powertools_app"),
    ("Chalice", "chalice_app"),
]
KINDS = ("v1", "v2", "url", "alb")  # REST v1, HTTP API v2, Lambda Function URL, ALB
# The validation bench (issue 15): the same POST with a 10-field DTO, validated on both sides.
DTO_STACKS = [
    ("koatty_lite (@Validated DTO)", "koatty_dto_app"),
    ("Powertools resolvers (enable_validation=True, pydantic)", "powertools_dto_app"),
]
DTO_BODY = {"name": "Ann Lee", "email": "ann@example.com", "age": 34, "score": 87.5, "active": True,
            "tags": ["new", "vip", "cn"], "country": "CN", "zip": "100000", "quantity": 3, "note": "leave at door"}
DTO_START, DTO_END = "<!-- dto-bench -->", "<!-- /dto-bench -->"
ECHO = {"items": [{"id": i, "name": "item-%03d" % i, "ok": True} for i in range(22)]}


# The 8 headers a browser's GET carries through API Gateway (issue 14 measures with 8).
HEADERS = {"host": "example.com", "user-agent": "bench", "accept": "application/json",
           "accept-encoding": "gzip, deflate, br", "accept-language": "en-US,en;q=0.9",
           "x-amzn-trace-id": "Root=1-5e1b4151-5ac6c58f3c4f3a6b7c8d9e0f", "x-forwarded-for": "192.0.2.1",
           "x-forwarded-proto": "https"}
URL_HOST = "abcdefghij.lambda-url.us-east-1.on.aws"


def make_event(kind: str, method: str, path: str, body: str | None = None) -> dict:
    """A REST v1, HTTP v2, Function URL or ALB event for one request (8 headers, 9 with a body)."""
    headers = dict(HEADERS)
    if body is not None:
        headers["content-type"] = "application/json"
    if kind in ("v2", "url"):
        domain = URL_HOST if kind == "url" else "example.com"
        headers["host"] = domain
        return {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
            "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": domain,
                               "domainPrefix": "example", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                                                   "sourceIp": "192.0.2.1", "userAgent": "bench"},
                               "requestId": "r1", "routeKey": "$default", "stage": "$default",
                               "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000},
            "body": body, "isBase64Encoded": False,
        }
    if kind == "alb":
        return {
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}},
            "httpMethod": method, "path": path, "queryStringParameters": {}, "headers": headers,
            "body": body or "", "isBase64Encoded": False,
        }
    return {
        "resource": path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "requestContext": {"accountId": "123456789012", "apiId": "api", "httpMethod": method, "path": "/prod" + path,
                           "protocol": "HTTP/1.1", "requestId": "r1", "resourcePath": path, "stage": "prod",
                           "identity": {"sourceIp": "192.0.2.1", "userAgent": "bench"}},
        "body": body, "isBase64Encoded": False,
    }


def routes() -> list[tuple[str, str, str, str | None]]:
    """(label, method, path, body) of the bench requests."""
    return [("GET /hello", "GET", "/hello", None), ("GET /users/:id", "GET", "/users/42", None),
            ("POST /echo", "POST", "/echo", json.dumps(ECHO))]


# The child: import the stack, answer each event once (first reply line: the answers), then time one
# cell per command read on stdin ({"time": cell, "n": calls} -> {"us": µs per call}) until
# {"stats": 1} (-> rss, modules, files) or EOF. The stack's own prints go to stderr: stdout is ours.
CHILD = r'''
import json, os, sys, time, resource
proto = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.path.insert(0, sys.argv[1])
spec = json.loads(sys.argv[2])
import importlib
mod = importlib.import_module(spec["module"])
cells, bodies = {}, {}
for kind, label, event in spec["events"]:
    h = mod.HANDLERS.get(kind)
    if h is None:
        continue
    r = h(dict(event), None)
    bodies[kind + " " + label] = [r.get("statusCode"), r.get("body")]
    cells[kind + " " + label] = (h, event)


def say(obj):
    proto.write(json.dumps(obj) + "\n")
    proto.flush()


say({"bodies": bodies})
while True:
    line = sys.stdin.readline()
    if not line:
        break
    cmd = json.loads(line)
    if "time" in cmd:
        h, event = cells[cmd["time"]]
        n = cmd["n"]
        t = time.perf_counter()
        for _ in range(n):
            h(dict(event), None)
        say({"us": (time.perf_counter() - t) / n * 1e6})
        continue
    files = set()
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if f:
            files.add(f)
    say({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "modules": len(sys.modules),
         "files": sorted(files)})
    break
'''

COLD = "import sys; sys.path.insert(0, %r); import json; e = json.loads(%r); import %s as m; m.HANDLERS[%r](e, None)"


def python_for(module: str) -> str:
    """Every stack, the floor included, runs on the bench/.venv interpreter, so they compare alike."""
    return VPY


def ensure_venv(skip: bool) -> None:
    """Create bench/.venv and install the pinned peers once."""
    marker = os.path.join(VENV, ".installed")
    req = os.path.join(HERE, "requirements.txt")
    if skip or (os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(req)):
        return
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VPY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", req], check=True)
    open(marker, "w").close()


def bench_env() -> dict:
    """The children's environment: bytecode caching on for every stack alike (pip wrote the peers'
    pycs at install time; PYTHONDONTWRITEBYTECODE in the caller's shell would leave ours uncompiled),
    and Lambda's AWS_LAMBDA_FUNCTION_NAME for every stack alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = ROOT
    # Why: every stack runs as on Lambda, whose runtime sets this for every function; koatty_lite then
    # loads only AWS's formats (docs/triggers.md). The peers do not read it (Powertools' idempotency and
    # circuit breaker do, neither is imported here).
    env["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
    return env


def dto_routes() -> list[tuple[str, str, str, str | None]]:
    """The validation bench request."""
    return [("POST /orders (10-field DTO)", "POST", "/orders", json.dumps(DTO_BODY))]


class Child:
    """One stack's long-lived measuring child (CHILD), driven over its stdin/stdout by JSON lines."""

    def __init__(self, py: str, module: str, events: list, apps: str = APPS):
        """Start the child on `py`; it imports `module` from `apps` and answers each event once
        (`self.bodies`: cell -> [status, body])."""
        import tempfile

        self.err = tempfile.TemporaryFile("w+")  # Why: a file, not a pipe nobody reads while others run
        spec = json.dumps({"module": module, "events": events})
        env = {**bench_env(), "POWERTOOLS_DEV": "0"}
        self.proc = subprocess.Popen([py, "-c", CHILD, apps, spec], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=env, cwd=apps)
        try:
            self.bodies = self.read()["bodies"]
        except Exception:
            self.close()
            raise

    def read(self) -> dict:
        """The child's next reply; RuntimeError with its stderr's tail if it died instead."""
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.err.seek(0)
            raise RuntimeError(self.err.read()[-2000:] or f"exited {self.proc.returncode}")
        return json.loads(line)

    def ask(self, cmd: dict) -> dict:
        """Send one command, wait for its reply (the other children sit blocked on their stdin)."""
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        except OSError:  # Why: a dead child's broken pipe; read() says why it died
            pass
        return self.read()

    def close(self) -> None:
        """Close its stdin (it exits), reap it, close our ends."""
        try:
            self.proc.stdin.close()
        except OSError:  # Why: a dead child's broken pipe
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


def error_line(exc: Exception) -> str:
    """The last line of a failed stack's error (its traceback's verdict), for the tables."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else repr(exc)


def measure_warm(stacks: list[tuple[str, str]], n: int, repeat: int, reqs: list | None = None,
                 apps: str = APPS, python=None) -> dict:
    """Warm µs per call of every cell (event kind × request) of every stack, interleaved: one
    long-lived child per stack (each stack alone in its interpreter, on `python(module)`), and for each
    of `repeat` rounds, for each cell, each stack times `n` calls in turn (a shuffled order per cell
    and round, seeded, so no stack always follows the same one). Stacks measured minutes apart read a
    drifting shared host differently; in turn, they share the same time windows and the ratios hold.

    Returns {name: {"warm": {cell: [µs per round]}, "bodies", "rss_kb", "modules", "files"}}, or
    {name: {"error": line}} for a stack whose child failed (the others keep their figures)."""
    import random

    python = python or python_for
    events = [[k, label, make_event(k, m, p, b)] for k in KINDS for (label, m, p, b) in (reqs or routes())]
    results, children = {}, {}

    def fail(name: str, exc: Exception) -> None:
        results[name] = {"error": error_line(exc)}
        child = children.pop(name, None)
        if child:
            child.close()

    for name, module in stacks:
        try:
            children[name] = Child(python(module), module, events, apps)
            results[name] = {"warm": {}, "bodies": children[name].bodies}
        except Exception as exc:  # Why: one broken stack must not lose the others' figures.
            fail(name, exc)
    rng = random.Random(0)
    for _ in range(repeat):
        for kind, label, _event in events:
            cell = kind + " " + label
            turn = [name for name in children if cell in children[name].bodies]
            rng.shuffle(turn)
            for name in turn:
                try:
                    results[name]["warm"].setdefault(cell, []).append(children[name].ask({"time": cell, "n": n})["us"])
                except Exception as exc:
                    fail(name, exc)
    for name in list(children):
        try:
            results[name].update(children[name].ask({"stats": 1}))
            children.pop(name).close()
        except Exception as exc:
            fail(name, exc)
        print(f"{name}: done", file=sys.stderr)
    return results


def cold(stacks: list[tuple[str, str]], runs: int) -> dict[str, list[float]]:
    """Wall ms of fresh interpreters importing each stack and answering one GET /hello.

    Round-robin over the stacks (one run of each, then the next round), so a drift in the machine's
    speed during the bench weighs on every stack alike and the ratios stay side by side.
    """
    env = bench_env()
    codes = {}
    for name, module in stacks:
        kind = "v1" if module == "chalice_app" else "v2"  # Why: Chalice answers REST v1 events only
        codes[name] = COLD % (APPS, json.dumps(make_event(kind, "GET", "/hello")), module, kind)
    out = {name: [] for name, _ in stacks}
    for i in range(runs + 1):
        for name, module in stacks:
            t = time.perf_counter()
            subprocess.run([python_for(module), "-c", codes[name]], check=True, env=env, cwd=APPS,
                           stdout=subprocess.DEVNULL)
            if i:  # Why: the first round warms the page cache and writes pycs; not a cold start we compare.
                out[name].append((time.perf_counter() - t) * 1e3)
    return out


def cold_only(argv: list[str]) -> int:
    """`--cold-only [ROUNDS] [--icount]`: the floor's and koatty_lite's cold starts (the full run's COLD
    snippet and environment, round-robin, default 21 rounds), printed with the ratio: wall ms, and the
    child's CPU ms (user + sys: steadier than wall on a shared machine); `--icount` adds callgrind's
    instruction count of one whole cold process each (repeatable under load). Writes nothing."""
    import resource

    i = argv.index("--cold-only")
    rounds = int(argv[i + 1]) if i + 1 < len(argv) and argv[i + 1].isdigit() else 21
    env = bench_env()
    event = json.dumps(make_event("v2", "GET", "/hello"))
    cmds = {name: [python_for(module), "-c", COLD % (APPS, event, module, "v2")]
            for name, module in STACKS if name in ("floor", "koatty_lite")}
    wall = {name: [] for name in cmds}
    cpu = {name: [] for name in cmds}
    for r in range(rounds + 1):
        for name, cmd in cmds.items():
            before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(cmd, check=True, env=env, cwd=APPS, stdout=subprocess.DEVNULL)
            t, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
            if r:  # Why: the first round warms the page cache and writes pycs
                wall[name].append(t * 1e3)
                cpu[name].append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3)
    med = statistics.median
    for label, xs in (("wall", wall), ("CPU", cpu)):
        for name in cmds:
            print(f"{label:4} {name:12} {spread(xs[name])} ms  (min {min(xs[name]):.1f})")
        print(f"{label:4} koatty_lite / floor: {med(xs['koatty_lite']) / med(xs['floor']):.3f}x median, "
              f"{min(xs['koatty_lite']) / min(xs['floor']):.3f}x min ({rounds} rounds)")
    if "--icount" in argv:
        counts = {}
        for name, cmd in cmds.items():
            p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd], env=env,
                               cwd=APPS, capture_output=True, text=True)
            counts[name] = int(re.search(r"Collected : (\d+)", p.stderr).group(1))
            print(f"instructions {name:12} {counts[name] / 1e6:.2f} M")
        print(f"instructions koatty_lite / floor: {counts['koatty_lite'] / counts['floor']:.3f}x")
    return 0


def import_time(py: str, module: str, runs: int) -> list[float]:
    """-X importtime cumulative µs of the entry module (ms)."""
    env = bench_env()
    res = []
    for _ in range(runs):
        p = subprocess.run([py, "-X", "importtime", "-c", "import sys; sys.path.insert(0, %r); import %s" % (APPS, module)],
                           capture_output=True, text=True, env=env, cwd=APPS, check=True)
        for line in p.stderr.splitlines():
            parts = [x.strip() for x in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                res.append(int(parts[1]) / 1e3)
    return res


def dep_zip_kb(files: list[str], module: str) -> float:
    """Deflated size of the site-packages top-level packages the stack imported (its runtime deps)."""
    import io
    import zipfile

    tops = set()
    for f in files:
        if "site-packages" + os.sep in f:
            base, rel = f.split("site-packages" + os.sep, 1)
            tops.add(os.path.join(base + "site-packages", rel.split(os.sep)[0]))
        elif os.path.dirname(f) == APPS or f.startswith(os.path.join(ROOT, "koatty_lite") + os.sep):
            tops.add(f)
    shipped = 0.0
    if module.startswith("koatty_"):
        # Why: koatty_lite as `python -m koatty_lite package` ships it for this app (AWS, the modules it
        # uses, docstrings stripped), counted once; not the files this process happened to import.
        tops = {t for t in tops if "site-packages" in t}
        shipped = shipped_runtime_kb(module)[0]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for top in sorted(tops):
            paths = [top] if os.path.isfile(top) else [os.path.join(d, n) for d, ds, ns in os.walk(top)
                                                         if "__pycache__" not in d and "/cli" not in d[len(top):] for n in ns]
            for p in sorted(paths):
                if p.endswith((".py", ".so", ".json", ".typed")) and os.path.basename(p) != "__main__.py":
                    zf.write(p, os.path.relpath(p, os.path.dirname(top)))
    return (len(buf.getvalue()) / 1024 if tops else 0.0) + shipped


def shipped_runtime_kb(module: str = "koatty_app") -> tuple:
    """(KB, whole KB, features): koatty_lite/ zipped source as `python -m koatty_lite package` ships it
    for bench/apps/<module>.py on AWS (no bytecode), the whole runtime the same way, the features shipped."""
    import tempfile

    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from koatty_lite.cli import package

    entry = os.path.join(APPS, module + ".py")
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "benchapp")  # the bench apps are single modules: an empty app folder
        os.mkdir(app)
        res = package.build(app, [entry], os.path.join(tmp, "f.zip"), bytecode=False, log=lambda line: None)
        whole = package.build(app, [entry], os.path.join(tmp, "w.zip"), bytecode=False, all_modules=True,
                              keep_docstrings=True, log=lambda line: None)
        return res.runtime_kb(), whole.runtime_kb(), sorted(res.features)


def spread(xs: list[float]) -> str:
    """median ± half the inter-quartile range."""
    if not xs:
        return "n/a"
    med = statistics.median(xs)
    if len(xs) >= 4:
        q = statistics.quantiles(xs, n=4)
        return f"{med:.1f} ±{(q[2] - q[0]) / 2:.1f}"
    return f"{med:.1f}"


def dto_bench(n: int, repeat: int) -> str:
    """The validation section: koatty_lite vs Powertools with enable_validation=True on the same POST."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = measure_warm(DTO_STACKS, n, repeat, dto_routes())
    label = dto_routes()[0][0]
    keys = [k + " " + label for k in KINDS]
    lines = [DTO_START, "## Validation: POST with a 10-field DTO (issue 15)", "",
             f"Warm µs per invocation (median ±IQR/2 of {repeat} rounds; in each, both stacks {n} calls in turn), the same valid body on both "
             "sides, answered with the validated object as JSON (`python bench/run.py --dto-only`). "
             "The DTO: bench/apps/koatty_dto_app.py; the pydantic model: bench/apps/powertools_dto_app.py. "
             f"Load average when it started: {load:.1f} on {os.cpu_count()} cores (a shared machine widens the "
             "spreads; the two stacks are interleaved, each in its own process).", "",
             "| stack | " + " | ".join(k.split(" ", 1)[0] for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    base = results.get(DTO_STACKS[0][0], {})
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | {r['error']} |" + " |" * (len(keys) - 1))
            continue
        cells = []
        for k in keys:
            xs = r["warm"].get(k)
            b = statistics.median(base.get("warm", {}).get(k) or [0]) or None
            cells.append(spread(xs) + (f" ({statistics.median(xs) / b:.2f}×)" if xs and b else "") if xs else "n/a")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    k = results.get(DTO_STACKS[0][0], {})
    p = results.get(DTO_STACKS[1][0], {})
    if "error" not in k and "error" not in p:
        faster = all(statistics.median(k["warm"][x]) < statistics.median(p["warm"][x]) for x in keys if x in p["warm"])
        bodies = {name: sorted({json.dumps(json.loads(b[1]), sort_keys=True) if b[1] else "" for b in r["bodies"].values()})
                  for name, r in results.items()}
        lines += ["", f"- koatty_lite end to end faster than Powertools with enable_validation=True on every event type: "
                      f"{'met' if faster else 'NOT met'}",
                  f"- Both answered 200 with the same JSON: "
                  f"{'yes' if all(s == 200 for r in results.values() for s, _ in r['bodies'].values()) and len(set(map(tuple, bodies.values()))) == 1 else 'NO'}"]
    lines.append(DTO_END)
    return "\n".join(lines) + "\n"


def splice_dto(section: str) -> str:
    """Put the validation section into RESULTS.md (replacing the previous one), leaving the rest as it is."""
    path = os.path.join(HERE, "RESULTS.md")
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmark results\n"
    if DTO_START in text and DTO_END in text:
        head, rest = text.split(DTO_START, 1)
        text = head + section.rstrip("\n") + rest.split(DTO_END, 1)[1]
    elif "\n## Goals" in text:
        head, rest = text.split("\n## Goals", 1)
        text = head + "\n" + section + "\n## Goals" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run everything and write bench/RESULTS.md (``--dto-only``: just the validation section)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return 0
    if "--size-only" in argv:  # why: no peer needed, so no bench/.venv either
        print(size_goal())
        return 0
    quick = "--quick" in argv
    n, repeat, runs = (200, 3, 3) if quick else (2000, 7, 21)
    ensure_venv("--no-install" in argv)
    if "--dto-only" in argv:
        print(splice_dto(dto_bench(n, repeat)))
        return 0
    if "--cold-only" in argv:
        return cold_only(argv)

    present = [(name, module) for name, module in STACKS if os.path.exists(os.path.join(APPS, module + ".py"))]
    warm = measure_warm(present, n, repeat)
    results = {}
    for name, module in STACKS:
        r = results[name] = warm.get(name, {"error": "app not written yet (core not on main)"})
        if "error" in r:
            continue
        try:
            r["import"] = import_time(python_for(module), module, runs)
            r["zip_kb"] = dep_zip_kb(r.pop("files"), module)
        except Exception as exc:  # Why: one broken stack must not lose the others' figures.
            results[name] = {"error": error_line(exc)}
    measured = [(name, module) for name, module in STACKS if "error" not in results[name]]
    for name, times in cold(measured, runs).items():
        results[name]["cold"] = times
    with open(os.path.join(HERE, "RESULTS.md"), "w") as fh:
        fh.write(report(results, quick, n, repeat, runs))
    splice_dto(dto_bench(n, repeat))
    import obs  # the cost of each observability feature when on: its own section of RESULTS.md

    obs.write(obs.section(obs.measure(quick, VPY), quick))
    # Listen mode (issue 12.2): koatty_lite's listen() server beside the Koatty 3.11 twin when node is
    # present; bench/listen.py appends its own section to RESULTS.md.
    listen_args = ["--seconds", "1", "--rounds", "1", "--idle", "500"] if quick else []
    subprocess.run([sys.executable, os.path.join(HERE, "listen.py"), *listen_args], check=False)
    print(os.path.join(HERE, "RESULTS.md"))
    from chart import write_chart  # bench/ is the script's own folder, first on sys.path

    print(write_chart())
    return 0


def report(results: dict, quick: bool, n: int, repeat: int, runs: int) -> str:
    """Markdown tables with ratios to the floor and to apig-wsgi + bare WSGI."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    vers = subprocess.run([VPY, "-m", "pip", "freeze", "--disable-pip-version-check"], capture_output=True, text=True).stdout
    lines = ["# Benchmark results", "",
             f"Command: `make bench`{' (--quick)' if quick else ''} — warm: {repeat} rounds; in each, every cell of every stack {n} calls in turn (stacks interleaved, each in its own process); cold: {runs} rounds over the stacks in turn; import: {runs} runs.",
             f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
             "", "Peers (bench/.venv):", "", "```", vers.strip(), "```", ""]
    floor = results.get("floor", {})
    apig = results.get("apig-wsgi + bare WSGI", {})
    lines += ["## Warm µs per invocation (median ±IQR/2 of rounds; ×floor, ×apig-wsgi)", ""]
    keys = [k + " " + r[0] for k in KINDS for r in routes()]
    lines += ["| stack | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | " + " | ".join([r["error"]] + [""] * (len(keys) - 1)) + " |")
            continue
        cells = []
        for k in keys:
            xs = r["warm"].get(k)
            if not xs:
                cells.append("n/a")
                continue
            med = statistics.median(xs)
            f = statistics.median(floor.get("warm", {}).get(k) or [0]) or None
            a = statistics.median(apig.get("warm", {}).get(k) or [0]) or None
            cells.append(spread(xs) + (f" ({med / f:.1f}×f" if f else " (") + (f", {med / a:.2f}×a)" if a else ")"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Cold start, import, size, memory", "",
              "| stack | cold start ms (×floor) | import ms (-X importtime) | modules | deps zip KB | peak RSS MiB (Δfloor) |",
              "|---|---|---|---|---|---|"]
    fc = statistics.median(floor.get("cold") or [0]) or None
    frss = floor.get("rss_kb", 0) / 1024
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | {r['error']} | | | | |")
            continue
        c = statistics.median(r["cold"])
        rss = r["rss_kb"] / 1024
        lines.append(f"| {name} | {spread(r['cold'])} ({c / fc:.2f}×) | {spread(r['import'])} | {r['modules']} | "
                     f"{r['zip_kb']:.1f} | {rss:.1f} ({rss - frss:+.1f}) |" if fc else f"| {name} | {spread(r['cold'])} | | | | |")
    lines += ["", "## Goals (issue #5)", ""]
    k = results.get("koatty_lite", {})
    if "error" in k:
        lines += ["Not measurable in this run: " + k["error"] + ". Each goal — warm faster than apig-wsgi + bare WSGI on "
                  "every event type and ≤3× the floor on GETs; cold start ≤1.25× the floor; zip <30 KB; peak RSS ≤ floor + 1.5 MiB — "
                  "is **not yet assessed**. Add bench/apps/koatty_app.py (controller + service + middleware, "
                  "`HANDLERS = dict.fromkeys(('v1','v2','alb'), koatty_lite.handler(App))`) and re-run."]
    else:
        gets = [x for x in keys if "GET" in x]
        zip_kb = function_zip_kb()
        warm_ok = all(statistics.median(k["warm"][x]) < statistics.median(apig["warm"][x]) for x in keys if x in apig.get("warm", {}))
        floor_ok = all(statistics.median(k["warm"][x]) <= 3 * statistics.median(floor["warm"][x]) for x in gets)
        cold_ratio = statistics.median(k["cold"]) / fc
        drss = (k["rss_kb"] - floor["rss_kb"]) / 1024
        lines += [f"- Warm faster than apig-wsgi on every event: {'met' if warm_ok else 'NOT met'}",
                  f"- Warm within 3× floor on GETs: {'met' if floor_ok else 'NOT met'}",
                  f"- Cold start ≤1.25× floor: {'met' if cold_ratio <= 1.25 else 'NOT met'} ({cold_ratio:.2f}×)",
                  f"- Peak RSS ≤ floor + 1.5 MiB: {'met' if drss <= 1.5 else 'NOT met'} ({drss:+.2f} MiB)",
                  f"- Zip <30 KB (`make zip`: the example app + koatty_lite as `package` ships it for AWS, no bytecode): "
                  f"{'met' if zip_kb < 30 else 'NOT met'} ({zip_kb:.1f} KB)"]
    lines += issue14_goals(results, keys, fc)
    lines += ["", "Floor note: the floor reads the path off the raw event and renders its JSON body per call "
              "(bench/apps/floor.py), the ~2 µs handler issue 14 measures against; until 2026-11-25 it "
              "returned a prebuilt dict for GET /hello (0.2 µs).",
              "Deps zip = deflated size of the site-packages top-level packages each stack actually imported "
              "(Chalice's includes what its import pulls in); koatty_lite's is its runtime as `python -m koatty_lite package` "
              "ships it for that app (AWS, the modules the app uses, docstrings stripped).", ""]
    lines += ["", "Body check (first answer per event, status and body) is in the JSON of each child; "
              "Chalice answers REST v1 events only.", ""]
    analysis = os.path.join(HERE, "ANALYSIS.md")  # the hand-written reading of these figures and profiles
    if os.path.exists(analysis):
        with open(analysis, encoding="utf-8") as fh:
            lines += ["", fh.read()]
    return "\n".join(lines) + "\n"


def issue14_goals(results: dict, keys: list, floor_cold: float | None) -> list:
    """The goal lines of issue 14: the GETs of each event kind against apig-wsgi and the floor, the
    bare-WSGI adapter against apig-wsgi's, the cold start against the floor."""
    med = statistics.median
    k, bare = results.get("koatty_lite", {}), results.get("koatty_lite + bare WSGI", {})
    apig, floor = results.get("apig-wsgi + bare WSGI", {}), results.get("floor", {})
    if any("error" in r or not r for r in (k, bare, apig, floor)):
        return ["", "## Goals (issue #14)", "", "Speed not measurable in this run (a stack is missing or failed).",
                size_goal()]
    gets = [x for x in keys if "GET" in x and x in apig["warm"]]

    def ratios(r: dict, base: dict, keys_: list) -> str:
        return ", ".join(f"{x}: {med(r['warm'][x]) / med(base['warm'][x]):.2f}×" for x in keys_)

    faster = all(med(k["warm"][x]) < med(apig["warm"][x]) for x in gets)
    near_floor = all(med(k["warm"][x]) <= 3.5 * med(floor["warm"][x]) for x in gets)
    both = [x for x in keys if x in apig["warm"] and x in bare["warm"]]
    bare_ok = all(med(bare["warm"][x]) <= med(apig["warm"][x]) for x in both)
    cold = med(k["cold"]) / floor_cold if floor_cold else float("nan")
    return ["", "## Goals (issue #14)", "",
            f"- A Koatty app (one middleware) faster than apig-wsgi + bare WSGI on the REST v1, HTTP v2, Function URL "
            f"and ALB GETs (8 headers): {'met' if faster else 'NOT met'} ({ratios(k, apig, gets)})",
            f"- Within 3.5× of the floor on those GETs: {'met' if near_floor else 'NOT met'} ({ratios(k, floor, gets)})",
            f"- koatty_lite around a bare WSGI app at least as fast as apig-wsgi around it: "
            f"{'met' if bare_ok else 'NOT met'} ({ratios(bare, apig, both)})",
            f"- Cold start (whole process, bytecode present) ≤1.15× the floor: {'met' if cold <= 1.15 else 'NOT met'} "
            f"({cold:.2f}×)", size_goal()]


def size_goal() -> str:
    """Issue 14's size goal line: koatty_lite/ as `package` ships it for the bench app, against 60 KB
    (`python bench/run.py --size-only` prints it alone)."""
    kb, whole, features = shipped_runtime_kb("koatty_app")
    return (f"- The shipped runtime ≤60 KB zipped source (koatty_lite/ as `python -m koatty_lite package` ships it for "
            f"bench/apps/koatty_app.py on AWS: core{''.join(' + ' + f for f in features)}, docstrings, comments and "
            f"annotations stripped): {'met' if kb <= 60 else 'NOT met'} ({kb:.1f} KB; the whole runtime as written: {whole:.1f} KB)")


def function_zip_kb() -> float:
    """Size of `make zip`'s dist/function.zip (the example app + koatty_lite as `package` ships it for AWS,
    no bytecode), in KB."""
    import tempfile

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from make_zip import build

    with tempfile.TemporaryDirectory() as tmp:
        size, _ = build(os.path.join(tmp, "function.zip"))
    return size / 1024


if __name__ == "__main__":
    sys.exit(main())
