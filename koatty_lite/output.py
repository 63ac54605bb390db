"""The response side: the PEP 3333 callable of a ready app, the error boundary and the output.

One request: a Context, the onion, then ``render`` turns the context's response state into
``(status_line, headers, body_bytes)``; an exception goes through the app's @ExceptionHandler or
the one JSON error shape (errors.error_body).
"""
import json

# PERF: one `from . import` (importlib's _handle_fromlist once), the names read from the modules: a `from .x import y`
# first asks x for __path__ (a failed lookup, ~8k instructions a statement)
from . import context, errors, log as _log

Context, JSON_TYPE, status_line = context.Context, errors.JSON_TYPE, errors.status_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .app import Koatty


# PERF: a Context made by object.__new__, its __init__ and ctx.request_id's function called as functions (inlined by
# the interpreter), not through the class's call slot and the property (-0.4k, -0.25k instructions per request)
_new, _init, _request_id = object.__new__, Context.__init__, Context.request_id.fget

# context_extra.finish, put here by context_extra's import. Why that is soon enough: ctx._ext (a request that used
# ctx.logger, ctx.metrics or ctx.trace) is made by those members only, which are context_extra's.
_finish = None


def koatty_answer(app: "Koatty", request: "Any", answer: "Callable | None" = None,
                  to_response: "Callable | None" = None) -> "Any":
    """``Koatty.koatty_answer`` (and ``koatty_respond``, the same function without the shapers): a ready app's
    answer to one request, a PEP 3333 environ or the serverless ``Request`` of a platform event (read directly:
    no environ is built unless app code asks for ``ctx.environ``). The platform's response for it:
    ``answer(request, status, headers, body, ctype)`` when the answer is plain, else
    ``to_response(request, status_line, headers, body)``; without them ``(status_line, headers, body)``.

    Plain: only ``ctx.set`` headers of ordinary names with ASCII values (no repeated name, no
    Set-Cookie, Content-Encoding, Content-Length or X-Request-Id of the app's), no error: then
    ``status`` is the int, ``headers`` a list of distinct pairs, ``ctype`` the content type
    lower-cased ("" for none), and the format builds its response dict straight from them.
    Otherwise ``headers`` is render's list with ``koatty_facts`` (serverless/http.py reads them).
    PERF: REST v1 GET, render + shaping 3.2 -> 1.9 µs (no facts tuple, no second walk of the headers); the app
    is its own PEP 3333 callable (no WsgiApp made: cold v2 GET 82.45M -> 82.36M, coldstages.sh).
    """
    ctx = _new(Context)
    _init(ctx, request, app)
    rid = ctx._req.request_id
    if rid and type(rid) is str:
        ctx._request_id = rid  # PERF: ctx.request_id's usual case without the property's call
    else:
        rid = _request_id(ctx)
    # PERF: a thread-local attribute set; log.py reads it only when a line is written.
    _log._state.request_id = rid
    try:
        app._chain(ctx)
        status, ctype, data = content(ctx)
    except MemoryError:
        raise
    except Exception as exc:
        from .context_extra import answer_error  # PERF: the error answer loads with the first failing request

        status, headers, data = answer_error(ctx, exc)
    else:
        if answer is not None and not ctx._special:
            headers = ctx._out
            if ctype is None:
                headers = [*headers, ("X-Request-Id", rid)]
                ctype = ""
            else:
                headers = [("Content-Type", ctype), *headers, ("Content-Length", str(len(data))),
                           ("X-Request-Id", rid)]
                ctype = ctype if ctype is JSON_TYPE else ctype.lower()
            if ctx._ext is not None:  # the request used ctx.metrics (or ctx.logger, ctx.trace): context_extra's
                _finish(ctx)  # PERF: bound by context_extra's import, no import statement a request (+11k instructions)
            return answer(request, status, headers, b"" if ctx.method == "HEAD" else data, ctype)
        from .context_extra import headers  # PERF: the general path's header list loads with its first use

        status, headers = status_line(status), headers(ctx, ctype, data)
    if ctx._ext is not None:
        _finish(ctx)
    if ctx.method == "HEAD":
        data = b""
    return (status, headers, data) if to_response is None else to_response(request, status, headers, data)


def __getattr__(name: str) -> "Any":
    """``WsgiApp``: a ready app's PEP 3333 callable as an object of its own, in koatty_lite.environ (the app is
    its own callable: ``get_request_handler()`` returns it); ``render`` and ``finish``, in koatty_lite.context_extra
    (PERF: off the cold start's code cache)."""
    if name == "WsgiApp":
        from .environ import WsgiApp

        return WsgiApp
    if name in ("render", "finish"):
        from . import context_extra

        return getattr(context_extra, name)
    # PERF: import.c's __path__ probe of `from <this module> import x`: no message (-2.6k instructions)
    raise AttributeError(name if name == "__path__" else f"module {__name__!r} has no attribute {name!r}")


# --- renderers: how a controller's return value of a non-JSON type is written ----------------------

_RENDERERS = {}  # type -> fn(obj) -> a JSON-serialisable value (register_renderer)


def register_renderer(type_: type, fn: "Callable") -> None:
    """Teach the JSON output a type: a returned ``type_`` (or subclass) is written as ``fn(obj)``,
    which returns something JSON can hold (str, number, list, dict, ... or another renderable type).
    Registered renderers win over the defaults (Decimal, datetime/date/time, UUID, set, bytes, Enum,
    dataclasses)."""
    if not isinstance(type_, type) or not callable(fn):
        raise TypeError("register_renderer(type, fn): a class and a callable fn(obj)")
    _RENDERERS[type_] = fn


def register_json_type(type_: type, fn: "Callable") -> None:
    """A renderer that does not replace one the app registered (validation.py's DTO classes use it)."""
    _RENDERERS.setdefault(type_, fn)


def _json_default(obj: "Any") -> "Any":
    """The JSON encoder's hook for a value it cannot write: the first renderer along the MRO."""
    from .context_extra import render_default  # PERF: loaded by the first body holding a non-JSON type

    return render_default(obj)


try:
    from json.encoder import c_make_encoder, encode_basestring

    # PERF: the C encoder built once (json.dumps builds one per call: +0.6 µs). No circular-reference
    # markers: a cyclic body fails with RecursionError, answered as a 500 like any other error.
    # allow_nan False: NaN/Infinity are not JSON (RFC 8259); context_extra.json_bytes then writes them as null.
    _c_encoder = c_make_encoder(None, _json_default, encode_basestring, None, ":", ",", False, False, False)
except (ImportError, TypeError):  # an interpreter without the C accelerator: the same chunks from the Python one
    _c_encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":"),
                                  default=_json_default).iterencode


# The statuses that carry no body (nor its headers). PERF: a dict of ints, not a set: the gc never traverses it
_NO_BODY = dict.fromkeys((204, 304, *range(100, 200)))


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (from a client's JSON string) as U+FFFD, not a 500."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


def content(ctx: "Context") -> tuple:
    """``(status, content type or None, body bytes)`` from the context's response state; raises
    Koa's default 404 when nothing answered."""
    body = ctx.body
    status = ctx._status
    ctype = ctx._type
    if body is None:
        if status is None:
            # Nothing answered (no route ran and no middleware set a body): Koa's default 404.
            raise errors.HttpException("Not Found", 1, 404)
        data = b""
    elif type(body) is dict or not isinstance(body, (str, bytes, bytearray, memoryview)):
        # PERF: the usual controller result (a dict) tested first; the prebuilt C encoder called here
        # (json.dumps builds one per call; _json_bytes a frame more: -0.7k instructions per JSON answer)
        try:
            data = "".join(_c_encoder(body, 0)).encode("utf-8")
        except (ValueError, UnicodeEncodeError):  # NaN/Infinity, a lone surrogate: json_bytes' rules
            from .context_extra import json_bytes

            data = json_bytes(body)
        if ctype is None:
            ctype = JSON_TYPE
    elif isinstance(body, str):
        data = _utf8(body)
        if ctype is None:
            ctype = "text/html; charset=utf-8" if body[:1] == "<" else "text/plain; charset=utf-8"
    else:
        data = bytes(body)
        if ctype is None:
            ctype = "application/octet-stream"
    if status is None:
        status = 200
    if status in _NO_BODY:
        data = b""
        ctype = None  # no Content-Type, no Content-Length
    elif ctype is None:
        # Why: PEP 3333 validators require a Content-Type on every response that may carry a body.
        ctype = "application/octet-stream" if data else "text/plain; charset=utf-8"
    return status, ctype, data
