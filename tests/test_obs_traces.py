"""Traces (issue 16.3): X-Ray and W3C headers parsed and passed on; OpenTelemetry spans; Server-Timing (16.4)."""
from __future__ import annotations

import json
import sys
import types
from contextlib import contextmanager

import pytest

from koatty_lite import Controller, GetMapping, Koatty, Middleware, PathVariable
from koatty_lite.tracing import TraceContext, from_environ, parse_traceparent, parse_xray, w3c_to_xray, xray_to_w3c
from obs_support import boot, call, clean_log  # noqa: F401 (fixture)

TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
XRAY = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


# --- parsing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (TP, ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1)),
    (" " + TP[:-2] + "00 ", ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0)),
    ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", ("4bf92f3577b34da6a3ce929d0e0e4736",
                                                                       "00f067aa0ba902b7", 1)),
    (TP + "-extra", None),  # version 00 has exactly four fields
    ("ff" + TP[2:], None),  # version ff is invalid
    ("00-" + "0" * 32 + "-00f067aa0ba902b7-01", None),  # all-zero trace id
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01", None),  # all-zero parent
    (TP.upper(), None),  # W3C: lower-case hex only
    ("00-4bf92f35-00f067aa0ba902b7-01", None),
    ("", None), (None, None), (42, None), ("-" * 10000, None),
])
def test_parse_traceparent(value, expected):
    assert parse_traceparent(value) == expected


@pytest.mark.parametrize("value, expected", [
    (XRAY, {"root": "1-5759e988-bd862e3fe1be46a994272793", "parent": "53995c3f42cd8ad8", "sampled": "1"}),
    ("Root=1-5759e988-bd862e3fe1be46a994272793", {"root": "1-5759e988-bd862e3fe1be46a994272793",
                                                  "parent": None, "sampled": None}),
    ("Self=1-aaa;root=1-5759E988-BD862E3FE1BE46A994272793; Sampled=?;Lineage=a:1",
     {"root": "1-5759e988-bd862e3fe1be46a994272793", "parent": None, "sampled": "?"}),
    ("Root=1-trace", None), ("Root=2-5759e988-bd862e3fe1be46a994272793", None), ("Parent=53995c3f42cd8ad8", None),
    ("", None), (None, None), ("Root=1-5759e988-bd862e3fe1be46a994272793;" + ";" * 5000, None),
])
def test_parse_xray(value, expected):
    assert parse_xray(value) == expected


def test_ids_convert_both_ways():
    assert xray_to_w3c("1-5759e988-bd862e3fe1be46a994272793") == "5759e988bd862e3fe1be46a994272793"
    assert w3c_to_xray("5759e988bd862e3fe1be46a994272793") == "1-5759e988-bd862e3fe1be46a994272793"


def test_from_environ_prefers_traceparent_then_xray_then_lambda_env():
    env = {"_X_AMZN_TRACE_ID": "Root=1-11111111-222222222222222222222222;Parent=3333333333333333;Sampled=0"}
    both = from_environ({"HTTP_TRACEPARENT": TP, "HTTP_X_AMZN_TRACE_ID": XRAY}, env)
    assert (both.trace_id, both.parent_id, both.sampled, both.source) == (
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True, "traceparent")
    xray = from_environ({"HTTP_TRACEPARENT": "garbage", "koatty.trace_id": XRAY}, env)
    assert (xray.trace_id, xray.parent_id, xray.source) == ("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8",
                                                            "xray")
    lam = from_environ({}, env)
    assert (lam.xray_root, lam.parent_id, lam.sampled) == ("1-11111111-222222222222222222222222", "3333333333333333",
                                                           False)
    new = from_environ({}, {})
    assert new.source == "new" and len(new.trace_id) == 32 and new.parent_id is None
    assert parse_xray(new.xray_header())["root"] == new.xray_root  # a new id is a valid X-Ray id too


def test_outgoing_headers_pass_the_trace_on():
    tc = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True, "traceparent")
    assert tc.headers() == {"traceparent": TP,
                            "X-Amzn-Trace-Id": "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"}
    tc.span_id = "1111111111111111"  # this service's span (OpenTelemetry) becomes the parent downstream
    assert parse_traceparent(tc.traceparent())[1] == "1111111111111111"
    unsampled = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", None, False)
    assert unsampled.traceparent().endswith("-00") and unsampled.xray_header().endswith(";Sampled=0")
    assert parse_traceparent(unsampled.traceparent()) is not None  # a parent is made up when none came in


# --- the app ----------------------------------------------------------------------------------------------


@Middleware()
class Stamp:
    def run(self, options, app):
        def stamp(ctx, next):
            next()
            ctx.set("X-Stamp", "1")
        return stamp


@Controller("/")
class TraceController:
    @GetMapping("/users/:id")
    def user(self, id: int = PathVariable("id")):
        return {"id": id, "outgoing": self.ctx.trace.headers(), "trace_id": self.ctx.trace_id}

    @GetMapping("/boom")
    def boom(self):
        raise ValueError("boom on purpose")


def trace_app(**config):
    class App(Koatty):
        components = [Stamp, TraceController]

    App.config = {"middleware": {"list": ["Stamp"]}, **config}
    return App


def test_ctx_trace_without_any_config(clean_log):
    _, wsgi = boot(trace_app())
    res = call(wsgi, path="/users/1", headers=[("X-Amzn-Trace-Id", XRAY)])
    body = json.loads(res["body"])
    assert body["trace_id"] == XRAY  # ctx.trace_id stays the raw header, as documented before
    assert body["outgoing"]["X-Amzn-Trace-Id"] == XRAY
    assert body["outgoing"]["traceparent"] == "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"


# --- OpenTelemetry, faked: the API surface koatty_lite uses -------------------------------------------------


class FakeSpanContext:
    def __init__(self, trace_id, span_id, is_remote=False, trace_flags=1):
        self.trace_id, self.span_id, self.is_remote, self.trace_flags = trace_id, span_id, is_remote, trace_flags
        self.is_valid = bool(trace_id and span_id)


class FakeSpan:
    def __init__(self, name, kind, attributes, parent, context):
        self.name, self.kind, self.parent = name, kind, parent
        self.attributes = dict(attributes or {})
        self.status = None
        self.exceptions = []
        self.context = context

    def get_span_context(self):
        return self.context

    def set_attribute(self, key, value):
        self.attributes[key] = value

    def update_name(self, name):
        self.name = name

    def record_exception(self, exc):
        self.exceptions.append(exc)

    def set_status(self, status):
        self.status = status


def fake_opentelemetry():
    """Modules ``opentelemetry`` and ``opentelemetry.trace`` recording the spans started."""
    trace = types.ModuleType("opentelemetry.trace")
    finished, stack = [], []
    invalid = FakeSpan("invalid", None, None, None, FakeSpanContext(0, 0))
    trace.SpanKind = types.SimpleNamespace(SERVER="SERVER", INTERNAL="INTERNAL")
    trace.StatusCode = types.SimpleNamespace(ERROR="ERROR")
    trace.Status = lambda code, description=None: (code, description)
    trace.TraceFlags = int
    trace.SpanContext = FakeSpanContext
    trace.NonRecordingSpan = lambda sc: FakeSpan("remote", None, None, None, sc)
    trace.set_span_in_context = lambda span: {"span": span}
    trace.get_current_span = lambda: stack[-1] if stack else invalid
    ids = iter(range(1, 1000))

    class Tracer:
        @contextmanager
        def start_as_current_span(self, name, context=None, kind=None, attributes=None):
            parent = context["span"] if context else (stack[-1] if stack else None)
            trace_id = parent.context.trace_id if parent else 0xABC
            span = FakeSpan(name, kind, attributes, parent, FakeSpanContext(trace_id, next(ids)))
            stack.append(span)
            try:
                yield span
            finally:
                stack.pop()
                finished.append(span)

    trace.get_tracer = lambda name, version=None: Tracer()
    package = types.ModuleType("opentelemetry")
    package.trace = trace
    return package, trace, finished


@pytest.fixture
def fake_otel(monkeypatch):
    package, trace, finished = fake_opentelemetry()
    monkeypatch.setitem(sys.modules, "opentelemetry", package)
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", trace)
    return finished


def test_spans_for_invocation_middleware_and_controller(clean_log, fake_otel):
    _, wsgi = boot(trace_app(trace={"spans": True}))
    res = call(wsgi, path="/users/7", headers=[("traceparent", TP)], request_id="req-7")
    assert res["statusCode"] == 200
    by_name = {span.name: span for span in fake_otel}
    assert set(by_name) == {"GET /users/:id", "middleware stamp", "controller TraceController.user"}
    root = by_name["GET /users/:id"]
    assert root.kind == "SERVER" and root.parent.context.is_remote
    assert (root.parent.context.trace_id, root.parent.context.span_id) == (
        0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7)
    assert root.attributes == {"http.request.method": "GET", "url.path": "/users/7", "faas.trigger": "http",
                               "faas.invocation_id": "req-7", "faas.coldstart": True, "cloud.provider": "aws",
                               "koatty.event_kind": "apigw-v2", "http.response.status_code": 200,
                               "http.route": "/users/:id"}
    assert by_name["middleware stamp"].parent is root and by_name["middleware stamp"].kind == "INTERNAL"
    assert by_name["controller TraceController.user"].parent is by_name["middleware stamp"]
    outgoing = json.loads(res["body"])["outgoing"]
    assert parse_traceparent(outgoing["traceparent"]) == (
        "4bf92f3577b34da6a3ce929d0e0e4736", "%016x" % root.context.span_id, 1)


def test_a_failing_request_marks_its_span(clean_log, fake_otel, capsys):
    _, wsgi = boot(trace_app(trace={"spans": True}))
    assert call(wsgi, path="/boom")["statusCode"] == 500
    (root,) = [s for s in fake_otel if s.kind == "SERVER"]
    assert root.status == ("ERROR", "500 Internal Server Error")
    assert [type(e) for e in root.exceptions] == [ValueError]
    assert root.attributes["http.response.status_code"] == 500


def test_spans_on_without_opentelemetry_installed(clean_log, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import fails as when not installed
    _, wsgi = boot(trace_app(trace={"spans": True}))
    assert "opentelemetry package is not installed" in caplog.text
    assert call(wsgi, path="/users/2")["statusCode"] == 200


def test_spans_with_the_real_opentelemetry_sdk(clean_log):
    pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk not installed (requirements-test.txt)")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _, wsgi = boot(trace_app(trace={"spans": True}))
    res = call(wsgi, path="/users/3", headers=[("traceparent", TP)])
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"GET /users/:id", "middleware stamp", "controller TraceController.user"}
    root = spans["GET /users/:id"]
    assert root.kind == trace.SpanKind.SERVER and root.attributes["http.route"] == "/users/:id"
    assert "%032x" % root.context.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "%016x" % root.parent.span_id == "00f067aa0ba902b7"
    assert spans["controller TraceController.user"].parent.span_id == spans["middleware stamp"].context.span_id
    outgoing = json.loads(res["body"])["outgoing"]
    assert outgoing["traceparent"].split("-")[2] == "%016x" % root.context.span_id


# --- Server-Timing (16.4) --------------------------------------------------------------------------------


def timings(header):
    return {part.split(";")[0].strip(): float(part.split("dur=")[1]) for part in header.split(",")}


def test_server_timing_is_off_by_default(clean_log):
    _, wsgi = boot(trace_app())
    assert "Server-Timing" not in call(wsgi, path="/users/1")["headers"]
    # Nor on error answers when the other features are on (the observed pipeline), on any trigger.
    _, wsgi = boot(trace_app(log={"format": "json"}, metrics={"latency": True, "cold_start": True}))
    for kind in ("apigw-v1", "apigw-v2", "alb", "fc3", "scf"):
        for path in ("/users/1", "/boom", "/nowhere"):
            res = call(wsgi, kind=kind, path=path)
            names = {k.lower() for k in (res.get("headers") or {})} | {
                k.lower() for k in (res.get("multiValueHeaders") or {})}
            assert "server-timing" not in names, (kind, path)


def test_server_timing_values_are_well_formed(clean_log):
    """RFC / W3C Server Timing: ``name;dur=<number>`` entries joined by commas, names tokens."""
    import re

    _, wsgi = boot(trace_app(server_timing=True))
    for kind in ("apigw-v1", "apigw-v2", "alb", "fc3", "scf"):
        res = call(wsgi, kind=kind, path="/boom")
        headers = {k.lower(): v for k, v in (res.get("headers") or {}).items()}
        if "server-timing" not in headers:
            headers = {k.lower(): v[0] for k, v in res["multiValueHeaders"].items()}
        assert re.fullmatch(r"[a-z]+;dur=\d+\.\d{3}(, [a-z]+;dur=\d+\.\d{3})*", headers["server-timing"]), kind


def test_server_timing_names_adapter_middleware_and_controller(clean_log):
    _, wsgi = boot(trace_app(server_timing=True))
    for path, status in (("/users/1", 200), ("/boom", 500), ("/nowhere", 404)):
        res = call(wsgi, path=path)
        assert res["statusCode"] == status
        parts = timings(res["headers"]["Server-Timing"])
        assert list(parts) == ["adapter", "middleware", "controller"]
        assert all(v >= 0 for v in parts.values())
    # Without an adapter (plain WSGI) there is no adapter time to report.
    got = {}
    wsgi({"REQUEST_METHOD": "GET", "PATH_INFO": "/users/1", "wsgi.input": None},
         lambda status, headers: got.update(headers))
    assert list(timings(got["Server-Timing"])) == ["middleware", "controller"]


def test_an_observed_app_still_describes_its_routes_in_openapi(clean_log):
    plain, _ = boot(trace_app())
    observed, _ = boot(trace_app(server_timing=True))
    assert observed.openapi()["paths"] == plain.openapi()["paths"] != {}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HEADERISH = st.text(alphabet=st.sampled_from("0123456789abcdefABCDEF-;=RootParentSampled1 ?\t"), max_size=120)


@settings(max_examples=300, deadline=None)
@given(tp=st.one_of(_HEADERISH, st.text(max_size=80)), xray=st.one_of(_HEADERISH, st.text(max_size=80)))
def test_any_header_text_gives_a_trace_never_an_error(tp, xray):
    tc = from_environ({"HTTP_TRACEPARENT": tp, "HTTP_X_AMZN_TRACE_ID": xray}, {})
    assert len(tc.trace_id) == 32 and set(tc.trace_id) <= set("0123456789abcdef")
    out = tc.headers()
    assert parse_traceparent(out["traceparent"])[0] == tc.trace_id
    assert xray_to_w3c(parse_xray(out["X-Amzn-Trace-Id"])["root"]) == tc.trace_id


def test_a_span_for_each_non_http_invocation(clean_log, fake_otel, monkeypatch):
    import koatty_lite
    from koatty_lite.cli.event import build_event
    from obs_support import Invocation

    monkeypatch.setenv("_X_AMZN_TRACE_ID", XRAY)
    seen = []
    h = koatty_lite.handler(trace_app(trace={"spans": True}),
                            event_handlers={"sqs": lambda e, c, a: seen.append(len(e["Records"])),
                                            "s3": lambda e, c, a: 1 / 0})
    h(build_event("sqs"), Invocation("q-1"))
    with pytest.raises(ZeroDivisionError):
        h(build_event("s3"), Invocation("s-1"))
    sqs, s3 = [s for s in fake_otel if s.kind == "SERVER"]
    assert seen == [1] and (sqs.name, s3.name) == ("sqs", "s3")
    assert sqs.attributes == {"faas.trigger": "pubsub", "faas.coldstart": True, "koatty.event_kind": "sqs",
                              "faas.invocation_id": "q-1"}
    assert s3.attributes["faas.trigger"] == "datasource" and s3.attributes["faas.coldstart"] is False
    assert (sqs.parent.context.trace_id, sqs.parent.context.span_id) == (
        0x5759e988bd862e3fe1be46a994272793, 0x53995c3f42cd8ad8)


def test_no_span_machinery_for_events_without_spans(clean_log, fake_otel):
    import koatty_lite
    from koatty_lite.cli.event import build_event
    from obs_support import Invocation

    h = koatty_lite.handler(trace_app(), event_handlers={"sqs": lambda e, c, a: None})
    h(build_event("sqs"), Invocation("q-1"))
    assert fake_otel == []
