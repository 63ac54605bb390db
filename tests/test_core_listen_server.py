"""The listen() server (koatty_lite/server.py): HTTP/1.1 framing, limits, timeouts, a bounded pool, stop().

Behaviour, not speed: every wait has a generous bound; loopback only.
"""
from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time

import pytest

from koatty_lite import Controller, GetMapping, Koatty, PostMapping, RequestBody, create_application
from koatty_lite.server import start_server


@Controller()
class EchoController:
    @GetMapping("/")
    def index(self):
        return {"ok": True}

    @PostMapping("/echo")
    def echo(self, body: dict = RequestBody()):
        return {"got": body}


def make_app(**config):
    class EchoApp(Koatty):
        components = [EchoController]

    EchoApp.config = config
    return create_application(EchoApp)


@pytest.fixture
def served():
    """``served(app_or_wsgi, **settings)`` → (host, port); everything started is stopped afterwards."""
    started = []

    def start(target, **settings):
        if isinstance(target, Koatty):
            server = target.listen(port=0, host="127.0.0.1")
            started.append(target.stop)
        else:
            server = start_server(target, "127.0.0.1", 0, **({"settings": settings} if settings else {}))
            started.append(server.stop)
        return server.server_address[:2]

    yield start
    for stop in started:
        stop()


def environ_app(environ, start_response):
    """A foreign WSGI app answering with the parts of its environ the tests look at."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    out = {k: v for k, v in environ.items() if isinstance(v, str)}
    out["body"] = body.decode("latin-1")
    data = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def raw(addr, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_and_json(answer: bytes) -> tuple:
    head, _, body = answer.partition(b"\r\n\r\n")
    data = json.loads(body) if body else None
    if isinstance(data, dict) and data.get("requestId", 0) is None:
        del data["requestId"]  # the server's own answers come before any request id
    return int(head.split(b" ", 2)[1]), data


# --- HTTP/1.1 keep-alive and framing ---------------------------------------------------------------


def test_keep_alive_serves_two_requests_on_one_connection(served):
    addr = served(environ_app)
    conn = http.client.HTTPConnection(*addr, timeout=10)
    ports = []
    for _ in range(2):
        conn.request("GET", "/")
        res = conn.getresponse()
        assert res.status == 200 and res.getheader("Connection") is None
        ports.append(json.loads(res.read())["REMOTE_PORT"])
    conn.close()
    assert ports[0] == ports[1]  # the same TCP connection (wsgiref's HTTP/1.0 closed after each answer)


def test_connection_close_and_http10_close_after_the_answer(served):
    addr = served(environ_app)
    for request in (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET / HTTP/1.0\r\n\r\n"):
        answer = raw(addr, request)  # raw() returns only once the server closed the connection
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nConnection: close\r\n" in answer


def test_http10_keep_alive_when_asked(served):
    addr = served(environ_app)
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        head = s.recv(65536)
        assert b"\r\nConnection: keep-alive\r\n" in head
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")  # the connection still serves
        assert s.recv(65536).startswith(b"HTTP/1.1 200 OK")


def test_pipelined_requests_and_input_bounded_to_content_length(served):
    addr = served(environ_app)
    answer = raw(addr, b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                       b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first, second = answer.split(b"HTTP/1.1 200 OK")[1:]
    assert json.loads(first.partition(b"\r\n\r\n")[2])["body"] == "abc"
    assert json.loads(second.partition(b"\r\n\r\n")[2])["PATH_INFO"] == "/b"


def test_streamed_answer_is_chunked_for_http11_and_close_delimited_for_http10(served):
    def streaming(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"hello "
        yield b"world"

    addr = served(streaming)
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("GET", "/")
    res = conn.getresponse()
    assert res.getheader("Transfer-Encoding") == "chunked" and res.read() == b"hello world"
    conn.request("GET", "/")  # still usable after a chunked answer
    assert conn.getresponse().read() == b"hello world"
    conn.close()
    answer = raw(addr, b"GET / HTTP/1.0\r\n\r\n")
    assert answer.endswith(b"\r\n\r\nhello world") and b"Connection: close" in answer


def test_head_sends_no_body_and_keeps_the_length(served):
    addr = served(make_app())
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("HEAD", "/")
    res = conn.getresponse()
    assert res.status == 200 and res.getheader("Content-Length") == "11" and res.read() == b""
    conn.request("GET", "/")  # no stray body bytes were sent: the next answer parses
    assert json.loads(conn.getresponse().read()) == {"ok": True}
    conn.close()


def test_expect_100_continue(served):
    addr = served(environ_app)
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hi")
        assert b'"body": "hi"' in s.recv(65536)


# --- PEP 3333 environ ---------------------------------------------------------------------------


def test_environ_is_pep3333(served):
    from wsgiref.validate import validator

    addr = served(validator(environ_app))
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("POST", "/caf%C3%A9/x?q=a%20b&r=1", body=b"xyz",
                 headers={"Content-Type": "text/plain", "X-City": "S\xe3o Paulo".encode("latin-1"),
                          "Cookie": "a=1"})
    res = conn.getresponse()
    env = json.loads(res.read())
    assert res.status == 200
    assert env["PATH_INFO"] == "/caf\xc3\xa9/x"  # latin-1 native string of the UTF-8 bytes
    assert env["QUERY_STRING"] == "q=a%20b&r=1" and env["REQUEST_METHOD"] == "POST"
    assert env["SERVER_NAME"] == "127.0.0.1" and env["SERVER_PORT"] == str(addr[1])
    assert env["REMOTE_ADDR"] == "127.0.0.1" and env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["CONTENT_TYPE"] == "text/plain" and env["CONTENT_LENGTH"] == "3" and env["body"] == "xyz"
    assert env["HTTP_X_CITY"] == "S\xe3o Paulo" and env["HTTP_COOKIE"] == "a=1" and env["SCRIPT_NAME"] == ""
    conn.close()


def test_no_content_type_means_none_not_text_plain(served):
    addr = served(environ_app)
    answer = raw(addr, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n\x01")
    assert "CONTENT_TYPE" not in status_and_json(answer)[1]  # wsgiref made up text/plain


def test_flask_app_is_served(served):
    flask = pytest.importorskip("flask")
    app = flask.Flask("listen_test")

    @app.post("/echo/<name>")
    def echo(name):
        return {"name": name, "json": flask.request.get_json(), "ua": flask.request.headers.get("User-Agent")}

    addr = served(app)
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("POST", "/echo/caf%C3%A9", body=b'{"a": 1}',
                 headers={"Content-Type": "application/json", "User-Agent": "t/1"})
    res = conn.getresponse()
    assert res.status == 200
    assert json.loads(res.read()) == {"name": "café", "json": {"a": 1}, "ua": "t/1"}
    conn.request("POST", "/echo/x", body=iter([b'{"b":', b" 2}"]), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    res = conn.getresponse()
    assert res.status == 200 and json.loads(res.read())["json"] == {"b": 2}
    conn.close()


# --- chunked request bodies (RFC 9112 §7.1) --------------------------------------------------------


def post_chunked(addr, parts, path="/echo"):
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("POST", path, body=iter(parts), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    res = conn.getresponse()
    out = res.status, json.loads(res.read())
    conn.close()
    return out


def test_chunked_body_reaches_the_app(served):
    addr = served(make_app())
    assert post_chunked(addr, [b'{"a": ', b'[1, 2]', b"}"]) == (200, {"got": {"a": [1, 2]}})


def test_chunked_body_over_the_payload_limit_is_413(served):
    addr = served(make_app(payload={"limit": 100}))
    status, body = post_chunked(addr, [b'{"a": "', b"x" * 80, b"x" * 80, b'"}'])
    assert status == 413 and body["code"] == 1 and body["data"] is None


@pytest.mark.parametrize("body", [
    b"zz\r\nabc\r\n0\r\n\r\n",            # not hex
    b"3\r\nabcdef\r\n0\r\n\r\n",          # longer than announced
    b"+3\r\nabc\r\n0\r\n\r\n",            # int() would take it
    b"3;" + b"e" * 9000 + b"\r\nabc\r\n0\r\n\r\n",  # a chunk line longer than a request line
], ids=["not-hex", "too-long", "sign", "long-extension"])
def test_malformed_chunked_body_is_400(served, body):
    addr = served(make_app())
    answer = raw(addr, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/json\r\n\r\n" + body, timeout=10)
    assert status_and_json(answer)[0] == 400


def test_truncated_chunked_body_is_400_when_the_client_half_closes(served):
    addr = served(make_app())
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc")
        s.shutdown(socket.SHUT_WR)
        assert status_and_json(s.recv(65536))[0] == 400


@pytest.mark.parametrize("head", [
    b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",  # both framings: smuggling
    b"Transfer-Encoding: chunked, identity\r\n",              # chunked not final
    b"Transfer-Encoding: gzip\r\n",
], ids=["te+cl", "not-final", "gzip-only"])
def test_ambiguous_framing_is_400(served, head):
    addr = served(make_app())
    answer = raw(addr, b"POST /echo HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n0\r\n\r\n")
    assert status_and_json(answer) == (400, {"code": 1, "message": "Invalid Transfer-Encoding", "data": None})


# --- limits and malformed heads -------------------------------------------------------------------


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(12000)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
], ids=["414", "431-one", "431-many", "name-space", "obs-fold", "nul", "no-host", "two-hosts", "505",
        "bad-line", "bad-length", "two-lengths"])
def test_bad_heads_get_the_json_error_and_a_close(served, request_bytes, status):
    addr = served(make_app())
    answer = raw(addr, request_bytes)
    got, body = status_and_json(answer)
    assert got == status and set(body) == {"code", "message", "data"} and body["code"] == 1
    assert b"\r\nConnection: close\r\n" in answer


def test_leading_blank_lines_are_ignored(served):
    addr = served(environ_app)
    answer = raw(addr, b"\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_and_json(answer)[1]["PATH_INFO"] == "/x"


def test_absolute_form_target(served):
    addr = served(environ_app)
    answer = raw(addr, b"GET http://example.test:8080/p?q=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n")
    env = status_and_json(answer)[1]
    assert (env["PATH_INFO"], env["QUERY_STRING"], env["HTTP_HOST"]) == ("/p", "q=1", "example.test:8080")


# --- header names a client could twin (issue 11.8) -----------------------------------------------


def test_forged_header_names_are_dropped(served):
    addr = served(environ_app)
    answer = raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       b"x_amzn_lattice_identity: forged-underscore\r\n"
                       b"X-Amzn-Lattice-Identity: real\r\n"
                       b"x-amzn-lattice-\xc4\xb1dent\xc4\xb1ty: forged-dotless-i\r\n"
                       b"Ho\xc5\xbft: forged-long-s\r\n"
                       b"X_Forwarded_For: 6.6.6.6\r\n\r\n")
    env = status_and_json(answer)[1]
    assert env["HTTP_X_AMZN_LATTICE_IDENTITY"] == "real" and env["HTTP_HOST"] == "x"
    assert "HTTP_X_FORWARDED_FOR" not in env
    assert not [v for v in env.values() if "forged" in v or "6.6.6.6" in v]


# --- errors of the app ----------------------------------------------------------------------------


def test_failing_app_and_missing_start_response_are_json_500(served, capsys):
    def failing(environ, start_response):
        raise RuntimeError("boom")

    def no_start(environ, start_response):
        return [b"body"]

    for app in (failing, no_start):
        answer = raw(served(app), b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_and_json(answer) == (500, {"code": 1, "message": "Internal Server Error", "data": None})
    assert "GET /p" in capsys.readouterr().err


def test_header_with_crlf_from_the_app_cannot_split_the_answer(served, capsys):
    def splitting(environ, start_response):
        start_response("200 OK", [("X-A", "a\r\nSet-Cookie: evil=1")])
        return [b"x"]

    answer = raw(served(splitting), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_and_json(answer)[0] == 500 and b"evil" not in answer


# --- the access log ---------------------------------------------------------------------------------


def test_access_log_escapes_control_characters(served, caplog):
    addr = served(make_app())
    with caplog.at_level(logging.DEBUG, logger="koatty"):
        raw(addr, b"GET /\x1b[2J\x1b]0;pwned\x07 HTTP/1.1\r\nHost: x\r\n\r\n")
        raw(addr, b"GET /caf\xc3\xa9\\ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    lines = [r.getMessage() for r in caplog.records if r.name == "koatty"]
    assert any("\\x1b[2J\\x1b]0;pwned\\x07" in line and " 400 " in line for line in lines), lines
    assert any("/caf\\xc3\\xa9\\\\" in line and " 404 " in line for line in lines), lines
    assert not [line for line in lines if any(ord(c) < 0x20 or ord(c) >= 0x7F for c in line)]


# --- slow and idle clients, the bounded pool ----------------------------------------------------------


def test_idle_and_slow_clients_hold_no_worker(served):
    addr = served(environ_app, workers=2)
    idle = [socket.create_connection(addr, timeout=10) for _ in range(20)]
    slow = [socket.create_connection(addr, timeout=10) for _ in range(10)]
    try:
        for s in slow:  # a head that never ends (slowloris)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        for _ in range(3):
            assert status_and_json(raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))[0] == 200
    finally:
        for s in idle + slow:
            s.close()


def test_idle_connections_are_closed_after_the_idle_timeout(served):
    addr = served(environ_app, idle_timeout=0.2, read_timeout=0.3)
    fresh = socket.create_connection(addr, timeout=20)
    used = socket.create_connection(addr, timeout=20)
    partial = socket.create_connection(addr, timeout=20)
    used.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert used.recv(65536).startswith(b"HTTP/1.1 200")
    partial.sendall(b"GET / HTTP/1.1\r\n")
    assert fresh.recv(10) == b""  # closed by the server (recv would time out after 20 s otherwise)
    assert used.recv(10) == b""
    answer = partial.recv(65536)  # a head not finished in time: 408, then closed
    assert status_and_json(answer)[0] == 408 and partial.recv(10) == b""
    for s in (fresh, used, partial):
        s.close()


def test_many_idle_connections_do_not_make_many_threads(served):
    before = threading.active_count()
    addr = served(environ_app, workers=4)
    conns = []
    try:
        for _ in range(150):
            c = http.client.HTTPConnection(*addr, timeout=10)
            c.request("GET", "/")
            assert c.getresponse().read()
            conns.append(c)  # kept open, idle
        assert threading.active_count() <= before + 4 + 1  # the workers and the loop, whatever the clients
    finally:
        for c in conns:
            c.close()


def test_max_connections_closes_the_oldest_idle_one(served):
    addr = served(environ_app, max_connections=3)
    first = socket.create_connection(addr, timeout=10)
    first.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert first.recv(65536).startswith(b"HTTP/1.1 200")
    others = [socket.create_connection(addr, timeout=10) for _ in range(3)]
    assert first.recv(10) == b""  # made room for the newest
    assert status_and_json(raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))[0] == 200
    for s in [first, *others]:
        s.close()


# --- stop -------------------------------------------------------------------------------------------


def test_stop_is_prompt_with_idle_connections():
    app = make_app()
    server = app.listen(port=0, host="127.0.0.1")
    addr = server.server_address[:2]
    kept = []
    for _ in range(5):  # keep-alive connections, idle after one request
        c = http.client.HTTPConnection(*addr, timeout=30)
        c.request("GET", "/")
        c.getresponse().read()
        kept.append(c)
    fresh = [socket.create_connection(addr, timeout=30) for _ in range(3)]
    time.sleep(0.05)
    t0 = time.monotonic()
    app.stop()
    took = time.monotonic() - t0
    assert took < 2.0, took  # wsgiref's stop waited for each idle thread (10 s apiece)
    assert server.socket.fileno() == -1
    for s in fresh:
        assert s.recv(10) == b""
        s.close()
    with pytest.raises(OSError):
        socket.create_connection(addr, timeout=2)
    for c in kept:
        c.close()


def test_stop_lets_the_request_in_flight_finish_and_cuts_it_at_the_deadline():
    started, release = threading.Event(), threading.Event()

    def slow(environ, start_response):
        started.set()
        release.wait(float(environ["QUERY_STRING"]))
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    server = start_server(slow, "127.0.0.1", 0)
    addr = server.server_address[:2]
    results = []
    t = threading.Thread(target=lambda: results.append(raw(addr, b"GET /?0.3 HTTP/1.1\r\nHost: x\r\n\r\n")))
    t.start()
    assert started.wait(10)
    server.stop()  # waits for the request in flight
    t.join(10)
    assert results[0].startswith(b"HTTP/1.1 200") and b"Connection: close" in results[0]
    assert results[0].endswith(b"done")

    started.clear()
    server = start_server(slow, "127.0.0.1", 0, settings={"shutdown_timeout": 0.2})
    addr = server.server_address[:2]
    results = []
    t = threading.Thread(target=lambda: results.append(raw(addr, b"GET /?60 HTTP/1.1\r\nHost: x\r\n\r\n")))
    t.start()
    assert started.wait(10)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 5  # the deadline holds whatever the app does (it would take 60 s)
    t.join(10)
    assert not t.is_alive() and not results[0].startswith(b"HTTP/1.1 200")
    release.set()


def test_backlog_default_and_config(monkeypatch):
    seen = []
    real = socket.socket.listen
    monkeypatch.setattr(socket.socket, "listen", lambda self, n=None: (seen.append(n), real(self, n))[1])
    app = make_app()
    server = app.listen(port=0)
    app.stop()
    app = make_app(server={"backlog": 2048})
    app.listen(port=0)
    app.stop()
    assert seen == [1024, 2048] and server.backlog == 1024


def test_bad_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="server.workers"):
        start_server(environ_app, "127.0.0.1", 0, settings={"workers": "many"})


def test_the_server_is_loaded_by_listen_only():
    from test_core_imports import run_isolated

    code = ("import io, json as _j; from koatty_lite import create_application; from examples.demo.app import App; "
            "h = create_application(App).get_request_handler(); "
            "env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/hello', 'QUERY_STRING': '', 'wsgi.input': io.BytesIO()}; "
            "b''.join(h(env, lambda *a: None)); "
            "print(_j.dumps([m for m in ('koatty_lite.server', 'koatty_lite.http11', 'koatty_lite.exchange', 'selectors') "
            "if m in sys.modules]))")
    assert run_isolated(code) == []


def test_an_answer_before_the_body_is_read_reaches_a_client_still_sending(served):
    addr = served(make_app(payload={"limit": 1000}))
    seen = []
    for path, status in (("/echo", 413), ("/missing", 404)) * 3:
        conn = http.client.HTTPConnection(*addr, timeout=10)
        # 3 MB the app never reads: a plain close would reset the connection under the client's send
        conn.request("POST", path, body=b"x" * 3_000_000, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        seen.append((res.status, json.loads(res.read())["code"]))
        conn.close()
        assert seen[-1] == (status, 1)


def test_request_heads_and_chunked_bodies_of_any_bytes_parse_or_raise_http_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from koatty_lite.http11 import HttpError, parse_head, read_chunked

    pieces = st.sampled_from([b"GET", b" ", b"/", b"HTTP/1.1", b"\r\n", b":", b"Host", b"x", b"\t", b"\x00",
                              b"\xc4\xb1", b"_", b"0", b"a", b";", b"Transfer-Encoding", b"chunked", b"\r"])
    blobs = st.one_of(st.binary(max_size=300), st.lists(pieces, max_size=60).map(b"".join))

    @settings(max_examples=400, deadline=None)
    @given(blobs)
    def check(data):
        try:
            method, target, version, fields = parse_head(data, 100)
            assert version in ("HTTP/1.1", "HTTP/1.0") and all("_" not in n and n.isascii() for n, _ in fields)
        except HttpError as exc:
            assert exc.status in (400, 414, 505)
        buf = [data]

        def line(limit):
            i = buf[0].find(b"\n")
            if i < 0:
                raise HttpError(400, "Incomplete chunked body")
            out, buf[0] = buf[0][:i + 1], buf[0][i + 1:]
            return out

        def exact(n):
            out, buf[0] = buf[0][:n], buf[0][n:]
            return out

        try:
            assert len(read_chunked(line, exact, 50, 100)) <= 50
        except HttpError as exc:
            assert exc.status in (400, 413)

    check()


def test_back_to_back_requests_do_not_queue_behind_a_slow_one_while_the_pool_has_room():
    from koatty_lite.server import _Conn

    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            release.wait(30)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = start_server(app, "127.0.0.1", 0, settings={"workers": 4})
    try:
        assert raw(server.server_address[:2], b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").endswith(b"ok")
        pairs = [socket.socketpair() for _ in range(2)]
        conns = []
        for (ours, _), path in zip(pairs, (b"/slow", b"/fast")):
            conn = _Conn(ours, ("127.0.0.1", 1))
            conn.buf = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            conns.append(conn)
        for conn in conns:  # handed out together, as from one select() batch, one worker idle
            server._dispatch(conn)
        client = pairs[1][1]
        client.settimeout(10)
        assert client.recv(65536).startswith(b"HTTP/1.1 200")  # not stuck behind /slow
    finally:
        release.set()
        server.stop()
        for a, b in pairs:
            a.close()
            b.close()


def test_out_of_descriptors_pauses_accepting_instead_of_spinning_and_recovers():
    import errno

    server = start_server(environ_app, "127.0.0.1", 0)
    real = server.socket
    calls = []

    class Exhausted:  # the listening socket while the process has no descriptor left
        def __getattr__(self, name):
            return getattr(real, name)

        def accept(self):
            calls.append(time.monotonic())
            if calls[-1] - calls[0] < 0.3:  # out of descriptors for 0.3 s
                raise OSError(errno.EMFILE, "Too many open files")
            return real.accept()

    server.socket = Exhausted()
    try:
        answer = raw(server.server_address[:2], b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200")  # served once descriptors were back
        assert len(calls) < 50  # a few failed accepts, one per pause; a hot loop makes thousands
    finally:
        server.socket = real
        server.stop()


def test_a_client_trickling_a_small_body_holds_no_worker(served):
    addr = served(environ_app, workers=1)
    slow = socket.create_connection(addr, timeout=10)
    try:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")  # 8 bytes still to come
        time.sleep(0.1)
        answer = raw(addr, b"GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_and_json(answer)[1]["PATH_INFO"] == "/other"  # the only worker was free
        slow.sendall(b"cdefghij")
        assert b'"body": "abcdefghij"' in slow.recv(65536)
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nx")  # the same, kept alive
        time.sleep(0.1)
        assert status_and_json(raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))[0] == 200
        slow.sendall(b"yz")
        assert b'"body": "xyz"' in slow.recv(65536)
    finally:
        slow.close()


def test_requests_still_queued_at_the_deadline_never_reach_the_app():
    calls, started, release = [], threading.Event(), threading.Event()

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        started.set()
        release.wait(30)
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = start_server(app, "127.0.0.1", 0, settings={"workers": 1, "shutdown_timeout": 0.2})
    addr = server.server_address[:2]
    clients = [threading.Thread(target=raw, args=(addr, b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % p), daemon=True)
               for p in (b"a", b"b")]
    clients[0].start()
    assert started.wait(10)
    clients[1].start()  # queued behind /a: the only worker is busy
    deadline = time.monotonic() + 10
    while len(server.busy) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    release.set()
    for t in server.threads:
        t.join(10)
    assert calls == ["/a"]


def test_any_bytes_from_a_client_get_a_4xx_or_an_answer_never_a_5xx_and_the_server_goes_on(served):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    addr = served(make_app(), read_timeout=0.5, idle_timeout=0.5)
    parts = st.sampled_from([b"GET ", b"POST ", b"/", b"/echo", b"?a=1", b" HTTP/1.1", b" HTTP/1.0", b"\r\n",
                             b"Host: x", b"Content-Length: 3", b"Transfer-Encoding: chunked", b"3\r\nabc\r\n",
                             b"0\r\n\r\n", b"{}", b"\x00", b"\x1b", b"\xff", b":", b" ", b"_", b"Connection: close"])

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(parts, max_size=25).map(b"".join), st.binary(max_size=40))
    def check(data, tail):
        with socket.create_connection(addr, timeout=10) as s:
            s.sendall(data + tail)
            s.shutdown(socket.SHUT_WR)
            answer = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                answer += chunk
        for status in [int(m[9:12]) for m in answer.split(b"\r\n") if m.startswith(b"HTTP/1.1 ") and m[9:12].isdigit()]:
            assert status < 500, (data + tail, answer)
        ok = raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_and_json(ok) == (200, {"ok": True})

    check()


@pytest.mark.parametrize("first,data,status", [
    (b"", b"GET /" + b"a" * 8190, 414),  # more than the 8190-byte limit, no CRLF, and the client waits
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /" + b"a" * 8190, 414),
    (b"", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 65536, 431),
], ids=["new", "keep-alive", "431"])
def test_an_overlong_request_line_without_its_end_is_414_at_once_not_408_after_the_read_timeout(
        served, first, data, status):
    addr = served(environ_app)  # read_timeout stays 30 s: the answer must not wait for it
    with socket.create_connection(addr, timeout=5) as s:
        if first:
            s.sendall(first)
            assert s.recv(65536).startswith(b"HTTP/1.1 200")
        s.sendall(data)
        answer = b""
        while not answer.endswith(b"}"):
            chunk = s.recv(65536)  # socket.timeout (5 s) on a server waiting for the line's end
            assert chunk, answer
            answer += chunk
        assert status_and_json(answer)[0] == status and b"\r\nConnection: close\r\n" in answer
        assert s.recv(10) == b""  # then closed


def test_a_request_pipelined_after_connection_close_is_dropped_without_a_reset_losing_the_answer(served):
    big = b"x" * 8_000_000

    def large(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(big)))])
        return [big]

    addr = served(large)
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = s.recv(65536)  # the server has read the request and is sending the answer
        s.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")  # unread by the server: a plain close resets
        while True:
            chunk = s.recv(1 << 20)  # ConnectionResetError on the old code
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"\r\nConnection: close" in head
    assert len(body) == len(big) and answer.count(b"HTTP/1.1 ") == 1  # the whole answer, the second unanswered


@pytest.mark.parametrize("header", [("Bad Name", "v"), ("X:Y", "v"), ("X-Ünï", "v"), ("", "v"), ("X-Ctl", "a\x01b"),
                                    ("X-Esc", "\x1b[31m"), ("X-Del", "a\x7fb")], ids=repr)
def test_a_header_name_that_is_no_token_or_a_control_character_from_the_app_is_the_json_500(served, header, capsys):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), header])
        return [b"x"]

    answer = raw(served(app), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_and_json(answer)[0] == 500  # as a CR/LF is: the client would read another header


def test_a_tab_and_obs_text_in_an_app_s_header_value_are_sent(served):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Tab", "a\tb"), ("X-Obs", "S\xe3o")])
        return [b"x"]

    answer = raw(served(app), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and b"\r\nX-Tab: a\tb\r\n" in answer and b"\r\nX-Obs: S\xe3o\r\n" in answer
