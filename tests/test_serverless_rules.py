"""Rules shared by every format: bad input → 400 in shape, bodies, base path, adapters."""
from __future__ import annotations

import json
import os

import pytest

from conftest import FIXTURES
from koatty_lite.serverless import (
    AliCloudFcAdapter, AwsLambdaAdapter, ServerlessAdapter, TencentScfAdapter, detect_http,
    serve_http, unclaimed_error,
)
from koatty_lite.serverless.http import encode_body


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [(environ["SCRIPT_NAME"] + "|" + environ["PATH_INFO"]).encode("latin-1")]


BAD_B64 = '{"code":1,"message":"body is marked base64 but is not valid base64","data":null,"requestId":null}'
J = "application/json"


def bad_b64(rid):
    """The 400's body naming the event's request id (the one error shape)."""
    return BAD_B64.replace('"requestId":null', '"requestId":"%s"' % rid)


@pytest.mark.parametrize("name, expected", [
    pytest.param("aws/apigw-v1-custom-domain-base64-post", {
        "statusCode": 400, "multiValueHeaders": {"Content-Type": [J], "X-Request-Id": ["req-upload"]},
        "body": bad_b64("req-upload"), "isBase64Encoded": False}, id="apigw-v1"),
    pytest.param("aws/function-url-cookies-twice", {
        "statusCode": 400, "headers": {"Content-Type": J, "X-Request-Id": "req-url"}, "cookies": [],
        "body": bad_b64("req-url"), "isBase64Encoded": False}, id="function-url"),
    pytest.param("aws/alb-multi-value", {  # ALB: only the header map the request used
        "statusCode": 400, "statusDescription": "400 Bad Request",
        "multiValueHeaders": {"Content-Type": [J]}, "body": BAD_B64, "isBase64Encoded": False}, id="alb"),
    pytest.param("aws/lattice-v2", {
        "statusCode": 400, "statusDescription": "400 Bad Request", "headers": {"Content-Type": J},
        "body": BAD_B64, "isBase64Encoded": False}, id="lattice-v2"),
    pytest.param("alicloud/fc3-post-encoded-path", {
        "statusCode": 400, "headers": {"Content-Type": J, "X-Request-Id": "req-fc3"}, "isBase64Encoded": False,
        "body": bad_b64("req-fc3")}, id="fc3"),
    pytest.param("tencent/scf-apigw-base64-post", {
        "isBase64Encoded": False, "statusCode": 400, "headers": {"Content-Type": J, "X-Request-Id": "req-scf-2"},
        "body": bad_b64("req-scf-2")}, id="scf-apigw"),
])
def test_invalid_base64_is_400_in_platform_shape(name, expected):
    event = load(name)
    if "is_base64_encoded" in event:
        event["is_base64_encoded"] = True
    else:
        event["isBase64Encoded"] = True
    event["body"] = "not base64!"
    assert serve_http(app, event, None) == expected


@pytest.mark.parametrize("name, key, value, message", [
    pytest.param("aws/apigw-v1-get-multivalue", "httpMethod", 5, "httpMethod must be a non-empty string", id="v1-method"),
    pytest.param("aws/apigw-v1-get-multivalue", "multiValueHeaders", ["x"], "multiValueHeaders must be an object", id="v1-headers-list"),
    pytest.param("aws/apigw-v2-default-stage-post", "headers", ["x"], "headers must be an object", id="v2-headers-list"),
    pytest.param("aws/apigw-v2-default-stage-post", "cookies", "a=1", "cookies must be a list of strings", id="v2-cookies"),
    pytest.param("aws/alb-single-value", "path", None, "path must be a non-empty string", id="alb-path"),
    pytest.param("alicloud/fc3-post-encoded-path", "queryParameters", [], "queryParameters must be an object", id="fc3-query"),
    pytest.param("tencent/scf-apigw-query-kinds", "queryString", {"a": {"b": 1}}, "queryString values must be strings, lists or true", id="scf-query"),
    pytest.param("tencent/scf-url-post", "headers", {"a": 1}, "headers values must be strings", id="scf-url-header"),
])
def test_malformed_known_kind_is_400(name, key, value, message):
    event = load(name)
    event[key] = value
    response = serve_http(app, event, None)
    assert response["statusCode"] == 400
    rc = event.get("requestContext") or {}
    want = rc.get("requestId") if isinstance(rc, dict) else None  # the event's own id, named by its 400
    assert json.loads(response["body"]) == {"code": 1, "message": message, "data": None, "requestId": want}


def test_event_as_json_bytes_and_invalid_json():
    raw = json.dumps(load("alicloud/fc3-post-encoded-path")).encode()
    assert detect_http(raw) == "fc3"
    assert serve_http(app, raw, None)["statusCode"] == 200
    with pytest.raises(ValueError, match="event is not valid JSON"):
        serve_http(app, b"{nope", None)


def test_unclaimed_event():
    assert serve_http(app, {"foo": 1, "bar": 2}, None) is None
    assert str(unclaimed_error({"foo": 1, "bar": 2})) == (
        "unrecognised event: no adapter claims an event with top-level keys: bar, foo")
    with pytest.raises(ValueError, match="top-level keys: foo"):
        AwsLambdaAdapter().create_handler(app)({"foo": 1}, None)


def test_unknown_platform_rejected():
    with pytest.raises(ValueError, match="platform must be"):
        detect_http({}, platform="gcp")


@pytest.mark.parametrize("adapter, name, body", [
    pytest.param(AwsLambdaAdapter(strip_base_path="/v1"), "aws/apigw-v1-custom-domain-base64-post", "/v1|/upload", id="aws-v1"),
    pytest.param(AwsLambdaAdapter(strip_base_path="/dev/"), "aws/apigw-v2-default-stage-post", "|/items", id="aws-v2-no-match"),
    pytest.param(AliCloudFcAdapter(strip_base_path="/api"), "alicloud/fc-apigw-get", "/api|/users/42", id="fc-apigw"),
    pytest.param(TencentScfAdapter(strip_base_path="/shop"), "tencent/scf-apigw-query-kinds", "/shop|/", id="scf"),
])
def test_adapter_strip_base_path(adapter, name, body):
    response = adapter.create_handler(app)(load(name), None)
    assert response["body"] == body


def test_adapters_are_limited_to_their_platform():
    with pytest.raises(ValueError):
        TencentScfAdapter().create_handler(app)(load("aws/alb-single-value"), None)
    assert AwsLambdaAdapter.name == "aws" and AliCloudFcAdapter.name == "alicloud"
    assert TencentScfAdapter.name == "tencent"


def test_custom_adapter_object():
    class Mine(ServerlessAdapter):
        name = "mine"

        def create_handler(self, wsgi_app):
            return lambda event, context: {"mine": serve_http(wsgi_app, event, context)["statusCode"]}
    assert Mine().create_handler(app)(load("aws/lattice-v1"), None) == {"mine": 200}


def test_stage_only_on_execute_api_host_and_authorizer():
    seen = {}

    def grab(environ, start_response):
        seen.update(environ)
        start_response("204 No Content", [])
        return []
    event = load("aws/apigw-v1-get-multivalue")
    serve_http(grab, event, None)
    assert seen["SCRIPT_NAME"] == "/prod"
    assert seen["koatty.authorizer"] == {"principalId": "user-1", "role": "admin"}
    assert seen["koatty.event"]["requestContext"]["authorizer"]["role"] == "admin"
    event["multiValueHeaders"]["Host"] = ["api.example.com"]
    serve_http(grab, event, None)
    assert seen["SCRIPT_NAME"] == ""


def test_request_id_from_context():
    class Ctx:
        aws_request_id = "ctx-id"
    seen = {}

    def grab(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return []
    serve_http(grab, load("aws/apigw-v2-default-stage-post"), Ctx())
    assert seen["koatty.request_id"] == "ctx-id"
    assert seen["koatty.context"].__class__ is Ctx


@pytest.mark.parametrize("headers, body, expected", [
    pytest.param([("Content-Type", "text/html; charset=utf-8")], "hé".encode(), ("hé", False), id="text"),
    pytest.param([("Content-Type", "application/vnd.x+json")], b"{}", ("{}", False), id="json-suffix"),
    pytest.param([("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], b"\x1f\x8b", ("H4s=", True), id="gzip"),
    pytest.param([("Content-Type", "text/plain")], b"\xff\xfe", ("//4=", True), id="bad-utf8-fallback"),
    pytest.param([("Content-Type", "image/png")], b"\x89P", ("iVA=", True), id="binary"),
    pytest.param([], b"", ("", False), id="empty"),
])
def test_encode_body(headers, body, expected):
    assert encode_body(headers, body) == expected


def test_crlf_response_header_never_echoed():
    def evil(environ, start_response):
        start_response("200 OK", [("X-Ok", "1"), ("X-Bad", "a\r\nSet-Cookie: pwn=1")])
        return []
    response = serve_http(evil, load("tencent/scf-url-post"), None)
    assert response["headers"] == {"X-Ok": "1"}


def test_single_value_alb_keeps_every_set_cookie_by_casing():
    def cookies(environ, start_response):
        start_response("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Set-Cookie", "c=3")])
        return []
    headers = serve_http(cookies, load("aws/alb-single-value"), None)["headers"]
    assert sorted(v for k, v in headers.items() if k.lower() == "set-cookie") == ["a=1", "b=2", "c=3"]
    assert len({k for k in headers if k.lower() == "set-cookie"}) == 3


def test_status_description_filled_when_app_gives_code_only():
    def bare(environ, start_response):
        start_response("404 ", [])
        return []
    assert serve_http(bare, load("aws/alb-health-check"), None)["statusDescription"] == "404 Not Found"


def _query_pairs(environ, start_response):
    from urllib.parse import parse_qsl

    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(parse_qsl(environ["QUERY_STRING"], keep_blank_values=True)).encode()]


@pytest.mark.parametrize("kind", ["alb", "alb-multi", "apigw-v1", "apigw-v2", "function-url", "lattice-v2"])
def test_plus_in_a_query_is_a_space_and_percent_2b_a_plus_as_behind_a_wsgi_server(kind):
    """Issue 11 point 4: ALB passes `?q=Ann+Lee` on as sent; the app sees `Ann Lee`, as everywhere else."""
    from urllib.parse import parse_qsl

    from koatty_lite.cli.event import HTTP_BUILDERS, HttpRequest

    raw = "q=Ann+Lee&sum=1%2B1&both=a+b%2Bc&name%2B=x+y&first+last=z&empty="
    event = HTTP_BUILDERS[kind](HttpRequest("GET", "/", raw, [("host", "example.com")]))
    got = json.loads(serve_http(_query_pairs, event, None)["body"])
    assert [tuple(p) for p in got] == parse_qsl(raw, keep_blank_values=True)  # what a WSGI server gives
    assert dict(got)["q"] == "Ann Lee" and dict(got)["sum"] == "1+1"
