"""A foreign WSGI app (Flask, Django: any WSGI callable) served by ``koatty_lite.handler()``: ``guard`` gives
every response an X-Request-Id and answers the JSON 500 instead of a crash (docs/handler.md).

Loaded by the first ``handler()`` given such an app; a function package ships it only then (feature ``foreign``,
cli/slim.py): a Koatty app's package and cold start pay nothing for it.
"""
from . import log as _log
from .context import new_request_id
from .entry import _TCHARS  # the RFC 9110 token characters (why from entry: only entry and kinds import serverless/)
from .errors import KNOWN_LINES, check_status, error_body

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["guard"]

_new_request_id = new_request_id  # the name the guard (and its tests) use


def guard(wsgi_app: "Callable") -> "Callable":
    """Wrap a foreign WSGI app: X-Request-Id on every response, a JSON 500 instead of a crash.

    The app runs to its end (body joined, written chunks first) before the server's start_response is
    called. ``koatty_run(environ) -> (status, headers, body, plain)``, what the serverless formats call,
    does it without a start_response round trip (PERF: guard + run_wsgi 19.2k -> ~8k instructions per
    request, a REST v1 GET of a bare WSGI app); ``plain``: the lower-cased content type when the header
    pairs are plain (see _with_id), else None.
    """

    def run(environ: dict) -> tuple:
        started = _new(_Started)  # PERF: an object of slots, not two closures and six cells (-2k instructions)
        rid = started.rid = environ.get("koatty.request_id") or _new_request_id()
        started.status = started.written = None
        try:
            result = wsgi_app(environ, started.start_response)
            if type(result) is list:
                body = b"".join(result)  # PERF: a list has no close(); one bytes chunk is returned as it is
            else:
                try:  # why: a body generator may fail (or call start_response) while iterated: do it here
                    body = b"".join(result)
                finally:  # PEP 3333, whatever the iteration raised
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            status = started.status
            if status is None:  # why: a PEP 3333 violation is the app's fault: the JSON 500, not a crash
                raise RuntimeError("the WSGI app returned a body without calling start_response()")
        except Exception:
            # Why: method and path are the client's: escaped, so a %0A cannot write a fake log line.
            _log.get_logger().exception("unhandled exception in %s", _log.printable(
                f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"))
            if started.written:
                raise  # why: body bytes were written: the 500 can no longer replace the headers
            body = error_body(1, "Internal Server Error", None, rid)
            return "500 Internal Server Error", [("Content-Type", "application/json; charset=utf-8"),
                                                 ("Content-Length", str(len(body))), ("X-Request-Id", rid)], body, None
        written = started.written
        return status, started.headers, (b"".join(written) + body) if written else body, started.plain

    def app(environ: dict, start_response: "Callable") -> list:
        status, headers, body, _ = run(environ)
        start_response(status, headers)
        return [body]

    app.koatty_run = run
    return app


_guard = guard  # the name entry._guard's stand-in binds (entry.py)


class _Started:
    """One request of handler()'s guard: its ``start_response`` and ``write`` (PEP 3333), and what they were
    given: the status line, the header pairs (X-Request-Id added), ``plain`` (see guard) and the written chunks
    (None until one is: then the headers count as sent, PEP 3333's exc_info rule)."""

    __slots__ = ("rid", "status", "headers", "plain", "written")

    def start_response(self, status, headers, exc_info=None):
        """PEP 3333's start_response: check and keep the status line and the header pairs."""
        rid = self.rid
        try:  # PERF: _with_id's common case (every name cached) without its call (REST v1 POST -0.7k instructions)
            text, lows = rid, {}
            for name, value in headers:
                lows[_PLAIN_NAMES[name]] = value
                text += value
            done = len(lows) == len(headers) and text.isascii() and text.isprintable()
        except Exception:  # noqa: BLE001 - _with_id answers (or raises) as the rules say
            done = False
        if done:
            ctype = lows.get("content-type", "")
            # PERF: the app's few content types lower-cased once (REST v1 POST -0.2k instructions)
            headers, is_plain = [*headers, ("X-Request-Id", rid)], _LOWER.get(ctype) or _lower(ctype)
        else:
            headers, is_plain = _with_id(headers, rid)
        if exc_info:
            try:
                if self.written:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # why: break the traceback cycle (PEP 3333)
        elif self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        if status not in KNOWN_LINES:  # PERF: the usual line without a call
            check_status(status)  # why: a bad line is the app's fault: the JSON 500, not a crash or a split line
        self.status, self.headers, self.plain = status, headers, is_plain
        return self.write

    def write(self, data):
        """PEP 3333's write(): the bytes are copied (the app may reuse its buffer)."""
        if data:
            written = self.written
            if written is None:
                written = self.written = []
            written.append(bytes(data))


_LOWER = {}  # a content type as an app writes it -> its lower-case form (bounded: 64 values)


def _lower(ctype: str) -> str:
    low = ctype.lower()
    if len(_LOWER) < 64 and len(ctype) <= 128:
        _LOWER[ctype] = low
    return low


_new = object.__new__  # PERF: a _Started without a call of the class (no __init__ frame)


def _with_id(headers: "Any", rid: str) -> tuple:
    """``(pairs, plain)``: a foreign app's header pairs as a new list, with X-Request-Id unless the app
    set one, and their lower-cased content type ("" without one) when they are plain, else None.

    Plain: printable ASCII text (no CR/LF/NUL, no control character), no name repeated, no Set-Cookie, Content-Encoding or X-Request-Id
    of the app's own; the format's ``answer`` then shapes them as it shapes a Koatty app's plain answer,
    with no clean_headers and no shaper pass of their own (PERF: REST v1 GET of a bare WSGI app,
    start_response + clean_headers + shaping 27.8k -> ~16k instructions).
    """
    try:
        # PERF: one store per pair, keyed by its name's cached lower-case form, each value added to one text:
        # the repeats, the characters and the id checked once, after the loop (REST v1 POST -0.9k instructions)
        text, lows, names = rid, {}, _PLAIN_NAMES
        for name, value in headers:
            lows[names[name]] = value
            text += value
    except KeyError:  # a name not cached yet, or not plain
        text, lows = _named(headers, rid)
    except (TypeError, ValueError):
        lows = None  # the general rules (clean_headers drops what is not text)
    if lows is not None and len(lows) == len(headers) and text.isascii() and text.isprintable():
        return [*headers, ("X-Request-Id", rid)], lows.get("content-type", "").lower()
    for name, _ in headers:  # not plain (what a pair that is no pair raises, it raises)
        # PERF: only a 12-character name can be X-Request-Id: no lower() for the others
        if len(name) == 12 and name.lower() == "x-request-id":
            return list(headers), None
    return [*headers, ("X-Request-Id", rid)], None


def _named(headers: "Any", rid: str) -> tuple:
    """_with_id's loop for names not all cached: ``(text, {lower-case name: value})``, the names' forms
    cached by _plain_name; the map None when a name may not be plain or a pair is no text pair."""
    text, lows = rid, {}
    try:
        for name, value in headers:
            low = _PLAIN_NAMES.get(name) or _plain_name(name)
            if low is None:
                return text, None
            lows[low] = value
            text += value
    except (TypeError, ValueError):
        return text, None
    return text, lows


_PLAIN_NAMES = {}  # a response header name as an app writes it -> its lower-case form, for names _with_id passes
_UNPLAIN = frozenset(("set-cookie", "content-encoding", "x-request-id", ""))


def _plain_name(name: "Any") -> "str | None":
    """The lower-case form of a header name a plain answer may carry (printable ASCII, not Set-Cookie,
    Content-Encoding or X-Request-Id), cached for at most 1024 names of up to 64 characters; else None."""
    if type(name) is not str or name.strip(_TCHARS):  # an RFC 9110 token (clean_headers drops others)
        return None
    low = name.lower()
    if low in _UNPLAIN:
        return None
    if len(_PLAIN_NAMES) < 1024 and len(name) <= 64:  # why: bounded: an app may echo names a client chose
        _PLAIN_NAMES[name] = low
    return low
