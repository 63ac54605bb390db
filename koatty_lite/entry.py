"""``koatty_lite.handler()``: the cached serverless entry point (one app per process).

``handler = koatty_lite.handler(App)`` in the function's entry module boots the app once, while
the module is imported (the platform's init phase), and returns the function the platform calls:
``handler(event, context)`` for AWS Lambda, FC 3.0 and SCF, which is also FC 2.0's WSGI
``handler(environ, start_response)``. HTTP events go through the adapters of
``koatty_lite.serverless``; other events go to ``event_handlers[kind](event, context, app)`` or,
for schedules, to the matching ``@Scheduled`` task. See docs/handler.md.
"""
# PERF: `import x` and one `from . import` of the package's modules, their names read where used: a `from x import y`
# of a module (not a package) first asks it for __path__, a failed lookup that builds an AttributeError (~7k
# instructions; its __getattr__ runs when it has one), and each `from .package import` runs importlib's
# _handle_fromlist (with routes.py's: cold v2 GET -0.08M instructions)
import _thread
import operator
import os
import sys

__import__(__package__)._import(__package__ + ".serverless")  # PERF: the package's own loader, not the finders
from . import app as _app, errors as _errors, log as _log, serverless as _sv  # noqa: E402

_TCHARS, _request_id = _sv._TCHARS, _sv.context_request_id  # the invocation's id (foreign.py, kinds.py read them here)

__all__ = ["handler", "register_kind", "UnknownEventError", "UnhandledEventError", "HealthCheckError",
           "BatchResultError", "booted_apps"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_detect_of = operator.itemgetter(2)  # HttpFormat.detect
_BOOT_LOCK = _thread.RLock()
_APPS = {}  # App class -> booted app: one bootstrap per class per process, however many handler() calls
_SIGTERM_INSTALLED = [False]


def booted_apps() -> list:
    """The apps booted through ``handler()`` in this process (appStop runs on each at SIGTERM)."""
    return list(_APPS.values())


def _boot(App: "Any", boot_func: "Callable | None") -> "Koatty":
    """Boot ``App`` once per process (thread-safe); a failed boot is logged, raised and not cached."""
    app = _APPS.get(App)
    if app is not None:
        return app
    with _BOOT_LOCK:
        app = _APPS.get(App)
        if app is not None:
            return app
        try:
            if isinstance(App, _app.Koatty):
                app, fresh = App, not App.is_ready
            else:
                app, fresh = App(), True
            if fresh:  # PERF: the serverless mode set here, not in a helper (a code object fewer at import)
                # Why: loadServe creates no server (the plan's NoopServer); components and boot_func can read the flag.
                app.config = _app.deep_merge(app.config, {"server": {"serverless": True}})
                # Why: an env_config overlay merged at boot must not turn it off again.
                app.once("appBoot", lambda a: a.config.setdefault("server", {}).__setitem__("serverless", True))
                _app.create_application(app, boot_func)  # @Scheduled expressions are checked there
        except Exception:
            _log.get_logger().exception("bootstrap of %s failed; the next invocation tries again",
                                        getattr(App, "__name__", type(App).__name__))
            raise
        _APPS[App] = app
        _install_sigterm()
        return app


def _install_sigterm() -> None:
    """SIGTERM runs appStop once on every booted app, then lets the previous disposition act."""
    if _SIGTERM_INSTALLED[0]:
        return
    try:
        import _signal as signal  # PERF: the C module; `signal` builds enums at import (~0.4 ms cold start)
    except ImportError:  # pragma: no cover - an interpreter without it
        import signal
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: "Any") -> None:
            for app in booted_apps():
                app.stop()
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                # Why: restore the default action and re-deliver, so the process ends as it would have.
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: the platform's own shutdown applies
        return
    _SIGTERM_INSTALLED[0] = True


# PERF: map, not a generator expression (a code object fewer at import)
_BUILTIN_MODULES = tuple(map((__package__ + ".serverless.").__add__, _sv.BUILTIN_PLATFORMS))  # not a set (context.py)


_no_event = ().__contains__  # the detector of a handler without HTTP formats: claims nothing (PERF: no code object)


# A foreign WSGI app's guard, in koatty_lite/foreign.py (feature "foreign": a Koatty app's package leaves it out), loaded
# by the first handler() given one (PERF: 7 code objects off a Koatty app's cold start)
_guard = _sv._later(globals(), __package__ + ".foreign", "_guard")  # foreign._guard: the name it binds here


def _unavailable_run(environ: dict) -> tuple:
    """The 503 answered to an HTTP event when ``health_check`` fails, as a ``koatty_run`` (see _guard): the
    serverless formats answer it without run_wsgi (serverless/wsgi.py, which a slim package of a Koatty app
    leaves out)."""
    rid = environ.get("koatty.request_id")
    body = _errors.error_body(1, "Service Unavailable", None, rid)
    headers = [("Content-Type", _errors.JSON_TYPE), ("Content-Length", str(len(body))),
               ("Retry-After", "1")]
    if rid:
        headers.append(("X-Request-Id", rid))
    return "503 Service Unavailable", headers, body, None


def _unavailable(environ: dict, start_response: "Callable") -> list:
    """``_unavailable_run`` as a WSGI app (FC 2.0's call)."""
    status, headers, body, _ = _unavailable_run(environ)
    start_response(status, headers)
    return [body]


_unavailable.koatty_run = _unavailable_run


def _slow(h: "_Handler", event: "Any", context: "Any") -> "Any":
    """Bytes / str events (FC 3.0 JSON, Tablestore CBOR), a health check, a custom adapter."""
    from .serverless import _claim, _load, _serve  # PERF: serverless/http.py, off the HTTP cold start

    if type(event) is not dict:
        try:
            event = _load(event)  # FC 3.0 delivers the event as JSON bytes
        except ValueError as exc:
            try:
                from .kinds import undecoded  # PERF: rare (a Tablestore trigger's CBOR rows, a raw text message)
            except ImportError as missing:
                # why: a slim package without non-HTTP events (cli/slim.py): no Tablestore trigger or catch-all
                # either (one given ships it)
                if missing.name != __package__ + ".kinds" or h.fallback is not None:
                    raise
                from .serverless import UnknownEventError

                raise UnknownEventError(str(exc)) from None
            return undecoded(h, event, context, exc)
    healthy = h.health_check is None or _check(h, context)
    if h.custom is None:
        if type(event) is dict:
            for detect, fmt in h.table:
                if detect(event):
                    return _serve(fmt, h.wsgi if healthy else _unavailable, event, context, h.strip)
    elif not healthy:
        fmt = _claim(event, "auto")  # why: a custom adapter's HTTP event gets the 503 in its format's shape
        if fmt is not None:
            return _serve(fmt, _unavailable, event, context, "")
    if not healthy:
        from .serverless.http import HealthCheckError  # PERF: off the HTTP cold start

        raise HealthCheckError("health_check failed; the platform may retry this event")
    return _route(h, event, context)


def _check(h: "_Handler", context: "Any") -> bool:
    """Run ``health_check(app)``: False (logged) when it raised."""
    _log._state.request_id = _request_id(context)  # why: the failure's log line names the invocation
    try:
        h.health_check(h.app)
    except Exception:
        _log.get_logger().exception("health_check failed")
        return False
    return True


def _route(h: "_Handler", event: "Any", context: "Any") -> "Any":
    """A non-HTTP event (or one no HTTP format claimed): koatty_lite.kinds routes it. Its UnknownEventError
    says first that this package has no HTTP formats of the cloud it runs on (a slim package built with
    ``--platform`` for another cloud: its HTTP events reach no format) when that is so."""
    try:
        from .kinds import routed  # PERF: non-HTTP events only: off the HTTP cold path
    except ImportError as missing:
        # why: a slim function package (cli/slim.py) left out the non-HTTP half, so the app gave no event
        # handler, and an event no HTTP format claims is unhandled, as with the whole runtime (not an
        # ImportError about packaging)
        if missing.name != __package__ + ".kinds":
            raise
        from .serverless import UnknownEventError, _left_out_here

        keys = ", ".join(sorted(map(str, event))) if type(event) is dict else type(event).__name__
        exc = (f"no handler for this event (top-level keys: {keys or '(none)'}): pass event_handlers={{kind: "
               "fn(event, context, app)} to koatty_lite.handler() (this package has no non-HTTP events: "
               "package --with events)")
        missing = _left_out_here()  # as kinds.routed says it
        raise UnknownEventError(exc if missing is None else f"{missing}; the HTTP events of this cloud cannot be "
                                f"served ({exc})") from None
    return routed(h, event, context)


def _checked_options(target: "Any", event_handlers: "dict | None", health_check: "Callable | None") -> tuple:
    """handler()'s arguments checked at once (a mistake fails the import, not the first event): ``(event
    handlers, True when target is a Koatty app or app class)``."""
    event_handlers = dict(event_handlers or {})
    for kind, fn in event_handlers.items():
        if not callable(fn):
            raise TypeError(f"event_handlers[{kind!r}] must be callable fn(event, context, app)")
    if health_check is not None and not callable(health_check):
        raise TypeError("health_check must be callable fn(app)")
    is_app = isinstance(target, _app.Koatty) or (isinstance(target, type) and issubclass(target, _app.Koatty))
    if not is_app and (isinstance(target, type) or not callable(target)):
        raise TypeError(f"handler() takes a Koatty app class, a created app or a WSGI callable, not {target!r}")
    return event_handlers, is_app


class _Handler:
    """What ``handler()`` returns: ``__call__(event, context)`` serves one invocation; ``initialize``,
    ``pre_stop`` and ``get_app`` are FC's hooks and the app; ``platform`` and ``adapter`` as given."""

    # PERF: no __slots__: one instance per process, and a class without them is made for less at import
    # (the cold start -0.05M instructions); its attributes are read as fast

    def __init__(self, target: "Any", platform: str, adapter: "Any", boot_func: "Callable | None",
                 event_handlers: "dict | None", health_check: "Callable | None"):
        if adapter is None or platform != "auto":  # why: "auto" beside an adapter would load every cloud
            _sv._formats(platform)  # a ValueError naming the registered platforms when unknown
        event_handlers, self.is_app = _checked_options(target, event_handlers, health_check)
        self.fallback = event_handlers.pop("*", None)  # the catch-all (docs/handler.md)
        self.event_handlers = event_handlers
        self.health_check = health_check
        self.target, self.boot_func, self.adapter = target, boot_func, adapter
        # custom: a user adapter whose own handler(event, context) serves HTTP events
        self.strip, self.custom = "", adapter
        if adapter is not None:
            if not callable(getattr(adapter, "create_handler", None)):
                raise TypeError("adapter must have create_handler(app) (see koatty_lite.serverless.ServerlessAdapter)")
            # why: an instance of ServerlessAdapter means serverless/wsgi.py is loaded (a slim package may not have it)
            ServerlessAdapter = getattr(sys.modules.get(__package__ + ".serverless.wsgi"), "ServerlessAdapter", None)
            if ServerlessAdapter is not None and isinstance(adapter, ServerlessAdapter) and \
                    type(adapter).create_handler is ServerlessAdapter.create_handler:
                # PERF: a built-in adapter takes the fast path
                platform, self.strip, self.custom = adapter.platform, adapter.strip_base_path, None
        self.custom_handler = None
        self.platform = platform
        # PERF: (detect, format) pairs: the per-event loop calls detectors without reading the record.
        formats = _sv._formats(platform)  # PERF: its records read by index: no HttpFormat class made
        self.table = tuple(zip(map(_detect_of, formats), formats))  # PERF: no generator (a code object fewer)
        if not self.table:
            from .serverless import _left_out_here

            if _left_out_here():  # a slim package deployed on another cloud: say so at init
                _log.get_logger().warning("%s: its HTTP events will not be served", _left_out_here())
        self.fast = health_check is None and self.custom is None
        self.served = ()  # (detect, serve(event, context)) per format, made by load() for the app
        self.last = self.sticky = None  # the built-in format that claimed the last event; see _claimed
        self.app = self.wsgi = None

    def load(self, context: "Any" = None) -> "Any":
        """Boot the app (or guard the WSGI callable) once; returns the WSGI callable. Also FC's initializer hook
        (``initialize(context)``): a no-op once booted."""
        wsgi = self.wsgi
        if wsgi is not None:
            return wsgi
        if self.is_app:
            app = _boot(self.target, self.boot_func)
            wsgi = app.get_request_handler()
        else:
            app, wsgi = self.target, _guard(self.target)
        if self.custom is not None and self.custom_handler is None:
            self.custom_handler = self.custom.create_handler(wsgi)
        served = []
        for detect, fmt in self.table:  # PERF: a loop, not a generator (a code object fewer)
            served.append((detect, _sv.server(fmt, wsgi, self.strip)))
        self.served = served = tuple(served)
        # why: the leading built-in formats exclude each other (tests/test_serverless_sticky.py), so the
        # one that claimed the last event may be asked first; a format registered ahead of them may not
        # (one cloud's: off a cloud every cloud loads, and formats of two clouds may both claim an event)
        lead = 0
        first = getattr(self.table[0][0], "__module__", None) if self.table else None
        for detect, _ in self.table:
            if getattr(detect, "__module__", None) != first or first not in _BUILTIN_MODULES:
                break
            lead += 1
        self.sticky = served[:lead]
        self.last = self.sticky[0] if lead else (_no_event, None)
        self.app, self.wsgi = app, wsgi
        return wsgi

    def __call__(self, event: "Any", context: "Any" = None) -> "Any":
        """Serve one platform event (or one FC 2.0 WSGI request)."""
        # PERF: the common case (a dict HTTP event, no health check, no custom adapter) reads four
        # slots and runs the detectors; everything else is in _slow. The entry's own dispatch (adapter
        # and app stubbed, timeit A/B in one process) is as fast as the closure it replaced: REST v1
        # 332 vs 335 ns, HTTP v2 378 vs 382 ns, ALB 539 vs 529 ns, FC 3.0 bytes 5.82 vs 5.90 µs.
        wsgi = self.wsgi
        if wsgi is None:
            wsgi = self.load()
        if type(event) is dict:
            if "REQUEST_METHOD" in event and callable(context):  # FC 2.0's WSGI call handler(environ, start_response)
                fc_context = event.get("fc.context")
                event.setdefault("koatty.platform", "alicloud")
                event.setdefault("koatty.event_kind", "fc2-wsgi")
                event.setdefault("koatty.context", fc_context)
                rid = _request_id(fc_context)
                if rid is not None:
                    event.setdefault("koatty.request_id", str(rid))
                if self.health_check is not None and not _check(self, fc_context):
                    return _unavailable(event, context)
                return wsgi(event, context)  # PERF: here, not in a helper (a code object fewer at import)
            if self.fast:
                detect, serve = self.last
                if detect(event):
                    return serve(event, context)
                return self._claimed(event, context)
        return _slow(self, event, context)

    def _claimed(self, event: dict, context: "Any") -> "Any":
        """An HTTP event the last claimant did not claim, served by the format that claims it (remembered
        when it is one of the leading built-in formats: a function mostly receives one kind; PERF: an ALB
        event skips three detectors, -5k instructions per call), or a non-HTTP event routed."""
        for pair in self.served:
            if pair[0](event):
                if pair in self.sticky:
                    self.last = pair
                return pair[1](event, context)
        return _route(self, event, context)

    initialize = load  # FC's initializer hook (PERF: a code object fewer at every cold start)

    def pre_stop(self, context: "Any" = None) -> None:
        """FC's pre-stop hook: run appStop (once)."""
        if isinstance(self.app, _app.Koatty):
            self.app.stop()

    def get_app(self) -> "Any":
        """The booted app (or the WSGI callable given), booting it first when lazy."""
        self.load()
        return self.app


def handler(target: "Any", platform: str = "auto", adapter: "ServerlessAdapter | None" = None,
            boot_func: "Callable | None" = None, event_handlers: "dict | None" = None,
            health_check: "Callable | None" = None, lazy: bool = False) -> "Callable":
    """The function the platform calls, for a Koatty app class, a created app, or any WSGI callable.

    platform: "auto" (detect from each event), "aws", "alicloud" or "tencent"; ``adapter`` (a
    ``ServerlessAdapter``) overrides it. ``boot_func(app)`` runs before the components load.
    ``event_handlers``: {kind: fn(event, context, app)} for non-HTTP events; ``"*"`` receives every
    event nothing else takes (instead of ``UnknownEventError`` / ``UnhandledEventError``). ``health_check(app)``
    runs before each invocation. ``lazy=True`` boots on the first invocation instead of now.
    """
    entry = _Handler(target, platform, adapter, boot_func, event_handlers, health_check)
    if not lazy:
        entry.load()
    return entry


def __getattr__(name: str) -> "Any":
    """Names of the non-HTTP half (koatty_lite.kinds), loaded on first use: ``register_kind``,
    ``UnhandledEventError``, ``BatchResultError``, ``RESULT_SHAPERS``, ``DEFAULT_RUNNERS``, ``_schedule_names``;
    ``UnknownEventError``, ``HealthCheckError`` (serverless/http.py)."""
    if name in ("register_kind", "UnhandledEventError", "BatchResultError", "RESULT_SHAPERS", "DEFAULT_RUNNERS",
                "_schedule_names"):
        from . import kinds

        return getattr(kinds, name)
    if name in ("UnknownEventError", "HealthCheckError"):  # PERF: defined by serverless/http.py, off the cold start
        from .serverless import http

        return getattr(http, name)
    raise AttributeError(f"module 'koatty_lite.entry' has no attribute {name!r}")
