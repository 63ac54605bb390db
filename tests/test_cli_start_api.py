"""`python -m koatty_lite start-api`: real HTTP requests through platform events and back."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from conftest import ROOT
from koatty_lite.cli import start_api
from tests import cli_handlers


@pytest.fixture
def serve():
    servers = []

    def start(handler, fmt):
        srv = start_api.make_server(handler, fmt, "127.0.0.1", 0, quiet=True)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        servers.append((srv, t))
        return "http://127.0.0.1:%d" % srv.server_address[1]

    yield start
    for srv, t in servers:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def fetch(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


@pytest.mark.parametrize("fmt", ["apigw-v2", "apigw-v1", "alb-multi", "function-url", "fc3", "scf", "lattice-v2"],
                         ids=str)
def test_post_roundtrip_with_two_cookies(serve, fmt):
    base = serve(cli_handlers.echo, fmt)
    status, headers, body = fetch(base + "/users/1?a=1&a=2", data=b'{"name":"x"}',
                                  headers={"Content-Type": "application/json", "X-Test": "yes"})
    assert status == 201
    assert headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    out = json.loads(body)
    e = out["event"]
    assert json.dumps(e).count('{\\"name\\":\\"x\\"}') == 1  # the body went into the event once
    method = e.get("httpMethod") or e.get("method") or e.get("requestContext", {}).get("http", {}).get("method")
    assert method == "POST"
    assert out["event_was_bytes"] is (fmt == "fc3")


def test_binary_body_and_inferred_v2_response(serve):
    status, headers, body = fetch(serve(cli_handlers.binary, "apigw-v1") + "/")
    assert status == 200 and body == b"\x00\x01\xff"
    status, headers, body = fetch(serve(cli_handlers.plain, "apigw-v2") + "/")
    assert status == 200 and json.loads(body) == {"hello": "world"}
    assert headers["Content-Type"] == "application/json"


def test_handler_error_is_502_json(serve, capsys):
    status, _, body = fetch(serve(cli_handlers.boom, "apigw-v2") + "/")
    assert status == 502 and json.loads(body)["message"] == "Internal server error"
    status, _, body = fetch(serve(cli_handlers.plain, "apigw-v1") + "/")  # v1 needs a statusCode
    assert status == 502


@pytest.mark.parametrize("result, fmt, expect", [
    ({"statusCode": "204"}, "apigw-v1", (204, [], b"")),
    ({"statusCode": 200, "headers": {"A": "1", "B": "x"}, "multiValueHeaders": {"a": ["2", "3"]}, "body": "ok"},
     "apigw-v1", (200, [("a", "2"), ("a", "3"), ("B", "x")], b"ok")),
    ({"statusCode": 200, "headers": {"Set-Cookie": ["x=1", "y=2"]}}, "scf",
     (200, [("Set-Cookie", "x=1"), ("Set-Cookie", "y=2")], b"")),
    ({"statusCode": 200, "cookies": ["c=1"], "body": "aGk=", "isBase64Encoded": True}, "function-url",
     (200, [("Set-Cookie", "c=1")], b"hi")),
], ids=["string-status", "multi-wins", "scf-array-header", "v2-cookies-base64"])
def test_response_to_http(result, fmt, expect):
    assert start_api.response_to_http(result, fmt) == expect


@pytest.mark.parametrize("result", [{"statusCode": "x"}, {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
                                    {"statusCode": 200, "multiValueHeaders": {"a": "b"}}],
                         ids=["bad-status", "bad-base64", "multi-not-list"])
def test_bad_responses_rejected(result):
    with pytest.raises(start_api.BadResponse):
        start_api.response_to_http(result, "apigw-v1")


@pytest.mark.parametrize("args, needle", [
    (["tests.cli_handlers:echo", "--format", "xml"], "unknown --format 'xml'"),
    (["no_such_module_xyz:handler"], "cannot import module"),
    (["tests.cli_handlers:nope"], "has no attribute 'nope'"),
], ids=["bad-format", "missing-module", "missing-attribute"])
def test_errors_one_line(args, needle):
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "start-api", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) == 1
