"""Alibaba Cloud Function Compute HTTP events: FC 3.0 HTTP trigger, API Gateway → FC.

Formats: https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function,
https://help.aliyun.com/document_detail/85208.html. FC 2.0 HTTP functions are plain WSGI (entry.py).
"""
from __future__ import annotations

from .http import (
    BadEvent, aws_only, bad_request_headers, encode_body, encode_query, error_body, header_items,
    path_info, request_id_of, require_str, single_headers,
)
from . import _KIND_PLATFORM, _later, body_source, strip_request_base
from .http import make_request

PLATFORM = "alicloud"
# SCF's function-URL Host check, asked only where SCF's formats are registered (then tencent.py is loaded)
scf_url_host = _later(globals(), __package__ + ".tencent", "scf_url_host")


def detect_fc3(event):
    """FC 3.0 HTTP trigger event: version 'v1', rawPath, requestContext.http, no AWS-only key."""
    rc = event.get("requestContext")
    return (event.get("version") == "v1" and "rawPath" in event and type(rc) is dict and "http" in rc
            and not aws_only(event))


def detect_fc_apigw(event):
    """Alibaba API Gateway → FC event: httpMethod/path, no requestContext, no AWS-only key, not an SCF function
    URL (when SCF's formats are registered beside FC's)."""
    # why the SCF check asks the registry: the Host is the client's to choose; only where an SCF format
    # is registered to claim a function-URL Host may it turn an API Gateway event away (on FC it is not)
    return ("httpMethod" in event and "path" in event and "requestContext" not in event
            and "queryString" not in event and not aws_only(event)
            and not (_KIND_PLATFORM.get("scf-url") == "tencent" and scf_url_host(event)))


_request_id = request_id_of  # the FC context's request_id, else requestContext.requestId


def to_request_fc3(event, context, strip_base_path=""):
    """Request for an FC 3.0 HTTP trigger event."""
    rc = event["requestContext"]
    http = rc["http"]
    if type(http) is not dict:
        raise BadEvent("requestContext.http must be an object")
    method = http.get("method")
    if type(method) is not str or not method:
        raise BadEvent("requestContext.http.method must be a non-empty string")
    raw = event.get("rawPath")
    if type(raw) is not str or not raw:
        raise BadEvent("rawPath must be a non-empty string")
    pairs = header_items(event.get("headers"))
    domain = rc.get("domainName")
    if type(domain) is str and domain and not any(n.lower() == "host" for n, _ in pairs):
        pairs = list(pairs) + [("Host", domain)]
    # why: FC 3.0 gives no raw query; repeated values arrive comma-joined and stay one value
    query = encode_query(header_items(event.get("queryParameters"), "queryParameters"))
    body = body_source(event.get("body"), event.get("isBase64Encoded"))
    path = path_info(raw)  # rawPath is URL-encoded: decode exactly once
    req = make_request(method, path, query, pairs, body, http.get("sourceIp"), "http",
                       event, context, PLATFORM, "fc3", _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def to_request_fc_apigw(event, context, strip_base_path=""):
    """Request for an Alibaba API Gateway → FC event."""
    method = require_str(event, "httpMethod")
    raw = require_str(event, "path")
    pairs = header_items(event.get("headers"))
    query = encode_query(header_items(event.get("queryParameters"), "queryParameters"))
    body = body_source(event.get("body"), event.get("isBase64Encoded"))
    path = path_info(raw)
    req = make_request(method, path, query, pairs, body, None, "https", event, context,
                       PLATFORM, "fc-apigw", _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def to_response_fc(environ, status, headers, body):
    """The FC 3.0 and API Gateway → FC response {isBase64Encoded, statusCode, headers, body};
    headers single-valued (``single_headers``)."""
    text, b64 = encode_body(headers, body)
    return {"isBase64Encoded": b64, "statusCode": int(status[:3]),
            "headers": single_headers(headers), "body": text}


to_response_fc3 = to_response_fc_apigw = to_response_fc


def bad_request(kind, message, event=None, context=None):
    """A 400 in the Alibaba shape, naming the invocation's request id (see bad_request_headers)."""
    rid, hdrs = bad_request_headers(event, context)
    return to_response_fc({}, "400 Bad Request", hdrs, error_body(message, rid).encode())


DETECTORS = [
    ("fc3", PLATFORM, detect_fc3, None, to_response_fc3, to_request_fc3),
    ("fc-apigw", PLATFORM, detect_fc_apigw, None, to_response_fc_apigw, to_request_fc_apigw),
]
