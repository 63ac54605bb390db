"""The rare halves of the request and the response, loaded on first use (one module: a second cost
~0.34 KB of a slim package and an import of its own).

The Context members few requests use, installed on ``context.Context`` by the first use of one.

Cookies (``ctx.cookies``, ``set_cookie``), ``redirect`` and ``throw``, uploaded files and the raw
body, the query's repeated values and raw string, response headers read back or appended, the
client address, host, URL and matched route, the platform's facts (event, context, kind, trace id),
``ctx.trace`` / ``ctx.logger`` / ``ctx.metrics``: ``context.EXTRAS`` names them. Their stand-ins on Context (``context._Extra``)
import this module when one is first asked for; importing it copies them onto the class (once: the
import lock), so later uses are ordinary attributes. PERF: a plain GET loads none of them (26 members,
-0.3M instructions per cold start, tests/test_core_imports.py).

The output's rarer paths: ``answer_error`` (a failed request's answer): Koa's onerror header rules, the app's
@ExceptionHandler, the default JSON error answer (errors.error_body) and its traceback line.
``render_default`` is the JSON encoder's hook for a value it cannot write: a registered renderer
(output.register_renderer), else a default for Decimal, datetime/date/time, UUID, set, bytes, Enum,
dataclasses. PERF: a GET answered with a JSON body loads none of it (was output_extra.py: -0.15M
instructions per cold start; tests/test_core_imports.py).

The router's rare paths: ``match_tokens`` (Pattern.match for a pattern of text and parameters in one
segment, or a ``*`` mid-path) and ``other_method`` (a matched path without the request's method).
PERF: a cold GET of the usual routes loads neither (-50k instructions), nor routes.py's names made on first
use (``routes_name``: the Pattern and Extractor classes, 5 code objects a cold start does not unmarshal).
"""
import json
import os
import sys

from . import context as _context
from . import log as _log
from . import output as _output
from . import routes
from .context import _ALNUM, Context, _check_header, _is_token, _wsgi_str
from . import errors
from .errors import JSON_TYPE, REASONS, error_body, finite, status_line
from .output import _RENDERERS, _c_encoder, _json_default, content

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .routes import Pattern, Router


class _Members:
    """Context's rarely used members, written as its own (``self`` is the Context); installed below."""

    def query_list(self, name: str) -> list:
        """Every value of the query parameter ``name``, in order."""
        return [v for k, v in self._pairs() if k == name]

    @property
    def querystring(self) -> str:
        """The raw query string."""
        return _wsgi_str(self._req.query or "")

    @property
    def cookies(self) -> dict:
        """Request cookies as a dict (a hand-rolled parser: no http.cookies import)."""
        c = self._cookies
        if c is None:
            c = {}
            raw = self.get("cookie")
            if raw:
                for part in raw.split(";"):
                    name, sep, value = part.partition("=")
                    name = name.strip()
                    if sep and name:
                        value = value.strip()
                        if len(value) >= 2 and value[0] == value[-1] == '"':
                            value = value[1:-1]
                        c.setdefault(name, value)
            self._cookies = c
        return c

    @property
    def ip(self) -> str:
        """The client address the server (or the platform adapter) saw: ``REMOTE_ADDR``."""
        return self._req.remote_addr

    @property
    def host(self) -> str:
        """The Host header, or SERVER_NAME."""
        return self.get("host") or self._req.server_name

    @property
    def route(self) -> "str | None":
        """The route pattern that will serve this request (``"/users/:id"``), None when none will (404,
        405). Middleware checks this, not ``ctx.path``: ``/admin/stats/`` is served by ``/admin/stats``."""
        method, path = self.method, self.path
        found = self._route
        if found is None or found[0] != method or found[1] != path:
            if self.app is None:
                return None
            found = self._route = (method, path, self.app.router.match(method, path))
        match = found[2]
        return match[3] if match[0] is not None else None

    @property
    def url(self) -> str:
        """Path plus query string, as requested."""
        qs = self._req.query
        return self.path + ("?" + _wsgi_str(qs) if qs else "")

    @property
    def trace_id(self) -> "str | None":
        """``koatty.trace_id`` from the adapter, else the ``X-Amzn-Trace-Id`` header, else ``_X_AMZN_TRACE_ID``."""
        # Why: the Lambda runtime sets _X_AMZN_TRACE_ID per invocation; read only when asked (os.environ is slow).
        return self._req.trace_id or os.environ.get("_X_AMZN_TRACE_ID")

    @property
    def trace(self) -> "Any":
        """The parsed trace (``koatty_lite.tracing.TraceContext``): ``trace_id``, ``parent_id``, and
        ``headers()`` for an outgoing request (``traceparent`` and ``X-Amzn-Trace-Id``)."""
        ext = self._ext
        if ext is None:
            ext = self._ext = {}
        trace = ext.get("trace")
        if trace is None:
            from .tracing import from_environ  # PERF: loaded by the first request that asks

            req = self._req
            if type(req) is _context._environ_request:  # the class once an environ was read, else never
                source = req.environ
            else:  # a serverless Request: the two trace headers, without building an environ
                source = {"HTTP_TRACEPARENT": req.headers.get("traceparent"), "koatty.trace_id": req.trace_id}
            trace = ext["trace"] = from_environ(source)
        return trace

    @property
    def logger(self) -> "Any":
        """This request's logger (``koatty_lite.log.Logger``): ``ctx.logger.info("paid", order=7)``;
        ``ctx.logger.append_keys(user=...)`` adds keys to this request's later lines. Its lines carry
        this request's id even when written from a thread the app started."""
        ext = self._ext
        if ext is None:
            ext = self._ext = {}
        logger = ext.get("logger")
        if logger is None:
            from .log import Logger

            logger = ext["logger"] = Logger({}, self.request_id)
        return logger

    @property
    def metrics(self) -> "Any":
        """This request's metrics (``koatty_lite.metrics.Metrics``): ``ctx.metrics.add("Orders", 1, "Count")``;
        written once when the request ends (EMF on AWS, JSON lines on Alibaba Cloud and Tencent Cloud)."""
        ext = self._ext
        if ext is None:
            ext = self._ext = {}
        metrics = ext.get("metrics")
        if metrics is None:
            from .metrics import for_request  # PERF: loaded by the first request that adds a metric

            metrics = ext["metrics"] = for_request(self)
        return metrics

    @property
    def event(self) -> "Any":
        """The raw platform event (None outside serverless)."""
        return self._req.event

    @property
    def platform_context(self) -> "Any":
        """The platform's context object (None outside serverless)."""
        return self._req.context

    @property
    def platform(self) -> "str | None":
        """``"aws"``, ``"alicloud"``, ``"tencent"`` or None."""
        return self._req.platform

    @property
    def event_kind(self) -> "str | None":
        """The HTTP event kind the adapter detected (``"apigw-v2"``, ...), or None."""
        return self._req.kind

    def raw_body(self) -> bytes:
        """The body bytes as read."""
        self.request_body()  # read and parsed once
        return self._raw_body

    def request_file(self, name: "str | None" = None) -> "Any":
        """The uploaded file ``name`` (an ``UploadedFile``; the last one when the field is repeated, as
        for query keys), or a dict of every field's file; ``request_files(name)`` gives them all."""
        self.request_body()  # read and parsed once
        files = self._files
        if name is None:
            return {k: v[-1] if isinstance(v, list) else v for k, v in files.items()}
        value = files.get(name)
        return value[-1] if isinstance(value, list) else value

    def request_files(self, name: str) -> list:
        """Every file uploaded under ``name``, in order (``[]`` when none)."""
        self.request_body()  # read and parsed once
        value = self._files.get(name)
        return [] if value is None else list(value) if isinstance(value, list) else [value]

    def request_param(self) -> dict:
        """Query ∪ path parameters (path wins), cached."""
        p = self._request_param
        if p is None:
            p = self._request_param = {**self.query, **self.params}
        return p

    def append(self, name: str, value: "Any") -> None:
        """Add a response header, keeping any of the same name (several Set-Cookie survive)."""
        value = str(value)
        _check_header(name, value)
        self._special = True
        self._out.append((name, value))

    def remove(self, name: str) -> None:
        """Remove a response header."""
        lname = name.lower()
        if lname == "content-type":
            self._type = None
        self._out[:] = [pair for pair in self._out if pair[0].lower() != lname]

    def response_header(self, name: str, default: "Any" = None) -> "Any":
        """A response header already set (the last one of that name)."""
        lname = name.lower()
        if lname == "content-type":
            return self._type if self._type is not None else default
        for k, v in reversed(self._out):
            if k.lower() == lname:
                return v
        return default

    @property
    def response_headers(self) -> list:
        """The response headers set so far, as ``(name, value)`` pairs."""
        return list(self._out)

    def set_cookie(self, name: str, value: str, *, max_age: "int | None" = None, expires: "str | None" = None,
                   path: "str | None" = "/", domain: "str | None" = None, secure: bool = False,
                   httponly: bool = True, samesite: "str | None" = "Lax") -> None:
        """Append a ``Set-Cookie`` header (attributes as keywords)."""
        if not _is_token(name):
            raise ValueError(f"invalid cookie name {name!r}")
        value = str(value)
        if any(c in value for c in ';,"\\ ') or not value.isprintable():
            raise ValueError(f"invalid cookie value for {name!r} (quote or encode it first)")
        parts = [f"{name}={value}"]
        if max_age is not None:
            parts.append(f"Max-Age={int(max_age)}")
        if expires:
            parts.append(f"Expires={expires}")
        if path:
            parts.append(f"Path={path}")
        if domain:
            parts.append(f"Domain={domain}")
        if secure:
            parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        if samesite:
            parts.append(f"SameSite={samesite}")
        for p in parts[1:]:
            if ";" in p:
                raise ValueError(f"invalid cookie attribute {p!r}")
        self.append("Set-Cookie", "; ".join(parts))

    @property
    def environ(self) -> dict:
        """The PEP 3333 environ (built from the platform event on first use when there was none)."""
        return self._req.environ

    def __repr__(self) -> str:
        return f"<Context {self.method} {self.path}>"

    def throw(self, *args: "Any") -> None:
        """Raise ``KoattyException``: ``ctx.throw(404)``, ``ctx.throw(404, "msg")``, ``ctx.throw("msg", code, status)``."""
        if args and isinstance(args[0], int) and not isinstance(args[0], bool):
            status = args[0]
            message = args[1] if len(args) > 1 else _reason(status)
            code = args[2] if len(args) > 2 else 1
        else:
            message = args[0] if args else "Internal Server Error"
            code = args[1] if len(args) > 1 else 1
            status = args[2] if len(args) > 2 else 500
        raise errors.KoattyException(str(message), code, status)

    def redirect(self, url: str, status: int = 302) -> None:
        """Answer a redirect to ``url``, percent-encoded as Koa does (``encodeurl``: existing ``%XX`` kept,
        other characters outside the URL set encoded as UTF-8)."""
        self.set("Location", encode_url(str(url)))
        self.status = status
        self.body = ""


# encodeurl's set: characters kept as they are in a Location (a "%" only before two hex digits).
_URL_SAFE = frozenset(_ALNUM + "!#$&'()*+,-./:;=?@[]_~")
_HEX = frozenset("0123456789ABCDEFabcdef")


def encode_url(url: str) -> str:
    """Percent-encode ``url`` as Koa's ``encodeurl``: characters outside the URL set as UTF-8 ``%XX``,
    a ``%`` not followed by two hex digits as ``%25``, a lone surrogate as U+FFFD."""
    if _URL_SAFE.issuperset(url):  # PERF: the usual location needs no work
        return url
    out = []
    n = len(url)
    for i, c in enumerate(url):
        if c in _URL_SAFE:
            out.append(c)
        elif c == "%" and i + 2 < n and url[i + 1] in _HEX and url[i + 2] in _HEX:
            out.append(c)
        else:
            if "\ud800" <= c <= "\udfff":
                c = "\ufffd"  # a lone surrogate (a pair is one character in Python)
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8")))
    return "".join(out)


def _reason(status: int) -> str:
    return REASONS.get(status, "Error")


# --- the output's rarer paths (was output_extra.py) ---------------------------------------------


def answer_error(ctx: "Context", exc: "Exception") -> tuple:
    """The exception as the response: the app's @ExceptionHandler, else the default JSON output;
    ``(status_line, headers, body)``."""
    _error_headers(ctx, exc)
    handler = ctx.app.exception_handler
    if handler is not None:
        if not isinstance(exc, errors.KoattyException):
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
                    ctx._status = exc.status if isinstance(exc, errors.KoattyException) else 500
                return render(ctx)
        except MemoryError:
            raise
        except Exception:
            _write_traceback(ctx, "exception handler failed")
            return _default_error(ctx, exc, force_500=True)
        ctx.body, ctx._status, ctx._type = saved
        return _default_error(ctx, exc, force_500=not isinstance(exc, errors.KoattyException))
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
    extra = getattr(exc, "headers", None) if isinstance(exc, errors.KoattyException) else None
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
    if isinstance(exc, errors.KoattyException) and not force_500:
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


# --- a controller's response tuple (routes.Route._result) -----------------------------------------


def unpack(ctx: "Context", result: tuple) -> bool:
    """Apply a controller's response tuple and answer True: ``(body, status)`` or ``(body, status,
    headers)`` as Flask and Powertools take them, status an int 100-599, headers a dict (set) or a list of
    (name, value) pairs (appended: a list may repeat a name, several Set-Cookie). Any other tuple is a
    JSON array: False, nothing applied."""
    n = len(result)
    if n not in (2, 3):
        return False
    status = result[1]
    if type(status) is not int or not 100 <= status <= 599:
        return False
    headers = result[2] if n == 3 else None
    if not (headers is None or isinstance(headers, dict) or isinstance(headers, list)
            and all(type(p) is tuple and len(p) == 2 for p in headers)):
        return False
    ctx.body = result[0]
    ctx.status = status
    if isinstance(headers, dict):
        ctx.set(headers)
    elif headers:
        for name, value in headers:
            ctx.append(name, value)
    return True


# --- the output's general path (render, finish, the header list) and JSON's rare values (output.py) -----


def render(ctx: "Context") -> tuple:
    """``output.render``: ``(status_line, headers, body_bytes)`` from the context's response state."""
    status, ctype, data = content(ctx)
    return status_line(status), headers(ctx, ctype, data), data


def finish(ctx: "Context") -> None:
    """``output.finish``: end of a request: write the metrics it added with ``ctx.metrics`` (once), if any."""
    metrics = ctx._ext.get("metrics")
    if metrics:
        try:
            metrics.flush()
        except Exception:  # a closed stdout must not turn the answer into a failure
            _log.get_logger().exception("writing the metrics failed")


_output._finish = finish  # output.koatty_answer's (PERF: no import statement a request that used ctx.logger)


def headers(ctx: "Context", ctype: "str | None", data: bytes) -> list:
    """``render``'s headers: Content-Type (unless ``ctype`` is None), the context's, Content-Length,
    X-Request-Id; with ``koatty_facts`` for the serverless shapers (PERF: REST v1 GET -1 µs). The usual
    answer never needs them (``output.koatty_answer`` hands plain ones to the format's shaper)."""
    out = ctx._out
    if ctype is not None:
        found = HeaderList((("Content-Type", ctype), *out, ("Content-Length", str(len(data))),
                            ("X-Request-Id", ctx.request_id)))
    else:
        found = HeaderList((*out, ("X-Request-Id", ctx.request_id)))
        ctype = ""
    found.koatty_facts = _facts(out, ctype.lower()) if out else (ctype.lower(), "", (), True, True)
    return found


class HeaderList(list):
    """``render``'s header pairs, with ``koatty_facts``: (content type and encoding lower-cased, the
    Set-Cookie values, no name repeated, every value ASCII), read by the serverless response shapers
    (serverless/http.py) instead of lower-casing every name again."""

    __slots__ = ("koatty_facts",)


_FIXED = ("content-type", "content-length", "x-request-id")


def _facts(out: list, ctype: str) -> tuple:
    """``koatty_facts`` of render's headers, from the context's own (``out``) and its content type."""
    cenc = ""
    cookies = []
    clean = distinct = True
    seen = set(_FIXED)
    for name, value in out:
        low = name.lower()
        if low in seen:
            distinct = False
            if low == "content-type":
                ctype = value.lower()  # an appended Content-Type comes after render's: the shapers read the last
        seen.add(low)
        if low == "content-encoding":
            cenc = value.strip().lower()
        elif low == "set-cookie":
            cookies.append(value)
        if not value.isascii():
            clean = False
    return ctype, cenc, tuple(cookies), distinct, clean


def json_bytes(body: "Any") -> bytes:
    """A JSON body the prebuilt encoder refused (``output.content``), as UTF-8: NaN / Infinity written as
    null (as Koatty's JSON.stringify does), a lone surrogate as a ``\\udXXX`` escape (UTF-8 cannot carry
    it; it came from a client's JSON string). Any other failure is raised again."""
    body = finite(body)
    try:
        return "".join(_c_encoder(body, 0)).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":"), default=_json_default, allow_nan=False).encode("ascii")


for _name in _context.EXTRAS:
    if type(Context.__dict__.get(_name)) is _context._Extra:  # why: a member an app set on Context itself stays
        setattr(Context, _name, _Members.__dict__[_name])


# --- the router's rare paths (Pattern.match and Router.match call them) -------------------------------------


def match_tokens(self: "Pattern", path: str, i: int, t: int, params: dict, budget: list) -> "dict | None":
    """Pattern.match for a pattern routes._matcher refuses: the tokens matched in turn, longest first, within
    ``budget`` steps (a hostile path stays linear)."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    tokens = self.tokens
    if t == len(tokens):
        return params if i == len(path) else None
    kind, value = tokens[t]
    if kind == "text":
        if path.startswith(value, i):
            return match_tokens(self, path, i + len(value), t + 1, params, budget)
        return None
    if value == "wildcard":
        end, lowest = len(path), i  # why: ``*`` matches anything, the empty string included
    else:
        end, lowest = path.find("/", i), i + 1  # a parameter: one or more characters, no ``/``
        if end == -1:
            end = len(path)
    if t + 1 == len(tokens):  # the last token must take the rest of the path
        return {**params, value: path[i:]} if lowest <= len(path) == end else None
    following = tokens[t + 1]
    stop = end
    while stop >= lowest:  # longest first, as a greedy regex would
        if following[0] == "text":
            # PERF: only where the text that follows starts (keeps /:name.:ext linear).
            stop = path.rfind(following[1], lowest, stop + len(following[1]))
            if stop == -1:
                return None
        found = match_tokens(self, path, stop, t + 1, {**params, value: path[i:stop]}, budget)
        if found is not None:
            return found
        if budget[0] < 0:
            return None
        stop -= 1
    return None


def other_method(self: "Router", method: str, path: str, table: dict, params: "dict | None", route: str) -> tuple:
    """The first path that matched has no ``method``: as koa-router does, a later route whose path
    matches too and has the method serves it (``GET /x/:id`` beside ``DELETE /x/:nid``, or a static
    ``GET /x/me`` beside ``DELETE /x/:id``). Without one it is a 405 whose table joins every matching
    route's methods (its ``Allow``)."""
    merged = None
    parts = path.split("/")
    for match, r, t in self.dynamic:
        if t is table:
            continue
        p = match(path, parts)
        if p is None:
            continue
        handler = t.get(method)  # its own, else its ALL one, else (HEAD) its GET one, as Router.match
        if handler is None:
            handler = t.get("ALL")
            if handler is None and method == "HEAD":
                handler = t.get("GET")
        if handler is not None:
            return handler, p, t, r
        if merged is None:
            merged = dict(table)
        for m, h in t.items():
            merged.setdefault(m, h)
    return None, params if params is not None else {}, merged or table, route


# --- routes.py's names made on first use (routes.__getattr__) ---------------------------------------------


def routes_name(name: str) -> "Any":
    """``routes.Pattern`` or ``routes.Extractor``, made once (threads asking at once all get the one that landed)."""
    names = vars(routes)
    if name == "Extractor":
        class Extractor(routes.partial):  # functools.partial, as routes imports it
            """Reads one controller argument from the request and converts it (``_extractor``: the routes hold
            functools.partial objects of the same fields)."""

            __slots__ = ()

            def __new__(cls, arg: str, marker: "Any", annotation: "Any"):
                """The reader of argument ``arg`` (its marker and annotation)."""
                return routes._extractor(arg, marker, annotation, cls)

        made = Extractor
    elif name == "Pattern":
        class Pattern:
            """A dynamic route path, matched against a request path without regular expressions.

            The common shape (every segment literal, ``:name`` or a final ``*``) is compared segment by
            segment; any other shape (``/v:ver``, ``/a/*/b``) is matched by a small backtracking matcher
            over its tokens. Either way: a parameter matches one or more characters other than ``/``,
            ``*`` (named ``wildcard``) any characters, and the whole path must match.

            The token matcher gives up after ``MAX_STEPS`` steps and answers "no match" (a 404): only a
            hostile path against a route with several parameters in one segment gets near it (the regex
            this replaced took seconds on such a path).
            """

            MAX_STEPS = 20000
            __slots__ = ("path", "names", "tokens", "slashes", "simple")

            def __init__(self, path: str):
                """Parse ``path``; a parameter named twice raises ValueError."""
                self.simple = routes._matcher(path, False)  # the common shape's match, else None
                self.path, self.tokens, self.names = path, routes._tokens(path), routes.path_params(path)
                # Why: parameters never span a ``/``, so without ``*`` a path must have exactly this many.
                self.slashes = -1 if "wildcard" in self.names else path.count("/")

            def match(self, path: str, parts: "list | None" = None) -> "dict | None":
                """The parameters when ``path`` matches, else None; ``parts``: ``path.split("/")`` when the
                caller has it."""
                if self.simple is not None:
                    return self.simple(path, parts)
                if self.slashes != -1 and path.count("/") != self.slashes:
                    return None
                return match_tokens(self, path, 0, 0, {}, [self.MAX_STEPS])

        made = Pattern
    made.__module__, made.__qualname__ = routes.__name__, name
    return names.setdefault(name, made)
