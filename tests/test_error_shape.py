"""One error shape everywhere: {"code", "message", "data", "requestId"} from errors.error_body.

The core's 404, an adapter's 400 for a malformed event, the entry point's 503 (failed health
check) and its 500 for a failing foreign WSGI app all carry the same four keys.
"""
from __future__ import annotations

import json

from koatty_lite import Controller, GetMapping, Koatty, handler
from koatty_lite.errors import error_body
from robust_support import FakeContext, v1_event

KEYS = ["code", "message", "data", "requestId"]


@Controller("/")
class Api:
    @GetMapping("/ok")
    def ok(self):
        return {"ok": True}


class App(Koatty):
    components = [Api]


def body_of(response: dict) -> dict:
    return json.loads(response["body"])


def test_error_body_is_the_one_shape():
    assert json.loads(error_body(3, "m", {"k": 1}, "r-1")) == {"code": 3, "message": "m", "data": {"k": 1},
                                                              "requestId": "r-1"}


def test_core_404_carries_the_request_id():
    answer = handler(App)(v1_event(path="/nowhere"), FakeContext("rid-404"))
    assert answer["statusCode"] == 404
    body = body_of(answer)
    assert list(body) == KEYS and body["requestId"] == "rid-404"


def test_adapter_400_has_the_same_keys():
    event = v1_event()
    event["httpMethod"] = 7  # malformed: a method must be a string
    answer = handler(App)(event, FakeContext())
    assert answer["statusCode"] == 400
    assert list(body_of(answer)) == KEYS


def test_entry_503_has_the_same_keys_and_the_invocations_id():
    def unhealthy(app):
        raise RuntimeError("db down")

    answer = handler(App, health_check=unhealthy)(v1_event(path="/ok"), FakeContext("rid-503"))
    assert answer["statusCode"] == 503
    assert body_of(answer) == {"code": 1, "message": "Service Unavailable", "data": None, "requestId": "rid-503"}


def test_foreign_wsgi_500_has_the_same_keys_and_the_invocations_id():
    def broken(environ, start_response):
        raise RuntimeError("boom")

    answer = handler(broken)(v1_event(path="/x"), FakeContext("rid-500"))
    assert answer["statusCode"] == 500
    assert body_of(answer) == {"code": 1, "message": "Internal Server Error", "data": None, "requestId": "rid-500"}
