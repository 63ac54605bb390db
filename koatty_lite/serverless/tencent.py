"""Tencent Cloud SCF HTTP events: API Gateway trigger, function URL and CLB trigger.

Formats: https://cloud.tencent.com/document/product/583/12513,
https://cloud.tencent.com/document/product/583/52635 (CLB).
"""
from __future__ import annotations

from .http import (
    BadEvent, aws_only, bad_request_headers, decode_body, encode_body, error_body, header_items,
    multi_headers, path_info, quote, request_id_of, require_str,
)
from . import body_source, strip_request_base
from .http import make_request

PLATFORM = "tencent"


# Tencent SCF function-URL hosts: <appid>-<id>-<region>.scf.tencentcs.com (cloud.tencent.com) and
# <appid>-<id>.<region>.tencentscf.com (intl.cloud.tencent.com), public and intranet alike.
_SCF_URL_DOMAINS = (".scf.tencentcs.com", ".tencentscf.com")


def scf_url_host(event):
    """True when the event's Host header is a Tencent SCF function-URL domain.

    An SCF function-URL event has no requestContext and, when the request has no query, maybe no
    queryString either: then only its Host tells it from an Alibaba API Gateway → FC event.
    """
    headers = event.get("headers")
    if type(headers) is not dict:
        return False
    host = headers.get("host") or headers.get("Host")
    return type(host) is str and host.split(":", 1)[0].lower().endswith(_SCF_URL_DOMAINS)


def detect_scf_apigw(event):
    """SCF API Gateway event: requestContext.serviceId (or headerParameters/queryString), no AWS-only key."""
    rc = event.get("requestContext")
    return ("httpMethod" in event and type(rc) is dict and "elb" not in rc and not aws_only(event)
            and ("serviceId" in rc or "headerParameters" in event or "queryString" in event))


def detect_scf_url(event):
    """SCF function URL event: {body, headers, httpMethod, path, queryString}, no requestContext.

    Without a queryString key it is claimed by its Host (``scf_url_host``), else it would look
    like an Alibaba API Gateway → FC event.
    """
    return ("httpMethod" in event and "requestContext" not in event and not aws_only(event)
            and ("queryString" in event or scf_url_host(event)))


def detect_scf_clb(event):
    """SCF CLB trigger event: {headers, payload, isBase64Encoded}; no httpMethod, body, requestContext
    or AWS-only key."""
    return ("payload" in event and type(event.get("headers")) is dict and "httpMethod" not in event
            and "body" not in event and "requestContext" not in event and not aws_only(event))


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


_request_id = request_id_of  # the SCF context's request_id, else requestContext.requestId


def _request(event, context, kind, remote, strip_base_path):
    method = require_str(event, "httpMethod")  # why: requestContext.httpMethod may be 'ANY'
    raw = require_str(event, "path")
    pairs = header_items(event.get("headers"))
    query = _query(event.get("queryString"))
    body = body_source(event.get("body"), event.get("isBase64Encoded"))
    scheme = "https"
    for name, value in pairs:
        if name.lower() == "x-api-scheme" and value in ("http", "https"):
            scheme = value
    path = path_info(raw)
    req = make_request(method, path, query, pairs, body, remote, scheme, event, context,
                       PLATFORM, kind, _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def to_request_scf_apigw(event, context, strip_base_path=""):
    """Request for an SCF API Gateway event."""
    ip = event["requestContext"].get("sourceIp")
    return _request(event, context, "scf-apigw", ip if type(ip) is str else None, strip_base_path)


_IP_CHARS = frozenset("0123456789abcdefABCDEF:.")


def _url_client_ip(event):
    """The client address of an SCF function-URL event: its ``x-scf-remote-addr`` header, or None.

    Tencent documents the header as the client's IP and sets it on every function-URL request (the
    platform's X-Scf-* headers cannot be set by a client); only the exact lower-case key is read, and
    only a bare address (``ip`` or ``ipv4:port``) is taken: anything else, such as a comma-joined
    value, is not trusted.
    """
    headers = event.get("headers")
    ip = headers.get("x-scf-remote-addr") if type(headers) is dict else None
    if type(ip) is not str or not ip or not _IP_CHARS.issuperset(ip):
        return None
    if ip.count(":") == 1:  # ipv4:port
        ip = ip.partition(":")[0]
    return ip or None


def to_request_scf_url(event, context, strip_base_path=""):
    """Request for an SCF function URL event (``REMOTE_ADDR`` from ``x-scf-remote-addr``)."""
    return _request(event, context, "scf-url", _url_client_ip(event), strip_base_path)


_FLAGS = {True: True, False: False, None: False, "true": True, "false": False, "True": True,
          "False": False, "": False}


def _clb_body(event):
    """The request body: CLB hands a JSON body over parsed (``payload`` an object), any other as text."""
    flag = event.get("isBase64Encoded")
    if type(flag) not in (bool, str, type(None)) or flag not in _FLAGS:
        raise BadEvent("isBase64Encoded must be true or false")
    payload = event.get("payload")
    if payload is None or type(payload) is str:
        return decode_body(payload, _FLAGS[flag])
    if _FLAGS[flag]:
        raise BadEvent("payload is marked base64 but is not a string")
    import json  # why: only a JSON payload needs re-serialising

    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, RecursionError):  # NaN cannot come from JSON; only a hand-built event
        raise BadEvent("payload is not JSON-serialisable") from None


def to_request_scf_clb(event, context, strip_base_path=""):
    """Request for an SCF CLB trigger event.

    CLB sends no request line: the method is the ``X-Method`` header and the path (with its
    query) the ``X-Uri`` header, both set by CLB's custom configuration; without them the method
    is POST when there is a payload, else GET, and the path is "/". The client address is the
    last ``X-Forwarded-For`` entry, the one CLB appended (as for ALB).
    """
    pairs = header_items(event["headers"])
    method = uri = remote = None
    for name, value in pairs:
        low = name.lower()
        if low == "x-method":
            method = value.strip()  # why: methods are case-sensitive (RFC 9110 §9.1): "get" is not GET
        elif low == "x-uri":
            uri = value
        elif low == "x-forwarded-for":
            remote = value.rsplit(",", 1)[-1].strip()
    body = _clb_body(event)
    if not method:
        method = "POST" if body else "GET"
    elif not (method.isascii() and method.isalpha()):
        raise BadEvent("X-Method must be an HTTP method")
    raw, _, query = (uri or "/").partition("?")
    if not raw.startswith("/"):
        raise BadEvent("X-Uri must be a path starting with '/'")
    req = make_request(method, path_info(raw), query, pairs, body, remote or None, "http", event,
                       context, PLATFORM, "scf-clb", _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def _headers(headers):
    """Single value per name, an array for a repeated one (SCF's only multi-value mechanism)."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in multi_headers(headers).items()}


def to_response_scf(environ, status, headers, body):
    """SCF's integrated response {isBase64Encoded, statusCode, headers, body}, the same for the API
    Gateway trigger, the function URL and the CLB trigger; a repeated header → an array value."""
    text, b64 = encode_body(headers, body)
    return {"isBase64Encoded": b64, "statusCode": int(status[:3]), "headers": _headers(headers),
            "body": text}


to_response_scf_apigw = to_response_scf_url = to_response_scf_clb = to_response_scf


def bad_request(kind, message, event=None, context=None):
    """A 400 in the Tencent shape, naming the invocation's request id (see bad_request_headers)."""
    rid, hdrs = bad_request_headers(event, context)
    return to_response_scf({}, "400 Bad Request", hdrs, error_body(message, rid).encode())


DETECTORS = [
    ("scf-apigw", PLATFORM, detect_scf_apigw, None, to_response_scf_apigw, to_request_scf_apigw),
    ("scf-url", PLATFORM, detect_scf_url, None, to_response_scf_url, to_request_scf_url),
    ("scf-clb", PLATFORM, detect_scf_clb, None, to_response_scf_clb, to_request_scf_clb),
]
