"""KoattyException, HttpException and the one JSON error shape ``{"code", "message", "data", "requestId"}``.

A leaf module (it imports nothing from koatty_lite): the core and the serverless adapters both
build every error body with ``error_body``.
"""
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

JSON_TYPE = "application/json; charset=utf-8"


def __getattr__(name: str) -> "Any":
    """``KoattyException`` and ``HttpException``, made on first use: PERF: a cold start that raises none makes
    neither class (cold GET -0.13M instructions, coldstages.sh); threads asking at once all get the ones that landed.
    ``KNOWN_LINES`` likewise."""
    if name == "KNOWN_LINES":  # "200 OK", ...: the lines check_status passes without a look, made on first use
        return globals().setdefault(name, frozenset(map("%d %s".__mod__, REASONS.items())))
    if name not in ("KoattyException", "HttpException"):
        # PERF: import.c's __path__ probe of `from <this module> import x`: no message (-2.6k instructions)
        raise AttributeError(name if name == "__path__" else f"module {__name__!r} has no attribute {name!r}")
    g = globals()

    class KoattyException(Exception):
        """An error that becomes the response: ``status`` with body ``{"code", "message", "data"}``, plus
        ``headers`` (a dict or ``(name, value)`` pairs) set on that answer."""

        __qualname__ = "KoattyException"  # why: pickle finds the class by it

        def __init__(self, message: str = "", code: int = 1, status: int = 500, data: "Any" = None,
                     headers: "Any" = None):
            super().__init__(message)
            self.message = message
            self.code = code
            try:
                status = int(status)
            except (TypeError, ValueError):
                status = 500
            # Why: an out-of-range status would produce an invalid status line; Koatty clamps the same way.
            self.status = status if 100 <= status <= 599 else 500
            self.data = data
            # Koa's err.headers: set on the error answer, after the headers set before the failure are dropped.
            self.headers = headers

        def __repr__(self) -> str:
            return f"{type(self).__name__}({self.message!r}, code={self.code!r}, status={self.status!r})"

    base = g.setdefault("KoattyException", KoattyException)
    g.setdefault("HttpException", type("HttpException", (base,), {"__doc__": "KoattyException by its HTTP name.",
                                                                   "__module__": __name__}))
    return g[name]


REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict",
    410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    422: "Unprocessable Entity", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


# A known code -> its line ("200 OK"), written by status_line's first answer of it. PERF: no line is made at
# import (nor KNOWN_LINES): cold v2 GET 82.06M -> 81.98M instructions (callgrind, whole process)
_LINES = {}


def status_line(status: int) -> str:
    """``200`` → ``"200 OK"`` (unknown codes get a generic reason)."""
    line = _LINES.get(status)  # PERF: each known code's line made once
    if line is None:
        reason = REASONS.get(status)
        if reason is None:
            return f"{status} Unknown"
        line = _LINES[status] = "%d %s" % (status, reason)
    return line


def check_status(status: "Any") -> None:
    """ValueError unless ``status`` is a PEP 3333 status line a platform can send: three ASCII digits
    100-599, then the end or a space and a reason phrase of printable ASCII.

    Why: the serverless shapers read its first three characters as the code (" 200 OK" was 20,
    "abc" a crash) and ALB / VPC Lattice send the line as statusDescription (a CR/LF in the reason
    would split the balancer's status line).
    """
    if type(status) is str and status in (globals().get("KNOWN_LINES") or __getattr__("KNOWN_LINES")):
        return  # PERF: the usual line, one set lookup
    if type(status) is not str:
        raise TypeError("status must be str")
    if not ("1" <= status[:1] <= "5" and status[1:3].isdigit() and status[3:4] in ("", " ")
            and status.isascii() and status.isprintable()):
        raise ValueError(f"invalid WSGI status line {status!r}: want three digits 100-599 and a reason phrase")


def finite(obj: "Any") -> "Any":
    """``obj`` with every NaN / ±Infinity float replaced by None (what JSON.stringify writes: null)."""
    if isinstance(obj, float):
        return None if obj - obj else obj  # inf - inf and NaN - NaN are NaN, which is truthy
    if isinstance(obj, dict):  # PERF: map, not comprehensions (two code objects fewer at every cold start)
        return dict(zip(obj, map(finite, obj.values())))
    if isinstance(obj, (list, tuple)):
        return list(map(finite, obj))
    return obj


def error_body(code: "Any", message: str, data: "Any" = None, request_id: "str | None" = None) -> bytes:
    """The JSON error body bytes: ``{"code", "message", "data", "requestId"}``, the one error shape
    of every answer koatty_lite gives (the core, the adapters' 400s, the entry point's 500/503).
    NaN / Infinity in ``data`` are written as null (RFC 8259 has no such numbers)."""
    body = {"code": code, "message": message, "data": data, "requestId": request_id}
    return json.dumps(finite(body), separators=(",", ":"), default=str, allow_nan=False).encode("utf-8")
