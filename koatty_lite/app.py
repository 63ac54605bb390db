"""The Koatty app: config, lifecycle events, bootstrap (create_application), listen() and run().

Routes and their arguments live in routes.py, the response side in output.py, the listen server
in server.py (loaded by listen() only).
"""
# PERF: modules imported, their names read where used (boot-time code) or bound once (per request): a
# `from x import y` of a module first asks x for __path__ (a failed lookup, ~8k instructions a statement), each
# `from . import` runs importlib's _handle_fromlist (~4k): one here (cold v2 GET -0.05M instructions)
import _thread
import functools  # why: free, `re` has loaded it (and types) already
import operator  # why: free, `re` (enum) has loaded it already
import os
import re
import types

from . import decorators as _dec, errors, log as _log, output, routes as _rt

EVENTS = _dec.EVENTS  # the lifecycle events in the order a boot emits them
_BODY_METHODS = dict.fromkeys(("POST", "PUT", "PATCH", "DELETE"))  # PERF: not a set (context.py)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .context import Context

DEFAULT_CONFIG = {
    # 6 MB: the largest synchronous AWS Lambda payload.
    "payload": {"limit": 6 * 1024 * 1024},
    "server": {"host": "127.0.0.1", "port": 3000, "serverless": False},
    "middleware": {"list": [], "config": {}},
    "plugin": {"list": [], "config": {}},
}

# Middleware that config["middleware"]["list"] may name without registering: name -> (module, class).
BUILTIN_MIDDLEWARE = {
    "Cors": ("koatty_lite.cors", "Cors"),
}

_first = operator.itemgetter(0)
_respond = None  # environ.respond (the PEP 3333 side), set by the app's first call as a WSGI callable
_PLACEHOLDER = r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}"  # compiled by re when a config uses ${...}


# --- Koa's onion, synchronous (was compose.py): ``fn(ctx, next)`` calls ``next()`` to run the rest ---

def _next(state: list) -> "Any":
    """The ``next`` passed to a middleware, bound to ``state`` = ``[chain, i, ctx]``: runs middleware ``i``
    (the one after the caller), once (``i`` is -1 once called).

    PERF: a bound method (types.MethodType over a list) per middleware per request, not an object of a
    class of ours: the class cost ~87k instructions at every cold start, and a bound method is called by
    the interpreter's fast path (no __call__ slot lookup).
    """
    chain, i, ctx = state
    if i < 0:
        raise RuntimeError("next() called multiple times")
    state[1] = -1
    middleware, endpoint = chain
    if i < len(middleware):
        return middleware[i](ctx, _bind(_next, [chain, i + 1, ctx]))
    return None if endpoint is None else endpoint(ctx)


_bind = types.MethodType


def _run(chain: tuple, ctx: "Any", next: "Callable | None" = None) -> "Any":
    """A composed chain called with ``ctx`` (``chain`` = ``(middleware, endpoint)``); with ``next``, as a
    middleware itself: the outer ``next()`` becomes the endpoint."""
    if next is not None:
        chain = chain[0], lambda c: next()
    middleware, endpoint = chain
    if middleware:
        return middleware[0](ctx, _bind(_next, [chain, 1, ctx]))
    return None if endpoint is None else endpoint(ctx)


def compose(middleware: list, endpoint: "Callable | None" = None) -> "Callable":
    """``fn(ctx, next)`` functions composed into one callable ``chain(ctx)`` (koa-compose, sync);
    ``endpoint(ctx)`` runs after the last one.

    PERF: a bound method of ``_run`` over a tuple, not an object of a class of ours (the Chain class cost
    ~0.1M instructions at every cold start; cold v2 GET -0.08M).
    """
    for fn in middleware:
        if not callable(fn):
            raise TypeError(f"middleware must be callable, got {fn!r}")
    return _bind(_run, (tuple(middleware), endpoint))


Chain = compose  # the composed chain's maker (a class before)


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


def fill_placeholders(value: "Any", environ: "Any" = None) -> "Any":
    """Replace ``${VAR}`` / ``${VAR:default}`` in every string of ``value`` (a missing VAR → default or "")."""
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        if "${" not in value:
            return value
        parts = re.split(_PLACEHOLDER, value)  # text, name, default, text, ...: PERF, no lambda (a code object)
        for i in range(1, len(parts), 3):
            parts[i], parts[i + 1] = environ.get(parts[i], parts[i + 1] or ""), ""
        return "".join(parts)
    # PERF: loops, not map(): 3.11 inlines a Python-to-Python call, not one from C (boot: 8.7 -> 2.3 us here)
    if isinstance(value, dict):
        out = {}
        for key in value:
            out[key] = fill_placeholders(value[key], environ)
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            out.append(fill_placeholders(item, environ))
        return out
    return value


def _section(config: dict, key: str) -> dict:
    """``config[key]`` when it is a dict (absent: ``{}``); anything else fails the boot with its name."""
    value = config.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"config {key} must be a dict, not {type(value).__name__}")
    return value


class Koatty:
    """Base class of an app: subclass it, list ``components``, set ``config`` and ``env_config``."""

    components: list = []
    config: dict = {}
    env_config: dict = {}

    def __init__(self):
        self.env = os.environ.get("KOATTY_ENV") or "development"
        self.container = _dec.Container(self)
        self.router = _rt.Router()
        self.scheduled_tasks = []
        self.exception_handler = None
        self.payload_limit = DEFAULT_CONFIG["payload"]["limit"]
        self._listeners = {}
        self._middleware = []
        self._ready = False
        self._handler = None
        self._chain = None
        self._stopped = False
        self._stop_lock = _thread.allocate_lock()
        self._server = None
        self._spans = None  # koatty_lite.tracing.Spans when the app turned trace.spans on (observe.py)
        self._drains = []  # server / scheduler stops, run before the appStop listeners
        # Why: the class attribute stays the declaration; the instance gets a private copy to merge into.
        self.config = deep_merge({}, type(self).config or {})
        init = getattr(self, "init", None)
        if callable(init):
            init()

    # --- events -------------------------------------------------------------------------------

    def on(self, event: str, fn: "Callable") -> "Koatty":
        """Call ``fn(app)`` each time ``event`` is emitted."""
        _dec.refuse_async(fn, f"listener {getattr(fn, '__qualname__', fn)!r} of {event!r}")
        self._listeners.setdefault(str(event), []).append((fn, False))
        return self

    def once(self, event: str, fn: "Callable") -> "Koatty":
        """Call ``fn(app)`` the next time ``event`` is emitted."""
        _dec.refuse_async(fn, f"listener {getattr(fn, '__qualname__', fn)!r} of {event!r}")
        self._listeners.setdefault(str(event), []).append((fn, True))
        return self

    def off(self, event: str, fn: "Callable | None" = None) -> "Koatty":
        """Remove ``fn`` (or every listener) from ``event``."""
        if fn is None:
            self._listeners.pop(event, None)
        else:
            self._listeners[event] = [p for p in self._listeners.get(event, []) if p[0] is not fn]
        return self

    def emit(self, event: str, *args: "Any") -> None:
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
        return [*map(_first, self._listeners.get(event, ()))]

    # --- config -------------------------------------------------------------------------------

    def get_config(self, key: "str | None" = None, default: "Any" = None) -> "Any":
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
        log = _section(self.config, "log")
        if log.get("level") or log.get("format"):
            # Why: before the components load, so boot lines already have the app's format and level.
            _log.configure(log.get("format"), log.get("level"))

    # --- registry -----------------------------------------------------------------------------

    def register(self, cls: type, name: "str | None" = None) -> type:
        """Register a decorated class by hand (e.g. from ``boot_func``)."""
        if self._ready:
            raise RuntimeError("components cannot be registered after the app is ready")
        return self.container.register(cls, name)

    def get(self, target: "Any") -> "Any":
        """The singleton for a class or registered name: how event handlers, ``boot_func`` and tests
        reach services (``app.get(UserService)``); raises InjectionError when it is not registered."""
        return self.container.get(target)

    def use(self, fn: "Callable") -> "Koatty":
        """Add an onion middleware ``fn(ctx, next)`` (runs outside the ``middleware.list`` ones)."""
        if self._ready:
            raise RuntimeError("middleware cannot be added after the app is ready")
        if not callable(fn):
            raise TypeError(f"middleware must be callable, got {fn!r}")
        _dec.refuse_async(fn, f"middleware {getattr(fn, '__qualname__', fn)!r}", "use a plain def fn(ctx, next)")
        self._middleware.append(fn)
        return self

    # --- readiness and the WSGI callable --------------------------------------------------------

    @functools.cached_property
    def logger(self) -> "Any":
        """``app.logger``: the ``Logger`` whose keys are on every line of the process (koatty_lite.logsetup,
        loaded by the first use). Not a data descriptor: an app that sets its own ``self.logger`` keeps it.
        PERF: functools' cached_property, not a class of ours (~70k instructions a class at every cold start)."""
        from .logsetup import app_logger

        return app_logger

    # PERF: operator.attrgetter getters (a code object fewer each at every cold start)
    is_ready = property(operator.attrgetter("_ready"), doc="True once ``create_application`` (or ``mark_ready``) finished.")

    def mark_ready(self) -> None:
        """Compose the middleware chain, freeze routes and middleware, and accept requests."""
        if self._ready:
            return
        settings, config = None, self.config
        log, metrics, trace = _section(config, "log"), _section(config, "metrics"), _section(config, "trace")
        if metrics:
            from .metrics import _app_settings  # an app that configures metrics uses them: check at boot

            _app_settings(self)
        # JSON logs, the request line, a built-in metric, spans or Server-Timing, turned on by the config or the
        # environment: only then is koatty_lite.observe loaded (docs/observability.md)
        if (_log.json_from_env() or str(log.get("format") or "").lower() == "json" or log.get("request")
                or metrics.get("cold_start") or metrics.get("latency") or trace.get("spans")
                or config.get("server_timing")):
            from .observe import install  # PERF: only an app that turns observability on loads it

            settings = install(self)
        self._chain = compose(list(self._middleware), self._endpoint)
        self.router.frozen = True
        self._handler = self  # PERF: the app is its own PEP 3333 callable (no WsgiApp made: cold GET -0.09M)
        if settings is not None:
            from .observe import ObservedWsgiApp

            self._handler = ObservedWsgiApp(self, settings)
        self._ready = True

    def get_request_handler(self, protocol: str = "http") -> "Callable":
        """The cached PEP 3333 callable (Koatty's ``getRequestHandler``; ``callback()``, Koa's name, is this method):
        the app itself, or the observed one."""
        if protocol != "http":
            raise ValueError(f"protocol {protocol!r} is not supported: koatty_lite serves HTTP only "
                             "(no grpc, ws or graphql servers in serverless)")
        if not self._ready:
            raise RuntimeError("Application is not ready: call create_application(App) first")
        return self._handler

    callback = get_request_handler  # Koa's callback(): the same cached callable (PERF: no code object of its own)

    def __call__(self, environ: dict, start_response: "Callable") -> "Any":
        """The app is itself a WSGI callable once ready."""
        global _respond
        handler = self.get_request_handler()  # the app, or observe's ObservedWsgiApp: environ.respond serves both
        if _respond is None:  # PERF: imported by the first call only (an import statement costs ~0.7 us a call:
            from .environ import respond as _respond  # a warm WSGI GET 7.7 -> 6.3 us, process_time best of 7)
        return _respond(handler, environ, start_response)

    koatty_answer = koatty_respond = output.koatty_answer  # output.koatty_answer: the serverless adapters' call

    def _endpoint(self, ctx: "Context") -> "Any":
        method, path = ctx.method, ctx.path
        found = ctx._route
        # Why: a middleware may have asked ctx.route already (then rewritten the path: look up again).
        if found is None or found[0] != method or found[1] != path:
            found = ctx._route = (method, path, self.router.lookup(method, path))
        handler, params, table, _ = found[2]
        if handler is None:
            if table is None:
                raise errors.HttpException("Not Found", 1, 404)
            allow = _rt.allowed(table)
            if method == "OPTIONS":
                ctx.set("Allow", allow)
                ctx.status = 204
                return None
            raise errors.HttpException("Method Not Allowed", 1, 405, headers={"Allow": allow})
        if params:
            # PERF: the parameters are pieces of the path: one C scan of it (isprintable), the values
            # looked at only when it holds an unusual character (GET /users/:id -0.5k instructions); a control
            # character (U+0000 to U+001F, or DEL) in one is a 400
            if not path.isprintable() and re.search("[\x00-\x1f\x7f]", "".join(params.values())):
                raise errors.HttpException("invalid path: control character in a path parameter", 1, 400)
        elif ctx.params:  # a static route's match has no params: the context's own empty dict stays
            params = {}
        else:
            params = ctx.params
        # Why: the body is parsed once a route will serve the request, before the controller runs, so
        # 413/400/415 come first; a 404/405 never pays for parsing a body (issue 12).
        if method in _BODY_METHODS and not ctx._body_loaded and ctx._req.has_body():
            ctx._load_body()
        ctx.params = params
        # PERF: a Route's __call__ read as a method, then called as a function (inlined by the interpreter), not
        # through the type's call slot (-0.6k instructions per request)
        return handler.__call__(ctx)

    def openapi(self) -> dict:
        """The OpenAPI 3.1 document of this ready app (routes, markers, DTOs, rules); see docs/openapi.md."""
        if not self._ready:
            raise RuntimeError("Application is not ready: call create_application(App) first")
        from .openapi import build

        return build(self)

    # --- serving --------------------------------------------------------------------------------

    def listen(self, port: "int | None" = None, host: "str | None" = None) -> "Any":
        """Serve on the stdlib HTTP/1.1 server (server.py: a selector loop and a bounded worker pool,
        tuned by the ``server.*`` config); return the server, already serving. As Koatty's (Node's)
        ``app.listen()``, the process then serves until ``stop()``, SIGTERM or SIGINT, even after the
        main module's last line (server.hold_process)."""
        from .server import listen  # PERF: a serverless boot never loads (nor ships) the listen server

        return listen(self, port, host)

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

    server = property(operator.attrgetter("_server"), doc="The server started by ``listen()``, or None.")


# --- bootstrap -----------------------------------------------------------------------------------


def create_application(App: "Any", boot_func: "Callable | None" = None) -> "Koatty":
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
    for component in list(getattr(cls, "components", None) or ()):
        app.container.register(component)
    hooked = set()
    for phase, event in BOOT_PHASES:
        phase(app, hooked)
        app.emit(event)
    _load_singletons(app, hooked)
    # loadServe: servers are created by listen(), never here (serverless boots must open no socket).
    app.emit("loadServe")
    app.mark_ready()
    app.emit("appReady")
    return app


def _hook(app: "Koatty", obj: "Any", hooked: set) -> None:
    """Subscribe ``obj``'s @OnEvent methods to the app's events (once per object)."""
    if id(obj) in hooked:
        return
    hooked.add(id(obj))
    for name, fn in app.container.members(type(obj))[1].items():
        events = fn.__dict__.get("__koatty_events__")
        if events:
            _dec.refuse_async(fn, f"@OnEvent method {type(obj).__name__}.{name}")
        for event in events or ():
            app.on(event, getattr(obj, name))


def _load_components(app: "Koatty", hooked: set) -> None:
    """loadComponent: plain components are created (with their dependencies) and hooked to events."""
    container = app.container
    for c in container.of_type("COMPONENT"):
        _hook(app, container.get(c), hooked)


def _configured(app: "Koatty", kind: str, section: str, decorator: str) -> list:
    """``[(name, options)]`` for ``config[section]["list"]`` (every registered ``kind`` when empty for
    plugins), enabled ones only; a name that is not a registered ``kind`` is a boot error."""
    container = app.container
    names = app.get_config(section + ".list")
    if not names and kind == "PLUGIN":
        names = [*map(_dec.koatty_name, container.of_type("PLUGIN"))]
    out = []
    for name in names or ():
        if name not in container.classes and kind == "MIDDLEWARE" and name in BUILTIN_MIDDLEWARE:
            module, attr = BUILTIN_MIDDLEWARE[name]
            # PERF: a built-in middleware's module is imported only by an app that lists it.
            container.register(getattr(__import__(module, fromlist=[attr]), attr))
        if name not in container.classes or _dec.koatty_type(container.classes[name]) != kind:
            raise _dec._injection_error(f"{section} {name!r} in config {section}.list is not a registered {decorator}")
        options = (app.get_config(section + ".config") or {}).get(name) or {}
        if options.get("enabled", True) is not False:
            out.append((name, options))
    return out


def _load_plugins(app: "Koatty", hooked: set) -> None:
    """loadPlugin: plugins run in config["plugin"]["list"] order (every registered plugin when empty)."""
    for name, options in _configured(app, "PLUGIN", "plugin", "@Plugin()"):
        plugin = app.container.get(name)
        _dec.refuse_async(getattr(plugin, "run", None), f"{name}.run", "use a plain def run(self, options, app)")
        plugin.run(options, app)


def _load_middleware(app: "Koatty", hooked: set) -> None:
    """loadMiddleware: config["middleware"]["list"] gives the order; options from middleware.config[name]."""
    for name, options in _configured(app, "MIDDLEWARE", "middleware", "@Middleware()"):
        middleware = app.container.get(name)
        _dec.refuse_async(getattr(middleware, "run", None), f"{name}.run", "use a plain def run(self, options, app)")
        fn = middleware.run(options, app)
        if not callable(fn):
            raise TypeError(f"middleware {name}.run(options, app) must return a function fn(ctx, next)")
        _dec.refuse_async(fn, f"middleware {name} (the function its run() returns)", "return a plain def fn(ctx, next)")
        app._middleware.append(fn)


def _load_services(app: "Koatty", hooked: set) -> None:
    """loadService: every service is created now, so a missing/circular dependency fails here."""
    for c in app.container.of_type("SERVICE"):
        app.container.get(c)


def _load_controllers(app: "Koatty", hooked: set) -> None:
    """loadController: injections resolved once per controller class; routes collected."""
    container = app.container
    routes = app._pending_routes = []
    for c in container.of_type("CONTROLLER"):
        prepared = container.prepare(c)
        prefix = c.__dict__.get("__koatty_path__", "")
        for attr, fn in container.members(c)[1].items():
            for marker, what in (("__koatty_scheduled__", "@Scheduled"), ("__koatty_events__", "@OnEvent")):
                if fn.__dict__.get(marker):
                    # Why: a controller is created per request, so nothing would ever call this method.
                    raise TypeError(f"{what} on controller method {c.__name__}.{attr}: controllers are created "
                                    f"per request; put it on a @Service() or @Component() method")
            for method, path in fn.__dict__.get("__koatty_routes__", ()):
                routes.append((method, _rt.join_path(prefix, path), c, fn, prepared))


def _load_router(app: "Koatty", hooked: set) -> None:
    """loadRouter: routes compiled (argument extractors, aspects) and added to the table."""
    container = app.container
    for c in container.of_type("ASPECT"):
        container.get(c)
    pending = app.__dict__.pop("_pending_routes", ())
    paths = {}  # fn -> every path it is mounted on
    for method, path, c, fn, prepared in pending:
        paths.setdefault(fn, []).append(path)
    for method, path, c, fn, prepared in pending:
        route = _rt.Route(app, c, fn, prepared)
        # A PathVariable must name a parameter of the route's path: without a default on every path it is
        # mounted on; with a default on at least one (else the name is a typo that never matches).
        names = _rt.path_params(path)
        for arg, extractor in route.extractors:
            if extractor.getter is not _rt._get_path or extractor.key in names:
                continue
            if extractor.default is not _dec._MISSING and extractor.key in sum(map(_rt.path_params, paths[fn]), []):
                continue  # mounted on several paths, optional where absent
            have = re.sub(r":wildcard\b", "* (wildcard)", ", ".join(map(":".__add__, names))) or "none"
            raise ValueError(f"{route.label}: argument {arg!r} is PathVariable({extractor.key!r}) but route "
                             f"{method} {path} has no parameter :{extractor.key} (its parameters: {have})")
        app.router.add(method, path, route)
    doc_path = app.get_config("openapi.path")
    if doc_path:
        app.router.add("GET", str(doc_path), _serve_openapi)


def _serve_openapi(ctx: "Context") -> None:
    """GET <config openapi.path>: the document, built on the first request (openapi.py loads only then)."""
    app = ctx.app
    doc = app.__dict__.get("_openapi_doc")
    if doc is None:
        doc = app._openapi_doc = app.openapi()
    ctx.body = doc


# The bootstrap after loadConfigure: each phase, then the lifecycle event it completes.
BOOT_PHASES = (
    (_load_components, "loadComponent"),
    (_load_plugins, "loadPlugin"),
    (_load_middleware, "loadMiddleware"),
    (_load_services, "loadService"),
    (_load_controllers, "loadController"),
    (_load_router, "loadRouter"),
)


def _load_singletons(app: "Koatty", hooked: set) -> None:
    """Every singleton hooked to events; the exception handler chosen; @Scheduled tasks collected."""
    container = app.container
    for kind in _dec.SINGLETON_TYPES:
        for c in container.of_type(kind):
            _hook(app, container.get(c), hooked)
    handlers = container.of_type("EXCEPTION_HANDLER")
    if handlers:
        # Koatty: one global handler; the last registered wins.
        app.exception_handler = container.get(handlers[-1])
        if not callable(getattr(app.exception_handler, "handle", None)):
            raise TypeError(f"{_dec.koatty_name(handlers[-1])} needs a handle(self, ctx, exc) method")
        _dec.refuse_async(app.exception_handler.handle, f"{_dec.koatty_name(handlers[-1])}.handle")
    for obj in list(container.instances.values()):
        for attr, fn in container.members(type(obj))[1].items():
            spec = fn.__dict__.get("__koatty_scheduled__")
            if spec:
                expression, task_name = spec
                _dec.refuse_async(fn, f"@Scheduled method {type(obj).__name__}.{attr}")
                app.scheduled_tasks.append((task_name or f"{type(obj).__name__}.{attr}", expression,
                                            getattr(obj, attr)))
    if app.scheduled_tasks:
        from .schedule import validate  # PERF: only apps with @Scheduled tasks load the parser

        validate(app)  # a typo fails the boot (and the deployment), not the first run at 2 a.m.



def run(App: "Any", port: "int | None" = None, host: "str | None" = None, boot_func: "Callable | None" = None) -> "Koatty":
    """Create the app, listen, block until SIGTERM/SIGINT, then stop gracefully (``appStop`` once)."""
    from .server import run as serve_until_stopped  # listen mode (slim packages: the listen feature)

    return serve_until_stopped(App, port, host, boot_func)
