"""Tencent Cloud SCF HTTP events: API Gateway trigger and function URL.

Format: https://cloud.tencent.com/document/product/583/12513
"""
from __future__ import annotations

from .http import (
    BadEvent, decode_body, encode_body, error_body, header_items, make_environ,
    multi_headers, path_info, quote, require_str, scf_url_host, strip_base,
)

PLATFORM = "tencent"


def detect_scf_apigw(event):
    """SCF API Gateway event: requestContext.serviceId (or headerParameters/queryString), no AWS keys."""
    rc = event.get("requestContext")
    return ("httpMethod" in event and type(rc) is dict and "elb" not in rc
            and "resource" not in event and "multiValueHeaders" not in event
            and ("serviceId" in rc or "headerParameters" in event or "queryString" in event))


def detect_scf_url(event):
    """SCF function URL event: {body, headers, httpMethod, path, queryString}, no requestContext.

    Without a queryString key it is claimed by its Host (``scf_url_host``), else it would look
    like an Alibaba API Gateway → FC event.
    """
    return ("httpMethod" in event and "requestContext" not in event
            and ("queryString" in event or scf_url_host(event)))


def _query(qs):
    """Encode SCF queryString: str value, list for a repeated key, True for a bare flag."""
    if qs is None:
        return ""
    if type(qs) is not dict:
        raise BadEvent("queryString must be an object")
    parts = []
    for key, value in qs.items():
        k = quote(str(key), safe="")
        if value is True:
            parts.append(k)
        elif type(value) is list:
            for item in value:
                if item is True:
                    parts.append(k)
                elif type(item) is str:
                    parts.append(k + "=" + quote(item, safe=""))
                else:
                    raise BadEvent("queryString values must be strings, lists or true")
        elif type(value) is str:
            parts.append(k + "=" + quote(value, safe=""))
        elif value is None or value is False:
            continue
        elif type(value) in (int, float):
            parts.append(k + "=" + quote(str(value), safe=""))
        else:
            raise BadEvent("queryString values must be strings, lists or true")
    return "&".join(parts)


def _request_id(event, context):
    if context is not None:
        rid = getattr(context, "request_id", None)
        if rid:
            return rid
    rc = event.get("requestContext")
    if type(rc) is dict and rc.get("requestId"):
        return rc["requestId"]
    return None


def _environ(event, context, kind, remote, strip_base_path):
    method = require_str(event, "httpMethod")  # why: requestContext.httpMethod may be 'ANY'
    raw = require_str(event, "path")
    pairs = header_items(event.get("headers"))
    query = _query(event.get("queryString"))
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    scheme = "https"
    for name, value in pairs:
        if name.lower() == "x-api-scheme" and value in ("http", "https"):
            scheme = value
    path = path_info(raw)
    environ = make_environ(method, path, query, pairs, body, remote, scheme, event, context,
                           PLATFORM, kind, _request_id(event, context))
    strip_base(environ, strip_base_path)
    return environ


def to_environ_scf_apigw(event, context, strip_base_path=""):
    """Environ for an SCF API Gateway event."""
    ip = event["requestContext"].get("sourceIp")
    return _environ(event, context, "scf-apigw", ip if type(ip) is str else None, strip_base_path)


def to_environ_scf_url(event, context, strip_base_path=""):
    """Environ for an SCF function URL event."""
    return _environ(event, context, "scf-url", None, strip_base_path)


def _headers(headers):
    """Single value per name, an array for a repeated one (SCF's only multi-value mechanism)."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in multi_headers(headers).items()}


def to_response_scf_apigw(environ, status, headers, body):
    """SCF integrated response {isBase64Encoded, statusCode, headers, body}."""
    text, b64 = encode_body(headers, body)
    return {"isBase64Encoded": b64, "statusCode": int(status[:3]), "headers": _headers(headers),
            "body": text}


def to_response_scf_url(environ, status, headers, body):
    """SCF function URL response {statusCode, headers, body, isBase64Encoded}."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "headers": _headers(headers), "body": text,
            "isBase64Encoded": b64}


def bad_request(kind, message):
    """A 400 in the Tencent shape."""
    hdrs = [("Content-Type", "application/json")]
    shape = to_response_scf_apigw if kind == "scf-apigw" else to_response_scf_url
    return shape({}, "400 Bad Request", hdrs, error_body(message).encode())


DETECTORS = [
    ("scf-apigw", PLATFORM, detect_scf_apigw, to_environ_scf_apigw, to_response_scf_apigw),
    ("scf-url", PLATFORM, detect_scf_url, to_environ_scf_url, to_response_scf_url),
]
