"""Every HTTP event in ../shared/events is detected as the right kind and answered in shape."""
from __future__ import annotations

import json
import os

import pytest

from conftest import SHARED_EVENTS
from koatty_lite.serverless import DETECTORS, detect_http, serve_http

pytestmark = pytest.mark.skipif(not os.path.isdir(SHARED_EVENTS), reason="../shared/events absent")

HTTP = {
    "aws/alb-base64-body.sam.json": "alb",
    "aws/alb-health-check.json": "alb",
    "aws/alb-multi-value-headers.json": "alb",
    "aws/alb-multi-value-query-not-decoded.json": "alb",
    "aws/alb-single-value-headers.json": "alb",
    "aws/apigw-http-v2-base64-body.sam.json": "apigw-v2",
    "aws/apigw-http-v2-docs-cookies-repeated-query.json": "apigw-v2",
    "aws/apigw-http-v2-lambda-authorizer-context.json": "apigw-v2",
    "aws/apigw-http-v2-named-stage-rawpath.json": "apigw-v2",
    "aws/apigw-http-v2-real-curl-minimal.json": "apigw-v2",
    "aws/apigw-http-v2-real-no-auth.json": "apigw-v2",
    "aws/apigw-rest-v1-base64-body.sam.json": "apigw-v1",
    "aws/apigw-rest-v1-console-test-invoke.json": "apigw-v1",
    "aws/apigw-rest-v1-custom-domain-base-path.json": "apigw-v1",
    "aws/apigw-rest-v1-custom-domain-root-mapping.json": "apigw-v1",
    "aws/apigw-rest-v1-docs-multivalue.json": "apigw-v1",
    "aws/apigw-rest-v1-double-slash.localstack.json": "apigw-v1",
    "aws/apigw-rest-v1-execute-api-stage.json": "apigw-v1",
    "aws/apigw-rest-v1-header-case-preserved.localstack.json": "apigw-v1",
    "aws/apigw-rest-v1-lambda-authorizer-context.json": "apigw-v1",
    "aws/apigw-rest-v1-multivalue-query-last-wins.localstack.json": "apigw-v1",
    "aws/apigw-rest-v1-path-percent-encoding.localstack.json": "apigw-v1",
    "aws/apigw-rest-v1-query-decoding.localstack.json": "apigw-v1",
    "aws/apigw-rest-v1-real-no-auth.json": "apigw-v1",
    "aws/lambda-url-real-base64-body.json": "function-url",
    "aws/lambda-url-real-browser-get.json": "function-url",
    "aws/lambda-url-real-headers-cookies-body.json": "function-url",
    "aws/vpc-lattice-v1.json": "lattice-v1",
    "aws/vpc-lattice-v2-multivalue.json": "lattice-v2",
    "aws/vpc-lattice-v2-path-with-query.json": "lattice-v2",
    "alicloud/fc-apigw-trigger-SYNTHETIC.json": "fc-apigw",
    "alicloud/fc3-http-trigger-docs-example.json": "fc3",
    "alicloud/fc3-http-trigger-real-post.json": "fc3",
    "tencent/scf-apigw-docs-example.json": "scf-apigw",
    "tencent/scf-apigw-querystring-array-bool.json": "scf-apigw",
    "tencent/scf-apigw-release-stage.json": "scf-apigw",
}
NOT_HTTP = [
    # non-HTTP triggers, responses (not events), and the FC 2.0 WSGI environ dump (not an event)
    "aws/alb-response-multivalue.json", "aws/apigw-websocket-connect-authorizer-request.json",
    "aws/apigw-websocket-connect-real.json", "aws/cloudfront-viewer-request-docs.json",
    "aws/cloudfront-viewer-request-querystring.sam.json", "aws/dynamodb-stream.json",
    "aws/eventbridge-scheduled.json", "aws/kinesis.json", "aws/lambda-url-response-cookies.json",
    "aws/s3-put.json", "aws/sns.json", "aws/sqs.json",
    "alicloud/fc-timer-trigger.json", "alicloud/fc2-python-http-wsgi-environ-real.json",
    "tencent/scf-apigw-integration-response-multivalue.json", "tencent/scf-cmq-topic.json",
    "tencent/scf-cos.json", "tencent/scf-timer-docs-example.json", "tencent/scf-timer.json",
]
SHAPES = {
    "apigw-v1": {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"},
    "apigw-v2": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "function-url": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "lattice-v1": {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
    "lattice-v2": {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
    "fc3": {"statusCode", "headers", "body", "isBase64Encoded"},
    "fc-apigw": {"statusCode", "headers", "body", "isBase64Encoded"},
    "scf-apigw": {"statusCode", "headers", "body", "isBase64Encoded"},
    "scf-url": {"statusCode", "headers", "body", "isBase64Encoded"},
}


def read(name):
    with open(os.path.join(SHARED_EVENTS, name), "rb") as fh:
        return fh.read()


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    return [b"ok ", environ["PATH_INFO"].encode("latin-1")]


def test_corpus_fully_classified():
    found = sorted(
        os.path.relpath(os.path.join(d, f), SHARED_EVENTS).replace(os.sep, "/")
        for d, _, files in os.walk(SHARED_EVENTS) for f in files if f.endswith(".json")
    )
    assert found == sorted(list(HTTP) + NOT_HTTP)


@pytest.mark.parametrize("name", sorted(HTTP))
def test_http_event(name):
    raw = read(name)  # bytes: FC 3.0 delivers JSON bytes, every adapter accepts them
    kind = HTTP[name]
    event = json.loads(raw)
    assert [r[0] for r in DETECTORS if r[2](event)] == [kind]
    assert detect_http(raw) == kind
    response = serve_http(app, raw, None)
    if kind == "alb":
        assert set(response) == {"statusCode", "statusDescription", "body", "isBase64Encoded",
                                 "multiValueHeaders" if "multiValueHeaders" in event else "headers"}
    else:
        assert set(response) == SHAPES[kind]
    assert response["statusCode"] == 200
    assert response["body"].startswith("ok /")
    assert response["isBase64Encoded"] is False
    if kind in ("apigw-v2", "function-url"):
        assert response["cookies"] == ["a=1", "b=2"]
    elif kind in ("apigw-v1",) or "multiValueHeaders" in response:
        assert response["multiValueHeaders"]["Set-Cookie"] == ["a=1", "b=2"]
    elif kind.startswith("scf"):
        assert response["headers"]["Set-Cookie"] == ["a=1", "b=2"]


@pytest.mark.parametrize("name", NOT_HTTP)
def test_not_http(name):
    event = json.loads(read(name))
    assert [r[0] for r in DETECTORS if r[2](event)] == []
    assert serve_http(app, event, None) is None
