"""`python -m koatty_lite coldstart module:App [--json] [--path /] [-n 1000]`: cold-start phase report.

Runs a fresh interpreter (subprocess) that measures the import of koatty_lite and of the app module,
each lifecycle event emitted by create_application, the first request through the WSGI callable and
through the serverless handler (HTTP API v2 event), and the median/p90 of the next N requests.
"""
from __future__ import annotations

import json
import subprocess
import sys

FIELDS = (
    "import_koatty_lite_ms", "import_app_ms", "phases_ms", "create_application_ms",
    "first_wsgi_request_ms", "first_handler_request_ms", "warm_wsgi_median_us", "warm_wsgi_p90_us",
    "warm_handler_median_us", "warm_handler_p90_us", "status", "n",
)

CHILD = r'''
import json, sys, time
clock = time.perf_counter
target, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
modname, _, attr = target.partition(":")
out = {"n": n}
t0 = clock(); import koatty_lite; from koatty_lite import app as _appmod
out["import_koatty_lite_ms"] = (clock() - t0) * 1e3
import importlib
try:
    t0 = clock(); mod = importlib.import_module(modname)
    out["import_app_ms"] = (clock() - t0) * 1e3
    App = getattr(mod, attr or "App")
    if not (isinstance(App, _appmod.Koatty) or (isinstance(App, type) and issubclass(App, _appmod.Koatty))):
        raise TypeError("not a Koatty app")
except Exception:
    sys.exit(3)  # the parent reloads the target to name the mistake in one line
marks = []
Koatty = getattr(_appmod, "Koatty")
_emit = Koatty.emit
def emit(self, event, *a, **k):
    # Why: time each lifecycle event by its position in the boot; a phase ends when the next begins.
    marks.append((event, clock()))
    return _emit(self, event, *a, **k)
Koatty.emit = emit
t0 = clock(); app = _appmod.create_application(App)
t1 = clock()
Koatty.emit = _emit
phases = {}
prev = t0
for name, t in marks:
    phases["before:" + str(name)] = round((t - prev) * 1e3, 4)
    prev = t
phases["after_last_event"] = round((t1 - prev) * 1e3, 4)
out["phases_ms"] = phases
out["create_application_ms"] = (t1 - t0) * 1e3
wsgi = app.get_request_handler()
import io
def environ():
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False}
status = []
def start_response(s, h, exc_info=None):
    status.append(s)
def call_wsgi():
    body = wsgi(environ(), start_response)
    try:
        b"".join(body)
    finally:
        close = getattr(body, "close", None)
        close and close()
t0 = clock(); call_wsgi(); out["first_wsgi_request_ms"] = (clock() - t0) * 1e3
out["status"] = status[0] if status else None
ev = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": {"host": "example.com"},
      "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "example.com", "domainPrefix": "example",
                         "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "coldstart"},
                         "requestId": "coldstart", "routeKey": "$default", "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0},
      "isBase64Encoded": False}
handler = koatty_lite.handler(App)
t0 = clock(); handler(dict(ev), None); out["first_handler_request_ms"] = (clock() - t0) * 1e3
def sample(fn):
    xs = []
    for _ in range(n):
        t = clock(); fn(); xs.append((clock() - t) * 1e6)
    xs.sort()
    return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.9))]
out["warm_wsgi_median_us"], out["warm_wsgi_p90_us"] = sample(call_wsgi)
out["warm_handler_median_us"], out["warm_handler_p90_us"] = sample(lambda: handler(dict(ev), None))
sys.stdout.write("\x00COLDSTART" + json.dumps(out) + "\n")
'''


def measure(target: str, path: str = "/", n: int = 1000, python: str = sys.executable) -> dict:
    """Run the measurement in a fresh interpreter and return its result dict."""
    proc = subprocess.run([python, "-c", CHILD, target, path, str(n)], capture_output=True, text=True)
    if proc.returncode == 3:
        from koatty_lite.cli._common import load_app

        load_app(target)  # raises the CliError naming the mistake (same module, same sys.path)
    marker = "\x00COLDSTART"
    if proc.returncode != 0 or marker not in proc.stdout:
        raise RuntimeError("coldstart child failed:\n" + proc.stderr[-4000:])
    return json.loads(proc.stdout.split(marker, 1)[1])


def main(argv: list[str]) -> int:
    """Parse arguments, measure, and print a table or JSON; a target that does not load is one line, exit 2."""
    from koatty_lite.cli._common import run_cli

    return run_cli(_main, argv)


def _main(argv: list[str]) -> int:
    from koatty_lite.cli._common import make_parser

    p = make_parser(prog="python -m koatty_lite coldstart")
    p.add_argument("target", help="module:App")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--path", default="/", help="request path for the first and warm requests")
    p.add_argument("-n", type=int, default=1000, help="warm requests after the first")
    args = p.parse_args(argv)
    target = args.target if ":" in args.target else args.target + ":App"
    try:
        res = measure(target, args.path, args.n)
    except RuntimeError as exc:  # the app itself failed (its boot raised): its traceback helps
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(res, indent=2, sort_keys=True))
        return 0
    print(f"import koatty_lite        {res['import_koatty_lite_ms']:8.2f} ms")
    print(f"import {args.target.split(':')[0]:<18} {res['import_app_ms']:8.2f} ms")
    print(f"create_application        {res['create_application_ms']:8.2f} ms")
    for name, ms in res["phases_ms"].items():
        print(f"  {name:<23} {ms:8.3f} ms")
    print(f"first request (WSGI)      {res['first_wsgi_request_ms']:8.2f} ms  -> {res['status']}")
    print(f"first request (handler)   {res['first_handler_request_ms']:8.2f} ms")
    print(f"next {res['n']} (WSGI)          median {res['warm_wsgi_median_us']:.1f} us, p90 {res['warm_wsgi_p90_us']:.1f} us")
    print(f"next {res['n']} (handler)       median {res['warm_handler_median_us']:.1f} us, p90 {res['warm_handler_p90_us']:.1f} us")
    return 0
