"""Tencent Cloud SCF HTTP events: API Gateway trigger, function URL and CLB trigger.

What a koatty_lite app's event needs (detection, to_request, answer) is here, on serverless/__init__.py's
Request model; the rare half (a foreign WSGI app's environ, a response that is not a plain answer, the 400s,
a base64 body) calls serverless/http.py's helpers through ``_later`` stand-ins, so it loads on first use
(PERF: a cold SCF HTTP GET, with a query or not, loads neither http.py nor urllib.parse, as on Lambda).

Formats: https://cloud.tencent.com/document/product/583/12513,
https://cloud.tencent.com/document/product/583/52635 (CLB).
"""
from . import (PLAIN_TYPES, Request, _later, aws_only, body_source, check_single, context_request_id,
               path_info, request_id_of, strip_request_base)

PLATFORM = "tencent"
_HTTP = __package__ + ".http"
# PERF: serverless/http.py's helpers of the rare branches, imported by their first call
encode_body = _later(globals(), _HTTP, "encode_body")
body_text = _later(globals(), _HTTP, "body_text")
multi_headers = _later(globals(), _HTTP, "multi_headers")
bad_request_headers = _later(globals(), _HTTP, "bad_request_headers")
error_body = _later(globals(), _HTTP, "error_body")
_bad_event = _later(globals(), _HTTP, "_bad_event")  # why its own: an imported stand-in never rebinds here


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


# RFC 3986's unreserved characters: what urllib.parse.quote(text, safe="") keeps as they are.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote(text):
    """``urllib.parse.quote(text, safe="")``: the same output (a lone surrogate raises UnicodeEncodeError),
    without urllib.parse; http.quote's twin (tests/test_query_encoding.py holds every copy to urllib's output).
    PERF: a copy here keeps a cold SCF GET with a query off serverless/http.py too (API Gateway GET 85.01M -> 82.66M)."""
    if _UNRESERVED.issuperset(text):
        return text  # PERF: the usual key or value needs no work
    return "".join([c if c in _UNRESERVED else "%%%02X" % ord(c) for c in text.encode().decode("latin-1")])


def _query(qs):
    """Encode SCF queryString: str value, list for a repeated key, True for a bare flag; each key and value
    percent-encoded (``quote``)."""
    if qs is None:
        return ""
    if type(qs) is not dict:
        raise _bad_event("queryString must be an object")
    parts = []
    try:
        for key, value in qs.items():
            k = quote(str(key))
            if value is True:
                parts.append(k)
            elif type(value) is list:
                for item in value:
                    if item is True:
                        parts.append(k)
                    elif type(item) is str:
                        parts.append(k + "=" + quote(item))
                    else:
                        raise _bad_event("queryString values must be strings, lists or true")
            elif type(value) is str:
                parts.append(k + "=" + quote(value))
            elif value is None or value is False:
                continue
            elif type(value) in (int, float):
                parts.append(k + "=" + quote(str(value)))
            else:
                raise _bad_event("queryString values must be strings, lists or true")
    except UnicodeEncodeError:  # a lone surrogate (a JSON "\\ud800" escape): no UTF-8 for it
        raise _bad_event("queryString must be text (a lone surrogate is not)") from None
    return "&".join(parts)


def _request_id(event, context):
    """The invocation's id: the SCF context's request_id, else requestContext.requestId, else the context's
    aws_request_id; as text."""
    rid = request_id_of(event, context) or context_request_id(context)
    return rid if rid is None or type(rid) is str else str(rid)


def _request(event, context, kind, remote, strip_base_path):
    method, raw = event.get("httpMethod"), event.get("path")  # why: requestContext.httpMethod may be 'ANY'
    for value, key in ((method, "httpMethod"), (raw, "path")):
        if type(value) is not str or not value:
            raise _bad_event(key + " must be a non-empty string")
    headers = check_single(event.get("headers"), "headers")
    query = _query(event.get("queryString"))
    body = body_source(event.get("body"), event.get("isBase64Encoded"))
    scheme = "https"
    if headers:
        for name, value in headers.items():
            if value in _SCHEMES and name.lower() == "x-api-scheme":
                scheme = value
    req = Request(method, path_info(raw), query, (headers, False, None, None), body, remote, scheme, event, context,
                  PLATFORM, kind, _request_id(event, context))
    return strip_request_base(req, strip_base_path) if strip_base_path else req


_SCHEMES = ("http", "https")


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
        raise _bad_event("isBase64Encoded must be true or false")
    payload = event.get("payload")
    if payload is None or type(payload) is str:
        return body_source(payload, _FLAGS[flag])  # PERF: text as it is (encoded on first use)
    if _FLAGS[flag]:
        raise _bad_event("payload is marked base64 but is not a string")
    import json  # why: only a JSON payload needs re-serialising

    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, RecursionError):  # NaN cannot come from JSON; only a hand-built event
        raise _bad_event("payload is not JSON-serialisable") from None


def to_request_scf_clb(event, context, strip_base_path=""):
    """Request for an SCF CLB trigger event.

    CLB sends no request line: the method is the ``X-Method`` header and the path (with its
    query) the ``X-Uri`` header, both set by CLB's custom configuration; without them the method
    is POST when there is a payload, else GET, and the path is "/". The client address is the
    last ``X-Forwarded-For`` entry, the one CLB appended (as for ALB).
    """
    headers = check_single(event["headers"], "headers")
    method = uri = remote = None
    for name, value in headers.items():
        if value is None:
            continue
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
        raise _bad_event("X-Method must be an HTTP method")
    raw, _, query = (uri or "/").partition("?")
    if not raw.startswith("/"):
        raise _bad_event("X-Uri must be a path starting with '/'")
    req = Request(method, path_info(raw), query, (headers, False, None, None), body, remote or None, "http", event,
                  context, PLATFORM, "scf-clb", _request_id(event, context))
    return strip_request_base(req, strip_base_path) if strip_base_path else req


def to_environ_scf_apigw(event, context, strip_base_path=""):
    """Environ for an SCF API Gateway event (a foreign WSGI app's: the Request's own)."""
    return to_request_scf_apigw(event, context, strip_base_path).environ


def to_environ_scf_url(event, context, strip_base_path=""):
    """Environ for an SCF function URL event (the Request's own)."""
    return to_request_scf_url(event, context, strip_base_path).environ


def to_environ_scf_clb(event, context, strip_base_path=""):
    """Environ for an SCF CLB trigger event (the Request's own)."""
    return to_request_scf_clb(event, context, strip_base_path).environ


def answer_scf(request, status, headers, body, ctype):
    """SCF's response of a plain answer (``WsgiApp.koatty_answer``: distinct names, no cookie), as
    ``to_response_scf`` shapes it."""
    if ctype in PLAIN_TYPES and body.isascii():  # PERF: an ASCII body of a text type is its own text
        text, b64 = body.decode("ascii"), False
    else:
        text, b64 = body_text(body, ctype)
    return {"isBase64Encoded": b64, "statusCode": status, "headers": dict(headers), "body": text}


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
    ("scf-apigw", PLATFORM, detect_scf_apigw, to_environ_scf_apigw, to_response_scf_apigw, to_request_scf_apigw,
     answer_scf),
    ("scf-url", PLATFORM, detect_scf_url, to_environ_scf_url, to_response_scf_url, to_request_scf_url, answer_scf),
    ("scf-clb", PLATFORM, detect_scf_clb, to_environ_scf_clb, to_response_scf_clb, to_request_scf_clb, answer_scf),
]
