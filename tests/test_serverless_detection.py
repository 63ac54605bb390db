"""Which adapter or kind claims an event: authorizer inputs, WebSocket routes, no cross-cloud claims (issue 11)."""
from __future__ import annotations

import json
import os

import pytest

import koatty_lite
from conftest import FIXTURES
from koatty_lite.cli._common import fake_context
from koatty_lite.serverless import DETECTORS, detect_event_source, detect_http, serve_http


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def probe(environ, start_response):
    """A WSGI app that records the request it was handed."""
    SEEN.append(environ)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served as HTTP"]


SEEN: list = []

AUTHORIZERS = ["events/apigw-authorizer-request-rest", "events/apigw-authorizer-request-http-v1",
               "events/apigw-authorizer-request-http-v1-multivalue", "events/apigw-authorizer-request-http-v2",
               "events/apigw-authorizer-token"]
POLICY = {"principalId": "user1", "policyDocument": {"Version": "2012-10-17", "Statement": [
    {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}


@pytest.mark.parametrize("name", AUTHORIZERS)
def test_an_authorizer_input_reaches_the_authorizer_handler_and_its_result_is_returned(name):
    """Point 1: REST and HTTP API REQUEST authorizers (payload 1.0 and 2.0) are not HTTP requests."""
    event = fixture(name)
    assert detect_http(event) is None and detect_event_source(event) == "authorizer"
    SEEN.clear()
    got = []
    fn = koatty_lite.handler(probe, event_handlers={"authorizer": lambda e, c, a: got.append(e) or POLICY})
    assert fn(event, fake_context("aws")) == POLICY
    assert got == [event] and SEEN == []


def test_http_api_simple_response_is_returned_as_given():
    fn = koatty_lite.handler(probe, event_handlers={"authorizer": lambda e, c, a: {"isAuthorized": True}})
    assert fn(fixture("events/apigw-authorizer-request-http-v2"), None) == {"isAuthorized": True}


def test_the_same_request_without_the_authorizer_keys_is_served_as_http():
    """The detectors refuse methodArn / routeArn only: the request itself is still an HTTP event."""
    rest = fixture("events/apigw-authorizer-request-rest")
    del rest["methodArn"], rest["type"]
    v2 = fixture("events/apigw-authorizer-request-http-v2")
    del v2["routeArn"], v2["type"]
    assert (detect_http(rest), detect_http(v2)) == ("apigw-v1", "apigw-v2")


@pytest.mark.parametrize("name", ["events/apigw-websocket-connect-rest-keys", "events/apigw-websocket-message"])
def test_a_websocket_event_reaches_the_websocket_handler_even_with_http_keys(name):
    """Point 2: a WebSocket route event that also carries httpMethod / path / resource."""
    event = fixture(name)
    assert detect_http(event) is None and detect_event_source(event) == "websocket"
    SEEN.clear()
    fn = koatty_lite.handler(probe, event_handlers={"websocket": lambda e, c, a: {"statusCode": 200}})
    assert fn(event, None) == {"statusCode": 200} and SEEN == []


# --- point 5: no cross-cloud claims ---------------------------------------------------------------
AWS_ONLY = [("version", "1.0"), ("multiValueHeaders", {"x-a": ["1"]}),
            ("multiValueQueryStringParameters", {"q": ["1"]}), ("resource", "/{proxy+}")]
FOREIGN = ["alicloud/fc-apigw-get", "alicloud/fc3-post-encoded-path", "tencent/scf-url-post",
           "tencent/scf-url-get-no-query", "tencent/scf-apigw-query-kinds", "tencent/scf-apigw-base64-post",
           "tencent/scf-clb-post"]


@pytest.mark.parametrize("key, value", AWS_ONLY, ids=[k for k, _ in AWS_ONLY])
@pytest.mark.parametrize("name", FOREIGN)
def test_an_event_with_an_aws_only_key_is_never_claimed_by_alibaba_or_tencent(name, key, value):
    event = fixture(name)
    event[key] = value
    claims = [row[0] for row in DETECTORS if row[2](event) and row[1] != "aws"]
    assert claims == []
    assert detect_http(event, platform="alicloud") is None and detect_http(event, platform="tencent") is None


def test_payload_1_0_without_request_context_is_api_gateway_with_its_query_and_headers():
    """Was served as API Gateway → FC, with the query and the multi-value headers silently dropped."""
    event = fixture("aws/apigw-v1-no-request-context")
    assert detect_http(event) == "apigw-v1" and detect_http(event, platform="alicloud") is None
    SEEN.clear()
    resp = serve_http(probe, event, None)
    assert resp["statusCode"] == 200 and "multiValueHeaders" in resp
    env = SEEN[0]
    assert env["QUERY_STRING"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert env["HTTP_HEADER2"] == "value1,value2" and env["koatty.event_kind"] == "apigw-v1"
    assert env["REMOTE_ADDR"] == "" and env["SCRIPT_NAME"] == ""


def test_payload_1_0_is_recognised_by_its_version_without_resource():
    event = fixture("aws/apigw-v1-version-only")
    assert "resource" not in event and "multiValueHeaders" not in event
    assert detect_http(event) == "apigw-v1" and detect_event_source(event) == "http"
    SEEN.clear()
    fn = koatty_lite.handler(probe)
    assert fn(event, None)["statusCode"] == 200
    assert SEEN[0]["QUERY_STRING"] == "parameter1=value1&parameter2=value"
