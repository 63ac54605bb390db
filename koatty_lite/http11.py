"""HTTP/1.1 message syntax for the listen() server (RFC 9112): request heads, chunked bodies, log text.

Pure functions over bytes, no sockets; loaded only by listen() (server.py).
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable


class HttpError(Exception):
    """A request the server answers itself (the connection is closed after the answer)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 414: "URI Too Long",
           431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
           503: "Service Unavailable", 505: "HTTP Version Not Supported"}

_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# request-target: visible ASCII and obs-text (raw UTF-8 paths from sloppy clients); no CTL, SP or DEL.
_TARGET = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))
# field-value (RFC 9110 §5.5): HTAB, SP, VCHAR, obs-text. NUL, CR, LF and the other CTLs are a 400.
_VALUE = b"\t" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
_HEAD = _VALUE + b"\r\n"  # a head holding only these bytes has clean field values (see parse_head)
_HEX = b"0123456789abcdefABCDEF"
_VERSIONS = {b"HTTP/1.1": "HTTP/1.1", b"HTTP/1.0": "HTTP/1.0"}


def parse_head(head: bytes, max_line: int) -> tuple:
    """``(method, target, version, fields)`` of a request head (the bytes before its blank line).

    ``fields`` is a list of ``(lower-case name, value)`` latin-1 strings. A field name that is not
    ASCII or holds ``_`` is dropped (a client could twin a proxy's header with it, as gunicorn and
    nginx also drop); any other syntax error is an ``HttpError`` (400, 414 or 505).
    """
    lines = head.split(b"\r\n")
    method, target, version = _request_line(lines[0], max_line)
    # PERF: one pass over the whole head proves every field value clean (no CTL or DEL, no bare CR or
    # LF) instead of a check per value; with _NAMES, a GET head with 8 fields parses in 4.9 instead of
    # 8.9 us (timeit, best of 9, shared machine); a head that is not clean takes the per-value checks.
    breaks = len(lines) - 1
    clean = not head.translate(None, _HEAD) and head.count(b"\n") == breaks and head.count(b"\r") == breaks
    return method, target, version, _fields(lines, clean)


def _request_line(line: bytes, max_line: int) -> tuple:
    """``(method, target, version)`` of a request line (RFC 9112 §3)."""
    if len(line) > max_line:
        raise HttpError(414, "Request line too long")
    parts = line.split(b" ")
    if len(parts) != 3:
        raise HttpError(400, "Malformed request line")
    method, target, version = parts
    if not method or method.translate(None, _TCHAR):
        raise HttpError(400, "Malformed request method")
    if not target or target.translate(None, _TARGET):
        raise HttpError(400, "Malformed request target")
    proto = _VERSIONS.get(version)
    if proto is None:
        if version[:5] == b"HTTP/" and version[5:6].isdigit() and version[6:7] == b"." and len(version) == 8:
            raise HttpError(505, "HTTP version not supported")
        raise HttpError(400, "Malformed HTTP version")
    return method.decode("ascii"), target.decode("latin-1"), proto


def _fields(lines: list, clean: bool) -> list:
    """The ``(lower-case name, value)`` pairs of a head's field lines, ``lines[1:]`` (RFC 9112 §5);
    ``clean`` when no value can hold a forbidden byte (parse_head checked the whole head)."""
    fields = []
    names = _NAMES
    for raw in lines[1:]:
        colon = raw.find(b":")
        if colon <= 0:
            # obs-fold (a line starting with SP/HTAB) lands here too: RFC 9112 §5.2 lets a server reject it.
            raise HttpError(400, "Malformed header line")
        name = names.get(raw[:colon]) or _name(raw[:colon])
        if name is None:
            continue
        value = raw[colon + 1:].strip(b" \t")
        if not clean and value.translate(None, _VALUE):
            raise HttpError(400, "Malformed header value")
        fields.append((name, value.decode("latin-1")))
    return fields


def _name(raw: bytes) -> str | None:
    """The lower-case name of a field name ``raw``; None to drop the field; HttpError 400 if malformed."""
    rest = raw.translate(None, _TCHAR)
    if rest:
        if rest.isascii():  # a space before the colon, a separator... (RFC 9112 §5.1: 400)
            raise HttpError(400, "Malformed header name")
        return None  # Why: a non-ASCII name (dotless ı, long ſ) could fold onto a trusted header: drop it
    if b"_" in raw:
        return None  # Why: x_foo and x-foo share one environ key; only the hyphen form is trusted
    name = raw.decode("ascii").lower()
    if len(_NAMES) < 1024 and len(raw) <= 64:  # bounded: the names are the client's
        _NAMES[raw] = name
    return name


# field name as sent → its lower-case form, filled by _name with the valid names seen (PERF: one dict
# lookup instead of a check, a decode and a lower per field; see parse_head).
_NAMES: dict = {}


def read_chunked(read_line: Callable, read_exact: Callable, limit: int, max_line: int) -> bytes:
    """The payload of a chunked body (RFC 9112 §7.1) through ``read_line(max)`` / ``read_exact(n)``.

    ``HttpError`` 413 once the payload would exceed ``limit``, 400 when the framing is malformed
    or the body ends early. Chunk extensions are ignored; trailer fields are read and dropped (they
    are never merged into the request's headers). Linear in the body size.
    """
    parts, total = [], 0
    while True:
        line = read_line(max_line)
        if not line.endswith(b"\r\n"):
            raise HttpError(400, "Malformed chunked body")
        size = line[:-2].split(b";", 1)[0].rstrip(b" \t")
        if not size or size.translate(None, _HEX) or len(size) > 16:
            raise HttpError(400, "Malformed chunk size")
        n = int(size, 16)
        if n == 0:
            break
        total += n
        if total > limit:
            raise HttpError(413, "Request body too large")
        data = read_exact(n + 2)
        if len(data) != n + 2 or data[-2:] != b"\r\n":
            raise HttpError(400, "Malformed chunked body")
        parts.append(data[:-2])
    trailers = 0
    while True:  # trailer section, then the final CRLF
        line = read_line(max_line)
        if line == b"\r\n":
            break
        trailers += len(line)
        if not line.endswith(b"\r\n") or trailers > max_line * 8:
            raise HttpError(400, "Malformed chunked trailer")
    return b"".join(parts)


# Control characters, DEL, non-ASCII, the quote and the backslash as \xNN: a request line in the
# access log cannot move the cursor, colour the terminal or end its own line (issue 12.4).
_LOG_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0x100))}
_LOG_ESCAPES[ord('"')] = '\\"'
_LOG_ESCAPES[ord("\\")] = "\\\\"


def log_text(text: str) -> str:
    """``text`` (latin-1 request text) safe for a log line: control and non-ASCII characters as ``\\xNN``."""
    return text.translate(_LOG_ESCAPES)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(seconds: float) -> str:
    """The IMF-fixdate of ``seconds`` since the epoch (RFC 9110 §5.6.7), without importing email."""
    import time

    t = time.gmtime(seconds)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")
