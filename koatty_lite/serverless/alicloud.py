"""Alibaba Cloud Function Compute HTTP events: FC 3.0 HTTP trigger, API Gateway → FC.

What a koatty_lite app's event needs (detection, to_request, answer) is here, on serverless/__init__.py's
Request model; the rare half (a query string, a foreign WSGI app's environ, a response that is not a plain
answer, the 400s) calls serverless/http.py's helpers through ``_later`` stand-ins, so it loads on first use
(PERF: a cold FC HTTP GET, with a query or not, loads neither http.py nor urllib.parse, as on Lambda).

Formats: https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function,
https://help.aliyun.com/document_detail/85208.html. FC 2.0 HTTP functions are plain WSGI (entry.py).
"""
from . import (_KIND_PLATFORM, PLAIN_TYPES, Request, _later, aws_only, body_source, check_single,
               context_request_id, path_info, request_id_of, strip_request_base)

PLATFORM = "alicloud"
_HTTP = __package__ + ".http"
# SCF's function-URL Host check, asked only where SCF's formats are registered (then tencent.py is loaded)
scf_url_host = _later(globals(), __package__ + ".tencent", "scf_url_host")
# PERF: serverless/http.py's helpers of the rare branches, imported by their first call
encode_body = _later(globals(), _HTTP, "encode_body")
body_text = _later(globals(), _HTTP, "body_text")
single_headers = _later(globals(), _HTTP, "single_headers")
bad_request_headers = _later(globals(), _HTTP, "bad_request_headers")
error_body = _later(globals(), _HTTP, "error_body")
_bad_event = _later(globals(), _HTTP, "_bad_event")  # why its own: an imported stand-in never rebinds here


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


def _request_id(event, context):
    """The invocation's id: the FC context's request_id, else requestContext.requestId, else the context's
    aws_request_id; as text."""
    rid = request_id_of(event, context) or context_request_id(context)
    return rid if rid is None or type(rid) is str else str(rid)


# RFC 3986's unreserved characters: what urllib.parse.quote(text, safe="") keeps as they are.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote(text):
    """``urllib.parse.quote(text, safe="")``: the same output (a lone surrogate raises UnicodeEncodeError),
    without urllib.parse; http.quote's twin (tests/test_query_encoding.py holds every copy to urllib's output).
    PERF: a copy here keeps a cold FC GET with a query off serverless/http.py too (FC 3.0 GET 85.02M -> 82.65M)."""
    if _UNRESERVED.issuperset(text):
        return text  # PERF: the usual key or value needs no work
    return "".join([c if c in _UNRESERVED else "%%%02X" % ord(c) for c in text.encode().decode("latin-1")])


def _query(event):
    """The query string of ``queryParameters``, each key and value percent-encoded (``quote``); FC gives no raw
    query: repeated values arrive comma-joined and stay one value; a None value is left out."""
    params = check_single(event.get("queryParameters"), "queryParameters")
    if not params:
        return ""
    parts = []
    try:
        for key, value in params.items():
            if value is not None:
                parts.append(quote(str(key)) + "=" + quote(value))
    except UnicodeEncodeError:  # a lone surrogate (a JSON "\\ud800" escape): no UTF-8 for it
        raise _bad_event("queryParameters must be text (a lone surrogate is not)") from None
    return "&".join(parts)


def _request(event, context, strip_base_path, method, raw, domain, remote, scheme, kind):
    """The Request of a checked request line; the headers, query and body checked here (BadEvent)."""
    headers = (check_single(event.get("headers"), "headers"), False, domain, None)
    query = _query(event)
    body = body_source(event.get("body"), event.get("isBase64Encoded"))
    # rawPath is URL-encoded: decode exactly once
    req = Request(method, path_info(raw), query, headers, body, remote, scheme, event, context, PLATFORM, kind,
                  _request_id(event, context))
    return strip_request_base(req, strip_base_path) if strip_base_path else req


def to_request_fc3(event, context, strip_base_path=""):
    """Request for an FC 3.0 HTTP trigger event (the Host ``requestContext.domainName`` when it has none)."""
    rc = event["requestContext"]
    http = rc["http"]
    if type(http) is not dict:
        raise _bad_event("requestContext.http must be an object")
    method = http.get("method")
    if type(method) is not str or not method:
        raise _bad_event("requestContext.http.method must be a non-empty string")
    raw = event.get("rawPath")
    if type(raw) is not str or not raw:
        raise _bad_event("rawPath must be a non-empty string")
    domain = rc.get("domainName")
    return _request(event, context, strip_base_path, method, raw, domain if type(domain) is str else None,
                    http.get("sourceIp"), "http", "fc3")


def to_request_fc_apigw(event, context, strip_base_path=""):
    """Request for an Alibaba API Gateway → FC event."""
    method, raw = event.get("httpMethod"), event.get("path")
    for value, key in ((method, "httpMethod"), (raw, "path")):
        if type(value) is not str or not value:
            raise _bad_event(key + " must be a non-empty string")
    return _request(event, context, strip_base_path, method, raw, None, None, "https", "fc-apigw")


def to_environ_fc3(event, context, strip_base_path=""):
    """Environ for an FC 3.0 HTTP trigger event (a foreign WSGI app's: the Request's own)."""
    return to_request_fc3(event, context, strip_base_path).environ


def to_environ_fc_apigw(event, context, strip_base_path=""):
    """Environ for an Alibaba API Gateway → FC event (the Request's own)."""
    return to_request_fc_apigw(event, context, strip_base_path).environ


def answer_fc(request, status, headers, body, ctype):
    """The FC response of a plain answer (``WsgiApp.koatty_answer``: distinct names, no cookie), as
    ``to_response_fc`` shapes it."""
    if ctype in PLAIN_TYPES and body.isascii():  # PERF: an ASCII body of a text type is its own text
        text, b64 = body.decode("ascii"), False
    else:
        text, b64 = body_text(body, ctype)
    return {"isBase64Encoded": b64, "statusCode": status, "headers": dict(headers), "body": text}


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
    ("fc3", PLATFORM, detect_fc3, to_environ_fc3, to_response_fc3, to_request_fc3, answer_fc),
    ("fc-apigw", PLATFORM, detect_fc_apigw, to_environ_fc_apigw, to_response_fc_apigw, to_request_fc_apigw, answer_fc),
]
