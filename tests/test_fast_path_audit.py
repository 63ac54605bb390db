"""Issue 14's fast paths probed as a hostile client and a careless app would: the caches keyed on
client-chosen text stay bounded, a foreign WSGI app's bad answer is no crash, and what the fast
paths skip never reaches the platform response. Each test failed on the code before its fix.
"""
from __future__ import annotations

import copy
import glob
import json
import os

import pytest

import koatty_lite
from conftest import FIXTURES
from koatty_lite import Koatty, Middleware
from koatty_lite import context as context_module
from koatty_lite import payload as payload_module
from koatty_lite.serverless import _claim
from koatty_lite.serverless import http as http_module
from koatty_lite.serverless import request_extra as headers_module  # the header view's caches

EVENTS = []
for _path in sorted(glob.glob(os.path.join(FIXTURES, "*", "*.json"))):
    with open(_path, encoding="utf-8") as _fh:
        _event = json.load(_fh)
    if type(_event) is dict and _claim(_event, "auto") is not None:
        EVENTS.append(pytest.param(_event, id=os.path.basename(_path)))


def _with_header(event, name, value):
    """A copy of ``event`` with one more request header, in whichever map the event carries."""
    event = copy.deepcopy(event)
    multi = event.get("multiValueHeaders")
    if type(multi) is dict:
        multi[name] = [value]
    else:
        headers = event.get("headers")
        if type(headers) is not dict:
            headers = event["headers"] = {}
        headers[name] = value
    return event


@Middleware()
class AskAndSet:
    """Reads a long header name and sets one, as an app echoing client-chosen names would."""

    def run(self, options, app):
        def ask(ctx, next):
            long_name = "x-" + "n" * 300
            ctx.get(long_name + ctx.get("x-suffix", ""))
            ctx.set("X-" + "s" * 300, "v")
            ctx.body = {"ok": True}
        return ask


class LongNamesApp(Koatty):
    components = [AskAndSet]
    config = {"middleware": {"list": ["AskAndSet"]}}


def _bare(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _long_cached(name_set):
    return [name for name in name_set if type(name) is str and len(name) > 64]


@pytest.mark.parametrize("event", EVENTS)
def test_caches_keyed_on_header_names_keep_no_long_name(event):
    """Header names and charsets are the client's (any length): the lookup caches keep at most 64
    bytes a name (listen mode's bound), so 1024 names of 8 KB cannot hold 8 MB+ for the process."""
    koatty, bare = koatty_lite.handler(LongNamesApp), koatty_lite.handler(_bare)
    for i in range(3):
        hostile = _with_header(event, "X-Long-%d-" % i + "a" * 5000, "v")
        for serve in (koatty, bare):
            assert serve(copy.deepcopy(hostile), None)["statusCode"] in (200, 400, 415)
    assert _long_cached(headers_module._VIEW_KEYS) == []
    assert _long_cached(headers_module._LOOKUP_KEYS) == []
    assert _long_cached(http_module._ENV_KEYS) == []
    assert _long_cached(context_module._GOOD_NAMES) == []


def test_the_plain_response_name_cache_stays_bounded():
    """A foreign app's response header names are cached (foreign._PLAIN_NAMES, lower-case form); an app
    that echoes names a client chose must not grow it without bound, nor keep long ones."""
    from koatty_lite import foreign

    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), (environ["HTTP_X_NAME"], "v")])
        return [b"ok"]

    serve = koatty_lite.handler(echo)
    event = {"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": {"host": "h"},
             "requestContext": {"http": {"method": "GET", "path": "/", "sourceIp": "192.0.2.1"}, "domainName": "h"}}
    for i in range(1100):
        event["headers"]["x-name"] = "X-Echo-%d" % i + ("-" + "a" * 100 if i % 2 else "")
        out = serve(copy.deepcopy(event), None)
        assert out["statusCode"] == 200 and out["headers"][event["headers"]["x-name"]] == "v"
    assert len(foreign._PLAIN_NAMES) <= 1024 and _long_cached(foreign._PLAIN_NAMES) == []


def test_charset_cache_keeps_no_long_charset():
    """A Content-Type's charset parameter is the client's text: refused when long, and not kept."""
    for i in range(3):
        assert payload_module.text_codec("u" * 3000 + str(i)) is None
    assert _long_cached(payload_module._charsets) == []


def _answering(status):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain")])
        return [b"body"]
    return app


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("status", ["abc", " 200 OK", "2_0 Odd", "42 Short", "999 Odd", "200 OK\r\nX-Evil: 1",
                                    "200 OK\nX-Evil: 1", "２00 OK", "200OK"])
def test_foreign_app_bad_status_line_is_a_json_500(event, status):
    """A foreign WSGI app's status line that is no PEP 3333 line: the JSON 500 with the request id,
    not a crash of the handler ("abc"), a wrong code (" 200 OK" was sent as 20) or a CR/LF passed on
    in ALB's and Lattice's statusDescription."""
    out = koatty_lite.handler(_answering(status))(copy.deepcopy(event), None)
    assert out["statusCode"] == 500
    assert json.loads(out["body"])["message"] == "Internal Server Error"
    assert "\n" not in out.get("statusDescription", "")


@pytest.mark.parametrize("status", ["200 OK", "200", "201 Created", "299 Fine", "404 not found", "599 Custom"])
def test_foreign_app_status_lines_that_are_lines_still_pass(status):
    event = next(p.values[0] for p in EVENTS if "alb-single" in p.id)
    out = koatty_lite.handler(_answering(status))(copy.deepcopy(event), None)
    assert out["statusCode"] == int(status[:3]) and out["body"] == "body"


def test_run_wsgi_refuses_a_bad_status_line():
    from koatty_lite.serverless.wsgi import run_wsgi

    with pytest.raises(ValueError, match="status line"):
        run_wsgi(_answering("200 OK\r\nX-Evil: 1"), {})


def _controls(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Nul", "a\x00b"), ("X-Tab", "a\tb"),
                              ("X-Ok", "fine")])
    return [b"ok"]


def _response_headers(out):
    if "multiValueHeaders" in out and "headers" not in out:
        return {k: v[0] for k, v in out["multiValueHeaders"].items()}
    return out["headers"]


@pytest.mark.parametrize("event", EVENTS)
def test_foreign_app_header_with_a_nul_never_reaches_the_platform(event):
    """A NUL in a foreign app's header value went out as it was (only CR/LF were dropped), on the
    plain path and the general one: the header is dropped, as a CR/LF one is; HTAB is allowed."""
    out = koatty_lite.handler(_controls)(copy.deepcopy(event), None)
    assert out["statusCode"] == 200
    headers = {k.lower(): v for k, v in _response_headers(out).items()}
    assert headers["x-ok"] == "fine" and headers["x-tab"] == "a\tb"
    assert "x-nul" not in headers


def test_clean_headers_drops_a_nul_value():
    pairs = [("X-Nul", "a\x00b"), ("X-Ok", "v")]
    assert http_module.clean_headers(pairs) == [("X-Ok", "v")] == http_module.clean_headers(pairs, True)
