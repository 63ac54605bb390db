"""listen(): a standard-library HTTP/1.1 server for a ready app (loaded only by listen()).

One thread runs a selector loop: it accepts connections, keeps the idle (keep-alive) ones and reads
request heads without blocking, so an idle or slow client holds a file descriptor, never a thread.
A connection whose request head is complete goes to a bounded pool of worker threads; a worker
reads the body (Content-Length, or chunked under the payload limit), runs the WSGI app, writes the
answer (Content-Length, or chunked when the app streams) and keeps the connection for the client's
next request for a moment before handing it back to the loop. ``stop()`` wakes the loop at once
through a socket pair: it closes the listening socket and every idle connection, lets requests in
flight finish within the deadline, then shuts down what is left.

Every knob is a ``server.*`` config key (``SETTINGS``); docs/core.md lists them.
"""
from __future__ import annotations

import errno
import os
import selectors
import socket
import sys
import threading
from collections import OrderedDict
from io import BytesIO
from queue import SimpleQueue
from time import monotonic, sleep, time
from urllib.parse import unquote

from . import log as _log
from .errors import error_body
from .exchange import RECV as _RECV
from .exchange import BodyInput, ChunkReader, Response
from .http11 import REASONS, HttpError, http_date, log_text, parse_head, read_chunked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

# name → default; `server.<name>` in the app's config overrides it (docs/core.md, "listen() settings").
SETTINGS = {
    "backlog": 1024,             # listen(2) backlog (the kernel caps it at net.core.somaxconn)
    "workers": 16,               # worker threads: requests served at once (started on demand)
    "idle_timeout": 5.0,         # s a connection may wait for its next request (Node's keepAliveTimeout)
    "read_timeout": 30.0,        # s for a whole request head; s per read/write of a body or an answer
    "shutdown_timeout": 10.0,    # s stop() waits for requests in flight before cutting them off
    "max_connections": 10000,    # open connections; at the cap the oldest idle one is closed
    "max_request_line": 8190,    # bytes of the request line (414 beyond)
    "max_header_bytes": 65536,   # bytes of the header section (431 beyond)
}
# PERF: a worker waits up to 5 ms on the socket for a keep-alive client's next request before it
# hands the connection back to the loop; handing back after every answer cost 0.13 instead of 0.035 ms
# of server CPU per request (wrk, 8 connections: 8,400 instead of 20,000 req/s; bench/listen.py).
_LINGER = 0.005
# Why: closing a socket with unread request bytes makes the kernel send RST, and a client still
# writing its body never reads the 413/404 already sent. So (as nginx's lingering close) the write
# side is shut and the rest is read and dropped by the loop for up to this many seconds.
_LINGER_CLOSE = 5.0
_JSON = "application/json; charset=utf-8"
_CRLF = (b"\r", b"\n")
# Why: the loop gathers a Content-Length body up to this size before a worker takes the request, so a
# client trickling a small body holds a descriptor, not a worker; a bigger one is read by the worker.
_BODY_BUFFER = 1024 * 1024


def start_server(wsgi_app: Callable, host: str, port: int, shutdown_timeout: float | None = None,
                 settings: dict | None = None, max_body: int = 6 * 1024 * 1024) -> Server:
    """Bind ``host:port`` and serve ``wsgi_app`` from a background thread; return the running Server.

    ``settings`` overrides ``SETTINGS`` (unknown keys are ignored, a bad value is a ValueError
    naming it); ``max_body`` bounds a chunked request body (413 beyond).
    """
    opts = dict(SETTINGS)
    for key, value in (settings or {}).items():
        if key in SETTINGS:
            try:
                value = type(SETTINGS[key])(value)
            except (TypeError, ValueError):
                raise ValueError(f"server.{key} must be a number, got {value!r}") from None
            if value <= 0:
                raise ValueError(f"server.{key} must be positive, got {value!r}")
            opts[key] = value
    if shutdown_timeout is not None:
        opts["shutdown_timeout"] = float(shutdown_timeout)
    server = Server(wsgi_app, host, port, opts, int(max_body))
    server.start()
    return server


def hold_process(server: Server, stop: Callable) -> Callable:
    """Keep the process serving as Node keeps one with a listening server: return the release to call
    once the app has stopped (``app.stop()`` runs it).

    A non-daemon thread waits for the stop, so a script whose last line is ``app.listen()`` serves on
    (the server's own threads are daemons: ``start_server`` alone holds nothing). On the main thread,
    SIGTERM and SIGINT, while still at Python's defaults, run ``stop`` (the drain, then ``appStop``, as
    ``run()`` does); a second signal acts at once. The process then exits 0 if its main module had
    ended; otherwise the signal is delivered again, so the code still running sees it as it would have.
    """
    hold = _Hold(stop)
    if (3, 12, 0) <= sys.version_info[:3] < (3, 12, 3):
        # Why: these refuse new threads once the main thread has ended (CPython gh-113964, fixed in
        # 3.12.3), and the pool starts its workers on demand: start them all while that still works.
        server.prestart()
    return hold.release


class _Hold:
    """hold_process's state: the keeper thread, the signal handlers it replaced, the signal seen."""

    def __init__(self, stop: Callable):
        import signal

        self.stop = stop
        self.done = threading.Event()
        self.signum = None
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig, default in ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler)):
                if signal.getsignal(sig) is default:  # Why: an app's or a framework's own handler wins
                    self.previous[sig] = signal.signal(sig, self._signalled)
        threading.Thread(target=self._keep, name="koatty-listen-hold", daemon=False).start()

    def _signalled(self, signum: int, frame: Any) -> None:
        self._restore()  # a second signal acts at once
        if self.done.is_set():  # the app stopped from another thread, which could not restore the handler
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        self.done.set()

    def _keep(self) -> None:
        self.done.wait()
        if self.signum is not None:
            self.stop()
            if threading.main_thread().is_alive():  # the main module still runs: it gets the signal too
                os.kill(os.getpid(), self.signum)

    def _restore(self) -> None:
        import signal

        previous, self.previous = self.previous, {}
        for sig, old in previous.items():
            if signal.getsignal(sig) == self._signalled:  # unless someone replaced ours since
                signal.signal(sig, old)

    def release(self) -> None:
        """The app stopped: the keeper thread ends and, on the main thread, the handlers are restored."""
        if threading.current_thread() is threading.main_thread():
            self._restore()
        self.done.set()


class _Conn:
    """One client connection: its socket, the bytes read but not yet used, and its deadline."""

    __slots__ = ("sock", "addr", "buf", "deadline", "linger", "need")

    def __init__(self, sock: socket.socket, addr: Any):
        self.sock = sock
        self.addr = addr
        self.buf = b""
        self.deadline = 0.0
        self.linger = False  # closing: the client may still be sending (see _LINGER_CLOSE)
        self.need = 0  # bytes of buf the next request needs, once its head is complete (see _wanted)

    def feed(self, data: bytes) -> bool | None:
        """Add bytes read by the loop: True once the request's head (and a small Content-Length body,
        see _wanted) is complete, None when ``data`` is only CRLFs before a request line."""
        buf = self.buf
        if buf:
            if type(buf) is bytes:
                buf = bytearray(buf)  # PERF: a head arriving in pieces grows in place (no quadratic copy)
            start = len(buf) - 3
            buf += data
            self.buf = buf
            done = len(buf) >= self.need if self.need else buf.find(b"\r\n\r\n", max(0, start)) >= 0
        else:
            data = data.lstrip(b"\r\n")  # RFC 9112 §2.2: ignore CRLFs before a request line
            if not data:
                return None
            self.buf = buf = data
            done = data.find(b"\r\n\r\n") >= 0
        if done and not self.need:
            need = _wanted(buf)
            if len(buf) < need:  # the head is here, its small body is not yet: the loop gathers it
                self.need, done = need, False
        return done


def _head_end(buf: Any) -> int:
    """Index of the blank line ending the head in ``buf``, or -1 (CRLFs before a request line are
    dropped before: _Conn.feed, Server._next)."""
    return buf.find(b"\r\n\r\n")


def _wanted(buf: Any) -> int:
    """Bytes ``buf`` must hold before a worker takes its request: the head, plus a Content-Length body
    of up to _BODY_BUFFER (not with ``Expect``: that client waits for 100 Continue); 0 while the head
    is incomplete. A first look only: the worker parses and checks the head in full."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0
    need = end + 4
    head = buf[:end].lower()  # bytes or bytearray: both find, strip and int() alike
    i = head.find(b"\r\ncontent-length:")
    if (i >= 0 and b"\r\nexpect:" not in head and b"\r\ntransfer-encoding:" not in head
            and head.find(b"\r\ncontent-length:", i + 17) < 0):  # two lengths: the worker refuses them
        j = head.find(b"\r\n", i + 2)
        value = head[i + 17:j if j >= 0 else len(head)].strip(b" \t")
        if value.isdigit() and len(value) < 10 and int(value) <= _BODY_BUFFER:
            need += int(value)
    return need


def _other_form(path: str, fields: list) -> tuple:
    """``(path, fields)`` of a target not in origin form (RFC 9112 §3.2): ``*``, or an absolute URL
    whose authority replaces the Host field; anything else is a 400."""
    if path == "*":
        return path, fields
    if path[:7].lower() == "http://" or path[:8].lower() == "https://":  # absolute-form (RFC 9112 §3.2.2)
        authority, slash, rest_path = path.split("://", 1)[1].partition("/")
        return slash + rest_path or "/", [f for f in fields if f[0] != "host"] + [("host", authority)]
    raise HttpError(400, "Malformed request target")


def _to_environ(env: dict, fields: list) -> list:
    """Put the header ``fields`` in ``env`` (``HTTP_*``, ``CONTENT_TYPE``); return those that frame
    the request (``_FRAMING``), in order, for _framing."""
    framing = []
    for name, value in fields:
        key = _KEYS.get(name)
        if key is None:
            if name in _FRAMING:
                framing.append((name, value))
                key = _FRAMING[name]
                if key is None:
                    continue  # Content-Length and Transfer-Encoding: set once the body is known
            else:
                key = _environ_key(name)
        if key in env:
            _fold(env, key, value)
        else:
            env[key] = value
    return framing


def _environ_key(name: str) -> str:
    key = "HTTP_" + name.upper().replace("-", "_")
    if len(_KEYS) < 1024 and len(name) <= 64:  # bounded: the names are the client's
        _KEYS[name] = key
    return key


def _fold(env: dict, key: str, value: str) -> None:
    """A repeated field: its values joined (RFC 9110 §5.3; cookies with "; ", RFC 6265 §5.4); the last
    Content-Type wins."""
    if key == "CONTENT_TYPE":
        env[key] = value
    else:
        env[key] = env[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value


def _framing(framing: list, version: str) -> tuple:
    """``(Content-Length, Transfer-Encoding, keep-alive, expects 100-continue)`` of a request from its
    framing fields; ``HttpError`` 400 when they conflict or the Host is not single."""
    length = chunked = None
    keep = version == "HTTP/1.1"
    expect = False
    hosts = 0
    for name, value in framing:
        if name == "host":
            hosts += 1
        elif name == "connection":
            keep = _keep_alive(value, version, keep)
        elif name == "content-length":
            if length is not None and length != value:
                raise HttpError(400, "Conflicting Content-Length")
            length = value
        elif name == "transfer-encoding":
            chunked = value if chunked is None else f"{chunked}, {value}"
        else:  # expect
            expect = value.lower() == "100-continue" and version == "HTTP/1.1"
    if version == "HTTP/1.1" and hosts != 1:
        raise HttpError(400, "A single Host header is required")
    return length, chunked, keep, expect


def _keep_alive(connection: str, version: str, keep: bool) -> bool:
    """Keep-alive after a Connection field: ``close`` ends it, ``keep-alive`` asks for it in HTTP/1.0."""
    tokens = [t.strip() for t in connection.lower().split(",")]
    if "close" in tokens:
        return False
    return True if "keep-alive" in tokens and version == "HTTP/1.0" else keep


def _length_body(conn: _Conn, env: dict, length: str, expect: bool) -> BodyInput:
    """``wsgi.input`` for a Content-Length body, read by the app as it wants it."""
    if not (length.isascii() and length.isdigit()) or len(length) > 18:
        raise HttpError(400, "Invalid Content-Length")
    env["CONTENT_LENGTH"] = length
    stream = env["wsgi.input"] = BodyInput(conn, int(length), expect)
    return stream


class Server:
    """The listen() server: ``server_address``, ``socket``, ``backlog`` and a graceful ``stop()``."""

    def __init__(self, app: Callable, host: str, port: int, opts: dict, max_body: int):
        self.app = app
        self.opts = opts
        self.max_body = max_body
        self.backlog = opts["backlog"]
        self.workers = opts["workers"]
        self.idle_timeout = opts["idle_timeout"]
        self.read_timeout = opts["read_timeout"]
        self.shutdown_timeout = opts["shutdown_timeout"]
        self.max_line = opts["max_request_line"]
        self.max_fields = opts["max_header_bytes"]
        self.min_over = min(self.max_line + 2, self.max_fields + 4)  # bytes before _overflow can be True
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=self.backlog)
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.base_environ = {
            "SERVER_NAME": host or "0.0.0.0", "SERVER_PORT": str(self.server_address[1]), "SCRIPT_NAME": "",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        self.logger = _log.get_logger()
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.work = SimpleQueue()        # conns with a complete head, for the workers
        self.returns = []                # conns handed back by workers (list.append is atomic)
        self.idle = OrderedDict()        # conn → None, oldest first: waiting for a request
        self.heads = OrderedDict()       # conn → None, oldest first: a request head partly received
        self.lingers = OrderedDict()     # conn → None, oldest first: closing, unread bytes dropped
        self.lock = threading.Lock()
        self.drained = threading.Condition(self.lock)
        self.busy = set()                # conns a worker holds (queued or in flight)
        self.threads = []
        self.idle_workers = 0
        self.stopping = False
        self.stopped = False
        self.cut = False                 # stop()'s deadline passed: queued requests are dropped
        self.accept_resume = 0.0         # monotonic time to watch the listening socket again (0: watched)
        self.loop_thread = None
        self.serving = threading.local()
        self.date = (0, "")

    # --- lifecycle --------------------------------------------------------------------------------

    def prestart(self) -> None:
        """Start every worker thread now rather than on demand (see hold_process)."""
        with self.lock:
            for _ in range(self.workers - len(self.threads)):
                t = threading.Thread(target=self._worker, name=f"koatty-worker-{len(self.threads) + 1}", daemon=True)
                self.threads.append(t)
                self.idle_workers += 1
                t.start()

    def start(self) -> None:
        """Start the selector loop thread."""
        self.selector.register(self.socket, selectors.EVENT_READ, None)
        self.selector.register(self.wake_r, selectors.EVENT_READ, self.wake_r)
        self.loop_thread = threading.Thread(target=self._loop, name="koatty-server", daemon=True)
        self.loop_thread.start()

    def _wake(self) -> None:
        try:
            self.wake_w.send(b"\0")
        except OSError:  # full (a wake-up is already pending) or closed by stop()
            pass

    def stop(self, timeout: float | None = None) -> None:
        """Stop at once: no new connections, idle ones closed; requests in flight get ``timeout`` s
        (default ``server.shutdown_timeout``) to finish, then their connections are shut down."""
        with self.lock:
            if self.stopped:
                return
            self.stopped = True
        deadline = monotonic() + (self.shutdown_timeout if timeout is None else timeout)
        self.stopping = True
        self._wake()
        if self.loop_thread is not threading.current_thread():
            self.loop_thread.join(max(0.0, deadline - monotonic()) + 1.0)
        mine = getattr(self.serving, "conn", None)  # stop() called from a request: do not wait for it
        with self.drained:
            while len(self.busy - {mine}) and self.drained.wait(max(0.0, deadline - monotonic())):
                pass
            late = list(self.busy - {mine})
        self.cut = bool(late)  # requests still queued are not started after the deadline
        for conn in late:  # the deadline passed: cut off what is left, whatever the clients do
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if late:
            with self.drained:
                end = monotonic() + 1.0
                while len(self.busy - {mine}) and self.drained.wait(max(0.0, end - monotonic())):
                    pass
        for _ in self.threads:
            self.work.put(None)
        for conn in self._take_returns():  # handed back after the loop ended
            self._close(conn)
        self.socket.close()  # closed by the loop already, unless it is stuck
        self.wake_w.close()

    # --- the loop: accept, idle connections, request heads ------------------------------------------

    def _loop(self) -> None:
        try:
            while not self.stopping:
                try:
                    self._turn()
                except Exception:  # Why: one bad turn must not end the server while run() still waits
                    self.logger.exception("listen(): a turn of the server loop failed")
                    sleep(0.05)  # no hot loop if the fault repeats
        finally:
            self._close_loop()

    def _turn(self) -> None:
        """One turn of the loop: wait for sockets until the next deadline, handle them, sweep the late."""
        for key, _ in self.selector.select(self._timeout()):
            data = key.data
            if data is None:
                self._accept()
            elif data is self.wake_r:
                self._woken()
            else:
                self._readable(data)
        if self.idle or self.heads or self.lingers:
            self._sweep(monotonic())
        if self.accept_resume and monotonic() >= self.accept_resume and not self.stopping:
            self.accept_resume = 0.0
            self.selector.register(self.socket, selectors.EVENT_READ, None)

    def _timeout(self) -> float | None:
        """Seconds until the first deadline (the oldest of each waiting list, the accept pause); None: none."""
        deadlines = [next(iter(od)).deadline for od in (self.idle, self.heads, self.lingers) if od]
        if self.accept_resume:
            deadlines.append(self.accept_resume)
        return max(0.0, min(deadlines) - monotonic()) if deadlines else None

    def _close_loop(self) -> None:
        try:
            self.selector.unregister(self.socket)
        except (KeyError, ValueError):
            pass
        self.socket.close()
        for od in (self.idle, self.heads, self.lingers):
            for conn in list(od):
                self._close(conn)
            od.clear()
        for conn in self._take_returns():
            self._close(conn)
        self.selector.close()
        self.wake_r.close()

    def _accept(self) -> None:
        for _ in range(64):  # a bounded batch: a flood of connections cannot starve the other work
            try:
                sock, addr = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    continue  # e.g. ECONNABORTED: that client is gone, the next may be fine
                if self.lingers or self.idle:  # out of descriptors: free the oldest waiting one and go on
                    self._drop((self.lingers or self.idle).popitem(last=False)[0])
                    continue
                # Nothing to free: stop watching the listening socket for a moment (the kernel's backlog
                # holds new clients meanwhile) rather than spin on a socket that stays readable.
                self.selector.unregister(self.socket)
                self.accept_resume = monotonic() + 0.1
                return
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            conn = _Conn(sock, addr)
            if (len(self.idle) + len(self.heads) + len(self.lingers) + len(self.busy) >= self.opts["max_connections"]
                    and (self.idle or self.lingers)):
                self._drop((self.lingers or self.idle).popitem(last=False)[0])  # lingering ones go first
            self._wait(conn)

    def _wait(self, conn: _Conn) -> None:
        """Watch ``conn`` for its next request (idle_timeout)."""
        conn.deadline = monotonic() + self.idle_timeout
        self.idle[conn] = None
        try:
            self.selector.register(conn.sock, selectors.EVENT_READ, conn)
        except (ValueError, OSError):
            self.idle.pop(conn, None)
            self._close(conn)

    def _drop(self, conn: _Conn) -> None:
        """Stop watching ``conn`` and close it (before its descriptor number can be reused)."""
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        self._close(conn)

    def _take_returns(self) -> list:
        with self.lock:  # Why: a worker appends under the lock; a swap between its load and append would lose it
            returns, self.returns = self.returns, []
        return returns

    def _woken(self) -> None:
        try:
            while self.wake_r.recv(4096):
                pass
        except OSError:
            pass
        for conn in self._take_returns():
            if self.stopping:
                self._close(conn)
                continue
            conn.sock.setblocking(False)
            if conn.linger:
                conn.deadline = monotonic() + _LINGER_CLOSE
                self.lingers[conn] = None
                self.selector.register(conn.sock, selectors.EVENT_READ, conn)
            elif conn.buf:  # a partial head, or a head whose body is on its way: the read deadline runs
                conn.need = _wanted(conn.buf)
                conn.deadline = monotonic() + self.read_timeout
                self.heads[conn] = None
                self.selector.register(conn.sock, selectors.EVENT_READ, conn)
            else:
                self._wait(conn)

    def _readable(self, conn: _Conn) -> None:
        """Bytes from a waiting connection: a request whose head (and small body) is complete goes to a
        worker; the first bytes of a head start its read deadline."""
        try:
            data = conn.sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if conn.linger:  # dropped until the client closes or the linger time is up
            if not data:
                del self.lingers[conn]
                self._drop(conn)
            return
        waiting = self.idle if conn in self.idle else self.heads
        if not data:
            waiting.pop(conn, None)
            self._drop(conn)
            return
        done = conn.feed(data)
        if done is None:
            return  # only CRLFs before a request line
        if done or (not conn.need and self._overflow(conn.buf)):
            conn.need = 0
            waiting.pop(conn, None)
            self.selector.unregister(conn.sock)
            self._dispatch(conn)
        elif waiting is self.idle:  # the first bytes of a head: from now on the read deadline runs
            del self.idle[conn]
            conn.deadline = monotonic() + self.read_timeout
            self.heads[conn] = None

    def _sweep(self, now: float) -> None:
        for od, late in ((self.idle, False), (self.heads, True), (self.lingers, False)):
            while od:
                conn = next(iter(od))
                if conn.deadline > now:
                    break
                del od[conn]
                if late:  # a head that did not arrive in time: answer 408 if the client still listens
                    try:
                        conn.sock.send(self._error_bytes(408, "Request not received in time"))
                    except OSError:
                        pass
                self._drop(conn)

    def _dispatch(self, conn: _Conn) -> None:
        with self.lock:
            self.busy.add(conn)
            # Why: counted under the lock when work is handed out, not when a worker wakes: two
            # dispatches in a row must not both count on one idle worker (the second would wait
            # behind a slow first while the pool still had room).
            spawn = self.idle_workers <= 0 and len(self.threads) < self.workers
            if not spawn and self.idle_workers > 0:
                self.idle_workers -= 1
        if spawn:
            t = threading.Thread(target=self._worker, name=f"koatty-worker-{len(self.threads) + 1}", daemon=True)
            self.threads.append(t)
            t.start()
        self.work.put(conn)

    @staticmethod
    def _close(conn: _Conn) -> None:
        try:
            conn.sock.close()
        except OSError:
            pass

    # --- workers ---------------------------------------------------------------------------------

    def _worker(self) -> None:
        get = self.work.get
        while True:
            conn = get()
            if conn is None:
                return
            self.serving.conn = conn
            keep = False
            try:
                keep = not self.cut and self._serve(conn)
            except Exception:
                self.logger.exception("listen(): serving a connection failed")
            finally:
                self.serving.conn = None
                if not keep and conn.linger and not self.stopping:
                    try:
                        conn.sock.shutdown(socket.SHUT_WR)  # the answer is complete; the client sees EOF
                        keep = True  # handed to the loop, which drops what the client still sends
                    except OSError:
                        pass
                if not keep:
                    self._close(conn)
                with self.drained:
                    self.busy.discard(conn)
                    if keep and not self.stopping:
                        self.returns.append(conn)
                    elif keep:
                        self._close(conn)
                    self.idle_workers += 1
                    self.drained.notify_all()
            if keep:
                self._wake()

    def _serve(self, conn: _Conn) -> bool:
        """Serve requests on ``conn`` while the client sends them; True to hand it back to the loop."""
        conn.sock.settimeout(self.read_timeout)
        while self._request(conn):
            after = self._next(conn)
            if after is not None:
                return after
        return False

    def _next(self, conn: _Conn) -> bool | None:
        """After an answer: None to serve the next request now, True to hand ``conn`` back to the loop,
        False to close it."""
        if self.stopping:
            return False
        buf = conn.buf
        if buf[:1] in _CRLF:  # RFC 9112 §2.2: ignore CRLFs before a request line (some send one after a body)
            buf = conn.buf = buf.lstrip(b"\r\n")
        if _head_end(buf) >= 0:  # a pipelined request already arrived
            return None if len(buf) >= _wanted(buf) else True  # its body on its way: the loop gathers it
        if self._overflow(buf):
            return None  # _request answers 414/431
        if not self.work.empty():
            return True  # others wait for a worker: do not linger
        return self._linger(conn)

    def _linger(self, conn: _Conn) -> bool | None:
        """Wait _LINGER on the socket for the client's next request: None when it is here in full, True
        to hand ``conn`` back to the loop (nothing yet, or a request in pieces), False when it closed."""
        sock = conn.sock
        try:
            sock.settimeout(_LINGER)
            data = sock.recv(_RECV)
        except (socket.timeout, BlockingIOError, InterruptedError):
            data = None
        except OSError:
            return False
        if data == b"":
            return False
        if data is not None:
            conn.buf = (conn.buf + data) if conn.buf else data.lstrip(b"\r\n")
        buf = conn.buf
        want = _wanted(buf) if buf else 0
        if not buf or (len(buf) < want if want else not self._overflow(buf)):
            return True  # the loop waits for it, not a worker
        sock.settimeout(self.read_timeout)
        return None

    def _overflow(self, buf: Any) -> bool:
        """True when ``buf``, a request head without its end yet, is already over a limit: its request
        line (no CRLF within max_request_line) or its header section; _request answers 414/431 now."""
        # Why: waiting for the rest would answer 408 after read_timeout (30 s) to what is already a
        # 414/431, holding the descriptor meanwhile. The length test first: a normal head costs nothing.
        n = len(buf)
        if n < self.min_over:
            return False
        line_end = buf.find(b"\r\n", 0, self.max_line + 2)
        if line_end < 0:
            return n >= self.max_line + 2
        return n - line_end > self.max_fields + 3  # the blank line can start at n - 3 at the earliest

    def _request(self, conn: _Conn) -> bool:
        """Read one request from ``conn.buf`` + the socket, run the app, answer; True to keep alive."""
        buf = conn.buf
        end = _head_end(buf)
        line_end = buf.find(b"\r\n", 0, self.max_line + 2)
        if line_end < 0 and (end < 0 or len(buf) > self.max_line + 2):
            return self._reject(conn, "-", 414, "Request line too long")
        if end < 0 or end - line_end > self.max_fields:
            return self._reject(conn, bytes(buf[:line_end]), 431, "Request header fields too large")
        head = bytes(buf[:end])
        rest = buf[end + 4:]
        conn.buf = bytes(rest) if type(rest) is not bytes else rest
        try:
            env, stream, keep = self._prepare(conn, head)
        except HttpError as exc:  # the line is logged as sent (at most max_line bytes, latin-1)
            return self._reject(conn, head[:line_end], exc.status, exc.message)
        return self._respond(conn, env, stream, head[:line_end].decode("latin-1"), keep)

    def _prepare(self, conn: _Conn, head: bytes) -> tuple:
        """``(environ, body stream, keep-alive)`` of a request ``head``, its body read when chunked;
        ``HttpError`` for a request the server answers itself."""
        method, target, version, fields = parse_head(head, self.max_line)
        env = self.base_environ.copy()
        env["REQUEST_METHOD"] = method
        env["SERVER_PROTOCOL"] = version
        env["RAW_URI"] = target
        env["REMOTE_ADDR"] = conn.addr[0]
        env["REMOTE_PORT"] = str(conn.addr[1])
        env["wsgi.errors"] = sys.stderr  # Why: read per request, so a redirected stderr is honoured
        path, _, query = target.partition("?")
        if path[:1] != "/":
            path, fields = _other_form(path, fields)
        env["PATH_INFO"] = unquote(path, "latin-1") if "%" in path else path
        env["QUERY_STRING"] = query
        length, chunked, keep, expect = _framing(_to_environ(env, fields), version)
        if chunked is not None:
            stream = self._chunked_body(conn, env, chunked, length, version, expect)
        elif length is not None:
            stream = _length_body(conn, env, length, expect)
        else:
            stream = env["wsgi.input"] = BodyInput(conn, 0, False)
        return env, stream, keep

    def _chunked_body(self, conn: _Conn, env: dict, chunked: str, length: Any, version: str, expect: bool) -> BodyInput:
        """Read a chunked body whole (up to max_body) into ``wsgi.input``; the stream after it is empty."""
        # RFC 9112 §6.1/§6.3: chunked must be the final coding; with Content-Length, or in HTTP/1.0,
        # the framing is ambiguous (request smuggling): refuse and close.
        codings = [c.strip().lower() for c in chunked.split(",")]
        if length is not None or version != "HTTP/1.1" or codings[-1] != "chunked":
            raise HttpError(400, "Invalid Transfer-Encoding")
        if len(codings) > 1:
            raise HttpError(501, "Transfer coding not implemented")
        if expect:
            self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        # Framing may double a body sent in tiny chunks; beyond that it is padding (extensions).
        reader = ChunkReader(conn, 2 * self.max_body + 65536)
        body = read_chunked(reader.line, reader.exact, self.max_body, self.max_line)
        # Why: the app sees a body of known length, as after any buffering proxy (waitress does the same).
        env["CONTENT_LENGTH"] = str(len(body))
        env["wsgi.input"] = BytesIO(body)
        return BodyInput(conn, 0, False)

    def _respond(self, conn: _Conn, env: dict, stream: BodyInput, line: str, keep: bool) -> bool:
        response = Response(self, conn, env["REQUEST_METHOD"] == "HEAD", env["SERVER_PROTOCOL"] == "HTTP/1.1", keep)
        result = None
        try:
            result = self.app(env, response.start_response)
            if type(result) is list and len(result) <= 1:  # PERF: the whole body at once (Koatty apps)
                response.finish(result[0] if result else b"", complete=True)
            else:
                response.stream(result)
        except Exception:
            if not response.broken:  # a client that went away mid-answer is not the app's fault
                self._app_failed(env, response)
        finally:
            if result is not None and hasattr(result, "close"):
                self._close_result(result, env, response)
        self._access(conn, line, response.code, response.bytes)
        keep = response.keep and not response.broken and not stream.short
        if stream.remaining:
            keep = self._unread(conn, response, stream, keep)
        elif not keep and not response.broken and not stream.short:
            # Why: a request pipelined after this last one (Connection: close, HTTP/1.0) may sit unread in
            # the socket: a plain close sends RST, which drops the answer's unsent tail and can make the
            # client discard what it got. Close lingering: FIN after the answer, the rest read and dropped.
            conn.linger = True
        return keep

    def _close_result(self, result: Any, env: dict, response: Response) -> None:
        try:
            result.close()
        except Exception:
            self._app_failed(env, response)

    @staticmethod
    def _unread(conn: _Conn, response: Response, stream: BodyInput, keep: bool) -> bool:
        """The app left part of the body unread: skip a small one to keep the connection, or close
        lingering (the client may still be sending it)."""
        if keep:
            keep = stream.drain()
        if not keep and stream.remaining and not response.broken and not stream.short:
            conn.linger = True
        return keep

    def _app_failed(self, env: dict, response: Response) -> None:
        import traceback

        where = log_text(f"{env.get('REQUEST_METHOD')} {env.get('RAW_URI')}")
        try:
            if _log.is_json():  # one JSON object with the traceback, as every other line (docs/observability.md)
                _log.get_logger().error("listen(): the WSGI app failed: %s", where, exc_info=True)
            else:
                sys.stderr.write(f"[koatty] [ERROR] listen(): the WSGI app failed: {where}\n{traceback.format_exc()}")
                sys.stderr.flush()
        except Exception:
            pass
        if response.sent:
            response.broken = True  # the status line is out: only closing tells the client
            return
        response.keep = False
        body = error_body(1, "Internal Server Error", None)
        response.status = "500 Internal Server Error"
        response.headers = [("Content-Type", _JSON), ("Content-Length", str(len(body)))]
        try:
            response.finish(body, complete=True)
        except Exception:
            response.broken = True

    def _error_bytes(self, status: int, message: str) -> bytes:
        body = error_body(1, message, None)
        return (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {_JSON}\r\n"
                f"Content-Length: {len(body)}\r\nDate: {self._date()}\r\nConnection: close\r\n\r\n").encode() + body

    def _reject(self, conn: _Conn, line: Any, status: int, message: str) -> bool:
        """Answer a request the app never sees (the one JSON error shape), then close."""
        conn.linger = self._send(conn, self._error_bytes(status, message))
        if isinstance(line, (bytes, bytearray)):
            line = bytes(line[:self.max_line]).decode("latin-1")
        self._access(conn, line, status, 0)
        return False

    def _send(self, conn: _Conn, data: bytes) -> bool:
        try:
            conn.sock.sendall(data)
            return True
        except OSError:
            return False

    def _date(self) -> str:
        now = int(time())
        date = self.date
        if date[0] != now:
            date = self.date = (now, http_date(now))
        return date[1]

    def _access(self, conn: _Conn, line: str, status: int, size: int) -> None:
        logger = self.logger
        if logger.isEnabledFor(10):  # DEBUG
            logger.debug('%s "%s" %s %s', conn.addr[0], log_text(line), status, size)


# lower-case header name → environ key, filled as names are seen (bounded: names are the client's);
# content-type is here from the start (its key has no HTTP_ prefix, and _fold keeps its last value).
_KEYS = {"user-agent": "HTTP_USER_AGENT", "accept": "HTTP_ACCEPT", "accept-encoding": "HTTP_ACCEPT_ENCODING",
         "content-type": "CONTENT_TYPE"}
# The fields that frame a request (_framing reads them) → their environ key (None: set from the body).
# PERF: one dict lookup sends every other field to the environ (the if-chain before compared each name
# with 6), so _to_environ + _framing cost what that inline loop did: 155.7k vs 155.4k instructions per
# keep-alive GET with 8 fields (callgrind).
_FRAMING = {"host": "HTTP_HOST", "connection": "HTTP_CONNECTION", "expect": "HTTP_EXPECT",
            "content-length": None, "transfer-encoding": None}


# --- the app side of listen mode (was in app.py: Koatty.listen's body and run) --------------------


def listen(app: Any, port: int | None = None, host: str | None = None) -> Server:
    """``app.listen()``: serve the ready ``app`` (host and port from ``server.*`` unless given), start
    its @Scheduled timer, hold the process (``hold_process``), emit ``appStart``; return the server."""
    handler = app.get_request_handler()
    host = app.get_config("server.host", "127.0.0.1") if host is None else host
    port = app.get_config("server.port", 3000) if port is None else port
    settings = app.get_config("server", {})
    server = start_server(handler, host, int(port), settings=settings if isinstance(settings, dict) else {},
                          max_body=app.payload_limit)
    app._server = server
    # Why: the server drains in-flight requests BEFORE the appStop listeners close what they use.
    app._drains.append(server.stop)
    if app.scheduled_tasks:
        from .schedule import start_scheduler  # loaded (and the tasks checked) by create_application

        stopper = start_scheduler(app)
        if callable(stopper):
            app._drains.insert(0, stopper)  # no new task starts while the server drains
    app._drains.append(hold_process(server, app.stop))
    app.emit("appStart")
    return server


def run(App: Any, port: int | None = None, host: str | None = None, boot_func: Callable | None = None) -> Any:
    """Create the app, listen, block until SIGTERM/SIGINT, then stop gracefully (``appStop`` once)."""
    import signal

    from .app import create_application

    app = create_application(App, boot_func)
    server = app.listen(port, host)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    h, p = server.server_address[:2]
    print(f"koatty_lite: serving {type(app).__name__} on http://{h}:{p} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        app.stop()
    return app
