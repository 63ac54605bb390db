"""The serverless edge's own answers: a malformed event's 400 (its request id, ALB's one header map) and
what a foreign WSGI app's answer may carry out (no body on HEAD/204/304, no header the platform rejects)."""
from __future__ import annotations

import json
import logging
import os

import pytest

from conftest import FIXTURES
from koatty_lite import Controller, GetMapping, Koatty, handler
from koatty_lite.serverless import serve_http
from robust_support import FakeContext, check_response


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def malformed(name):
    """The fixture with a body marked base64 that is not: the format's 400."""
    event = load(name)
    event["is_base64_encoded" if "is_base64_encoded" in event else "isBase64Encoded"] = True
    event["body"] = "not base64!"
    return event


@Controller("/")
class Api:
    @GetMapping("/")
    def index(self):
        return {"ok": True}


class App(Koatty):
    components = [Api]


def plain_wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


SERVERS = {"serve_http": lambda: (lambda e, c: serve_http(plain_wsgi, e, c)),
           "koatty": lambda: handler(App), "foreign-wsgi": lambda: handler(plain_wsgi)}
# fixture -> (its kind, the request id the event itself carries or None)
EVENTS = {
    "aws/apigw-v1-custom-domain-base64-post": ("apigw-v1", "req-upload"),
    "aws/apigw-v2-default-stage-post": ("apigw-v2", "req-v2-post"),
    "aws/function-url-cookies-twice": ("function-url", "req-url"),
    "aws/alb-multi-value": ("alb", None),
    "aws/alb-single-value": ("alb", None),
    "aws/lattice-v2": ("lattice-v2", None),
    "alicloud/fc3-post-encoded-path": ("fc3", "req-fc3"),
    "tencent/scf-apigw-base64-post": ("scf-apigw", "req-scf-2"),
}


@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("name", sorted(EVENTS))
def test_a_malformed_event_s_400_carries_the_invocation_s_request_id(name, server):
    kind, event_id = EVENTS[name]
    serve = SERVERS[server]()
    for context, want in ((FakeContext("ctx-400"), "ctx-400"), (None, event_id)):
        answer = check_response(serve(malformed(name), context), kind)
        assert answer.status == 400
        body = answer.json()
        assert list(body) == ["code", "message", "data", "requestId"] and body["requestId"] == want, body
        assert answer.header("X-Request-Id") == want  # no header when there is no id


@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("name,used", [("aws/alb-multi-value", "multiValueHeaders"),
                                       ("aws/alb-single-value", "headers")])
def test_an_alb_400_answers_in_the_header_map_the_request_used(name, used, server):
    event = malformed(name)
    assert used in event
    answer = SERVERS[server]()(event, FakeContext())
    assert answer["statusCode"] == 400
    other = "headers" if used == "multiValueHeaders" else "multiValueHeaders"
    assert used in answer and other not in answer, answer  # ALB: exactly the one the target group implies


def test_the_400_s_request_id_from_the_event_is_never_a_header_injection():
    event = malformed("aws/apigw-v1-custom-domain-base64-post")
    event["requestContext"]["requestId"] = "x\r\nSet-Cookie: a=1"
    answer = check_response(handler(App)(event, None), "apigw-v1")  # check_response: no CR/LF in any header
    assert answer.status == 400 and "set-cookie" not in answer.headers


def answering(status, headers, body=b"body!"):
    def app(environ, start_response):
        start_response(status, headers)
        return [body]
    return app


@pytest.mark.parametrize("method,status", [("HEAD", "200 OK"), ("GET", "204 No Content"),
                                           ("GET", "304 Not Modified"), ("HEAD", "404 Not Found")])
@pytest.mark.parametrize("name", ["aws/apigw-v1-get-multivalue", "aws/apigw-v2-default-stage-post",
                                  "aws/alb-multi-value", "alicloud/fc3-post-encoded-path",
                                  "tencent/scf-apigw-query-kinds"])
def test_a_foreign_app_s_body_on_head_204_and_304_is_dropped_as_a_server_drops_it(name, method, status):
    event = load(name)
    if "httpMethod" in event:
        event["httpMethod"] = method
    elif "requestContext" in event and "http" in event["requestContext"]:
        event["requestContext"]["http"]["method"] = method
    else:
        event["method" if "method" in event else "httpMethod"] = method
    for serve in (handler(answering(status, [("Content-Type", "text/plain")])),
                  lambda e, c: serve_http(answering(status, [("Content-Type", "text/plain")]), e, c)):
        answer = check_response(serve(json.loads(json.dumps(event)), FakeContext()))
        assert answer.status == int(status[:3]) and answer.body == b"", answer.resp


BAD_HEADERS = [("Bad Name", "v"), ("X:Y", "v"), ("X-Ünï", "v"), ("(x)", "v"), ("X-Ctl", "a\x01b"),
               ("X-Esc", "\x1b[31mred"), ("X-Del", "a\x7fb"), ("X-Vt", "a\x0bb")]


@pytest.mark.parametrize("bad", BAD_HEADERS, ids=lambda pair: repr(pair))
@pytest.mark.parametrize("name", ["aws/apigw-v1-get-multivalue", "aws/apigw-v2-default-stage-post",
                                  "aws/alb-single-value", "aws/lattice-v2", "alicloud/fc3-post-encoded-path",
                                  "tencent/scf-url-post"])
def test_a_foreign_app_s_header_the_platform_would_reject_is_dropped_with_a_log_line(name, bad, caplog):
    headers = [("Content-Type", "text/plain"), bad, ("X-Tab", "a\tb"), ("X-Good", "kept")]
    for serve in (handler(answering("200 OK", headers)),
                  lambda e, c: serve_http(answering("200 OK", headers), e, c)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            answer = check_response(serve(load(name), FakeContext()))  # its TOKEN and CR/LF/NUL checks
        assert answer.status == 200 and answer.body == b"body!"
        assert answer.header("X-Good") == "kept" and answer.header("X-Tab") == "a\tb"  # HTAB is allowed
        assert bad[0].lower() not in answer.headers
        assert any("dropped" in r.getMessage() and "header" in r.getMessage() for r in caplog.records), caplog.text
