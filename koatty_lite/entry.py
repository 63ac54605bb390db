"""``koatty_lite.handler()``: the cached serverless entry point (one app per process).

``handler = koatty_lite.handler(App)`` in the function's entry module boots the app once, while
the module is imported (the platform's init phase), and returns the function the platform calls:
``handler(event, context)`` for AWS Lambda, FC 3.0 and SCF, which is also FC 2.0's WSGI
``handler(environ, start_response)``. HTTP events go through the adapters of
``koatty_lite.serverless``; other events go to ``event_handlers[kind](event, context, app)`` or,
for schedules, to the matching ``@Scheduled`` task. See docs/handler.md.
"""
from __future__ import annotations

import os
import sys
from _thread import RLock

from . import log as _log
from .app import Koatty, create_application, deep_merge
from .errors import error_body
from .serverless import ServerlessAdapter, UnknownEventError, _load, _serve, detect_http, formats_for, serve_http

__all__ = ["handler", "UnknownEventError", "UnhandledEventError", "HealthCheckError", "BatchResultError",
           "booted_apps"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_BOOT_LOCK = RLock()
_APPS = {}  # App class -> booted app: one bootstrap per class per process, however many handler() calls
_SIGTERM_INSTALLED = [False]


class UnhandledEventError(UnknownEventError):
    """A known non-HTTP event kind (e.g. "sqs") with no handler: raised so the platform retries it."""


class HealthCheckError(RuntimeError):
    """``health_check(app)`` failed before a non-HTTP event: raised so the platform retries it."""


class BatchResultError(TypeError):
    """An ``sqs`` handler returned something other than the failed messages' ids: raised (the whole
    batch is retried) rather than answering ``batchItemFailures`` the platform cannot match."""


def _batch_failures(result: Any) -> dict:
    """The SQS partial batch response for the ids of the failed messages."""
    failures = []
    for item in result:
        if not isinstance(item, str):
            got = "records" if isinstance(item, dict) else f"a {type(item).__name__}"
            raise BatchResultError(f"the sqs event handler returned {got} instead of message ids: return the "
                                   f"failed messages' ids, e.g. [record[\"messageId\"] for record in failed]")
        failures.append({"itemIdentifier": item})
    return {"batchItemFailures": failures}


def booted_apps() -> list:
    """The apps booted through ``handler()`` in this process (appStop runs on each at SIGTERM)."""
    return list(_APPS.values())


def _boot(App: Any, boot_func: Callable | None) -> Koatty:
    """Boot ``App`` once per process (thread-safe); a failed boot is logged, raised and not cached."""
    app = _APPS.get(App)
    if app is not None:
        return app
    with _BOOT_LOCK:
        app = _APPS.get(App)
        if app is not None:
            return app
        try:
            if isinstance(App, Koatty):
                app = App
                if not app.is_ready:
                    _serverless_mode(app)
                    create_application(app, boot_func)
            else:
                app = App()
                _serverless_mode(app)
                create_application(app, boot_func)  # @Scheduled expressions are checked there
        except Exception:
            _log.get_logger().exception("bootstrap of %s failed; the next invocation tries again",
                                        getattr(App, "__name__", type(App).__name__))
            raise
        _APPS[App] = app
        _install_sigterm()
        return app


def _serverless_mode(app: Koatty) -> None:
    # Why: loadServe creates no server (the plan's NoopServer); components and boot_func can read the flag.
    app.config = deep_merge(app.config, {"server": {"serverless": True}})
    # Why: an env_config overlay merged at boot must not turn it off again.
    app.once("appBoot", lambda a: a.config.setdefault("server", {}).__setitem__("serverless", True))


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

        def on_sigterm(signum: int, frame: Any) -> None:
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


def _guard(wsgi_app: Callable) -> Callable:
    """Wrap a foreign WSGI app: X-Request-Id on every response, a JSON 500 instead of a crash."""

    def app(environ: dict, start_response: Callable) -> Any:
        rid = environ.get("koatty.request_id") or os.urandom(8).hex()
        started = []

        def respond(status: str, headers: list, exc_info: Any = None) -> Callable:
            started.append(status)
            if not any(name.lower() == "x-request-id" for name, _ in headers):
                headers = list(headers) + [("X-Request-Id", rid)]
            return start_response(status, headers, exc_info)

        try:
            result = wsgi_app(environ, respond)
            try:
                # why: a body generator may fail (or call start_response) while iterated: do it here
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if not started:  # why: a PEP 3333 violation is the app's fault: the JSON 500, not a crash
                raise RuntimeError("the WSGI app returned a body without calling start_response()")
            return [body]
        except Exception:
            # Why: method and path are the client's: escaped, so a %0A cannot write a fake log line.
            _log.get_logger().exception("unhandled exception in %s", _log.printable(
                f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"))
            body = error_body(1, "Internal Server Error", None, rid)
            start_response("500 Internal Server Error",
                           [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(body))), ("X-Request-Id", rid)], sys.exc_info())
            return [body]

    return app


def _unavailable(environ: dict, start_response: Callable) -> list:
    """The 503 answered to an HTTP event when ``health_check`` fails."""
    rid = environ.get("koatty.request_id")
    body = error_body(1, "Service Unavailable", None, rid)
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body))),
               ("Retry-After", "1")]
    if rid:
        headers.append(("X-Request-Id", rid))
    start_response("503 Service Unavailable", headers)
    return [body]


def _request_id(context: Any) -> str | None:
    if context is None:
        return None
    return getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)


def _schedule_names(event: dict) -> list:
    """Names a scheduled event may give its task: rule name, trigger name, a ``task`` field."""
    names = []
    task = event.get("task")
    if isinstance(task, str):
        names.append(task)
    resources = event.get("resources")
    for arn in resources if isinstance(resources, list) else ():  # EventBridge: arn:aws:events:r:a:rule[/bus]/NAME
        if isinstance(arn, str) and ":rule/" in arn:
            names.append(arn.rsplit("/", 1)[-1])
    for key in ("triggerName", "TriggerName"):
        if isinstance(event.get(key), str):
            names.append(event[key])
    for key in ("payload", "Message"):  # FC timer payload / SCF timer message: a name or {"task": ...}
        value = event.get(key)
        if isinstance(value, str) and value:
            if value[:1] == "{":
                try:
                    import json

                    inner = json.loads(value)
                except (ValueError, RecursionError):  # why: a deeply nested payload is just not a task name
                    continue
                if isinstance(inner, dict) and isinstance(inner.get("task"), str):
                    names.append(inner["task"])
            else:
                names.append(value)
    return names


def _cbor_map(event: Any) -> dict | None:
    """A CBOR-encoded map (Alibaba Tablestore triggers) decoded, else None."""
    if not isinstance(event, (bytes, bytearray)) or not event or not 0xA0 <= event[0] <= 0xBF:
        return None
    from .serverless.cbor import loads  # PERF: only a non-JSON event that starts like a CBOR map loads it

    try:
        value = loads(event)
    except ValueError:
        return None
    return value if type(value) is dict else None


def handler(target: Any, platform: str = "auto", adapter: ServerlessAdapter | None = None,
            boot_func: Callable | None = None, event_handlers: dict | None = None,
            health_check: Callable | None = None, lazy: bool = False) -> Callable:
    """The function the platform calls, for a Koatty app class, a created app, or any WSGI callable.

    platform: "auto" (detect from each event), "aws", "alicloud" or "tencent"; ``adapter`` (a
    ``ServerlessAdapter``) overrides it. ``boot_func(app)`` runs before the components load.
    ``event_handlers``: {kind: fn(event, context, app)} for non-HTTP events; ``"*"`` receives every
    event nothing else takes (instead of ``UnknownEventError`` / ``UnhandledEventError``). ``health_check(app)``
    runs before each invocation. ``lazy=True`` boots on the first invocation instead of now.
    """
    formats_for(platform)  # a ValueError naming the registered platforms when unknown
    event_handlers = dict(event_handlers or {})
    for kind, fn in event_handlers.items():
        if not callable(fn):
            raise TypeError(f"event_handlers[{kind!r}] must be callable fn(event, context, app)")
    fallback = event_handlers.pop("*", None)  # the catch-all (docs/handler.md)
    if health_check is not None and not callable(health_check):
        raise TypeError("health_check must be callable fn(app)")
    is_app = isinstance(target, Koatty) or (isinstance(target, type) and issubclass(target, Koatty))
    if not is_app and (isinstance(target, type) or not callable(target)):
        raise TypeError(f"handler() takes a Koatty app class, a created app or a WSGI callable, not {target!r}")

    strip = ""
    custom = None  # a user adapter's own handler(event, context) for HTTP events
    if adapter is not None:
        if not callable(getattr(adapter, "create_handler", None)):
            raise TypeError("adapter must have create_handler(app) (see koatty_lite.serverless.ServerlessAdapter)")
        if isinstance(adapter, ServerlessAdapter) and type(adapter).create_handler is ServerlessAdapter.create_handler:
            platform = adapter.platform  # PERF: a built-in adapter runs on the shared fast path below
            strip = adapter.strip_base_path
        else:
            custom = [adapter, None]
    # PERF: (detect, format) pairs: the per-event loop calls detectors without reading the record.
    table = [(fmt.detect, fmt) for fmt in formats_for(platform)]

    state = [None, None]  # [app or WSGI callable, WSGI callable]

    def load() -> tuple:
        app, wsgi = state
        if wsgi is not None:
            return app, wsgi
        if is_app:
            app = _boot(target, boot_func)
            wsgi = app.get_request_handler()
        else:
            app, wsgi = target, _guard(target)
        if custom is not None and custom[1] is None:
            custom[1] = custom[0].create_handler(wsgi)
        state[0], state[1] = app, wsgi
        return app, wsgi

    if not lazy:
        load()

    def check(app: Any, context: Any) -> bool:
        _log._state.request_id = _request_id(context)  # why: the failure's log line names the invocation
        try:
            health_check(app)
        except Exception:
            _log.get_logger().exception("health_check failed")
            return False
        return True

    def serverless_handler(event: Any, context: Any = None) -> Any:
        """Serve one platform event (or one FC 2.0 WSGI request)."""
        app, wsgi = state if state[1] is not None else load()
        if callable(context) and type(event) is dict and "REQUEST_METHOD" in event:
            return _fc2(app, wsgi, event, context)
        if type(event) is not dict:
            try:
                event = _load(event)  # FC 3.0 delivers the event as JSON bytes
            except ValueError as exc:
                decoded = _cbor_map(event)  # a Tablestore trigger's rows are CBOR, not JSON
                if decoded is not None:
                    event = decoded
                elif fallback is None:
                    raise UnknownEventError(str(exc)) from None
                else:
                    if health_check is not None and not check(app, context):
                        raise HealthCheckError("health_check failed; the platform may retry this event") from None
                    return _fallback(app, event, context)  # e.g. an MNS STREAM message: its raw text
        healthy = health_check is None or check(app, context)
        if custom is None:
            # PERF: the HTTP detectors run first: the common case is one dict lookup chain away.
            if type(event) is dict:
                for detect, fmt in table:
                    if detect(event):
                        return _serve(fmt, wsgi if healthy else _unavailable, event, context, strip)
        elif not healthy and detect_http(event):
            return serve_http(_unavailable, event, context)
        if not healthy:
            raise HealthCheckError("health_check failed; the platform may retry this event")
        return _route(app, event, context)

    def _route(app: Any, event: Any, context: Any) -> Any:
        from .serverless.events import detect_event_source  # PERF: non-HTTP events only; off the cold path

        try:
            kind = detect_event_source(event)
        except UnknownEventError:
            if custom is not None:
                return custom[1](event, context)
            if type(event) is dict and isinstance(event.get("task"), str) and getattr(app, "scheduled_tasks", None):
                kind = "scheduled"  # why: EventBridge Scheduler / a manual run with {"task": name} as input
            elif fallback is None:
                raise
            else:
                kind = None
        if kind is None:  # why outside the except: the catch-all's own failure is not chained to it
            return _fallback(app, event, context)
        if kind == "http":
            if custom is not None:
                return custom[1](event, context)
            raise UnknownEventError(f"an HTTP event of kind {detect_http(event)!r} reached a handler for "
                                    f"platform {platform!r}; use platform='auto' or the right platform")
        fn = event_handlers.get(kind)
        previous = _log.enter(_request_id(context))
        try:
            if fn is not None:
                try:
                    result = fn(event, context, app)
                except Exception:
                    _log.get_logger().exception("event handler for %r events failed; the platform may retry", kind)
                    raise
                if kind == "sqs" and isinstance(result, (list, tuple, set, frozenset)):
                    # SQS partial batch response: only the failed messages come back.
                    return _batch_failures(result)
                return result
            if kind == "scheduled" and getattr(app, "scheduled_tasks", None):
                from .schedule import find_task

                names = _schedule_names(event)
                task = find_task(app, names)
                if task is None:
                    known = ", ".join(t[0] for t in app.scheduled_tasks)
                    raise UnhandledEventError(f"scheduled event names no known task (names in the event: "
                                              f"{', '.join(names) or 'none'}; tasks: {known})")
                try:
                    return task[2]()
                except Exception:
                    _log.get_logger().exception("@Scheduled task %s failed; the platform may retry", task[0])
                    raise
            if custom is not None:
                return custom[1](event, context)
        finally:
            _log.leave(previous)
        if fallback is not None:  # why: "*" is the catch-all: known kinds without a handler of their own too
            return _fallback(app, event, context)
        raise UnhandledEventError(f"no handler for {kind!r} events: pass "
                                  f"event_handlers={{{kind!r}: fn(event, context, app)}} to koatty_lite.handler()")

    def _fallback(app: Any, event: Any, context: Any) -> Any:
        """event_handlers["*"]: any event no adapter, kind handler or @Scheduled task took."""
        previous = _log.enter(_request_id(context))
        try:
            return fallback(event, context, app)
        except Exception:
            _log.get_logger().exception("event handler '*' failed; the platform may retry")
            raise
        finally:
            _log.leave(previous)

    def _fc2(app: Any, wsgi: Callable, environ: dict, start_response: Callable) -> Any:
        fc_context = environ.get("fc.context")
        environ.setdefault("koatty.platform", "alicloud")
        environ.setdefault("koatty.event_kind", "fc2-wsgi")
        environ.setdefault("koatty.context", fc_context)
        rid = _request_id(fc_context)
        if rid is not None:
            environ.setdefault("koatty.request_id", str(rid))
        if health_check is not None and not check(app, fc_context):
            return _unavailable(environ, start_response)
        return wsgi(environ, start_response)

    def initialize(context: Any = None) -> None:
        """FC's initializer hook: boot the app now (a no-op once booted)."""
        load()

    def pre_stop(context: Any = None) -> None:
        """FC's pre-stop hook: run appStop (once)."""
        app = state[0]
        if isinstance(app, Koatty):
            app.stop()

    def get_app() -> Any:
        """The booted app (or the WSGI callable given), booting it first when lazy."""
        return load()[0]

    serverless_handler.initialize = initialize
    serverless_handler.pre_stop = pre_stop
    serverless_handler.get_app = get_app
    serverless_handler.platform = platform
    serverless_handler.adapter = adapter
    return serverless_handler
