"""The Koatty app: lifecycle and bootstrap, the cached WSGI callable, listen() and run()."""
from __future__ import annotations

import json
import os
import re
import sys
from _thread import allocate_lock

from . import log as _log
from .compose import compose
from .container import SINGLETON_TYPES, Container, InjectionError, defines_init, koatty_name, koatty_type
from .context import _BODY_METHODS, Context
from .decorators import _MISSING, Param
from .errors import JSON_TYPE, HttpException, KoattyException, error_body, status_line
from .router import Router, allowed, join_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

EVENTS = ("appBoot", "loadConfigure", "loadComponent", "loadPlugin", "loadMiddleware", "loadService",
          "loadController", "loadRouter", "loadServe", "appReady", "appStart", "appStop")

DEFAULT_CONFIG = {
    # 6 MB: the largest synchronous AWS Lambda payload.
    "payload": {"limit": 6 * 1024 * 1024},
    "server": {"host": "127.0.0.1", "port": 3000, "serverless": False},
    "middleware": {"list": [], "config": {}},
    "plugin": {"list": [], "config": {}},
}

_PLACEHOLDER = r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}"  # compiled by re when a config uses ${...}


def deep_merge(base: dict, over: dict) -> dict:
    """A new dict: ``over`` merged into ``base`` recursively (dicts merge, anything else replaces)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        elif isinstance(value, dict):
            out[key] = deep_merge({}, value)
        else:
            out[key] = value
    return out


def fill_placeholders(value: Any, environ: Any = None) -> Any:
    """Replace ``${VAR}`` / ``${VAR:default}`` in every string of ``value`` (a missing VAR → default or "")."""
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        if "${" not in value:
            return value
        return re.sub(_PLACEHOLDER, lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: fill_placeholders(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(v, environ) for v in value]
    return value


class Koatty:
    """Base class of an app: subclass it, list ``components``, set ``config`` and ``env_config``."""

    components: list = []
    config: dict = {}
    env_config: dict = {}

    def __init__(self):
        self.env = os.environ.get("KOATTY_ENV") or "development"
        self.container = Container(self)
        self.router = Router()
        self.scheduled_tasks = []
        self.exception_handler = None
        self.payload_limit = DEFAULT_CONFIG["payload"]["limit"]
        self._listeners = {}
        self._middleware = []
        self._ready = False
        self._handler = None
        self._chain = None
        self._stopped = False
        self._stop_lock = allocate_lock()
        self._server = None
        self._drains = []  # server / scheduler stops, run before the appStop listeners
        # Why: the class attribute stays the declaration; the instance gets a private copy to merge into.
        self.config = deep_merge({}, type(self).config or {})
        init = getattr(self, "init", None)
        if callable(init):
            init()

    # --- events -------------------------------------------------------------------------------

    def on(self, event: str, fn: Callable) -> Koatty:
        """Call ``fn(app)`` each time ``event`` is emitted."""
        self._listeners.setdefault(str(event), []).append((fn, False))
        return self

    def once(self, event: str, fn: Callable) -> Koatty:
        """Call ``fn(app)`` the next time ``event`` is emitted."""
        self._listeners.setdefault(str(event), []).append((fn, True))
        return self

    def off(self, event: str, fn: Callable | None = None) -> Koatty:
        """Remove ``fn`` (or every listener) from ``event``."""
        if fn is None:
            self._listeners.pop(event, None)
        else:
            self._listeners[event] = [p for p in self._listeners.get(event, []) if p[0] is not fn]
        return self

    def emit(self, event: str, *args: Any) -> None:
        """Run the listeners of ``event`` in order, with ``(app, *args)``; an exception propagates."""
        listeners = self._listeners.get(event)
        if not listeners:
            return
        if any(p[1] for p in listeners):
            self._listeners[event] = [p for p in listeners if not p[1]]
        for fn, _ in list(listeners):
            fn(self, *args)

    def listeners(self, event: str) -> list:
        """The functions listening to ``event``."""
        return [p[0] for p in self._listeners.get(event, [])]

    # --- config -------------------------------------------------------------------------------

    def get_config(self, key: str | None = None, default: Any = None) -> Any:
        """A config value by dot path (``"db.path"``), or ``default``; no key → the whole dict."""
        node = self.config
        if not key:
            return node
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return default
        return node

    def _load_config(self) -> None:
        cls = type(self)
        merged = deep_merge(DEFAULT_CONFIG, self.config)
        overlay = (getattr(cls, "env_config", None) or {}).get(self.env)
        if overlay:
            merged = deep_merge(merged, overlay)
        self.config = fill_placeholders(merged)
        try:
            self.payload_limit = int(self.get_config("payload.limit", self.payload_limit))
        except (TypeError, ValueError):
            raise ValueError("config payload.limit must be an integer (bytes)") from None

    # --- registry -----------------------------------------------------------------------------

    def register(self, cls: type, name: str | None = None) -> type:
        """Register a decorated class by hand (e.g. from ``boot_func``)."""
        if self._ready:
            raise RuntimeError("components cannot be registered after the app is ready")
        return self.container.register(cls, name)

    def get(self, target: Any) -> Any:
        """The singleton for a class or registered name."""
        return self.container.get(target)

    def use(self, fn: Callable) -> Koatty:
        """Add an onion middleware ``fn(ctx, next)`` (runs outside the ``middleware.list`` ones)."""
        if self._ready:
            raise RuntimeError("middleware cannot be added after the app is ready")
        if not callable(fn):
            raise TypeError(f"middleware must be callable, got {fn!r}")
        self._middleware.append(fn)
        return self

    # --- readiness and the WSGI callable --------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        """True once ``create_application`` (or ``mark_ready``) finished."""
        return self._ready

    def mark_ready(self) -> None:
        """Compose the middleware chain, freeze routes and middleware, and accept requests."""
        if self._ready:
            return
        self._chain = compose(list(self._middleware), self._endpoint)
        self.router.frozen = True
        self._handler = _WsgiApp(self)
        self._ready = True

    def get_request_handler(self, protocol: str = "http") -> Callable:
        """The cached PEP 3333 callable (Koatty's ``getRequestHandler``)."""
        if protocol != "http":
            raise ValueError(f"protocol {protocol!r} is not supported: koatty_lite serves HTTP only "
                             "(no grpc, ws or graphql servers in serverless)")
        if not self._ready:
            raise RuntimeError("Application is not ready: call create_application(App) first")
        return self._handler

    def callback(self, protocol: str = "http") -> Callable:
        """Same cached callable as ``get_request_handler()`` (Koa's ``callback()``)."""
        return self.get_request_handler(protocol)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        """The app is itself a WSGI callable once ready."""
        return self.get_request_handler()(environ, start_response)

    def _endpoint(self, ctx: Context) -> Any:
        # Why: the body is parsed before the router, as in Koatty, so 413/400/415 come first.
        if ctx.method in _BODY_METHODS and not ctx._body_loaded and ctx._has_body():
            ctx._load_body()
        handler, params, table = self.router.find(ctx.method, ctx.path)
        if handler is None:
            if table is None:
                raise HttpException("Not Found", 1, 404)
            allow = allowed(table)
            ctx.set("Allow", allow)
            if ctx.method == "OPTIONS":
                ctx.status = 204
                return None
            raise HttpException("Method Not Allowed", 1, 405)
        ctx.params = params
        return handler(ctx)

    # --- serving --------------------------------------------------------------------------------

    def listen(self, port: int | None = None, host: str | None = None) -> Any:
        """Serve with wsgiref (a thread per request) in a daemon thread; return the server, already serving."""
        handler = self.get_request_handler()
        host = self.get_config("server.host", "127.0.0.1") if host is None else host
        port = self.get_config("server.port", 3000) if port is None else port
        server = start_server(handler, host, int(port))
        self._server = server
        # Why: the server drains in-flight requests BEFORE the appStop listeners close what they use.
        self._drains.append(server.stop)
        if self.scheduled_tasks:
            try:
                from .schedule import start_scheduler
            except ImportError:  # schedule.py missing from a trimmed package
                _log.get_logger().warning("@Scheduled tasks found but koatty_lite.schedule is unavailable")
            else:
                stopper = start_scheduler(self)
                if callable(stopper):
                    self._drains.insert(0, stopper)  # no new task starts while the server drains
        self.emit("appStart")
        return server

    def stop(self) -> None:
        """Stop: the ``listen()`` server finishes the requests in flight and the scheduler stops, then
        ``appStop`` fires exactly once (idempotent, thread-safe); errors are logged, not raised."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        for drain in self._drains:
            try:
                drain()
            except Exception:
                _log.get_logger().exception("stopping %r failed", drain)
        listeners = self._listeners.pop("appStop", [])
        for fn, _ in listeners:
            try:
                fn(self)
            except Exception:
                _log.get_logger().exception("appStop listener %r failed", fn)

    @property
    def server(self) -> Any:
        """The server started by ``listen()``, or None."""
        return self._server


class _WsgiApp:
    """The PEP 3333 callable: one Context per request, the onion, the error boundary, the output."""

    __slots__ = ("app", "chain", "handler", "log_state")

    def __init__(self, app: Koatty):
        self.app = app
        self.chain = app._chain
        self.handler = app.exception_handler
        self.log_state = _log._state

    def __call__(self, environ: dict, start_response: Callable) -> list:
        status, headers, body = self.koatty_respond(environ)
        start_response(status, headers)
        return [body] if body else []

    def koatty_respond(self, environ: dict) -> tuple:
        """``(status_line, header_pairs, body_bytes)`` for one request, without ``start_response``.

        The serverless adapters call this directly when a WSGI callable offers it (PERF: no
        start_response/iteration round trip); ``__call__`` is the same answer through PEP 3333.
        """
        ctx = Context(environ, self.app)
        # PERF: a thread-local attribute set; log.py reads it only when a line is written.
        self.log_state.request_id = ctx.request_id
        try:
            self.chain(ctx)
            status, headers, body = _output(ctx)
        except MemoryError:
            raise
        except Exception as exc:
            status, headers, body = self.error(ctx, exc)
        if ctx.method == "HEAD":
            body = b""
        return status, headers, body

    def error(self, ctx: Context, exc: Exception) -> tuple:
        """Turn an exception into the response: the @ExceptionHandler, else the default JSON output."""
        handler = self.handler
        if handler is not None:
            if not isinstance(exc, KoattyException):
                # Why: a fault is logged (with the request id) even when the user's handler shapes the answer.
                _write_traceback(ctx, "unhandled exception")
            saved = ctx.body, ctx._status, ctx._type
            ctx.body = ctx._status = ctx._type = None
            try:
                result = handler.handle(ctx, exc)
                if result is not None:
                    ctx.body = result
                if ctx.body is not None or ctx._status is not None:
                    if ctx._status is None:
                        ctx._status = exc.status if isinstance(exc, KoattyException) else 500
                    return _output(ctx)
            except MemoryError:
                raise
            except Exception:
                _write_traceback(ctx, "exception handler failed")
                return _default_error(ctx, exc, force_500=True)
            ctx.body, ctx._status, ctx._type = saved
            return _default_error(ctx, exc, force_500=not isinstance(exc, KoattyException))
        return _default_error(ctx, exc)


def _write_traceback(ctx: Context, what: str) -> None:
    import traceback

    stream = ctx.environ.get("wsgi.errors") or sys.stderr
    # Why: the path is the client's; a CR/LF in it must not forge a second log line.
    where = f"{ctx.method} {ctx.path}".replace("\r", "\\r").replace("\n", "\\n")
    try:
        stream.write(f"[koatty] [ERROR] [{ctx.request_id}] {what}: {where}\n")
        stream.write(traceback.format_exc())
        stream.flush()
    except Exception:  # a broken error stream must not break the response
        pass


def _default_error(ctx: Context, exc: Exception, force_500: bool = False) -> tuple:
    if isinstance(exc, KoattyException) and not force_500:
        status, body = exc.status, error_body(exc.code, exc.message, exc.data)
    else:
        if not force_500:
            _write_traceback(ctx, "unhandled exception")
        status, body = 500, error_body(1, "Internal Server Error", None)
    headers = [pair for pair in ctx._out if pair[0].lower() not in ("content-length", "content-type")]
    headers.append(("Content-Type", JSON_TYPE))
    headers.append(("Content-Length", str(len(body))))
    headers.append(("X-Request-Id", ctx.request_id))
    return status_line(status), headers, body


def _json_default(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


try:
    from json.encoder import c_make_encoder, encode_basestring

    # PERF: the C encoder built once (json.dumps builds one per call: +0.6 µs). No circular-reference
    # markers: a cyclic body fails with RecursionError, answered as a 500 like any other error.
    _c_encoder = c_make_encoder(None, _json_default, encode_basestring, None, ":", ",", False, False, True)

    def _json_encode(obj: Any) -> str:
        return "".join(_c_encoder(obj, 0))
except (ImportError, TypeError):  # an interpreter without the C accelerator
    _json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _output(ctx: Context) -> tuple:
    """``(status_line, headers, body_bytes)`` from the context's response state."""
    body = ctx.body
    status = ctx._status
    ctype = ctx._type
    if body is None:
        if status is None:
            # Nothing answered (no route ran and no middleware set a body): Koa's default 404.
            raise HttpException("Not Found", 1, 404)
        data = b""
    elif isinstance(body, str):
        data = body.encode("utf-8")
        if ctype is None:
            ctype = "text/html; charset=utf-8" if body[:1] == "<" else "text/plain; charset=utf-8"
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
        if ctype is None:
            ctype = "application/octet-stream"
    else:
        # PERF: one prebuilt encoder (json.dumps with options builds a new one per call); compact.
        data = _json_encode(body).encode("utf-8")
        if ctype is None:
            ctype = JSON_TYPE
    if status is None:
        status = 200
    headers = ctx._out[:]
    if status in (204, 304) or 100 <= status < 200:
        data = b""
    else:
        if ctype is None:
            # Why: PEP 3333 validators require a Content-Type on every response that may carry a body.
            ctype = "application/octet-stream" if data else "text/plain; charset=utf-8"
        headers.insert(0, ("Content-Type", ctype))
        headers.append(("Content-Length", str(len(data))))
    headers.append(("X-Request-Id", ctx.request_id))
    return status_line(status), headers, data


# --- listen(): the stdlib server ---------------------------------------------------------------


def start_server(wsgi_app: Callable, host: str, port: int, shutdown_timeout: float = 10.0) -> Any:
    """A wsgiref server with a thread per request, serving in a daemon thread; ``server.stop()`` is graceful."""
    import socketserver
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            # Why: wsgiref prints every request to stderr; route the access log through "koatty" at DEBUG.
            _log.get_logger().debug("%s %s", self.address_string(), format % args)

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        # Why: daemon threads are not joined by server_close(); track in-flight ones ourselves.
        block_on_close = False

        def __init__(self, *args: Any, **kwargs: Any):
            self.inflight = set()
            self.inflight_lock = threading.Lock()
            self.serve_thread = None
            self.stop_lock = threading.Lock()
            self.stopped = False
            super().__init__(*args, **kwargs)

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            me = threading.current_thread()
            with self.inflight_lock:
                self.inflight.add(me)
            try:
                super().process_request_thread(request, client_address)
            finally:
                with self.inflight_lock:
                    self.inflight.discard(me)

        def stop(self, timeout: float = shutdown_timeout) -> None:
            """Stop accepting, let in-flight requests finish (up to ``timeout`` s), close the socket."""
            with self.stop_lock:
                if self.stopped:
                    return
                self.stopped = True
            if self.serve_thread is not None and self.serve_thread is not threading.current_thread():
                self.shutdown()
                self.serve_thread.join(timeout)
            with self.inflight_lock:
                pending = [t for t in self.inflight if t is not threading.current_thread()]
            for t in pending:
                t.join(timeout)
            self.server_close()

    server = Server((host, port), Handler)
    server.set_app(wsgi_app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="koatty-server", daemon=True)
    server.serve_thread = thread
    thread.start()
    return server


# --- controllers: routes compiled once at boot ---------------------------------------------------

_CONVERTERS = {}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(value)
    return int(str(value).strip())


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    result = float(value if isinstance(value, (int, float)) else str(value).strip())
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError(value)  # NaN/inf are not useful request values
    return result


def _to_str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(value)
    return value if isinstance(value, str) else str(value)


_CONVERTERS.update({int: _to_int, float: _to_float, bool: _to_bool, str: _to_str,
                    "int": _to_int, "float": _to_float, "bool": _to_bool, "str": _to_str})


def _converter(annotation: Any) -> tuple:
    """``(convert_fn or None, type name)`` for an annotation (class or string, ``X | None`` allowed)."""
    if annotation is None:
        return None, ""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").strip("'\"")
        if text.startswith("Optional[") and text.endswith("]"):
            text = text[9:-1]
        parts = [p for p in text.split("|") if p not in ("None", "")]
        text = parts[0] if len(parts) == 1 else text
        return _CONVERTERS.get(text), text
    conv = _CONVERTERS.get(annotation)
    return conv, getattr(annotation, "__name__", str(annotation))


_WHERE = {"path": "path parameter", "query": "query parameter", "body": "body field", "header": "header",
          "file": "uploaded file", "param": "query/path parameter", "body-all": "request body"}


def _get_path(ctx: Context, key: str) -> Any:
    return ctx.params.get(key, _MISSING)


def _get_query(ctx: Context, key: str) -> Any:
    return ctx.query.get(key, _MISSING)


def _get_body(ctx: Context, key: str) -> Any:
    body = ctx.request_body()
    if isinstance(body, dict):
        return body.get(key, _MISSING)
    return _MISSING


def _get_header(ctx: Context, key: str) -> Any:
    value = ctx.headers.get(key)
    return _MISSING if value is None else value


def _get_file(ctx: Context, key: str) -> Any:
    files = ctx.request_file()
    if key is None:
        return files if files else _MISSING
    value = files.get(key)
    return _MISSING if value is None else value


def _get_param(ctx: Context, key: str) -> Any:
    params = ctx.request_param()
    return params if key is None else params.get(key, _MISSING)


def _get_body_all(ctx: Context, key: str) -> Any:
    return ctx.request_body()


_GETTERS = {"path": _get_path, "query": _get_query, "body": _get_body, "header": _get_header,
            "file": _get_file, "param": _get_param, "body-all": _get_body_all}


class Extractor:
    """Reads one controller argument from the request and converts it; compiled once per route."""

    __slots__ = ("arg", "getter", "key", "default", "convert", "type_name", "where")

    def __init__(self, arg: str, marker: Param, annotation: Any):
        self.arg = arg
        source = marker.source
        self.getter = _GETTERS[source]
        key = marker.name
        if key is None and source not in ("body-all", "param", "file"):
            key = arg
        self.key = key
        self.default = marker.default
        self.convert, self.type_name = _converter(annotation) if source not in ("body-all", "file") else (None, "")
        where = _WHERE[source]
        self.where = f"{where} {key!r}" if key is not None and source != "body-all" else where

    def __call__(self, ctx: Context) -> Any:
        value = self.getter(ctx, self.key)
        if value is _MISSING:
            if self.default is _MISSING:
                raise HttpException(f"missing required parameter {self.arg!r} ({self.where})", 1, 400)
            return self.default
        convert = self.convert
        if convert is not None:
            try:
                return convert(value)
            except (TypeError, ValueError, OverflowError):
                raise HttpException(
                    f"invalid parameter {self.arg!r} ({self.where}): expected {self.type_name}", 1, 400) from None
        return value


def _signature(fn: Callable) -> list:
    """``[(name, default or _MISSING, annotation)]`` for the arguments after ``self``; no inspect import."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    positional = names[:code.co_argcount]
    defaults = fn.__defaults__ or ()
    kwdefaults = fn.__kwdefaults__ or {}
    annotations = fn.__annotations__ or {}
    first_default = len(positional) - len(defaults)
    out = []
    for i, name in enumerate(names):
        if i == 0 and code.co_argcount:
            continue  # self
        if i < code.co_argcount:
            default = defaults[i - first_default] if i >= first_default else _MISSING
        else:
            default = kwdefaults.get(name, _MISSING)
        out.append((name, default, annotations.get(name)))
    return out


class Route:
    """A compiled controller route: prepared injections, argument extractors, aspects."""

    __slots__ = ("app", "cls", "fn", "prepared", "init_mode", "extractors", "before", "after",
                 "own_before", "own_after", "has_aspects", "label")

    def __init__(self, app: Koatty, cls: type, fn: Callable, prepared: dict):
        self.app = app
        self.cls = cls
        self.fn = fn
        self.prepared = prepared
        self.label = f"{cls.__name__}.{fn.__name__}"
        if fn.__code__.co_flags & 0x180:  # CO_COROUTINE | CO_ITERABLE_COROUTINE
            raise TypeError(f"{self.label} is async: the core is synchronous (WSGI); use a plain def")
        init_mode = 0
        if defines_init(cls):
            init = cls.__init__
            code = getattr(init, "__code__", None)
            # Koatty constructs controllers as `new Ctl(ctx)`; accept both __init__(self) and __init__(self, ctx).
            init_mode = 2 if code is not None and code.co_argcount >= 2 else 1
        self.init_mode = init_mode
        extractors = []
        for name, default, annotation in _signature(fn):
            if isinstance(default, Param):
                extractors.append((name, Extractor(name, default, annotation)))
            elif default is _MISSING:
                raise TypeError(f"{self.label}: argument {name!r} needs a marker default "
                                f"(PathVariable, Get, Post, Header, RequestBody, File, RequestParam)")
        self.extractors = tuple(extractors)
        container = app.container

        def aspects(items: Any) -> list:
            out = []
            for item in items or ():
                aspect = container.get(item)
                if not callable(getattr(aspect, "run", None)):
                    raise TypeError(f"aspect {koatty_name(type(aspect))} has no run(self, ctx, *args) method")
                out.append(aspect.run)
            return out

        self.before = tuple(aspects(cls.__dict__.get("__koatty_before_each__")) + aspects(fn.__dict__.get("__koatty_before__")))
        self.after = tuple(aspects(fn.__dict__.get("__koatty_after__")) + aspects(cls.__dict__.get("__koatty_after_each__")))
        self.own_before = callable(getattr(cls, "_before", None))
        self.own_after = callable(getattr(cls, "_after", None))
        self.has_aspects = bool(self.before or self.after or self.own_before or self.own_after)

    def __call__(self, ctx: Context) -> Any:
        cls = self.cls
        # PERF: no per-request resolution: injections were resolved at boot; __new__ + dict update.
        obj = cls.__new__(cls)
        d = obj.__dict__
        d.update(self.prepared)
        d["ctx"] = ctx
        d["app"] = self.app
        if self.init_mode:
            if self.init_mode == 2:
                obj.__init__(ctx)
            else:
                obj.__init__()
        kwargs = {}
        for name, extractor in self.extractors:
            kwargs[name] = extractor(ctx)
        if self.has_aspects:
            args = tuple(kwargs.values())
            if self.own_before:
                obj._before()
            for run in self.before:
                run(ctx, *args)
            result = self.fn(obj, **kwargs)
            for run in self.after:
                run(ctx, *args)
            if self.own_after:
                obj._after()
        else:
            result = self.fn(obj, **kwargs)
        if result is not None:
            if isinstance(result, BaseException):
                raise result  # Koatty: returning an Error throws it
            ctx.body = result
        elif ctx.body is None and ctx._status is None:
            ctx._status = 204
        return result


def _methods(cls: type) -> dict:
    """Functions of a class and its bases, subclass definitions winning."""
    out = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, value in klass.__dict__.items():
            if isinstance(value, (staticmethod, classmethod)):
                continue
            if callable(value) and hasattr(value, "__code__"):
                out[name] = value
    return out


# --- bootstrap -----------------------------------------------------------------------------------


def create_application(App: Any, boot_func: Callable | None = None) -> Koatty:
    """Run the whole bootstrap, emit the lifecycle events, mark ready; open no socket."""
    app = App() if isinstance(App, type) else App
    if not isinstance(app, Koatty):
        raise TypeError(f"{App!r} is not a Koatty app class")
    cls = type(app)
    if boot_func is None:
        boot_func = getattr(cls, "__koatty_boot_func__", None)
    app._load_config()
    if boot_func is not None:
        boot_func(app)
    app.emit("appBoot")
    app.emit("loadConfigure")
    container = app.container
    for component in list(getattr(cls, "components", None) or ()):
        container.register(component)

    def hook(obj: Any) -> None:
        for name, fn in _methods(type(obj)).items():
            for event in fn.__dict__.get("__koatty_events__", ()):
                app.on(event, getattr(obj, name))

    # loadComponent: plain components are created (with their dependencies) and hooked to events.
    hooked = set()
    for c in container.of_type("COMPONENT"):
        obj = container.get(c)
        hook(obj)
        hooked.add(id(obj))
    app.emit("loadComponent")

    # loadPlugin: plugins run in config["plugin"]["list"] order (every registered plugin when empty).
    plugins = container.of_type("PLUGIN")
    plugin_list = app.get_config("plugin.list") or [koatty_name(p) for p in plugins]
    for name in plugin_list:
        if name not in container.classes or koatty_type(container.classes[name]) != "PLUGIN":
            raise InjectionError(f"plugin {name!r} in config plugin.list is not a registered @Plugin()")
        options = (app.get_config("plugin.config") or {}).get(name) or {}
        if options.get("enabled", True) is False:
            continue
        plugin = container.get(name)
        plugin.run(options, app)
    app.emit("loadPlugin")

    # loadMiddleware: config["middleware"]["list"] gives the order; options from middleware.config[name].
    for name in app.get_config("middleware.list") or ():
        if name not in container.classes or koatty_type(container.classes[name]) != "MIDDLEWARE":
            raise InjectionError(f"middleware {name!r} in config middleware.list is not a registered @Middleware()")
        options = (app.get_config("middleware.config") or {}).get(name) or {}
        if options.get("enabled", True) is False:
            continue
        fn = container.get(name).run(options, app)
        if not callable(fn):
            raise TypeError(f"middleware {name}.run(options, app) must return a function fn(ctx, next)")
        app._middleware.append(fn)
    app.emit("loadMiddleware")

    # loadService: every service is created now, so a missing/circular dependency fails here.
    for c in container.of_type("SERVICE"):
        container.get(c)
    app.emit("loadService")

    # loadController: injections resolved once per controller class.
    routes = []
    for c in container.of_type("CONTROLLER"):
        prepared = container.prepare(c)
        prefix = c.__dict__.get("__koatty_path__", "")
        for fn in _methods(c).values():
            for method, path in fn.__dict__.get("__koatty_routes__", ()):
                routes.append((method, join_path(prefix, path), c, fn, prepared))
    app.emit("loadController")

    # loadRouter: routes compiled (argument extractors, aspects) and added to the table.
    for c in container.of_type("ASPECT"):
        container.get(c)
    for method, path, c, fn, prepared in routes:
        app.router.add(method, path, Route(app, c, fn, prepared))
    app.emit("loadRouter")

    for kind in SINGLETON_TYPES:
        for c in container.of_type(kind):
            obj = container.get(c)
            if id(obj) not in hooked:
                hook(obj)
                hooked.add(id(obj))
    handlers = container.of_type("EXCEPTION_HANDLER")
    if handlers:
        # Koatty: one global handler; the last registered wins.
        app.exception_handler = container.get(handlers[-1])
        if not callable(getattr(app.exception_handler, "handle", None)):
            raise TypeError(f"{koatty_name(handlers[-1])} needs a handle(self, ctx, exc) method")
    for name, obj in list(container.instances.items()):
        for attr, fn in _methods(type(obj)).items():
            spec = fn.__dict__.get("__koatty_scheduled__")
            if spec:
                expression, task_name = spec
                app.scheduled_tasks.append((task_name or f"{type(obj).__name__}.{attr}", expression,
                                            getattr(obj, attr)))
    # loadServe: servers are created by listen(), never here (serverless boots must open no socket).
    app.emit("loadServe")
    app.mark_ready()
    app.emit("appReady")
    return app


def run(App: Any, port: int | None = None, host: str | None = None, boot_func: Callable | None = None) -> Koatty:
    """Create the app, listen, block until SIGTERM/SIGINT, then stop gracefully (``appStop`` once)."""
    import signal
    import threading

    app = create_application(App, boot_func)
    server = app.listen(port, host)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    h, p = server.server_address[:2]
    print(f"koatty_lite: serving {type(app).__name__} on http://{h}:{p} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        app.stop()
    return app
