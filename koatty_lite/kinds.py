"""Non-HTTP invocations of ``handler()`` (entry.py's other half, loaded with the first event no HTTP
format claims): the event's kind (serverless/events.py), its ``event_handlers`` entry, a default
runner (``@Scheduled`` tasks) or the catch-all ``"*"``; what the handler returns shaped for its
platform (``RESULT_SHAPERS``: SQS partial batch responses); ``register_kind``. See docs/handler.md.
"""
from __future__ import annotations

import os

from . import log as _log
from .app import Koatty
from .entry import _check, _request_id, _slow
from .serverless import UnknownEventError, _left_out_here, detect_http

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .entry import _Handler

__all__ = ["register_kind", "UnhandledEventError", "BatchResultError", "RESULT_SHAPERS", "DEFAULT_RUNNERS",
           "route", "fallback"]


class UnhandledEventError(UnknownEventError):
    """A known non-HTTP event kind (e.g. "sqs") with no handler: raised so the platform retries it."""


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


def undecoded(h: _Handler, event: Any, context: Any, exc: ValueError) -> Any:
    """An event entry._slow could not read as JSON: a CBOR map (a Tablestore trigger's rows) served as the
    event, else the catch-all's (e.g. an MNS STREAM message's raw text) or UnknownEventError. PERF: here, not in
    entry.py (a code object fewer at every cold start)."""
    decoded = _cbor_map(event)
    if decoded is not None:
        return _slow(h, decoded, context)
    if h.fallback is None:
        raise UnknownEventError(str(exc)) from None
    if h.health_check is not None and not _check(h, context):
        from .serverless.http import HealthCheckError

        raise HealthCheckError("health_check failed; the platform may retry this event") from None
    return fallback(h, event, context)


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


def _kind_of(h: _Handler, event: Any) -> str | None:
    """The non-HTTP kind, ``None`` for the catch-all; raises UnknownEventError when nothing takes it."""
    from .serverless.events import detect_event_source  # PERF: non-HTTP events only; off the cold path

    try:
        return detect_event_source(event)
    except UnknownEventError:
        if h.custom is None and type(event) is dict and isinstance(event.get("task"), str) and \
                getattr(h.app, "scheduled_tasks", None):
            return "scheduled"  # why: EventBridge Scheduler / a manual run with {"task": name} as input
        if h.fallback is None or h.custom is not None:
            raise
        return None


def route(h: _Handler, event: Any, context: Any) -> Any:
    """Serve one non-HTTP event for the handler ``h``: its kind's event handler, default runner, custom
    adapter or the catch-all; UnknownEventError / UnhandledEventError when none takes it."""
    try:
        kind = _kind_of(h, event)
    except UnknownEventError:
        if h.custom is None:
            raise
        kind = "http"  # why: the custom adapter's own handler answers (or refuses) what nothing names
    if kind is None:  # why outside the except: the catch-all's own failure is not chained to it
        return fallback(h, event, context)
    if kind == "http":
        if h.custom is not None:
            return h.custom_handler(event, context)
        raise UnknownEventError(f"an HTTP event of kind {detect_http(event)!r} reached a handler for "
                                f"platform {h.platform!r}; use platform='auto' or the right platform")
    rid = _request_id(context)
    previous = _enter(h, rid)
    try:
        spans = getattr(h.app, "_spans", None)
        if spans is None:
            taken, result = _run_kind(h, kind, event, context)
        else:  # trace.spans on: the invocation's span, as for HTTP (docs/observability.md)
            with spans.event(kind, rid, _log._state.fields["cold_start"]):
                taken, result = _run_kind(h, kind, event, context)
    finally:
        _leave(h, previous)
    if taken:
        return result
    if h.fallback is not None:  # why: "*" is the catch-all: known kinds without a handler of their own too
        return fallback(h, event, context)
    raise UnhandledEventError(f"no handler for {kind!r} events: pass "
                              f"event_handlers={{{kind!r}: fn(event, context, app)}} to koatty_lite.handler()")


def routed(h: _Handler, event: Any, context: Any) -> Any:
    """``route`` for entry.py: its UnknownEventError says first that this package has no HTTP formats of the
    cloud it runs on (a slim package built with ``--platform`` for another cloud: its HTTP events reach no
    format) when that is so."""
    try:
        return route(h, event, context)
    except UnknownEventError as exc:
        missing = _left_out_here()
        if missing is None:
            raise
        raise type(exc)(f"{missing}; the HTTP events of this cloud cannot be served ({exc})") from None


def _run_kind(h: _Handler, kind: str, event: Any, context: Any) -> tuple:
    """``(True, result)`` from the kind's event handler, its default runner or the custom adapter;
    ``(False, None)`` when none takes it."""
    app = h.app
    fn = h.event_handlers.get(kind)
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
    if h.custom is not None:
        return True, h.custom_handler(event, context)
    return False, None


def fallback(h: _Handler, event: Any, context: Any) -> Any:
    """event_handlers["*"]: any event no adapter, kind handler or @Scheduled task took."""
    previous = _enter(h, _request_id(context))
    try:
        return h.fallback(event, context, h.app)
    except Exception:
        _log.get_logger().exception("event handler '*' failed; the platform may retry")
        raise
    finally:
        _leave(h, previous)


def _enter(h: _Handler, request_id: Any) -> Any:
    """Start a non-HTTP invocation: log state, and the app for ``koatty_lite.metrics.current()``."""
    previous = enter(request_id)
    state = _log._state
    state.app = h.app
    state.metrics = None
    return previous


def _leave(h: _Handler, previous: Any) -> None:
    """End it: the invocation's metrics (and ``ColdStart`` when on) written, then the log state."""
    state = _log._state
    try:
        # why: h.app is any WSGI callable when handler() wraps one (no Koatty config to read)
        if state.metrics is not None or (state.fields["cold_start"] and isinstance(h.app, Koatty)
                                         and h.app.config.get("metrics")):
            from .metrics import end_invocation  # PERF: loaded only when a metric may be written

            end_invocation(state, state.fields["cold_start"])
    finally:
        state.app = state.metrics = None
        leave(previous)


def enter(request_id: Any) -> Any:
    """``koatty_lite.log.enter`` (here: only a non-HTTP invocation starts one): its request id on each
    line of this thread, counted for ``cold_start``; returns what ``leave`` restores."""
    state = _log._state
    previous = getattr(state, "request_id", None), getattr(state, "fields", None)
    state.request_id = request_id
    # why not log.next_invocation(): it is logsetup.py's (off the cold path), which a cold invocation needs not load
    n = _log._invocations[0] = next(_log._counter)
    fields = state.fields = {"cold_start": n == 1}
    if _log._format[0] == "json":
        xray = os.environ.get("_X_AMZN_TRACE_ID")  # the Lambda runtime's, per invocation
        if xray:
            from .tracing import parse_xray, xray_to_w3c

            parsed = parse_xray(xray)
            if parsed is not None:
                fields["traceId"] = xray_to_w3c(parsed["root"])
    return previous


def leave(previous: Any) -> None:
    """End the invocation ``enter`` started."""
    state = _log._state
    state.request_id, state.fields = previous
