"""Secrets: nothing from the environment or the environ reaches a response or the default logs;
REMOTE_ADDR is what the platform saw, never what the client claims."""
from __future__ import annotations

import io
import json
import logging

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty, PostMapping

from robust_support import FakeContext, alb_event, check_response, v1_event, v2_event

SECRET = "FAKE-SECRET-7f3a9c"
KEY_ID = "FAKE-KEYID-11aa22"
TOKEN = "FAKE-TOKEN-33bb44"


@Controller("/")
class LeakController:
    """Routes that fail in various ways while secrets sit in the environ."""

    @GetMapping("/boom")
    def boom(self):
        """An unhandled error with local variables around (tracebacks must not show locals)."""
        environ = self.ctx.environ if hasattr(self.ctx, "environ") else {}
        secret_copy = dict(environ)  # noqa: F841 - a local a careless formatter could dump
        raise RuntimeError("controller failed")

    @PostMapping("/json")
    def json_body(self):
        """Body parsing (a 400 on bad JSON)."""
        return self.ctx.request_body()

    @GetMapping("/ip")
    def ip(self):
        """The client address the app sees."""
        return {"ip": self.ctx.ip}


class LeakApp(Koatty):
    """The app for the leak tests."""

    components = [LeakController]


def fc2_environ(path="/boom", method="GET", body=b"", ctype="text/plain") -> dict:
    """An FC 2.0 WSGI environ as the runtime builds it: process environment (credentials) included."""
    return {
        "accessKeyID": KEY_ID, "accessKeySecret": SECRET, "securityToken": TOKEN,
        "FC_FUNC_CODE_PATH": "/code/", "PATH": "/usr/bin", "HOME": "/tmp",
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "fc", "SERVER_PORT": "9000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.50", "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": ctype,
        "HTTP_HOST": "fc.example.com", "HTTP_AUTHORIZATION": "Bearer " + TOKEN,
        "fc.request_uri": path, "fc.context": FakeContext("fc2-req-1"),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }


def run_fc2(handler, environ):
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = status, headers
        return lambda data: None

    chunks = handler(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return got["status"], got["headers"], body


@pytest.fixture()
def all_logs(caplog):
    """Capture every log record at DEBUG, whatever logger writes it."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize("path, method, body, ctype, status", [
    ("/boom", "GET", b"", "text/plain", 500),
    ("/json", "POST", b"{bad", "application/json", 400),
    ("/missing", "GET", b"", "text/plain", 404),
    ("/json", "GET", b"", "text/plain", 405),
], ids=["500", "400", "404", "405"])
def test_fc2_environ_credentials_never_reach_response_or_logs(all_logs, capsys, monkeypatch, path, method, body, ctype, status):
    monkeypatch.setenv("accessKeySecret", SECRET)
    handler = koatty_lite.handler(LeakApp)
    environ = fc2_environ(path, method, body, ctype)
    st, headers, out = run_fc2(handler, environ)
    assert int(st.split()[0]) == status
    everything = [out.decode("utf-8", "replace"), json.dumps(headers), all_logs.text, environ["wsgi.errors"].getvalue()]
    cap = capsys.readouterr()
    everything += [cap.out, cap.err]
    for blob in everything:
        for secret in (SECRET, KEY_ID, TOKEN):
            assert secret not in blob
    assert "Traceback" not in out.decode("utf-8", "replace")


@pytest.mark.parametrize("shape", ["apigw-v1", "apigw-v2", "alb"])
def test_process_environment_never_reaches_an_event_response(all_logs, capsys, monkeypatch, shape):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    handler = koatty_lite.handler(LeakApp)
    event = {"apigw-v1": v1_event, "apigw-v2": v2_event, "alb": alb_event}[shape]("GET", "/boom")
    ans = check_response(handler(event, FakeContext()), shape)
    assert ans.status == 500
    assert ans.json().get("message") == "Internal Server Error"
    cap = capsys.readouterr()
    for blob in (json.dumps(ans.resp), all_logs.text, cap.out, cap.err):
        assert SECRET not in blob and TOKEN not in blob


# --- REMOTE_ADDR -------------------------------------------------------------------------------
SEEN: dict = {}


def addr_probe(environ, start_response):
    """Record REMOTE_ADDR."""
    SEEN["REMOTE_ADDR"] = environ.get("REMOTE_ADDR")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize("shape, event, expected", [
    ("apigw-v1", v1_event("GET", "/", headers={"X-Forwarded-For": "6.6.6.6"}, source_ip="203.0.113.7"), "203.0.113.7"),
    ("apigw-v1", v1_event("GET", "/", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}, source_ip="203.0.113.7"), "203.0.113.7"),
    ("apigw-v2", v2_event("GET", "/", headers={"X-Forwarded-For": "6.6.6.6"}, source_ip="203.0.113.8"), "203.0.113.8"),
    ("function-url", v2_event("GET", "/", headers={"X-Forwarded-For": "6.6.6.6"}, source_ip="203.0.113.9",
                              domain="abc.lambda-url.us-east-1.on.aws"), "203.0.113.9"),
    ("alb", alb_event("GET", "/", headers={"x-forwarded-for": "6.6.6.6, 198.51.100.4"}), "198.51.100.4"),
    ("alb-multi", alb_event("GET", "/", headers={"x-forwarded-for": ["6.6.6.6, 198.51.100.5"]}, multi=True), "198.51.100.5"),
], ids=["rest-v1-spoof", "rest-v1-chain", "http-v2-spoof", "function-url-spoof", "alb-last-entry", "alb-multi-last-entry"])
def test_remote_addr_cannot_be_set_by_the_client(shape, event, expected):
    handler = koatty_lite.handler(addr_probe)
    check_response(handler(event, FakeContext()), shape)
    assert SEEN["REMOTE_ADDR"] == expected


def test_ctx_ip_follows_remote_addr_not_the_client_header():
    handler = koatty_lite.handler(LeakApp)
    ans = check_response(handler(v1_event("GET", "/ip", headers={"X-Forwarded-For": "6.6.6.6"},
                                          source_ip="203.0.113.7"), FakeContext()))
    assert ans.json()["ip"] == "203.0.113.7"


def _with_spoofed_xff(name, value="6.6.6.6"):
    """A fixture of another cloud or of VPC Lattice with a client-set X-Forwarded-For added."""
    import json
    import os

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", name + ".json"), encoding="utf-8") as fh:
        event = json.load(fh)
    headers = event.get("headers") or {}
    first = next(iter(headers.values()), "")
    headers["X-Forwarded-For"] = [value] if isinstance(first, list) else value
    event["headers"] = headers
    return event


@pytest.mark.parametrize("name", ["aws/lattice-v1", "aws/lattice-v2"])
def test_lattice_remote_addr_is_the_entry_lattice_appended(name):
    handler = koatty_lite.handler(addr_probe)
    handler(_with_spoofed_xff(name, "6.6.6.6, 198.51.100.6"), FakeContext())  # Lattice appends what it saw
    assert SEEN["REMOTE_ADDR"] == "198.51.100.6"


@pytest.mark.parametrize("name", ["alicloud/fc3-post-encoded-path",
                                  "alicloud/fc-apigw-get", "tencent/scf-apigw-query-kinds", "tencent/scf-url-post"])
def test_remote_addr_of_the_other_formats_ignores_a_client_header(name):
    handler = koatty_lite.handler(addr_probe)
    handler(_with_spoofed_xff(name), FakeContext())
    assert SEEN["REMOTE_ADDR"] != "6.6.6.6"


def test_fc2_remote_addr_is_the_runtime_s_not_the_client_header():
    import io

    handler = koatty_lite.handler(addr_probe)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "fc",
               "SERVER_PORT": "9000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.5",
               "HTTP_X_FORWARDED_FOR": "6.6.6.6", "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
               "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.multithread": True,
               "wsgi.multiprocess": False, "wsgi.run_once": False}
    b"".join(handler(environ, lambda status, headers, exc_info=None: None))
    assert SEEN["REMOTE_ADDR"] == "203.0.113.5"
