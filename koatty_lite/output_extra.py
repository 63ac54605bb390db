"""The output's rarer paths, loaded on first use: the error answer and the renderers of non-JSON types.

``answer_error`` is ``WsgiApp.error``: Koa's onerror header rules, the app's @ExceptionHandler, the
default JSON error answer (errors.error_body) and its traceback line. ``render_default`` is the JSON
encoder's hook for a value it cannot write: a registered renderer (output.register_renderer), else a
default for Decimal, datetime/date/time, UUID, set, bytes, Enum, dataclasses. PERF: a GET answered with
a JSON body loads neither (-0.15M instructions per cold start; tests/test_core_imports.py).
"""
import sys

from . import log as _log
from .errors import JSON_TYPE, KoattyException, error_body, status_line
from .output import _RENDERERS, render

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .context import Context


def answer_error(wsgi_app: "Any", ctx: "Context", exc: "Exception") -> tuple:
    """``WsgiApp.error``: the exception as the response: the app's @ExceptionHandler, else the default
    JSON output; ``(status_line, headers, body)``."""
    _error_headers(ctx, exc)
    handler = wsgi_app.handler
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
                return render(ctx)
        except MemoryError:
            raise
        except Exception:
            _write_traceback(ctx, "exception handler failed")
            return _default_error(ctx, exc, force_500=True)
        ctx.body, ctx._status, ctx._type = saved
        return _default_error(ctx, exc, force_500=not isinstance(exc, KoattyException))
    return _default_error(ctx, exc)


# Headers an error answer keeps from those set before the failure (Koa drops them all; CORS and the
# request id must survive so a browser can read the error and a client can quote it).
# The CORS middleware's secureContext headers stay too (@koa/cors puts every header it set on err.headers).
_KEPT_ON_ERROR = frozenset(("vary", "x-request-id", "cross-origin-opener-policy", "cross-origin-embedder-policy"))


def _error_headers(ctx: "Context", exc: "Exception") -> None:
    """Koa's onerror: drop the headers set before the failure (a ``Set-Cookie``, a ``Cache-Control:
    public`` meant for the success), keep ``Access-Control-*``, ``Vary`` and ``X-Request-Id``, then set
    the headers a ``KoattyException`` carries (``exc.headers``)."""
    out = ctx._out
    if out:
        out[:] = [p for p in out if p[0].lower() in _KEPT_ON_ERROR or p[0].lower().startswith("access-control-")]
    extra = getattr(exc, "headers", None) if isinstance(exc, KoattyException) else None
    if extra:
        for name, value in (extra.items() if isinstance(extra, dict) else extra):
            try:
                ctx.set(name, value)
            except ValueError:  # an unusable header on the exception must not turn a 4xx into a 500
                _log.get_logger().warning("header %s on %s dropped: invalid", _log.printable(name), type(exc).__name__)


def _write_traceback(ctx: "Context", what: str) -> None:
    # Why: the method and path are the client's; a CR/LF or ESC in them must not forge a log line.
    where = _log.printable(f"{ctx.method} {ctx.path}")
    if _log.is_json():
        # One JSON object with the traceback in its "exception" member, not raw lines on wsgi.errors.
        _log.get_logger().error("%s: %s", what, where, exc_info=True)
        return
    import traceback

    stream = ctx.environ.get("wsgi.errors") or sys.stderr
    try:
        stream.write(f"[koatty] [ERROR] [{ctx.request_id}] {what}: {where}\n")
        stream.write(traceback.format_exc())
        stream.flush()
    except Exception:  # a broken error stream must not break the response
        pass


def _default_error(ctx: "Context", exc: "Exception", force_500: bool = False) -> tuple:
    if isinstance(exc, KoattyException) and not force_500:
        status, body = exc.status, error_body(exc.code, exc.message, exc.data, ctx.request_id)
    else:
        if not force_500:
            _write_traceback(ctx, "unhandled exception")
        status, body = 500, error_body(1, "Internal Server Error", None, ctx.request_id)
    headers = [pair for pair in ctx._out if pair[0].lower() not in ("content-length", "content-type")]
    headers.append(("Content-Type", JSON_TYPE))
    headers.append(("Content-Length", str(len(body))))
    headers.append(("X-Request-Id", ctx.request_id))
    return status_line(status), headers, body


# --- renderers: the defaults (register_renderer's win) ----------------------------------------

def _b64(data: "Any") -> str:
    import binascii  # PERF: only apps that return bytes inside a JSON body load it

    return binascii.b2a_base64(bytes(data), newline=False).decode("ascii")


def _dataclass(obj: "Any") -> "Any":
    import dataclasses  # PERF: only apps that return dataclasses load it (it imports inspect)

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}  # nested values render in turn


def _iso(obj: "Any") -> str:
    return obj.isoformat()


# Defaults by qualified type name, so that no module is imported to know them: Decimal as an exact
# string (as Powertools writes it), dates and times in ISO 8601, UUID as its string, sets as lists,
# bytes as base64 text, an enum member as its value.
_DEFAULT_RENDERERS = {
    "decimal.Decimal": str, "uuid.UUID": str, "datetime.datetime": _iso, "datetime.date": _iso,
    "datetime.time": _iso, "builtins.set": list, "builtins.frozenset": list, "builtins.bytes": _b64,
    "builtins.bytearray": _b64, "builtins.memoryview": _b64, "enum.Enum": lambda member: member.value,
}


def render_default(obj: "Any") -> "Any":
    """``output._json_default``, the JSON encoder's hook for a value it cannot write: the first renderer
    along the MRO (registered ones, then the defaults), a dataclass as its fields, else TypeError."""
    for klass in type(obj).__mro__:
        fn = _RENDERERS.get(klass) or _DEFAULT_RENDERERS.get(f"{klass.__module__}.{klass.__qualname__}")
        if fn is not None:
            return fn(obj)
    if hasattr(type(obj), "__dataclass_fields__"):
        return _dataclass(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable: "
                    f"register a renderer with koatty_lite.register_renderer({type(obj).__name__}, fn)")
