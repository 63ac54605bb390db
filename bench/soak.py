"""Soak: many invocations of koatty_lite.handler() in one process, reporting RSS and fd growth.

    python3 bench/soak.py                 # 200,000 invocations (the issue's figure)
    python3 bench/soak.py --n 3000 --json # short run, one JSON line on stdout

Every HTTP trigger kind, FC 2.0 WSGI passthrough, scheduled and SQS events, and the bad-input and
error paths (400, 404, 413, 500, an unclaimed event) are invoked round-robin. Each invocation gets a
freshly decoded event, as a real runtime would. RSS comes from /proc/self/statm (resource's
ru_maxrss where /proc is missing), open fds from /proc/self/fd. Measured at start (after boot),
after warmup, and at the end, each after gc.collect(). Exit status 1 on an unexpected exception
or answer, or any fd growth after warmup.
"""
from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import koatty_lite  # noqa: E402
from koatty_lite import (Controller, GetMapping, Koatty, PathVariable, PostMapping, RequestBody,  # noqa: E402
                         Scheduled, Service)


@Controller("/")
class SoakController:
    """Routes exercised by the soak events."""

    @GetMapping("/")
    def index(self):
        """A small JSON answer."""
        return {"ok": True}

    @GetMapping("/users/:id")
    def user(self, id: int = PathVariable("id")):
        """Path variable converted to int (a non-int is a 400)."""
        return {"id": id}

    @PostMapping("/echo")
    def echo(self, body: dict = RequestBody()):
        """Parsed JSON body echoed back."""
        return {"got": body}

    @GetMapping("/cookies")
    def cookies(self):
        """Two Set-Cookie headers, so multi-value paths run."""
        self.ctx.set("Set-Cookie", "a=1; Path=/")
        self.ctx.set("Set-Cookie", "b=2; Path=/")
        return "<p>hi</p>"

    @GetMapping("/boom")
    def boom(self):
        """An unhandled error: a 500 whose traceback goes to wsgi.errors."""
        raise RuntimeError("soak boom")


@Service()
class SoakJobs:
    """The task a scheduled event runs (rule name "soak")."""

    @Scheduled("rate(5 minutes)", name="soak")
    def soak(self):
        """Answer the routed kind, as the other event handlers do."""
        return "scheduled"


class SoakApp(Koatty):
    """The soak's app: one controller, one scheduled task, a 1 KB payload limit so 413 is cheap to provoke."""

    components = [SoakController, SoakJobs]
    config = {"payload": {"limit": 1024}}


class FakeContext:
    """A Lambda-like context object."""

    function_name = "soak"
    memory_limit_in_mb = "128"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:soak"

    def __init__(self, request_id: str):
        self.aws_request_id = request_id
        self.request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30000


def _v1(method, path, body=None, b64=False, headers=None, query=None):
    h = {"Host": "abc.execute-api.us-east-1.amazonaws.com", "Content-Type": "application/json"}
    h.update(headers or {})
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method, "headers": h,
        "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"path": "/prod" + path, "stage": "prod", "httpMethod": method, "requestId": "r1",
                           "identity": {"sourceIp": "203.0.113.1"}, "domainName": "abc.execute-api.us-east-1.amazonaws.com"},
        "body": body, "isBase64Encoded": b64,
    }


def _v2(method, path, body=None, b64=False, domain="abc.execute-api.us-east-1.amazonaws.com", cookies=None):
    ev = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "a=1&a=2",
        "headers": {"host": domain, "content-type": "application/json"},
        "requestContext": {"domainName": domain, "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                           "sourceIp": "203.0.113.2", "userAgent": "soak"}, "requestId": "r2", "stage": "$default",
                           "accountId": "anonymous", "apiId": "abc", "routeKey": "$default", "timeEpoch": 1},
        "isBase64Encoded": b64,
    }
    if body is not None:
        ev["body"] = body
    if cookies:
        ev["cookies"] = cookies
    return ev


def build_events() -> list:
    """(name, kind, payload, expected) where kind is 'event', 'bytes' (FC 3.0) or 'wsgi' (FC 2.0)."""
    tg = {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}}
    big = json.dumps({"x": "y" * 2048})
    events = [
        ("v1-get", "event", _v1("GET", "/", query={"q": "1"}), 200),
        ("v1-post-json", "event", _v1("POST", "/echo", body='{"a": [1, 2, 3]}'), 200),
        ("v1-bad-json", "event", _v1("POST", "/echo", body="{nope"), 400),
        ("v1-bad-b64", "event", _v1("POST", "/echo", body="%%%", b64=True), 400),
        ("v1-413", "event", _v1("POST", "/echo", body=big), 413),
        ("v1-404", "event", _v1("GET", "/nope/<script>"), 404),
        ("v1-400-int", "event", _v1("GET", "/users/abc"), 400),
        ("v1-500", "event", _v1("GET", "/boom"), 500),
        ("v2-get", "event", _v2("GET", "/users/7"), 200),
        ("v2-cookies", "event", _v2("GET", "/cookies", cookies=["s=1", "t=2"]), 200),
        ("url-b64", "event", _v2("POST", "/echo", body=base64.b64encode(b'{"b": 1}').decode(), b64=True,
                                 domain="abc.lambda-url.us-east-1.on.aws"), 200),
        ("alb-single", "event", {"requestContext": tg, "httpMethod": "GET", "path": "/cookies",
                                 "queryStringParameters": {"k": "a%20b"}, "headers": {"host": "alb", "x-forwarded-for": "1.1.1.1, 2.2.2.2"},
                                 "body": "", "isBase64Encoded": False}, 200),
        ("alb-multi", "event", {"requestContext": tg, "httpMethod": "POST", "path": "/echo",
                                "multiValueQueryStringParameters": {"k": ["1", "2"]},
                                "multiValueHeaders": {"host": ["alb"], "content-type": ["application/json"]},
                                "body": '{"c": 3}', "isBase64Encoded": False}, 200),
        ("lattice-v1", "event", {"raw_path": "/users/3", "method": "GET", "headers": {"host": "svc"},
                                 "query_string_parameters": {"a": "b"}, "body": "", "is_base64_encoded": False}, 200),
        ("lattice-v2", "event", {"version": "2.0", "path": "/echo", "method": "POST",
                                 "headers": {"host": ["svc"], "content-type": ["application/json"]},
                                 "queryStringParameters": {"p": ["1", "2"]}, "body": '{"d": 4}', "isBase64Encoded": False,
                                 "requestContext": {"serviceArn": "arn:svc", "targetGroupArn": "arn:tg", "region": "us-east-1",
                                                    "timeEpoch": "1696331543569073"}}, 200),
        ("fc3-bytes", "bytes", {"version": "v1", "rawPath": "/echo", "body": '{"e": 5}', "isBase64Encoded": False,
                                "headers": {"Content-Type": "application/json", "Host": "x.fcapp.run"},
                                "queryParameters": {}, "requestContext": {"requestId": "r3", "http": {
                                    "method": "POST", "path": "/echo", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.3"}}}, 200),
        ("fc-apigw", "event", {"path": "/users/9", "httpMethod": "GET", "headers": {"Host": "g.alicloudapi.com"},
                               "queryParameters": {"q": "abc"}, "pathParameters": {}, "body": "", "isBase64Encoded": False}, 200),
        ("scf-apigw", "event", {"requestContext": {"serviceId": "service-1", "path": "/", "httpMethod": "ANY", "requestId": "r4",
                                                   "sourceIp": "203.0.113.4", "stage": "release"},
                                "headers": {"host": "s.apigw.tencentcs.com"}, "path": "/", "httpMethod": "GET",
                                "queryString": {"a": ["b", "c"], "i": True}, "queryStringParameters": {}, "headerParameters": {},
                                "pathParameters": {}}, 200),
        ("scf-url", "event", {"httpMethod": "GET", "path": "/users/5", "body": "",
                              "headers": {"host": "1250000000-abc-ap-guangzhou.scf.tencentcs.com"}}, 200),
        ("fc2-wsgi", "wsgi", None, 200),
        ("scheduled", "event", {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
                                "account": "1", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
                                "resources": ["arn:aws:events:us-east-1:1:rule/soak"], "detail": {}}, "scheduled"),
        ("sqs", "event", {"Records": [{"messageId": "m1", "body": "x", "eventSource": "aws:sqs",
                                       "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "attributes": {}, "messageAttributes": {}}]},
         "sqs"),
        ("sns", "event", {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "m"}}]}, "sns"),
        ("s3", "event", {"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "a%20b"}}}]}, "s3"),
        ("dynamodb", "event", {"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]}, "dynamodb"),
        ("kinesis", "event", {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": "eA=="}}]}, "kinesis"),
        ("eventbridge", "event", {"source": "soak.app", "detail-type": "Order Placed", "detail": {"id": 1}},
         "eventbridge"),
        ("websocket", "event", {"requestContext": {"connectionId": "c1", "eventType": "MESSAGE", "routeKey": "$default"},
                                "body": "hi"}, "websocket"),
        ("oss", "event", {"events": [{"eventSource": "acs:oss", "eventName": "ObjectCreated:PutObject"}]}, "oss"),
        ("cos", "event", {"Records": [{"event": {"eventSource": "qcs::cos", "eventName": "cos:ObjectCreated:*"}}]},
         "cos"),
        ("cmq", "event", {"Records": [{"CMQ": {"type": "topic", "msgBody": "m"}}]}, "cmq"),
        ("unclaimed", "event", {"hello": "world"}, ValueError),
    ]
    return events


def fc2_environ() -> dict:
    """An FC 2.0 WSGI environ, process environment and fake credentials included."""
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "fc", "SERVER_PORT": "9000",
        "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "", "REMOTE_ADDR": "203.0.113.5", "CONTENT_LENGTH": "0",
        "CONTENT_TYPE": "text/plain", "HTTP_HOST": "fc.example.com", "accessKeySecret": "SOAK-SECRET",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "fc.context": FakeContext("fc2"),
    }


def rss_bytes() -> int:
    """Resident set size now (falls back to the peak where /proc is absent)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def open_fds() -> int:
    """Number of open file descriptors (-1 where /proc is absent)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def measure() -> dict:
    """RSS and fds after a full collection."""
    gc.collect()
    return {"rss": rss_bytes(), "fds": open_fds()}


def run(n: int, warmup: int) -> dict:
    """Invoke the handler n times round-robin over build_events(); return the report dict."""
    # The scheduled event runs SoakJobs' @Scheduled task (no "scheduled" handler); every other non-HTTP
    # kind answers its own name.
    kinds = ("sns", "s3", "dynamodb", "kinesis", "eventbridge", "websocket", "oss", "cos", "cmq")
    handlers = {kind: (lambda k: lambda event, context, app: k)(kind) for kind in kinds}
    handlers["sqs"] = lambda event, context, app: []
    handler = koatty_lite.handler(SoakApp, event_handlers=handlers)
    events = [(name, kind, json.dumps(ev) if ev is not None else None, exp) for name, kind, ev, exp in build_events()]
    failures: dict = {}
    statuses: dict = {}

    def start_response(status, headers, exc_info=None):
        statuses["_wsgi"] = status
        return lambda data: None

    def invoke(i: int) -> None:
        name, kind, raw, expected = events[i % len(events)]
        ctx = FakeContext(f"req-{i}")
        try:
            if kind == "wsgi":
                chunks = handler(fc2_environ(), start_response)
                try:
                    body = b"".join(chunks)
                finally:
                    if hasattr(chunks, "close"):
                        chunks.close()
                got = int(statuses["_wsgi"].split()[0])
                if b"SOAK-SECRET" in body:
                    got = "leaked"
            else:
                payload = raw.encode() if kind == "bytes" else json.loads(raw)
                result = handler(payload, ctx)
                got = result.get("statusCode") if isinstance(result, dict) and "statusCode" in result else result
                if isinstance(result, dict) and "Traceback" in str(result.get("body", "")):
                    got = "traceback"
                if name == "sqs" and result == {"batchItemFailures": []}:
                    got = "sqs"
        except Exception as exc:  # noqa: BLE001 - counted, the soak must not stop
            got = type(exc)
            if isinstance(expected, type) and isinstance(exc, expected):
                got = expected
        if got != expected:
            key = f"{name}: expected {expected!r}, got {got!r}"
            failures[key] = failures.get(key, 0) + 1

    start = measure()
    t0 = time.perf_counter()
    warm = min(warmup, n)
    for i in range(warm):
        invoke(i)
    after_warmup = measure()
    for i in range(warm, n):
        invoke(i)
    elapsed = time.perf_counter() - t0
    end = measure()
    return {
        "invocations": n, "event_types": len(events), "seconds": round(elapsed, 2),
        "per_invocation_us": round(elapsed / max(n, 1) * 1e6, 1),
        "rss_start_kb": start["rss"] // 1024, "rss_after_warmup_kb": after_warmup["rss"] // 1024,
        "rss_end_kb": end["rss"] // 1024, "rss_growth_after_warmup_kb": (end["rss"] - after_warmup["rss"]) // 1024,
        "fds_start": start["fds"], "fds_after_warmup": after_warmup["fds"], "fds_end": end["fds"],
        "fd_growth_after_warmup": end["fds"] - after_warmup["fds"], "fd_growth_total": end["fds"] - start["fds"],
        "failures": failures,
    }


def main(argv=None) -> int:
    """Parse arguments, run the soak with stderr silenced (500s log tracebacks there), print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="number of invocations (default 200000)")
    ap.add_argument("--warmup", type=int, default=None, help="warmup invocations (default n/20, at most 10000)")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of the text report")
    ap.add_argument("--show-stderr", action="store_true", help="do not silence stderr during the run")
    args = ap.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else min(10_000, max(args.n // 20, 1))
    # Why: every 500 writes a traceback to wsgi.errors/stderr; 10,000 of them would drown the report.
    # The fd is swapped with dup2 so that handlers already bound to stderr are silenced too.
    saved = None
    if not args.show_stderr:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        report = run(args.n, warmup)
    finally:
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        for k, v in report.items():
            print(f"{k:28} {v}")
    # The goals of issue #7: no failure, no fd growth, RSS growth after warm-up under 1 MB.
    ok = (not report["failures"] and report["fd_growth_after_warmup"] <= 0
          and report["rss_growth_after_warmup_kb"] < 1024)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
