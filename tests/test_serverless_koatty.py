"""A koatty_lite app behind every HTTP kind (skipped until the core is importable)."""
from __future__ import annotations

import json
import os
from wsgiref.validate import validator

import pytest

from conftest import FIXTURES
from koatty_lite.serverless import serve_http

core = pytest.importorskip("koatty_lite")
if not hasattr(core, "create_application"):  # pragma: no cover
    pytest.skip("koatty_lite core not landed yet", allow_module_level=True)

from koatty_lite import Controller, GetMapping, Koatty, create_application  # noqa: E402


@Controller("/")
class EchoController:
    @GetMapping("/ping")
    def ping(self):
        return {"pong": True}


class EchoApp(Koatty):
    components = [EchoController]


FIXTURE = {
    "apigw-v1": "aws/apigw-v1-console-test", "apigw-v2": "aws/apigw-v2-default-stage-post",
    "function-url": "aws/function-url-cookies-twice", "alb": "aws/alb-health-check",
    "lattice-v1": "aws/lattice-v1", "lattice-v2": "aws/lattice-v2",
    "fc3": "alicloud/fc3-post-encoded-path", "fc-apigw": "alicloud/fc-apigw-get",
    "scf-apigw": "tencent/scf-apigw-query-kinds", "scf-url": "tencent/scf-url-post",
}


@pytest.fixture(scope="module")
def wsgi_app():
    return validator(create_application(EchoApp).get_request_handler())


@pytest.mark.parametrize("kind", sorted(FIXTURE))
def test_koatty_app_answers(kind, wsgi_app):
    with open(os.path.join(FIXTURES, FIXTURE[kind] + ".json"), encoding="utf-8") as fh:
        event = json.load(fh)
    for key in ("path", "raw_path", "rawPath"):
        if key in event:
            event[key] = "/ping"
    if "requestContext" in event and "http" in event["requestContext"]:
        event["requestContext"]["http"]["method"] = "GET"
    for key in ("httpMethod", "method"):
        if key in event:
            event[key] = "GET"
    event.pop("body", None)
    event.pop("rawQueryString", None)
    response = serve_http(wsgi_app, event, None)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"pong": True}
    assert response["isBase64Encoded"] is False
