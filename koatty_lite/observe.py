"""Observability on the request path: the request log line, built-in metrics, spans, Server-Timing.

Installed by ``Koatty.mark_ready`` only when the app's config or the environment turns one of them
on; an app that turns none on never imports this module. It wraps each route (the
route pattern, the controller's time and span) and, for spans, each middleware, and answers
through ``ObservedWsgiApp``, a PEP 3333 callable that measures and reports around the same pipeline.
See docs/observability.md.
"""
from __future__ import annotations

from time import perf_counter

from . import log as _log
from .context import Context
from .errors import KoattyException
from .context_extra import answer_error, finish, render

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .app import Koatty


class _Request:
    """What the observed pipeline learns about one request."""

    __slots__ = ("fields", "route", "controller")

    def __init__(self, fields: dict):
        self.fields = fields  # the members added to this request's JSON log lines
        self.route = None  # "GET /users/:id" once a route matched
        self.controller = 0.0  # seconds spent in the controller


class _ObservedRoute:
    """A route wrapped: records its pattern and the controller's time; a child span when spans are on."""

    __slots__ = ("route", "label", "pattern", "spans", "__wrapped__")

    def __init__(self, route: Callable, method: str, pattern: str, spans: Any):
        self.route = self.__wrapped__ = route  # __wrapped__: what code reading the route table unwraps
        self.pattern = pattern
        self.label = f"{method} {pattern}"
        self.spans = spans

    def __call__(self, ctx: Context) -> Any:
        rec = ctx._ext["obs"]
        rec.route = self.label
        rec.fields["route"] = self.pattern
        t = perf_counter()
        try:
            if self.spans is not None:
                with self.spans.child("controller " + getattr(self.route, "label", self.label),
                                      {"http.route": self.pattern}):
                    return self.route(ctx)
            return self.route(ctx)
        finally:
            rec.controller += perf_counter() - t

    def __getattr__(self, name: str) -> Any:  # the wrapped Route's own attributes (label, fn, ...)
        if name in ("route", "__wrapped__"):  # not set yet (a copy): no recursion
            raise AttributeError(name)
        return getattr(self.route, name)


def _span_middleware(fn: Callable, spans: Any) -> Callable:
    name = "middleware " + getattr(fn, "__name__", type(fn).__name__)

    def traced(ctx: Any, next: Callable) -> Any:
        with spans.child(name):
            return fn(ctx, next)

    traced.__name__ = getattr(fn, "__name__", "middleware")
    return traced


class Settings:
    """The observability settings of one app, read from its config at boot."""

    __slots__ = ("request_line", "json", "cold_metric", "latency_metric", "server_timing", "spans", "service")

    def __init__(self, app: Koatty):
        config = app.config
        log = config.get("log") or {}
        metrics = config.get("metrics") or {}
        trace = config.get("trace") or {}
        if _log.json_from_env() or str(log.get("format") or "").lower() == "json":
            _log.configure(log.get("format"), log.get("level"))  # PERF: logging is loaded only for lines
        self.json = _log.is_json()
        request = log.get("request")
        # Default: a request line when lines are JSON (machine-read), none in text mode.
        self.request_line = self.json if request is None else bool(request)
        self.cold_metric = bool(metrics.get("cold_start"))
        self.latency_metric = bool(metrics.get("latency"))
        self.server_timing = bool(config.get("server_timing"))
        self.service = None
        if self.cold_metric or self.latency_metric:
            from .metrics import _app_settings

            self.service = _app_settings(app)[1]["service"]  # the checked `service` dimension
        self.spans = None
        if trace.get("spans"):
            try:
                from .tracing import Spans

                self.spans = Spans()
            except ImportError:
                _log.get_logger().warning("trace.spans is on but the opentelemetry package is not installed: "
                                          "no spans (pip install opentelemetry-api)")


def install(app: Koatty) -> Settings:
    """Wrap the app's routes (and, for spans, its middleware) before the chain is composed."""
    settings = Settings(app)
    spans = settings.spans
    if spans is not None:
        app._middleware[:] = [_span_middleware(fn, spans) for fn in app._middleware]
    router = app.router
    for path, table in list(router.static.items()):
        for method, route in list(table.items()):
            table[method] = _ObservedRoute(route, method, path, spans)
    for _, path, table in router.dynamic:
        for method, route in list(table.items()):
            table[method] = _ObservedRoute(route, method, path, spans)
    app._spans = spans  # read by entry.py: a span for each non-HTTP invocation too
    if settings.json:
        routes = len(router.routes())
        _log.get_logger().info("%s ready: %d routes", type(app).__name__, routes,
                               extra={"koatty_keys": {"app": type(app).__name__, "routes": routes}})
    return settings


def _function_from_context(context: Any) -> None:
    """Fill the log lines' function name/version from the platform context (FC, SCF) when the
    environment did not name them."""
    from .logjson import function_identity, set_function_identity

    ident = function_identity()
    if "functionName" in ident and "functionVersion" in ident:
        return
    if isinstance(context, dict):  # SCF passes a dict
        set_function_identity(context.get("function_name"), context.get("function_version"))
        return
    function = getattr(context, "function", None)  # FC 3.0: context.function.name / .version_id / .qualifier
    if function is not None:
        set_function_identity(getattr(function, "name", None),
                              getattr(function, "version_id", None) or getattr(function, "qualifier", None))
    else:
        set_function_identity(getattr(context, "function_name", None), getattr(context, "function_version", None))


_CLOUD = {"aws": "aws", "alicloud": "alibaba_cloud", "tencent": "tencent_cloud"}


class ObservedWsgiApp:
    """The PEP 3333 callable of an app with the observability of ``Settings`` around the same pipeline (an app
    without any is its own callable)."""

    __slots__ = ("app", "chain", "log_state", "settings", "koatty_timed")

    def __init__(self, app: Koatty, settings: Settings):
        self.app, self.chain, self.log_state = app, app._chain, _log._state
        self.settings = settings
        # Read by serverless._serve: stamp ``koatty.t0`` before the event is translated (Server-Timing's adapter).
        self.koatty_timed = settings.server_timing

    def __call__(self, environ: dict, start_response: Any) -> list:
        """The PEP 3333 call: environ.respond, which the first call puts in this method's place (PERF: an import
        statement costs ~0.7 us a call; environ.py loads with the first environ, as the app's own call loads it)."""
        from .environ import respond

        ObservedWsgiApp.__call__ = respond
        return respond(self, environ, start_response)

    def koatty_respond(self, environ: dict) -> tuple:
        """As ``WsgiApp.koatty_respond``, measured: log fields, span, metrics, Server-Timing, request line."""
        start = perf_counter()
        settings = self.settings
        ctx = Context(environ, self.app)
        state = self.log_state
        state.request_id = ctx.request_id
        cold = _log.next_invocation() == 1
        rec = _Request({"cold_start": cold})
        ctx._ext = {"obs": rec}
        if settings.json:
            rec.fields["traceId"] = ctx.trace.trace_id
            if cold and ctx.platform_context is not None:
                _function_from_context(ctx.platform_context)
        state.fields = rec.fields
        try:
            if settings.spans is not None:
                status, headers, body = self._run_in_span(ctx, rec, cold)
            else:
                status, headers, body, _ = self._run(ctx)
            headers = self._report(ctx, rec, cold, start, status, headers)
        finally:
            state.fields = None
        if ctx.method == "HEAD":
            body = b""
        return status, headers, body

    def koatty_answer(self, request: Any, answer: Any, to_response: Any) -> Any:
        """As ``WsgiApp.koatty_answer``, through the measured ``koatty_respond`` (always the general shaping)."""
        status, headers, body = self.koatty_respond(request)
        return to_response(request, status, headers, body)

    def _run_in_span(self, ctx: Context, rec: _Request, cold: bool) -> tuple:
        """``_run`` inside the invocation's SERVER span (its attributes, name and status)."""
        spans = self.settings.spans
        attributes = {"http.request.method": ctx.method, "url.path": ctx.path, "faas.trigger": "http",
                      "faas.invocation_id": ctx.request_id, "faas.coldstart": cold}
        if ctx.platform:
            attributes["cloud.provider"] = _CLOUD.get(ctx.platform, ctx.platform)
        if ctx.event_kind:
            attributes["koatty.event_kind"] = ctx.event_kind
        trace = ctx.trace
        with spans.invocation(ctx.method, trace, attributes) as span:
            span_id = spans.span_id(span)
            if span_id is not None:
                trace.span_id = span_id  # why: outgoing headers name this span as the parent
                trace.trace_id = spans.trace_id(span)  # an instrumented handler's trace wins
                if "traceId" in rec.fields:
                    rec.fields["traceId"] = trace.trace_id
            status, headers, body, exc = self._run(ctx)
            code = int(status[:3])
            span.set_attribute("http.response.status_code", code)
            if rec.route is not None:
                span.set_attribute("http.route", rec.route.partition(" ")[2])
                span.update_name(rec.route)
            if code >= 500:
                if exc is not None and not isinstance(exc, KoattyException):
                    span.record_exception(exc)
                spans.set_error(span, status)
        return status, headers, body

    def _report(self, ctx: Context, rec: _Request, cold: bool, start: float, status: str, headers: list) -> list:
        """After the answer: Server-Timing, the request line, the built-in metrics, the metrics' flush."""
        settings = self.settings
        end = perf_counter()
        t0 = ctx._req.t0  # PERF: the serverless Request carries it; no environ is built
        if settings.server_timing:
            headers = list(headers)
            headers.append(("Server-Timing", _server_timing(t0, start, end, rec.controller)))
        duration_ms = (end - (t0 or start)) * 1000
        if settings.request_line:
            self._request_line(ctx, status, duration_ms, rec)
        if settings.cold_metric or settings.latency_metric:
            metrics = ctx.metrics
            dims = {"service": settings.service}
            if settings.cold_metric and cold:
                metrics.add_to(dims, "ColdStart", 1, "Count")
            if settings.latency_metric:
                route = rec.route or "-"
                if not route.isascii():  # why: CloudWatch drops a document whose dimension is not ASCII
                    route = route.encode("ascii", "backslashreplace").decode("ascii")
                metrics.add_to({**dims, "route": route}, "Latency", round(duration_ms, 3), "Milliseconds")
        finish(ctx)
        return headers

    def _run(self, ctx: Context) -> tuple:
        exc = None
        try:
            self.chain(ctx)
            status, headers, body = render(ctx)
        except MemoryError:
            raise
        except Exception as error:
            exc = error
            status, headers, body = answer_error(ctx, error)
        return status, headers, body, exc

    def _request_line(self, ctx: Context, status: str, duration_ms: float, rec: _Request) -> None:
        route = rec.fields.get("route")
        logger = _log.get_logger()
        if not logger.isEnabledFor(20):
            return
        code = int(status[:3])
        keys = {"method": ctx.method, "status": code, "duration_ms": round(duration_ms, 3)}
        own = ctx._ext.get("logger")
        if own is not None and own.keys:
            keys = {**own.keys, **keys}
        path = ctx.path
        if route is None:
            # why: no route matched (404, 405): the path says what was asked; printable() so a client's
            # %0A or ESC cannot forge a text line or drive a terminal (JSON escapes them anyway).
            path = keys["path"] = _log.printable(path)
        # The message names the route, never the raw path with its ids (cardinality, personal data).
        # PERF: makeRecord + handle, not info(): no caller lookup (a stack walk) for a line we write ourselves.
        record = logger.makeRecord(logger.name, 20, __file__, 0, "%s %s %d %.1fms",
                                   (ctx.method, route or path, code, duration_ms), None, "request_line",
                                   {"koatty_keys": keys})
        logger.handle(record)


def _server_timing(t0: float | None, start: float, end: float, controller: float) -> str:
    """``adapter;dur=…, middleware;dur=…, controller;dur=…`` in milliseconds (adapter when measured)."""
    parts = []
    if t0 is not None and t0 <= start:
        parts.append("adapter;dur=%.3f" % ((start - t0) * 1000))
    parts.append("middleware;dur=%.3f" % (max(end - start - controller, 0.0) * 1000))
    parts.append("controller;dur=%.3f" % (controller * 1000))
    return ", ".join(parts)
