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

__all__ = ["handler", "register_kind", "UnknownEventError", "UnhandledEventError", "HealthCheckError",
           "BatchResultError", "booted_apps"]

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


_RANDOM = []  # [getrandbits] once an id was made: _random (C) loads only when a request has no id


def _new_request_id() -> str:
    """16 hex digits for a request without an id (no context, no event id): what os.urandom(8).hex()
    gave, from a generator seeded by os.urandom (PERF: 0.70 -> 0.13 µs; reseeded in a forked child)."""
    if not _RANDOM:
        from _random import Random

        rng = Random()  # why: seeded from os.urandom
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=rng.seed)  # why: a forked child must not repeat the parent's ids
        _RANDOM.append(rng.getrandbits)
    return _RANDOM[0](64).to_bytes(8, "big").hex()


def _guard(wsgi_app: Callable) -> Callable:
    """Wrap a foreign WSGI app: X-Request-Id on every response, a JSON 500 instead of a crash.

    The wrapper's ``koatty_run(environ) -> (status, headers, body)`` is the same as running it through
    ``serverless.run_wsgi``, in one frame: what the serverless formats call (PERF: 19.2k -> ~8k instructions
    per request, a REST v1 GET of a bare WSGI app).
    """

    def app(environ: dict, start_response: Callable) -> Any:
        rid = environ.get("koatty.request_id") or _new_request_id()
        started = []

        def respond(status: str, headers: list, exc_info: Any = None) -> Callable:
            started.append(status)
            return start_response(status, _with_id(headers, rid), exc_info)

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
            _log_crash(environ)
            body = error_body(1, "Internal Server Error", None, rid)
            start_response("500 Internal Server Error", _crash_headers(body, rid), sys.exc_info())
            return [body]

    def run(environ: dict) -> tuple:
        rid = environ.get("koatty.request_id") or _new_request_id()
        head = []  # [status, headers] once start_response was called
        written = []  # write()'s chunks: once there are any, the headers count as sent (PEP 3333 exc_info)

        def write(data: bytes) -> None:
            if data:
                written.append(bytes(data))

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            headers = _with_id(headers, rid)
            if exc_info:
                try:
                    if written:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None  # why: break the traceback cycle (PEP 3333)
            elif head:
                raise AssertionError("start_response() called twice without exc_info")
            if type(status) is not str:
                raise TypeError("status must be str")
            head[:] = status, headers
            return write

        try:
            result = wsgi_app(environ, start_response)
            if type(result) is list:
                body = b"".join(result)  # PERF: a list has no close(); one bytes chunk is returned as it is
            else:
                body = _drain(result)
            if not head:  # why: a PEP 3333 violation is the app's fault: the JSON 500, not a crash
                raise RuntimeError("the WSGI app returned a body without calling start_response()")
        except Exception:
            _log_crash(environ)
            if written:
                raise  # why: body bytes were written: the 500 can no longer replace the headers
            body = error_body(1, "Internal Server Error", None, rid)
            return "500 Internal Server Error", _crash_headers(body, rid), body
        return head[0], head[1], (b"".join(written) + body) if written else body

    app.koatty_run = run
    return app


def _with_id(headers: Any, rid: str) -> list:
    """A foreign app's header pairs as a new list, with X-Request-Id unless the app set one."""
    for name, _ in headers:
        # PERF: only a 12-character name can be X-Request-Id: no lower() for the others
        if len(name) == 12 and name.lower() == "x-request-id":
            return list(headers)
    return [*headers, ("X-Request-Id", rid)]


def _drain(result: Any) -> bytes:
    """A WSGI result iterable joined, then closed (PEP 3333), whatever the iteration raised."""
    try:
        # why: a body generator may fail (or call start_response) while iterated: do it here
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _log_crash(environ: dict) -> None:
    # Why: method and path are the client's: escaped, so a %0A cannot write a fake log line.
    _log.get_logger().exception("unhandled exception in %s", _log.printable(
        f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"))


def _crash_headers(body: bytes, rid: str) -> list:
    return [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body))),
            ("X-Request-Id", rid)]


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


def _sqs_result(result: Any) -> Any:
    """SQS partial batch response: a handler returning ids answers only the failed messages."""
    if isinstance(result, (list, tuple, set, frozenset)):
        return _batch_failures(result)
    if isinstance(result, dict) and "messageId" in result and "batchItemFailures" not in result:
        # why: one record returned as it is reads to SQS as "all succeeded": the failed message is lost
        raise BatchResultError("the sqs event handler returned a record instead of message ids: return the "
                               "failed messages' ids, e.g. [record[\"messageId\"]]")
    return result


# kind -> shape(result): what an event handler returns, as that trigger's platform reads it back.
RESULT_SHAPERS = {"sqs": _sqs_result}


def register_kind(name: str, detect: Callable[[dict], bool], *,
                  shape_result: Callable[[Any], Any] | None = None) -> None:
    """Teach ``detect_event_source`` and ``handler()`` a non-HTTP event kind: one registration, no core edit.

    ``detect(event)`` is asked about a dict event that no HTTP format and no built-in kind claimed
    (kinds registered later are asked later); ``shape_result(result)``, when given, turns what the
    kind's event handler returns into what its platform reads back (as ``sqs`` turns message ids into
    a partial batch response). The kind's events then reach ``event_handlers[name]``.
    """
    from .serverless.events import KINDS, SHAPE_KINDS, EventKind  # PERF: only an app registering a kind loads it

    if not isinstance(name, str) or not name:
        raise TypeError("register_kind(name, ...): name must be a non-empty str")
    if not callable(detect) or (shape_result is not None and not callable(shape_result)):
        raise TypeError(f"register_kind({name!r}, ...): detect and shape_result must be callable")
    if name in SHAPE_KINDS or any(kind.name == name for kind in KINDS):
        raise ValueError(f"event kind {name!r} is already known: pick another name, or handle its events "
                         f"with event_handlers={{{name!r}: fn(event, context, app)}}")
    KINDS.append(EventKind(name, detect))
    if shape_result is not None:
        RESULT_SHAPERS[name] = shape_result


def _run_scheduled(app: Any, event: Any) -> Any:
    """A schedule with no event handler runs the ``@Scheduled`` task its event names."""
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


# kind -> (applies(app), run(app, event)): what a kind without an event handler of its own runs.
DEFAULT_RUNNERS = {"scheduled": (lambda app: bool(getattr(app, "scheduled_tasks", None)), _run_scheduled)}


def _checked_options(target: Any, event_handlers: dict | None, health_check: Callable | None) -> dict:
    """handler()'s arguments checked at once (a mistake fails the import, not the first event)."""
    event_handlers = dict(event_handlers or {})
    for kind, fn in event_handlers.items():
        if not callable(fn):
            raise TypeError(f"event_handlers[{kind!r}] must be callable fn(event, context, app)")
    if health_check is not None and not callable(health_check):
        raise TypeError("health_check must be callable fn(app)")
    is_app = isinstance(target, Koatty) or (isinstance(target, type) and issubclass(target, Koatty))
    if not is_app and (isinstance(target, type) or not callable(target)):
        raise TypeError(f"handler() takes a Koatty app class, a created app or a WSGI callable, not {target!r}")
    return event_handlers


def _adapter_mode(adapter: Any, platform: str) -> tuple:
    """``(platform, strip_base_path, custom adapter or None)`` for handler()'s ``adapter``."""
    if adapter is None:
        return platform, "", None
    if not callable(getattr(adapter, "create_handler", None)):
        raise TypeError("adapter must have create_handler(app) (see koatty_lite.serverless.ServerlessAdapter)")
    if isinstance(adapter, ServerlessAdapter) and type(adapter).create_handler is ServerlessAdapter.create_handler:
        return adapter.platform, adapter.strip_base_path, None  # PERF: a built-in adapter takes the fast path
    return platform, "", adapter


class _Handler:
    """What ``handler()`` returns: ``__call__(event, context)`` serves one invocation; ``initialize``,
    ``pre_stop`` and ``get_app`` are FC's hooks and the app; ``platform`` and ``adapter`` as given."""

    __slots__ = ("target", "boot_func", "is_app", "platform", "adapter", "custom", "custom_handler", "table",
                 "strip", "event_handlers", "fallback", "health_check", "app", "wsgi", "fast")

    def __init__(self, target: Any, platform: str, adapter: Any, boot_func: Callable | None,
                 event_handlers: dict | None, health_check: Callable | None):
        if adapter is None or platform != "auto":  # why: "auto" beside an adapter would load every cloud
            formats_for(platform)  # a ValueError naming the registered platforms when unknown
        event_handlers = _checked_options(target, event_handlers, health_check)
        self.fallback = event_handlers.pop("*", None)  # the catch-all (docs/handler.md)
        self.event_handlers = event_handlers
        self.health_check = health_check
        self.is_app = isinstance(target, Koatty) or (isinstance(target, type) and issubclass(target, Koatty))
        self.target, self.boot_func, self.adapter = target, boot_func, adapter
        # custom: a user adapter whose own handler(event, context) serves HTTP events
        platform, self.strip, self.custom = _adapter_mode(adapter, platform)
        self.custom_handler = None
        self.platform = platform
        # PERF: (detect, format) pairs: the per-event loop calls detectors without reading the record.
        self.table = tuple((fmt.detect, fmt) for fmt in formats_for(platform))
        self.fast = health_check is None and self.custom is None
        self.app = self.wsgi = None

    def load(self) -> Any:
        """Boot the app (or guard the WSGI callable) once; returns the WSGI callable."""
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
        self.app, self.wsgi = app, wsgi
        return wsgi

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Serve one platform event (or one FC 2.0 WSGI request)."""
        # PERF: the common case (a dict HTTP event, no health check, no custom adapter) reads four
        # slots and runs the detectors; everything else is in _slow. The entry's own dispatch (adapter
        # and app stubbed, timeit A/B in one process) is as fast as the closure it replaced: REST v1
        # 332 vs 335 ns, HTTP v2 378 vs 382 ns, ALB 539 vs 529 ns, FC 3.0 bytes 5.82 vs 5.90 µs.
        wsgi = self.wsgi
        if wsgi is None:
            wsgi = self.load()
        if type(event) is dict:
            if callable(context) and "REQUEST_METHOD" in event:
                return self._fc2(event, context)
            if self.fast:
                for detect, fmt in self.table:
                    if detect(event):
                        return _serve(fmt, wsgi, event, context, self.strip)
                return self._route(event, context)
        return self._slow(event, context)

    def _slow(self, event: Any, context: Any) -> Any:
        """Bytes / str events (FC 3.0 JSON, Tablestore CBOR), a health check, a custom adapter."""
        if type(event) is not dict:
            try:
                event = _load(event)  # FC 3.0 delivers the event as JSON bytes
            except ValueError as exc:
                decoded = _cbor_map(event)  # a Tablestore trigger's rows are CBOR, not JSON
                if decoded is None:
                    return self._undecoded(event, context, exc)
                event = decoded
        healthy = self.health_check is None or self._check(context)
        if self.custom is None:
            if type(event) is dict:
                for detect, fmt in self.table:
                    if detect(event):
                        return _serve(fmt, self.wsgi if healthy else _unavailable, event, context, self.strip)
        elif not healthy and detect_http(event):
            return serve_http(_unavailable, event, context)
        if not healthy:
            raise HealthCheckError("health_check failed; the platform may retry this event")
        return self._route(event, context)

    def _undecoded(self, event: Any, context: Any, exc: ValueError) -> Any:
        """An event that is neither JSON nor CBOR: the catch-all's (e.g. an MNS STREAM message's raw text)."""
        if self.fallback is None:
            raise UnknownEventError(str(exc)) from None
        if self.health_check is not None and not self._check(context):
            raise HealthCheckError("health_check failed; the platform may retry this event") from None
        return self._fallback(event, context)

    def _check(self, context: Any) -> bool:
        _log._state.request_id = _request_id(context)  # why: the failure's log line names the invocation
        try:
            self.health_check(self.app)
        except Exception:
            _log.get_logger().exception("health_check failed")
            return False
        return True

    def _kind(self, event: Any) -> str | None:
        """The non-HTTP kind, ``None`` for the catch-all; raises UnknownEventError when nothing takes it."""
        from .serverless.events import detect_event_source  # PERF: non-HTTP events only; off the cold path

        try:
            return detect_event_source(event)
        except UnknownEventError:
            if self.custom is None and type(event) is dict and isinstance(event.get("task"), str) and \
                    getattr(self.app, "scheduled_tasks", None):
                return "scheduled"  # why: EventBridge Scheduler / a manual run with {"task": name} as input
            if self.fallback is None or self.custom is not None:
                raise
            return None

    def _route(self, event: Any, context: Any) -> Any:
        try:
            kind = self._kind(event)
        except UnknownEventError:
            if self.custom is None:
                raise
            kind = "http"  # why: the custom adapter's own handler answers (or refuses) what nothing names
        if kind is None:  # why outside the except: the catch-all's own failure is not chained to it
            return self._fallback(event, context)
        if kind == "http":
            if self.custom is not None:
                return self.custom_handler(event, context)
            raise UnknownEventError(f"an HTTP event of kind {detect_http(event)!r} reached a handler for "
                                    f"platform {self.platform!r}; use platform='auto' or the right platform")
        rid = _request_id(context)
        previous = self._enter(rid)
        try:
            spans = getattr(self.app, "_spans", None)
            if spans is None:
                taken, result = self._run_kind(kind, event, context)
            else:  # trace.spans on: the invocation's span, as for HTTP (docs/observability.md)
                with spans.event(kind, rid, _log._state.fields["cold_start"]):
                    taken, result = self._run_kind(kind, event, context)
        finally:
            self._leave(previous)
        if taken:
            return result
        if self.fallback is not None:  # why: "*" is the catch-all: known kinds without a handler of their own too
            return self._fallback(event, context)
        raise UnhandledEventError(f"no handler for {kind!r} events: pass "
                                  f"event_handlers={{{kind!r}: fn(event, context, app)}} to koatty_lite.handler()")

    def _run_kind(self, kind: str, event: Any, context: Any) -> tuple:
        """``(True, result)`` from the kind's event handler, its default runner or the custom adapter;
        ``(False, None)`` when none takes it."""
        app = self.app
        fn = self.event_handlers.get(kind)
        if fn is not None:
            try:
                result = fn(event, context, app)
            except Exception:
                _log.get_logger().exception("event handler for %r events failed; the platform may retry", kind)
                raise
            shape = RESULT_SHAPERS.get(kind)
            return True, (result if shape is None else shape(result))
        runner = DEFAULT_RUNNERS.get(kind)
        if runner is not None and runner[0](app):
            return True, runner[1](app, event)
        if self.custom is not None:
            return True, self.custom_handler(event, context)
        return False, None

    def _fallback(self, event: Any, context: Any) -> Any:
        """event_handlers["*"]: any event no adapter, kind handler or @Scheduled task took."""
        previous = self._enter(_request_id(context))
        try:
            return self.fallback(event, context, self.app)
        except Exception:
            _log.get_logger().exception("event handler '*' failed; the platform may retry")
            raise
        finally:
            self._leave(previous)

    def _enter(self, request_id: Any) -> Any:
        """Start a non-HTTP invocation: log state, and the app for ``koatty_lite.metrics.current()``."""
        previous = _log.enter(request_id)
        state = _log._state
        state.app = self.app
        state.metrics = None
        return previous

    def _leave(self, previous: Any) -> None:
        """End it: the invocation's metrics (and ``ColdStart`` when on) written, then the log state."""
        state = _log._state
        try:
            if state.metrics is not None or (state.fields["cold_start"] and self.app.config.get("metrics")):
                from .metrics import end_invocation  # PERF: loaded only when a metric may be written

                end_invocation(state, state.fields["cold_start"])
        finally:
            state.app = state.metrics = None
            _log.leave(previous)

    def _fc2(self, environ: dict, start_response: Callable) -> Any:
        fc_context = environ.get("fc.context")
        environ.setdefault("koatty.platform", "alicloud")
        environ.setdefault("koatty.event_kind", "fc2-wsgi")
        environ.setdefault("koatty.context", fc_context)
        rid = _request_id(fc_context)
        if rid is not None:
            environ.setdefault("koatty.request_id", str(rid))
        if self.health_check is not None and not self._check(fc_context):
            return _unavailable(environ, start_response)
        return self.wsgi(environ, start_response)

    def initialize(self, context: Any = None) -> None:
        """FC's initializer hook: boot the app now (a no-op once booted)."""
        self.load()

    def pre_stop(self, context: Any = None) -> None:
        """FC's pre-stop hook: run appStop (once)."""
        if isinstance(self.app, Koatty):
            self.app.stop()

    def get_app(self) -> Any:
        """The booted app (or the WSGI callable given), booting it first when lazy."""
        self.load()
        return self.app


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
    entry = _Handler(target, platform, adapter, boot_func, event_handlers, health_check)
    if not lazy:
        entry.load()
    return entry
