"""A PEP 3333 environ read as ``Context`` reads a serverless ``Request``: ``EnvironRequest`` and its
case-insensitive ``Headers`` view. Loaded with the first environ (listen(), FC 2.0, any WSGI server,
``app.get_request_handler()``), never on the serverless path (context.py asks for it).
"""
from __future__ import annotations

from .context import _wsgi_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Headers:
    """Case-insensitive read-only view of the request headers in the environ."""

    __slots__ = ("_environ",)

    def __init__(self, environ: dict):
        self._environ = environ

    @staticmethod
    def _key(name: str) -> str:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return key
        return "HTTP_" + key

    def get(self, name: str, default: Any = None) -> Any:
        """The header value (str) or ``default``."""
        value = self._environ.get(self._key(name))
        return default if value is None else _wsgi_str(value)

    def __getitem__(self, name: str) -> str:
        value = self._environ.get(self._key(name))
        if value is None:
            raise KeyError(name)
        return _wsgi_str(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._environ

    def keys(self) -> list:
        """Header names, lower-case with dashes."""
        out = []
        for key in self._environ:
            if key.startswith("HTTP_"):
                out.append(key[5:].replace("_", "-").lower())
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and self._environ[key]:
                out.append(key.replace("_", "-").lower())
        return out

    def items(self) -> list:
        """``(name, value)`` pairs, names lower-case."""
        return [(k, self[k]) for k in self.keys()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class EnvironRequest:
    """The request fields ``Context`` reads, over a PEP 3333 environ (listen(), FC 2.0, any WSGI server).

    The same fields as ``koatty_lite.serverless.request.Request``, which serves them straight from a
    platform event: ``method``, ``path`` and ``query`` (native strings), ``headers``, ``remote_addr``,
    ``server_name``, ``request_id``, ``trace_id``, ``event``, ``context``, ``platform``, ``kind``,
    ``t0``, ``environ``, ``has_body()``; ``body`` is None: the body is read from ``wsgi.input``.
    """

    __slots__ = ("environ", "_headers")
    body = None

    def __init__(self, environ: dict):
        self.environ = environ
        self._headers = None

    method = property(lambda self: self.environ.get("REQUEST_METHOD") or "GET")
    path = property(lambda self: self.environ.get("PATH_INFO"))
    query = property(lambda self: self.environ.get("QUERY_STRING", ""))
    remote_addr = property(lambda self: self.environ.get("REMOTE_ADDR", ""))
    server_name = property(lambda self: self.environ.get("SERVER_NAME", ""))
    request_id = property(lambda self: self.environ.get("koatty.request_id"))
    event = property(lambda self: self.environ.get("koatty.event"))
    context = property(lambda self: self.environ.get("koatty.context"))
    platform = property(lambda self: self.environ.get("koatty.platform"))
    kind = property(lambda self: self.environ.get("koatty.event_kind"))
    t0 = property(lambda self: self.environ.get("koatty.t0"))

    @property
    def trace_id(self) -> str | None:
        """``koatty.trace_id`` from the adapter, else the ``X-Amzn-Trace-Id`` header."""
        env = self.environ
        return env.get("koatty.trace_id") or env.get("HTTP_X_AMZN_TRACE_ID")

    @property
    def headers(self) -> Headers:
        """The request headers (``Headers`` over the environ)."""
        h = self._headers
        if h is None:
            h = self._headers = Headers(self.environ)
        return h

    def header(self, key: str) -> str | None:
        """``headers.get(key)`` (the serverless Request's ``header``: ctx.request_id reads X-Request-Id with it)."""
        return self.headers.get(key)

    def has_body(self) -> bool:
        """True when CONTENT_LENGTH announces a body."""
        length = self.environ.get("CONTENT_LENGTH")
        return bool(length and length != "0")


def respond(wsgi_app: "Any", environ: dict, start_response: "Any") -> list:
    """``WsgiApp.__call__`` (and a ready app's own call): the answer to an environ through PEP 3333's
    ``start_response``."""
    status, headers, body = wsgi_app.koatty_respond(environ)
    for value in headers:
        if not value[1].isascii():
            headers = native_headers(headers)
            break
    start_response(status, list(headers))  # why: PEP 3333 validators want the list type itself
    return [body] if body else []


def native_headers(headers: list) -> list:
    """Header pairs with each non-ASCII value as a PEP 3333 native string of its UTF-8 bytes.

    Why: the core reads a request header's UTF-8 bytes as text, so a value it sends goes out as UTF-8
    too, as the serverless adapters send it: ``ctx.set("X-City", ctx.get("cf-ipcity"))`` gives the
    client back the bytes it sent, in listen mode and FC 2.0 as on every serverless trigger.
    """
    return [(name, value if value.isascii() else value.encode("utf-8").decode("latin-1"))
            for name, value in headers]


class WsgiApp:
    """``output.WsgiApp``: a ready app's PEP 3333 callable as an object of its own, for code that wraps an app by
    hand (the app is its own callable: ``app.get_request_handler()`` returns it, or observe's ObservedWsgiApp)."""

    __slots__ = ("app", "chain", "handler", "log_state")
    koatty_timed = False

    def __init__(self, app: Any):
        from .log import _state

        self.app, self.chain, self.handler, self.log_state = app, app._chain, app.exception_handler, _state

    def koatty_answer(self, request: Any, answer: Any = None, to_response: Any = None) -> Any:
        """The app's ``koatty_answer`` (``koatty_respond``: without the shapers)."""
        return self.app.koatty_answer(request, answer, to_response)

    koatty_respond = koatty_answer

    def error(self, ctx: Any, exc: Exception) -> tuple:
        """The exception as the response: the @ExceptionHandler, else the default JSON output."""
        from .context_extra import answer_error

        return answer_error(ctx, exc)

    __call__ = respond
