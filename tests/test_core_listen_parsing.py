"""The listen() server's request parsing (koatty_lite/http11.py, server.py): the fast paths answer as
the careful ones, what they cache from clients stays bounded, and CRLFs before a request line are
ignored wherever they arrive."""
from __future__ import annotations

import socket
import time

import pytest

from koatty_lite import http11
from koatty_lite.http11 import HttpError, parse_head


@pytest.mark.parametrize("value", [b"ok", b"a\x00b", b"a\rb", b"a\nb", b"\x7f", b"\xff\t x"])
def test_a_head_with_one_bad_value_anywhere_is_checked_value_by_value(value):
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + value + b"\r\nX-B: 2"
    try:
        fields = parse_head(head, 100)[3]
    except HttpError as exc:
        assert (exc.status, exc.message) == (400, "Malformed header value")
        assert value not in (b"ok", b"\xff\t x")
    else:
        assert fields == [("host", "x"), ("x-a", value.strip(b" \t").decode("latin-1")), ("x-b", "2")]


def test_the_field_names_kept_from_clients_are_bounded(monkeypatch):
    monkeypatch.setattr(http11, "_NAMES", {})
    # a cached name answers as a fresh one: lower-cased, and the dropped ones stay dropped
    for _ in range(2):
        assert parse_head(b"GET / HTTP/1.1\r\nX-Mixed-CASE: 1\r\nX_A: 2\r\nX-\xc4\xb1: 3", 100)[3] == [("x-mixed-case", "1")]
    assert http11._NAMES == {b"X-Mixed-CASE": "x-mixed-case"}
    for i in range(3000):
        parse_head(b"GET / HTTP/1.1\r\nX-" + str(i).encode() + b": 1\r\nX-" + b"l" * 200 + b": 2", 100)
    assert 0 < len(http11._NAMES) <= 1024
    assert max(map(len, http11._NAMES)) <= 64


def test_the_environ_keys_kept_from_clients_are_bounded(monkeypatch):
    from koatty_lite import server

    monkeypatch.setattr(server, "_KEYS", {"content-type": "CONTENT_TYPE"})  # as preloaded
    env = {}
    fields = [(f"x-{i}", "1") for i in range(3000)] + [("x-" + "l" * 200, "2"), ("host", "h"), ("cookie", "a"),
                                                        ("cookie", "b"), ("content-type", "a/b"), ("content-type", "c/d")]
    framing = server._to_environ(env, fields)
    assert 0 < len(server._KEYS) <= 1024 and max(map(len, server._KEYS)) <= 64
    assert env["HTTP_X_2999"] == "1" and env["HTTP_X_" + "L" * 200] == "2"
    assert (env["HTTP_HOST"], env["HTTP_COOKIE"], env["CONTENT_TYPE"]) == ("h", "a; b", "c/d")
    assert framing == [("host", "h")]


def _echo(environ, start_response):
    body = b"ok " + environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return out
        out += data


@pytest.mark.parametrize("pause", [0, 0.3], ids=["pipelined", "later"])
@pytest.mark.parametrize("between", [b"\r\n", b"\r\n\r\n", b"\n"])
def test_crlfs_after_a_request_are_ignored_before_the_next_request_line(pause, between):
    """RFC 9112 §2.2 (old clients send a CRLF after a POST body): the next request is served, not a 400."""
    from koatty_lite.server import start_server

    server = start_server(_echo, "127.0.0.1", 0)
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as sock:
            sock.sendall(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab" + between)
            time.sleep(pause)  # the next request arrives after the worker handed the connection back
            sock.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = _read_all(sock)
    finally:
        server.stop()
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer
    assert answer.endswith(b"\r\n\r\nok ") and b"400" not in answer
