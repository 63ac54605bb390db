"""The request model (issue 14 point 1): a koatty_lite app sees the same request through the serverless
``Request`` (no environ built) as through the PEP 3333 environ built from the same event.

Every fixture (tests/fixtures/** and ../shared/events when present), plus variants that carry the
header rules' edge cases, runs through both paths: the Context's views compared field by field, and
a whole app's answers compared byte for byte.
"""
from __future__ import annotations

import copy
import glob
import json
import os

import pytest

from conftest import FIXTURES, SHARED_EVENTS
from koatty_lite import Koatty, create_application
from koatty_lite.context import Context
from koatty_lite.errors import HttpException
from koatty_lite.serverless import FORMATS, HttpFormat, _claim, _serve, register_format
from koatty_lite.serverless.http import BadEvent
from koatty_lite.serverless.request import Request

PATHS = sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"), recursive=True)) + sorted(
    glob.glob(os.path.join(SHARED_EVENTS, "*", "*.json")))
# Header rules the variants exercise: `_` and non-ASCII names dropped, non-ASCII values, repeated
# names joined, cookies, the balancer's X-Forwarded-For, a request id and trace header.
EXTRA = {"X_Under": "u", "Hoſt": "evil.example", "X-Utf": "São Paulo ☃", "Cookie": "a=1; b=\"two\"",
         "X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Request-Id": "client-id.1",
         "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "content-length": "999"}
NAMES = ["host", "Host", "HOST", "x-utf", "X_UTF", "x_under", "x-under", "cookie", "content-type",
         "content_type", "content-length", "x-forwarded-for", "x-forwarded-proto", "user-agent", "hoſt",
         "x-amzn-trace-id", "x-request-id", "authorization", "accept", "x-api-key"]


class LambdaContext:
    aws_request_id = request_id = "ctx-req-1"


CTX = LambdaContext()


def http_events():
    """(id, event) for every fixture an HTTP format claims, and its variants."""
    out = []
    for path in PATHS:
        with open(path, encoding="utf-8") as fh:
            try:
                event = json.load(fh)
            except ValueError:
                continue
        if type(event) is not dict or _claim(event, "auto") is None:
            continue
        name = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
        out.append((name, event))
        for variant, make in VARIANTS.items():
            changed = make(copy.deepcopy(event))
            if changed is not None and _claim(changed, "auto") is not None:
                out.append((name + "+" + variant, changed))
    return out


def _with_headers(event):
    """The EXTRA headers added to whichever header maps the event has."""
    touched = False
    for key in ("headers", "multiValueHeaders"):
        hdrs = event.get(key)
        if type(hdrs) is dict:
            multi = key == "multiValueHeaders" or any(type(v) is list for v in hdrs.values())
            for name, value in EXTRA.items():
                hdrs[name] = [value, value + "-2"] if multi else value
            touched = True
    return event if touched else None


def _binary_body(event):
    for flag in ("isBase64Encoded", "is_base64_encoded"):
        if flag in event or "body" in event:
            event["body"] = "3q2+7wABAgP/"  # de ad be ef 00 01 02 03 ff
            event[flag if flag in event else "isBase64Encoded"] = True
            return event
    return None


def _stage(event):
    rc = event.get("requestContext")
    if type(rc) is not dict:
        return None
    rc["stage"] = "prod"
    rc["domainName"] = "abc123.execute-api.us-east-1.amazonaws.com"
    for key in ("headers", "multiValueHeaders"):
        hdrs = event.get(key)
        if type(hdrs) is dict:
            for name in [n for n in hdrs if n.lower() == "host"]:
                del hdrs[name]
    if "rawPath" in event:
        event["rawPath"] = "/prod" + event["rawPath"]
    return event


def _query(event):
    if "multiValueQueryStringParameters" in event or "queryStringParameters" in event:
        event["queryStringParameters"] = {"q": "a+b %2B c", "x": "1"}
        if "multiValueQueryStringParameters" in event:
            event["multiValueQueryStringParameters"] = {"q": ["a+b %2B c", "d"], "x": ["1"]}
        return event
    if "rawQueryString" in event:
        event["rawQueryString"] = "q=a+b%20%2Bc&q=d&x=%E2%98%83"
        return event
    return None


VARIANTS = {"headers": _with_headers, "binary": _binary_body, "stage": _stage, "query": _query}
EVENTS = http_events()


def seen(ctx):
    """Everything a koatty_lite app reads about the request."""
    out = {"method": ctx.method, "path": ctx.path, "query": ctx.query, "qs": ctx.querystring, "url": ctx.url,
           "items": ctx.headers.items(), "keys": list(ctx.headers), "len": len(ctx.headers),
           "cookies": ctx.cookies, "ip": ctx.ip, "host": ctx.host, "request_id": ctx.request_id,
           "trace_id": ctx.trace_id, "platform": ctx.platform, "kind": ctx.event_kind,
           "context": ctx.platform_context, "lookups": [(n, ctx.get(n), n in ctx.headers) for n in NAMES]}
    trace = ctx.trace
    out["trace"] = (trace.source, trace.parent_id, trace.sampled, trace.trace_id if trace.source != "new" else "")
    try:
        out["raw_body"] = ctx.raw_body()
        out["body"] = ctx.request_body()
        out["files"] = sorted(ctx.request_file() or {})
    except HttpException as exc:
        out["body_error"] = (exc.status, exc.message)
    return out


@pytest.mark.parametrize("name,event", EVENTS, ids=[n for n, _ in EVENTS])
@pytest.mark.parametrize("base", ["", "/users"])
def test_app_sees_the_same_request_through_both_paths(name, event, base, monkeypatch):
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    fmt = _claim(event, "auto")
    assert fmt.to_request is not None, f"{fmt.kind} has no to_request"
    try:
        environ = fmt.to_environ(copy.deepcopy(event), CTX, base)
    except BadEvent as exc:
        with pytest.raises(BadEvent) as got:
            fmt.to_request(event, CTX, base)
        assert str(got.value) == str(exc)
        return
    request = fmt.to_request(event, CTX, base)
    assert isinstance(request, Request) and request._environ is None
    via_request = seen(Context(request))
    assert request._environ is None, "reading the request built an environ"
    environ["koatty.event"] = event  # the same object, as both paths hand it over
    assert via_request == seen(Context(environ))
    built = Context(fmt.to_request(event, CTX, base)).environ
    environ = fmt.to_environ(event, CTX, base)
    assert built.pop("wsgi.input").read() == environ.pop("wsgi.input").read()
    assert built == environ


class EchoApp(Koatty):
    """Answers every request with what it saw, a cookie pair and a repeated header."""

    def init(self):
        def echo(ctx, next):
            data = seen(ctx)
            data = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in data.items()}
            ctx.append("Set-Cookie", "a=1")
            ctx.append("Set-Cookie", "b=2; Path=/")
            ctx.append("X-Multi", "1")
            ctx.append("x-multi", "2")
            ctx.set("X-Seen-Utf", "S\u00e3o")
            ctx.body = json.dumps(data, sort_keys=True, default=repr)

        self.use(echo)


ECHO = create_application(EchoApp).get_request_handler()


class PlainApp(Koatty):
    """Distinct ASCII headers and a JSON body: the shapers' fast paths."""

    def init(self):
        def plain(ctx, next):
            ctx.set("X-Powered-By", "koatty_lite")
            ctx.body = {"path": ctx.path, "query": ctx.query}

        self.use(plain)


PLAIN = create_application(PlainApp).get_request_handler()


@pytest.mark.parametrize("name,event", EVENTS, ids=[n for n, _ in EVENTS])
def test_whole_answer_is_the_same_through_both_paths(name, event, monkeypatch):
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    fmt = _claim(event, "auto")
    environ_only = HttpFormat(*fmt[:6])  # the same format without to_request: the environ path
    assert environ_only.to_request is None
    direct = _serve(fmt, ECHO, copy.deepcopy(event), CTX, "")
    via_environ = _serve(environ_only, ECHO, copy.deepcopy(event), CTX, "")
    assert direct == via_environ
    # render()'s koatty_facts only spare the shapers a scan: plain header lists shape the same answer
    assert _serve(fmt, PlainHeaders(ECHO), copy.deepcopy(event), CTX, "") == direct
    fast = _serve(fmt, PLAIN, copy.deepcopy(event), CTX, "")
    assert _serve(fmt, PlainHeaders(PLAIN), copy.deepcopy(event), CTX, "") == fast


class PlainHeaders:
    """The app with render()'s header list copied into a plain list (no koatty_facts)."""

    def __init__(self, app):
        self.app = app

    def koatty_respond(self, request):
        status, headers, body = self.app.koatty_respond(request)
        assert getattr(headers, "koatty_facts", None) is not None
        return status, list(headers), body


def test_every_builtin_format_reads_requests():
    assert [f.kind for f in FORMATS if f.to_request is None] == []


def test_a_format_without_to_request_serves_koatty_apps_the_environ():
    seen_by_app = []

    class App(Koatty):
        def init(self):
            self.use(lambda ctx, next: seen_by_app.append((type(ctx._req).__name__, ctx.path, ctx.get("x-k"))))

    app = create_application(App).get_request_handler()

    def to_environ(event, context, base=""):
        from koatty_lite.serverless.http import make_environ

        return make_environ("GET", event["p"], "", [("X-K", "v")], b"", None, "https", event, context,
                            "zeta", "zeta-http", None)

    def to_response(environ, status, headers, body):
        return {"status": status, "got": type(environ).__name__}

    fmt = register_format("zeta-http", "zeta", lambda e: "zeta" in e, to_environ, to_response,
                          lambda kind, message: {"status": 400})
    try:
        assert fmt.to_request is None
        answer = _serve(fmt, app, {"zeta": 1, "p": "/z"}, None, "")
        assert answer["got"] == "dict" and seen_by_app == [("EnvironRequest", "/z", "v")]
    finally:
        from koatty_lite import serverless

        serverless.FORMATS.remove(fmt)
        serverless._index()
