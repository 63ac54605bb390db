"""AWS HTTP events: API Gateway REST (1.0), HTTP API (2.0) + Function URL, ALB, VPC Lattice v1/v2.

What a koatty_lite app's event of a Lambda function needs (detection, to_request, answer); the formats'
rare half (a foreign WSGI app's environ, the general response shaping, the 400s, query strings, VPC
Lattice's requests) is in serverless/http.py (SOURCE), loaded on first use (PERF: a Lambda HTTP GET's cold
start loads neither it nor urllib.parse).

Formats: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html,
https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html,
https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html
"""
import functools

from ..errors import _LINES, status_line
from . import PLAIN_TYPES, XFF, Request, _later, aws_only, body_source, check_multi, check_single, path_info, \
    request_id_of, strip_request_base

PLATFORM = "aws"
SOURCE = __package__ + ".http"  # the module of the functions the rows below name (strings), imported on first use

# PERF: the rare branches of the fast functions below, imported by their first call (a query string, a
# malformed event, an answer that is not plain text)
_query_v1 = _later(globals(), SOURCE, "_query_v1")
_alb_query = _later(globals(), SOURCE, "_alb_query")
_bad_line = _later(globals(), SOURCE, "_bad_line")
_v2_line = _later(globals(), SOURCE, "_v2_line")
_source_ip = _later(globals(), SOURCE, "_source_ip")
_bad_event = _later(globals(), SOURCE, "_bad_event")  # why its own: an imported stand-in never rebinds here
body_text = _later(globals(), SOURCE, "body_text")


# ---------------------------------------------------------------- detection
def detect_apigw_v1(event):
    """API Gateway REST / HTTP API payload 1.0.

    Not ALB (``requestContext.elb``), not SCF (``serviceId``), not a WebSocket route
    (``connectionId``), not a Lambda authorizer's input (``methodArn``). Recognised by a key only
    AWS's payload 1.0 has (``aws_only``), so no Alibaba or Tencent event is taken for it; a
    ``requestContext`` is then optional.
    """
    if "httpMethod" not in event or "methodArn" in event:
        return False
    rc = event.get("requestContext")
    if type(rc) is dict:
        if "elb" in rc or "serviceId" in rc or "connectionId" in rc:
            return False
    elif rc is not None:
        return False
    # PERF: `resource` first: a REST event is told without the aws_only() call (~40 ns)
    return event.get("version", "1.0") == "1.0" and ("resource" in event or aws_only(event))


def detect_apigw_v2(event):
    """API Gateway HTTP API payload 2.0 (not a Function URL, not a REQUEST authorizer's ``routeArn`` input)."""
    rc = event.get("requestContext")
    return (event.get("version") == "2.0" and "rawPath" in event and type(rc) is dict
            and "routeArn" not in event and ".lambda-url." not in str(rc.get("domainName", "")))


def detect_function_url(event):
    """Lambda Function URL (payload 2.0 on a *.lambda-url.* domain)."""
    rc = event.get("requestContext")
    return (event.get("version") == "2.0" and "rawPath" in event and type(rc) is dict
            and ".lambda-url." in str(rc.get("domainName", "")))


def detect_alb(event):
    """Application Load Balancer target event (not one a payload 2.0 detector, asked before, claims).

    Why each detector refuses what one asked before it claims: handler() asks the format that claimed
    the last event first (entry._Handler._claimed), so within a cloud they must exclude each other
    (tests/test_serverless_sticky.py)."""
    rc = event.get("requestContext")
    return (type(rc) is dict and "elb" in rc
            and ("rawPath" not in event or not (detect_apigw_v2(event) or detect_function_url(event))))


def detect_lattice_v1(event):
    """VPC Lattice event structure v1 (snake_case; not an event a detector asked before claims)."""
    return ("raw_path" in event and "method" in event
            and not (("httpMethod" in event or "requestContext" in event)  # what the four earlier ones read
                     and (detect_apigw_v1(event) or detect_apigw_v2(event) or detect_function_url(event)
                          or detect_alb(event))))


def detect_lattice_v2(event):
    """VPC Lattice event structure v2 (array header values; not ALB's nor Lattice v1's, asked before)."""
    if event.get("version") != "2.0" or "method" not in event or "rawPath" in event or "path" not in event:
        return False
    rc = event.get("requestContext")
    return "raw_path" not in event and not (type(rc) is dict and "elb" in rc)


# ---------------------------------------------------------------- REST v1
def to_request_apigw_v1(event, context, strip_base_path=""):
    """Request for an API Gateway REST (payload 1.0) event."""
    # PERF: the hot path of the most common event, read inline (helpers' calls and make_request's
    # checks written out: 19.8k -> 11k instructions with 8 headers); the rare cases in helpers
    get = event.get
    method, path = get("httpMethod"), get("path")
    if not (method.__class__ is path.__class__ is str and method and path):  # why chained: a branch fewer (complexity)
        _bad_line(method, "httpMethod", path, "path")
    rc = get("requestContext") or _NO_CONTEXT
    domain, multi = rc.get("domainName"), get("multiValueHeaders")
    # the header source (Request.pairs): multiValueHeaders when present, else headers
    headers = (check_single(get("headers"), "headers") if multi is None else check_multi(multi, "multiValueHeaders"),
               multi is not None, domain if type(domain) is str else None, None)
    no_query = get("multiValueQueryStringParameters") is None is get("queryStringParameters")  # both None
    body = get("body")
    if body is not None and (type(body) is not str or get("isBase64Encoded")):
        body = body_source(body, get("isBase64Encoded"))
    req = Request(method, path_info(path), "" if no_query else _query_v1(get), headers, body, _v1_source_ip(rc, event),
                  "https", event, context, PLATFORM, "apigw-v1", _aws_request_id(rc, event, context))
    stage = rc.get("stage")
    if type(stage) is str and stage != "$default":
        # why: on execute-api the stage is not in `path` but is in the public URL: SCRIPT_NAME, read
        # (with the Host it depends on) only when the environ is built
        req.stage = stage
    if strip_base_path:
        strip_request_base(req, strip_base_path)
    req.authorizer = rc.get("authorizer")
    return req


_NO_CONTEXT = {}  # read-only: an event without requestContext


def _v1_source_ip(rc, event):
    ident = rc.get("identity")
    remote = ident.get("sourceIp") if type(ident) is dict else None
    return remote if type(remote) is str else _source_ip(event)


def _aws_request_id(rc, event, context):
    """``make_request``'s id: the context's ``aws_request_id``, else the event's ``requestContext.requestId``
    (``rc``: the event's requestContext, ``_NO_CONTEXT`` without one: then its top-level ``requestId``), else
    the context's ``request_id``; as text. PERF: without a context, one dict read (ALB GET -1.4k instructions)."""
    if context is None:
        rid = (rc.get("requestId") or None) if rc is not _NO_CONTEXT else request_id_of(event, None)
    else:
        rid = getattr(context, "aws_request_id", None) or request_id_of(event, None) or \
            getattr(context, "request_id", None)
    return rid if rid is None or type(rid) is str else str(rid)


def answer_apigw_v1(request, status, headers, body, ctype):
    """REST v1 response of a plain answer (``WsgiApp.koatty_answer``: distinct names, no cookie)."""
    # PERF: an ASCII body of a text type is its own text (no body_text call), told by the decoded text's flag:
    # one pass over the bytes, not isascii's and decode's two (a 933-byte POST -0.9k instructions)
    if ctype in PLAIN_TYPES and (text := body.decode("latin-1")).isascii():
        b64 = False
    else:
        text, b64 = body_text(body, ctype)
    multi = {}
    for name, value in headers:  # PERF: a loop, not a comprehension: no frame of its own
        multi[name] = [value]
    return {"statusCode": status, "multiValueHeaders": multi, "body": text, "isBase64Encoded": b64}


# ---------------------------------------------------------------- HTTP API v2 / Function URL
def _to_request_v2(kind, event, context, strip_base_path=""):
    """Request for an HTTP API payload 2.0 event of ``kind`` (``to_request_apigw_v2``, ``to_request_function_url``:
    partials of it, PERF: no code objects of their own, and a frame fewer per event)."""
    # PERF: read inline as REST v1 (_v2_line, make_request written out; HTTP v2 GET -3k
    # instructions); a malformed line in a helper
    get = event.get
    rc = event["requestContext"]
    http = rc.get("http")
    method = http.get("method") if type(http) is dict else None
    raw_path, query = get("rawPath"), get("rawQueryString") or ""
    if not (method.__class__ is raw_path.__class__ is query.__class__ is str and method):  # why chained: as REST v1's
        _v2_line(event, http)  # raises the BadEvent naming the field
    headers = check_single(get("headers"), "headers")
    cookies = get("cookies")  # why kept apart: Function URLs repeat them in headers.cookie: one source (Request.pairs)
    if cookies and (type(cookies) is not list or {*map(type, cookies)} != {str}):  # PERF: no generator, no helper
        raise _bad_event("cookies must be a list of strings")
    domain = rc.get("domainName")
    body, b64 = get("body"), get("isBase64Encoded")
    if body is not None and (type(body) is not str or b64):
        body = body_source(body, b64)
    req = Request(method, path_info(raw_path), query, (headers, False, domain if type(domain) is str else None, cookies),
                  body, http.get("sourceIp"), "https", event, context, PLATFORM, kind, _aws_request_id(rc, event, context))
    stage = rc.get("stage")
    if stage and stage != "$default":
        _v2_stage(req, stage)
    if strip_base_path:
        strip_request_base(req, strip_base_path)
    req.authorizer = rc.get("authorizer")
    return req


def _v2_stage(req, stage):
    """On an execute-api host, a path that starts with the stage has it moved to SCRIPT_NAME."""
    if type(stage) is str and ".execute-api." in (req.headers.get("host") or ""):
        prefix = "/" + stage
        pi = req.path
        if pi == prefix or pi.startswith(prefix + "/"):
            req.script_name = prefix
            req.path = pi[len(prefix):] or "/"


to_request_apigw_v2 = functools.partial(_to_request_v2, "apigw-v2")  # Request for an HTTP API payload 2.0 event
to_request_function_url = functools.partial(_to_request_v2, "function-url")  # Request for a Lambda Function URL event


def answer_v2(request, status, headers, body, ctype):
    """HTTP API 2.0 / Function URL response of a plain answer (no Set-Cookie: ``cookies`` is empty)."""
    if ctype in PLAIN_TYPES and (text := body.decode("latin-1")).isascii():  # PERF: as answer_apigw_v1
        b64 = False
    else:
        text, b64 = body_text(body, ctype)
    return {"statusCode": status, "headers": dict(headers), "cookies": [], "body": text, "isBase64Encoded": b64}


# ---------------------------------------------------------------- ALB
def to_request_alb(event, context, strip_base_path=""):
    """Request for an ALB target event (single- or multi-value mode)."""
    get = event.get  # PERF: read inline as REST v1 (helpers' calls written out: ALB GET -3k instructions)
    method, path = get("httpMethod"), get("path")
    if not (method.__class__ is path.__class__ is str and method and path):  # as REST v1's
        _bad_line(method, "httpMethod", path, "path")
    multi_query, query = get("multiValueQueryStringParameters"), get("queryStringParameters")
    body, b64 = get("body"), get("isBase64Encoded")
    if body is not None and (type(body) is not str or b64):
        body = body_source(body, b64)
    no_query = multi_query in _EMPTY and query in _EMPTY
    rc, multi = get("requestContext"), get("multiValueHeaders")
    headers = (check_single(get("headers"), "headers") if multi is None else check_multi(multi, "multiValueHeaders"),
               multi is not None, None, None)  # as REST v1's
    req = Request(method, path_info(path), "" if no_query else _alb_query(event), headers, body, XFF, "http", event,
                  context, PLATFORM, "alb", _aws_request_id(rc if type(rc) is dict else _NO_CONTEXT, event, context))
    if strip_base_path:
        strip_request_base(req, strip_base_path)
    req.alb_multi = "multiValueHeaders" in event
    return req


_EMPTY = (None, {})  # no query: absent, null or {} (ALB sends {} for a request without one)


def answer_alb(request, status, headers, body, ctype):
    """ALB response of a plain answer, in the mode the request came in."""
    # PERF: the known codes' lines read from errors' table, no status_line call (ALB GET -0.7k instructions)
    line = _LINES.get(status) or status_line(status)
    if (request.get("koatty.alb_multi") if type(request) is dict else request.alb_multi):
        # the multi-value mode: REST v1's response with the line
        return {"statusCode": status, "statusDescription": line,
                **answer_apigw_v1(request, status, headers, body, ctype)}
    if ctype in PLAIN_TYPES and (text := body.decode("latin-1")).isascii():  # PERF: as answer_apigw_v1
        b64 = False
    else:
        text, b64 = body_text(body, ctype)
    return {"statusCode": status, "statusDescription": line, "headers": dict(headers), "body": text,
            "isBase64Encoded": b64}


# A 400 in the AWS shape of the kind, naming the invocation's request id: SOURCE's function of that name (a malformed
# event is rare). PERF: a name, not a function here (a code object fewer at every cold start)
bad_request = "bad_request_aws"


# (kind, platform, detect, to_environ, to_response, to_request, answer), in detection order; registered
# by serverless/__init__.py (to_environ None: the Request's own environ). A string names a function of
# SOURCE, imported when the format first needs it (HttpFormat.source).
DETECTORS = [
    ("apigw-v1", PLATFORM, detect_apigw_v1, "to_environ_apigw_v1", "to_response_apigw_v1", to_request_apigw_v1,
     answer_apigw_v1),
    ("apigw-v2", PLATFORM, detect_apigw_v2, "to_environ_apigw_v2", "to_response_v2", to_request_apigw_v2, answer_v2),
    ("function-url", PLATFORM, detect_function_url, "to_environ_function_url", "to_response_v2",
     to_request_function_url, answer_v2),
    ("alb", PLATFORM, detect_alb, "to_environ_alb", "to_response_alb", to_request_alb, answer_alb),
    ("lattice-v1", PLATFORM, detect_lattice_v1, None, "to_response_lattice", "to_request_lattice_v1"),
    ("lattice-v2", PLATFORM, detect_lattice_v2, None, "to_response_lattice", "to_request_lattice_v2"),
]
