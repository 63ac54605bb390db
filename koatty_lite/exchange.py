"""One request/answer exchange of the listen() server over a connection (loaded by server.py only).

``BodyInput`` is ``wsgi.input`` bounded to the request's length, ``ChunkReader`` feeds a chunked body
to http11.read_chunked, ``Response`` is ``start_response`` plus the framing of the answer
(Content-Length, chunked, or the close). A connection is any object with ``sock`` and ``buf`` (the
bytes read but not yet used), as server.py's ``_Conn``.
"""
from __future__ import annotations

from .http11 import HttpError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .server import Server, _Conn

RECV = 65536  # bytes per recv()


class ChunkReader:
    """Line and exact reads over ``conn.buf`` + the socket, for a chunked body (at most ``budget`` bytes)."""

    __slots__ = ("conn", "budget")

    def __init__(self, conn: _Conn, budget: int):
        self.conn = conn
        self.budget = budget

    def _more(self) -> bool:
        try:
            data = self.conn.sock.recv(RECV)
        except OSError:
            data = b""
        if not data:
            return False
        self.budget -= len(data)
        if self.budget < 0:
            raise HttpError(413, "Request body too large")
        self.conn.buf = self.conn.buf + data if self.conn.buf else data
        return True

    def line(self, limit: int) -> bytes:
        start = 0
        while True:
            buf = self.conn.buf
            i = buf.find(b"\n", start)
            if i >= 0:
                self.conn.buf = buf[i + 1:]
                return buf[:i + 1]
            if len(buf) > limit:
                raise HttpError(400, "Malformed chunked body")
            start = len(buf)
            if not self._more():
                raise HttpError(400, "Incomplete chunked body")

    def exact(self, n: int) -> bytes:
        parts, got = [], 0
        buf = self.conn.buf
        while True:
            if buf:
                take = buf[:n - got]
                parts.append(take)
                got += len(take)
                self.conn.buf = buf = buf[len(take):]
            if got >= n:
                return b"".join(parts)
            try:
                buf = self.conn.sock.recv(min(RECV, n - got))
            except OSError:
                buf = b""
            if not buf:
                return b"".join(parts)
            self.budget -= len(buf)


class BodyInput:
    """``wsgi.input``: the request body, bounded to its length (the socket after it is the next request)."""

    __slots__ = ("conn", "remaining", "expect", "short")

    def __init__(self, conn: _Conn, length: int, expect: bool):
        self.conn = conn
        self.remaining = length
        self.expect = expect
        self.short = False  # the body ended early (timeout, reset): the connection cannot be reused

    def _recv(self, n: int) -> bytes:
        conn = self.conn
        if self.expect:  # the client waits for this before sending the body (RFC 9110 §10.1.1)
            self.expect = False
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        buf = conn.buf
        if buf:
            data = buf[:n]
            conn.buf = buf[n:]
            return data
        try:
            data = conn.sock.recv(min(n, RECV))
        except OSError:  # a timeout or a reset: the body ends short; the app sees fewer bytes
            data = b""
        if not data:
            self.short = True
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is None or negative)."""
        left = self.remaining
        if size is None or size < 0 or size > left:
            size = left
        parts, got = [], 0
        while got < size:
            data = self._recv(size - got)
            if not data:
                self.remaining = 0
                self.conn.buf = b""
                break
            parts.append(data)
            got += len(data)
            self.remaining -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        """One line (with its newline), at most ``size`` bytes."""
        limit = self.remaining if size is None or size < 0 else min(size, self.remaining)
        out = bytearray()
        while len(out) < limit:
            conn = self.conn
            if not conn.buf:
                data = self._recv(min(RECV, limit - len(out)))
                if not data:
                    self.remaining = 0
                    break
                conn.buf = data
            buf = conn.buf
            i = buf.find(b"\n", 0, limit - len(out))
            take = (i + 1) if i >= 0 else min(len(buf), limit - len(out))
            out += buf[:take]
            conn.buf = buf[take:]
            self.remaining -= take
            if i >= 0:
                break
        return bytes(out)

    def readlines(self, hint: int = -1) -> list:
        """Every line left (stops after ``hint`` bytes when positive)."""
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self) -> bool:
        """Skip a small unread body so the connection can serve the next request; False to close."""
        if self.expect or self.remaining > RECV:
            return False  # the client never sent it, or it is big: closing is cheaper than reading
        self.read()
        return self.remaining == 0


# The app's header fields the server frames itself: Content-Length is kept (and checked against the
# body), Connection is replaced (its "close" is honoured), the others are dropped.
_HOP = {"content-length": "length", "connection": "close", "transfer-encoding": "drop", "keep-alive": "drop"}


# Response header names known to be RFC 9110 tokens (bounded: a foreign app may make names up).
_NAMES = {"Content-Type", "Content-Length", "X-Request-Id", "Set-Cookie", "Cache-Control", "Location"}
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# field-value (RFC 9110 §5.5): no control character but HTAB (obs-text, 0x80-0xFF, is allowed).
_CTLS = frozenset(map(chr, (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)))


def _check_name(name: str) -> None:
    """ValueError (the JSON 500, as for CR/LF) unless ``name`` is an RFC 9110 token: a space or a colon
    in a name would make the client read another header than the app wrote."""
    if not name or not _TCHARS.issuperset(name):
        raise ValueError(f"a response header name is not a token: {name!r}")
    if len(_NAMES) < 256 and len(name) <= 64:
        _NAMES.add(name)


def _check_value(name: str, value: str) -> None:
    """ValueError unless ``value`` is free of control characters (HTAB aside; CR and LF are refused
    with the whole head)."""
    if not _CTLS.isdisjoint(value):
        raise ValueError(f"the response header {name!r} holds a control character")


class Response:
    """``start_response`` and the framing of one answer (Content-Length, chunked, or close)."""

    __slots__ = ("server", "conn", "head_only", "http11", "keep", "status", "headers", "sent", "chunked",
                 "broken", "code", "bytes", "length", "bodiless")

    def __init__(self, server: Server, conn: _Conn, head_only: bool, http11: bool, keep: bool):
        self.server = server
        self.conn = conn
        self.head_only = head_only
        self.http11 = http11
        self.keep = keep and not server.stopping
        self.status = None
        self.headers = None
        self.sent = False
        self.chunked = False
        self.broken = False
        self.code = 0
        self.bytes = 0
        self.length = None
        self.bodiless = False  # no body may follow the head (HEAD, 1xx, 204, 304): set with the head

    def start_response(self, status: str, headers: list, exc_info: Any = None) -> Callable:
        """PEP 3333 start_response."""
        if exc_info:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333 write(): part of the body (the headers go first)."""
        if not data:
            return
        if not self.sent:
            self._send_head(None)
        self._body(data)

    def stream(self, result: Any) -> None:
        """Send an iterable body part by part, then finish (chunked on HTTP/1.1 without a length)."""
        for chunk in result:
            if chunk:
                self.write(chunk)
        self.finish(b"", complete=not self.sent)

    def finish(self, data: bytes, complete: bool) -> None:
        """The last part of the body; ``complete`` when it is the whole body (Content-Length known)."""
        if not self.sent:
            self._send_head(len(data) if complete else None, data)
            return
        if data:
            self._body(data)
        if self.chunked:
            self._out(b"0\r\n\r\n")
        self._check_length()

    def _check_length(self) -> None:
        if self.length is not None and not self.bodiless:
            try:
                if int(self.length) != self.bytes:
                    self.keep = False  # the declared length was wrong: only a close ends the body cleanly
            except ValueError:
                self.keep = False

    def _send_head(self, length: int | None, body: bytes = b"") -> None:
        """Send the status line and headers (with ``body`` when it fits one send); ``length`` when
        ``body`` is the whole body."""
        head = self._head(length)
        self.sent = True
        if self.bodiless:
            self._out(head)
        elif body and len(body) < RECV and not self.chunked:
            self._out(head + body)  # PERF: one send for head and body
            self.bytes += len(body)
        else:
            self._out(head)
            if body:
                self._body(body)
        if length is not None:  # the whole body went out with the head
            if self.chunked:
                self._out(b"0\r\n\r\n")
            self._check_length()

    def _head(self, length: int | None) -> bytes:
        """The answer's head: the app's status and headers, then the server's framing, Date and Connection."""
        status = self.status
        if status is None:
            raise AssertionError("the WSGI app returned a body without calling start_response")
        code = self.code = int(status[:3])
        bodiless = self.bodiless = self.head_only or code < 200 or code in (204, 304)
        lines = [f"HTTP/1.1 {status}"]
        if not self._app_headers(lines) and not bodiless:  # no Content-Length from the app
            if length is not None:
                lines.append(f"Content-Length: {length}")
            elif self.http11:
                lines.append("Transfer-Encoding: chunked")
                self.chunked = True
            else:
                self.keep = False  # HTTP/1.0 without a length: the close ends the body
        lines.append(f"Date: {self.server._date()}")
        if self.server.stopping:
            self.keep = False  # stop() began while the app ran: this answer is the connection's last
        if not self.keep:
            lines.append("Connection: close")
        elif not self.http11:
            lines.append("Connection: keep-alive")
        head = "\r\n".join(lines)
        breaks = len(lines) - 1
        if head.count("\n") != breaks or head.count("\r") != breaks:  # no header may split the answer
            raise ValueError("a response header holds CR or LF")
        return (head + "\r\n\r\n").encode("latin-1")

    def _app_headers(self, lines: list) -> bool:
        """Add the app's headers to ``lines``, but those framing the connection (the server's); True
        when the app gave a Content-Length."""
        has_length = False
        for name, value in self.headers:
            if name not in _NAMES:
                _check_name(name)
            if not value.isprintable():  # PERF: one C pass for the usual value; HTAB, obs-text: the slow path
                _check_value(name, value)
            hop = _HOP.get(name.lower())
            if hop is None:
                lines.append(f"{name}: {value}")
            elif hop == "length":
                has_length = True
                self.length = value
                lines.append(f"{name}: {value}")
            elif hop == "close" and "close" in value.lower():
                self.keep = False
        return has_length

    def _body(self, data: bytes) -> None:
        if self.bodiless:
            return
        self.bytes += len(data)
        if self.chunked:
            self._out(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self._out(data)

    def _out(self, data: bytes) -> None:
        try:
            self.conn.sock.sendall(data)
        except OSError:
            self.broken = True
            raise
