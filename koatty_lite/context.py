"""Context over a request: lazy request views (parsed on first use, cached) and response state.

The request is either a serverless ``Request`` (serverless/request.py: the platform event read
directly) or a PEP 3333 environ, read through ``EnvironRequest`` (environ.py, loaded with the first
environ); both offer the same fields.
"""
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .environ import Headers

_MISSING = object()
# PERF: character sets, not regexes: the first custom header of a cold start compiled one (~0.1 ms).
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# PERF: strings and tuples, not frozensets: the garbage collector traverses every set at each collection (77
# characters are a 512-slot table), and neither a string nor a tuple of strings (with routes', output's, log's and
# serverless' sets: cold v2 GET -0.16M instructions); "every character of s is one of them" is `not s.strip(chars)`
_TOKEN_CHARS = _ALNUM + "!#$%&'*+.^_`|~-"  # RFC 9110 token: header and cookie names
_REQUEST_ID_CHARS = _ALNUM + "._:-"  # an incoming X-Request-Id we accept, 1 to 128 of them
# Response header names the platform shapers treat apart (cookies, encoding, the ones render writes).
_SPECIAL = ("set-cookie", "content-encoding", "content-length", "x-request-id")


_IDS = []  # [iterator of ids] once an id was made (none is made when every request brings its own)


def new_request_id() -> str:
    """16 hex digits for a request without an id (no platform id, no valid X-Request-Id): a per-process
    random start (60 bits from os.urandom, above 2**60: always 16 digits) counted up by one. Unique within the
    process (it never repeats), unguessable from outside it, fresh in a forked child; not a secret (ids are echoed
    in X-Request-Id). PERF: one C-level next() (hex() over itertools.count, its "0x" cut), no random draw per
    request (koatty_app ALB GET, new_request_id 2.8k -> ~1.2k instructions; hex(), not a "%016x" format: -1k)."""
    if not _IDS:
        _start_ids()
    return next(_IDS[0])


def _start_ids() -> None:
    from itertools import count
    from operator import itemgetter

    first = not _IDS
    _IDS[:] = [map(itemgetter(slice(2, None)), map(hex, count(int.from_bytes(os.urandom(8), "big") >> 4 | 1 << 60)))]
    if first and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_start_ids)  # why: a forked child must not repeat the parent's ids


def _is_token(name: "Any") -> bool:
    """True for a non-empty string of RFC 9110 token characters (a header or cookie name)."""
    return isinstance(name, str) and bool(name) and not name.strip(_TOKEN_CHARS)


def _wsgi_str(value: str) -> str:
    """A WSGI native string (latin-1 of the raw bytes) → text, decoding the bytes as UTF-8.

    Why: non-UTF-8 bytes must not turn into a 500; they become U+FFFD (documented in docs/core.md).
    """
    # PERF: almost every path is ASCII; skip the re-encode round trip.
    if value.isascii():
        return value
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _environ_request(environ: dict) -> "Any":
    """The ``EnvironRequest`` over a PEP 3333 environ: koatty_lite.environ is loaded by the first one,
    and this name is rebound to the class (``type(req) is _environ_request`` then tells them apart)."""
    global _environ_request
    from .environ import EnvironRequest  # PERF: a serverless request never needs it (~0.3M instructions cold)

    _environ_request = EnvironRequest
    return EnvironRequest(environ)


def __getattr__(name: str) -> "Any":
    """``EnvironRequest`` and ``Headers`` live in koatty_lite.environ, ``encode_url`` in koatty_lite.context_extra
    (loaded on first use)."""
    if name == "__path__":  # PERF: what each `from .context import x` asks first (cold start -2k instructions each)
        raise AttributeError(name)
    if name in ("EnvironRequest", "Headers"):
        from . import environ

        return getattr(environ, name)
    if name in ("encode_url", "_URL_SAFE", "_HEX", "_reason"):
        from . import context_extra

        return getattr(context_extra, name)
    raise AttributeError(f"module 'koatty_lite.context' has no attribute {name!r}")


# The Context members defined in context_extra.py (installed on Context by the first use of one).
EXTRAS = (
    "query_list", "querystring", "cookies", "ip", "host", "route", "url", "trace_id", "trace", "logger", "metrics",
    "event", "platform_context", "platform", "event_kind", "raw_body", "request_file", "request_files",
    "request_param", "append", "remove", "response_header", "response_headers", "set_cookie", "throw", "redirect",
    "environ", "__repr__",
)


class _Extra(str):
    """The stand-in for ``Context.<name>`` (a member of EXTRAS, the string itself) until koatty_lite.context_extra
    is loaded: the first read or write of one imports that module, which puts every member itself in its
    stand-in's place.

    Why stand-ins and not ``Context.__getattr__``: a class with ``__getattr__`` loses the interpreter's
    specialised attribute reads on every ``ctx.x`` / ``self.x`` (3.11+): koatty_app ALB GET 73.5k -> 67.3k
    instructions per request, for +0.23M instructions per cold start (the class and its 26 instances:
    coldstages-style, PYTHONHASHSEED=0; 26 property objects with 52 closures cost ~0.4M). A data
    descriptor, so an assignment reaches the member's own rules whether or not an earlier request loaded
    them; a str subclass, so a stand-in is its name.
    """

    __slots__ = ()

    def __get__(self, obj: "Any", cls: "Any" = None) -> "Any":
        from . import context_extra  # noqa: F401  (installs EXTRAS on Context, once, under the import lock)

        # why Context's own member, not getattr(obj): reached through super() from a subclass that overrides
        # it, getattr would run the override again
        return Context.__dict__[self].__get__(obj, Context)

    def __set__(self, obj: "Any", value: "Any") -> None:
        from . import context_extra  # noqa: F401

        setattr(obj, self, value)


class Context:
    """One request: lazy request views over a ``Request`` or an environ, and the response being built."""

    # PERF: __slots__ for what every request sets or reads; the fields only some requests fill (the
    # parsed query, headers, cookies, body, state) start as the class defaults below and land in the
    # instance __dict__ when set: 9 stores fewer per request (REST v1 GET -0.9k instructions).
    __slots__ = (
        "_req", "app", "method", "path", "params", "body", "_status", "_type", "_out", "_request_id",
        "_ext", "_route", "_special", "__dict__",
    )
    _query = _query_pairs = _headers = _cookies = _body_data = _files = _request_param = _raw_body = None
    _state = None
    _body_loaded = False
    # The stand-ins of EXTRAS (_Extra), in the class namespace: PERF, 26 setattr on the made class cost ~40k
    # instructions more per cold start (a class body's locals() is the namespace the class is made from).
    locals().update(zip(EXTRAS, map(_Extra, EXTRAS)))

    def __init__(self, environ: "Any", app: "Any" = None):
        """``environ``: a PEP 3333 environ, or a serverless ``Request`` (read without building one)."""
        req = self._req = _environ_request(environ) if isinstance(environ, dict) else environ
        self.app = app
        # Why: methods are case-sensitive (RFC 9110 §9.1): "get" is not GET (it gets a 405 or 404).
        self.method = req.method or "GET"
        path = req.path or "/"
        self.path = path if path.isascii() else _wsgi_str(path)
        self.params = {}
        self.body = None
        self._status = None
        self._type = None
        self._out = []
        self._request_id = None
        self._ext = None  # {"logger", "metrics", "trace", "obs"}: created on first use (observability)
        self._route = None  # (method, path, router.match(...)) once looked up
        # True once a response header needs the shapers' general path (output.WsgiApp.koatty_answer):
        # appended (a name may repeat), a special name (_SPECIAL), a non-ASCII value.
        self._special = False

    @property
    def state(self) -> dict:
        """Per-request data for middleware and controllers to share (a dict, created on first use)."""
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    @state.setter
    def state(self, value: dict) -> None:
        self._state = value

    # --- request ------------------------------------------------------------------------------

    @property
    def headers(self) -> "Headers":
        """Request headers, case-insensitive (``ctx.headers["x-api-key"]``)."""
        h = self._headers
        if h is None:
            h = self._headers = self._req.headers
        return h

    def get(self, name: str, default: "Any" = None) -> "Any":
        """A request header (Koa's ``ctx.get``)."""
        return self.headers.get(name, default)

    def _pairs(self) -> list:
        pairs = self._query_pairs
        if pairs is None:
            qs = self._req.query
            if not qs:
                pairs = []
            else:
                try:
                    from .query import parse_qsl  # PERF: no urllib.parse (~12M instructions of a cold start)
                except ImportError:  # a package built without it (cli/slim.py's feature "query")
                    from urllib.parse import parse_qsl

                if not qs.isascii():
                    qs = _wsgi_str(qs)
                pairs = parse_qsl(qs, keep_blank_values=True, errors="replace")
            self._query_pairs = pairs
        return pairs

    @property
    def query(self) -> dict:
        """Query parameters as a dict; a repeated key keeps its last value (see ``query_list``)."""
        q = self._query
        if q is None:
            q = self._query = dict(self._pairs())
        return q

    @property
    def request_id(self) -> str:
        """The platform request id, else a valid incoming ``X-Request-Id``, else a generated one."""
        rid = self._request_id
        if rid is None:
            rid = self._req.request_id
            if not rid:
                # PERF: a serverless Request reads one header without building the view when it can
                # (ALB GET without a context: -13k instructions); a method of both requests, called as one (-0.8k)
                rid = self._req.header("x-request-id")
                if not rid or len(rid) > 128 or rid.strip(_REQUEST_ID_CHARS):
                    # PERF: new_request_id's usual case written out (ALB GET without an id -1k instructions)
                    rid = next(_IDS[0]) if _IDS else new_request_id()
            self._request_id = rid = str(rid)
        return rid

    # --- body (payload.py) --------------------------------------------------------------------

    def _load_body(self) -> None:
        """Read and parse the body once; a PayloadError becomes its 4xx."""
        global _payload
        if self._body_loaded:
            return
        self._body_loaded = True
        if not self._req.has_body():
            self._raw_body = b""
            self._body_data = {}
            self._files = {}
            return
        if _payload is None:  # PERF: loaded by the first request with a body, not at cold start
            from . import payload as _payload
        PayloadError, parse_body, read_body = _payload.PayloadError, _payload.parse_body, _payload.read_body
        req = self._req
        limit = self.app.payload_limit if self.app is not None else 6 * 1024 * 1024
        try:
            raw = req.body
            if raw is None:
                raw = read_body(req.environ, limit)
            elif len(raw) > limit:
                raise PayloadError(413, "Request body too large")  # the message read_body gives
            self._raw_body = raw
            headers = req.headers
            data, files = parse_body(raw, headers.get("content-type", ""), headers.get("content-encoding", ""),
                                     limit=limit)
        except ValueError as exc:  # a PayloadError; a BadEvent: a text body without UTF-8 (serverless Request.body)
            from . import errors  # PERF: here, not at import (importlib's _handle_fromlist at each cold start)

            raise errors.HttpException(str(exc), 1, getattr(exc, "status", 400)) from None
        # Why: RequestBody() is documented as {} for an empty body; a JSON `null` (or blank) body is one.
        self._body_data = {} if data is None else data
        self._files = files or {}

    def request_body(self) -> "Any":
        """The parsed body: a dict for JSON objects/forms/multipart, str for text/*, else bytes; ``{}`` when empty."""
        if not self._body_loaded:
            self._load_body()
        return self._body_data

    # --- response -----------------------------------------------------------------------------

    @property
    def status(self) -> int:
        """Response status: as set; else 200 once a body is set; else 404 (Koa's default before anything answered)."""
        s = self._status
        if s is None:
            return 404 if self.body is None else 200
        return s

    @status.setter
    def status(self, value: int) -> None:
        value = int(value)
        if not 100 <= value <= 599:
            raise ValueError(f"invalid status {value}")
        self._status = value

    @property
    def type(self) -> "str | None":
        """Response Content-Type as set (None: derived from the body)."""
        return self._type

    @type.setter
    def type(self, value: "str | None") -> None:
        if value is not None:
            _check_header("Content-Type", value)
            if "/" not in value:
                value = _SHORT_TYPES.get(value.lstrip("."), value)
        self._type = value

    def set(self, name: "str | dict", value: "Any" = None) -> None:
        """Set a response header (replacing one of the same name); ``ctx.set({...})`` sets several."""
        # PERF: an ordinary name already checked (its lower case cached in _GOOD_NAMES: not Content-Type nor
        # _SPECIAL) with a printable ASCII text value goes straight to the list (4.3k -> 2.5k instructions)
        lname = _GOOD_NAMES.get(name) if type(name) is str else None
        if lname is None or type(value) is not str or not value.isprintable() or not value.isascii():
            if isinstance(name, dict):
                for k, v in name.items():
                    self.set(k, v)
                return
            if type(value) is not str:
                value = str(value)
            _check_header(name, value)
            lname = name.lower()
            if lname in _SPECIAL or not value.isascii():
                self._special = True
            if lname == "content-type":
                self._type = value
                return
        out = self._out
        if out:  # PERF: the first header set needs no search for one to replace
            kept = []  # a loop, here and below: a comprehension is a code object more at each cold start
            for pair in out:
                if pair[0].lower() != lname:
                    kept.append(pair)
            out[:] = kept
        out.append((name, value))


_SHORT_TYPES = {
    "json": "application/json; charset=utf-8", "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8", "txt": "text/plain; charset=utf-8",
    "xml": "application/xml; charset=utf-8", "bin": "application/octet-stream",
}


_GOOD_NAMES = {}  # header name already checked -> its lower case (bounded below)
_payload = None  # koatty_lite.payload once a request had a body


def _check_header(name: str, value: str) -> None:
    # Why: a CR/LF/NUL would let a value split into a second header (response splitting); RFC 9110
    # §5.5 allows no other control character either (HTAB excepted).
    if type(name) is not str or name not in _GOOD_NAMES:
        if not _is_token(name):
            raise ValueError(f"invalid header name {name!r}")
        lname = name.lower()
        # why: bounded (a name may come from a client); ctx.set's shortcut is for ordinary names only
        if len(_GOOD_NAMES) < 512 and len(name) <= 64 and lname != "content-type" and lname not in _SPECIAL:
            _GOOD_NAMES[name] = lname
    # PERF: one C-level scan (isprintable) for the usual value instead of a regex search.
    if not value.isprintable():
        for c in value:
            if (c < " " and c != "\t") or c == "\x7f":
                raise ValueError(f"invalid header value for {name!r}: contains a control character (CR, LF, NUL, "
                                 "...)")
    if not value.isascii():
        try:
            value.encode("utf-8")  # sent as UTF-8 (environ.native_headers, the serverless adapters)
        except UnicodeEncodeError:
            raise ValueError(f"invalid header value for {name!r}: a lone surrogate is not text") from None



