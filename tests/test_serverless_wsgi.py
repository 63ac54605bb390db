"""run_wsgi follows PEP 3333: exc_info, write(), close() in finally, header pairs kept."""
from __future__ import annotations

import sys

import pytest

from koatty_lite.serverless.wsgi import run_wsgi


def test_headers_stay_pairs_and_body_joined():
    def app(environ, start_response):
        start_response("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        return [b"a", b"", b"b"]
    assert run_wsgi(app, {}) == ("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], b"ab")


def test_write_callable_then_iterable():
    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"x")
        return [b"y"]
    assert run_wsgi(app, {})[2] == b"xy"


def test_close_called_even_when_iteration_fails():
    closed = []

    class Body:
        def __iter__(self):
            yield b"a"
            raise RuntimeError("boom")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [])
        return Body()
    with pytest.raises(RuntimeError, match="boom"):
        run_wsgi(app, {})
    assert closed == [True]


def test_exc_info_replaces_status_before_body():
    def app(environ, start_response):
        start_response("200 OK", [("X", "1")])
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 Internal Server Error", [("X", "2")], sys.exc_info())
        return [b"err"]
    assert run_wsgi(app, {}) == ("500 Internal Server Error", [("X", "2")], b"err")


def test_exc_info_reraised_after_body_sent():
    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"partial")
        try:
            raise KeyError("sent")
        except KeyError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return []
    with pytest.raises(KeyError, match="sent"):
        run_wsgi(app, {})


def test_second_start_response_without_exc_info_is_an_error():
    def app(environ, start_response):
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []
    with pytest.raises(AssertionError):
        run_wsgi(app, {})


def test_missing_start_response_is_an_error():
    with pytest.raises(AssertionError):
        run_wsgi(lambda environ, start_response: [], {})
