"""examples/alicloud: FC 3.0 HTTP and timer events (bytes) and the FC 2.0 WSGI form, one handler."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import sys

import pytest

from conftest import ROOT
from koatty_lite.cli._common import fake_context, platform_event
from koatty_lite.cli.event import HttpRequest, build_event, default_headers

pytestmark = pytest.mark.skipif(importlib.util.find_spec("koatty_lite.entry") is None,
                                reason="koatty_lite.entry (issue #4) not on main yet")

def read(path, mode="r"):
    """The whole file (closed again: pytest turns ResourceWarnings into errors)."""
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
        return fh.read()


@pytest.fixture(scope="module")
def index():
    from examples.alicloud import index
    return index


def fc3(method="GET", path="/", query="", body=b""):
    event = build_event("fc3", HttpRequest(method, path, query, default_headers(body), body))
    return platform_event(event, "alicloud")  # FC 3.0 passes the JSON as bytes


def test_fc3_http_trigger_get(index):
    resp = index.handler(fc3(path="/hello", query="name=fc"), fake_context("alicloud"))
    assert resp["statusCode"] == 200 and resp["body"] == "Hello, fc!"


def test_fc3_http_trigger_post(index):
    resp = index.handler(fc3("POST", "/users", body=b'{"name":"ali"}'), fake_context("alicloud"))
    assert resp["statusCode"] == 201 and json.loads(resp["body"])["name"] == "ali"


def test_fc_timer_event_reaches_the_schedule_handler(index):
    assert index.handler(platform_event(build_event("fc-timer"), "alicloud"), fake_context("alicloud")) == {"handled": "scheduled"}


def test_fc2_wsgi_form(index):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/hello", "QUERY_STRING": "name=wsgi", "SCRIPT_NAME": "",
               "SERVER_NAME": "fc", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "text/plain",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
               "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
               "fc.context": fake_context("alicloud"), "fc.request_uri": "/hello?name=wsgi"}
    result = index.handler(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    assert seen["status"].startswith("200") and body == b"Hello, wsgi!"


def test_lifecycle_hooks_exposed(index):
    assert callable(index.initialize) and callable(index.pre_stop)


def test_s_yaml_declares_http_and_timer_triggers():
    text = read(os.path.join(ROOT, "examples", "alicloud", "s.yaml"))
    assert "component: fc3" in text and "handler: index.handler" in text
    assert "triggerType: http" in text and "triggerType: timer" in text
