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
from koatty_lite.serverless import Request

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


class ShapesApp(Koatty):
    """Plain answers of every shape the formats' ``answer`` builds: bodies, types, statuses, HEAD."""

    def init(self):
        def shapes(ctx, next):
            what = ctx.path.strip("/")
            ctx.set("X-Shape", what or "root")
            if what == "text":
                ctx.body = "caf\u00e9"
            elif what == "html":
                ctx.body = "<p>hi</p>"
            elif what == "bytes":
                ctx.body = b"\x00\xffbin"
            elif what == "png":
                ctx.type = "image/png"
                ctx.body = b"\x89PNG"
            elif what == "upper":
                ctx.set("Content-Type", "Text/XML; Charset=UTF-8")
                ctx.body = "<a/>"
            elif what == "mislabelled":
                ctx.type = "text/plain"
                ctx.body = b"\xff\xfe"
            elif what == "problem":
                ctx.type = "application/problem+json"
                ctx.body = '{"title":"x"}'
            elif what == "empty":
                ctx.status = 204
            elif what == "created":
                ctx.status = 299
                ctx.body = ""
            elif what == "redirect":
                ctx.redirect("/there")
            else:
                ctx.body = {"hello": "w\u00f6rld", "n": [1, 2.5, None]}

        self.use(shapes)


SHAPES = create_application(ShapesApp).get_request_handler()
SHAPE_PATHS = ["/", "/text", "/html", "/bytes", "/png", "/upper", "/mislabelled", "/problem", "/empty",
               "/created", "/redirect"]


def _aws_event(kind, method, path):
    headers = {"host": "example.com", "accept": "*/*", "x-forwarded-for": "192.0.2.1"}
    if kind in ("apigw-v2", "function-url"):
        domain = "abc.lambda-url.us-east-1.on.aws" if kind == "function-url" else "example.com"
        return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": dict(headers, host=domain),
                "requestContext": {"domainName": domain, "http": {"method": method, "sourceIp": "192.0.2.1"},
                                   "requestId": "r1", "stage": "$default"}, "isBase64Encoded": False}
    if kind.startswith("alb"):
        event = {"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:::targetgroup/t/1"}},
                 "httpMethod": method, "path": path, "body": "", "isBase64Encoded": False}
        if kind == "alb-multi":
            event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        else:
            event["headers"] = headers
        return event
    return {"resource": path, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": {"requestId": "r1", "stage": "prod", "identity": {"sourceIp": "192.0.2.1"}}}


@pytest.mark.parametrize("kind", ["apigw-v1", "apigw-v2", "function-url", "alb", "alb-multi"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_plain_answer_is_shaped_by_answer_exactly_as_by_to_response(kind, method):
    for path in SHAPE_PATHS:
        event = _aws_event(kind, method, path)
        fmt = _claim(event, "auto")
        assert fmt.answer is not None
        general = HttpFormat(*fmt[:7])  # the same format without answer: render's list through to_response
        direct = _serve(fmt, SHAPES, copy.deepcopy(event), CTX, "")
        assert direct == _serve(general, SHAPES, copy.deepcopy(event), CTX, ""), path
        assert direct["statusCode"] in (200, 204, 299, 302)


def test_an_answer_with_special_headers_takes_the_general_shaping():
    """Set-Cookie, Content-Encoding, a repeated name, a non-ASCII value: ``answer`` is not called."""
    calls = []

    def answer(request, status, headers, body, ctype):
        calls.append(status)
        return {"answered": True}

    class App(Koatty):
        def init(self):
            def mw(ctx, next):
                how = ctx.path.strip("/")
                if how == "cookie":
                    ctx.set_cookie("a", "1")
                elif how == "gzip":
                    ctx.set("Content-Encoding", "identity")
                elif how == "repeat":
                    ctx.append("X-A", "1")
                elif how == "utf":
                    ctx.set("X-City", "S\u00e3o")
                elif how == "length":
                    ctx.set("Content-Length", "2")
                ctx.body = "ok"

            self.use(mw)

    app = create_application(App).get_request_handler()
    for how in ("cookie", "gzip", "repeat", "utf", "length", "plain"):
        event = _aws_event("apigw-v1", "GET", "/" + how)
        fmt = _claim(event, "auto")
        out = _serve(HttpFormat(*fmt[:7], answer), app, event, CTX, "")
        assert ("answered" in out) == (how == "plain"), how
    assert calls == [200]


@pytest.mark.parametrize("name,event", EVENTS, ids=[n for n, _ in EVENTS])
def test_request_header_reads_what_the_header_view_reads(name, event):
    """Request.header(key) (one header without the view, when the event's names are already view
    keys) gives exactly headers.get(key), before and after the view's name cache knows the names."""
    fmt = _claim(event, "auto")
    keys = [k for k in NAMES if k == k.lower()] + ["x-request-id", "x-missing"]
    for _ in range(2):  # the first round may run before _SELF_KEYS knows this event's names
        for key in keys:
            direct = fmt.to_request(copy.deepcopy(event), CTX, "")
            viewed = fmt.to_request(copy.deepcopy(event), CTX, "")
            assert direct.header(key) == viewed.headers.get(key), key


def test_request_header_builds_no_view_for_lower_case_single_value_headers():
    event = _aws_event("alb", "GET", "/")
    fmt = _claim(event, "auto")
    fmt.to_request(copy.deepcopy(event), None, "").headers.get("accept")  # the name cache learns the names
    req = fmt.to_request(copy.deepcopy(event), None, "")
    assert req.header("x-request-id") is None and req.header("accept") == "*/*"
    assert req._headers is None  # read from the event's own map
