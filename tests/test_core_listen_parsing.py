"""The listen() server's request parsing (koatty_lite/http11.py, server.py): the fast paths answer as
the careful ones, and what they cache from clients stays bounded."""
from __future__ import annotations

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
