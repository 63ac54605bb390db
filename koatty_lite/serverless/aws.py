"""AWS HTTP events: API Gateway REST (1.0), HTTP API (2.0) + Function URL, ALB, VPC Lattice v1/v2.

Formats: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html,
https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html,
https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html
"""
from ..errors import _LINES, status_line
from . import (PLAIN_TYPES, XFF, BadEvent, Request, aws_only, body_source, check_multi, check_single, path_info,
               request_id_of, strip_request_base)
from .http import (
    bad_request_headers, body_text, encode_body, encode_query, env_headers, environ_base, environ_of, error_body, facts,
    header_items, join_headers, make_request, multi_headers, require_str, single_headers, strip_base, unquote_plus,
)

PLATFORM = "aws"


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


# ---------------------------------------------------------------- helpers
def _request_id(event, context):
    return request_id_of(event, context, "aws_request_id")


def _multi_items(multi, single, what):
    """Pairs from a multi-value map, falling back to the single-value map."""
    if multi is None and single is None:
        return ()  # PERF: no query at all is the common case; skip building the error labels
    if multi is not None:
        return _array_items(multi, "multiValue" + what)
    return header_items(single, what[0].lower() + what[1:])


def _array_items(mapping, what):
    """Pairs from a {name: [values]} map (a lone string is one value; None values skipped)."""
    if mapping is None:
        return []
    if type(mapping) is not dict:
        raise BadEvent(what + " must be an object")
    out = []
    for name, values in mapping.items():
        if values is None:
            continue
        if type(values) is str:
            values = [values]  # why: be lenient; some published samples use plain strings
        elif type(values) is not list:
            raise BadEvent(what + " values must be lists of strings")
        for value in values:
            if type(value) is not str:
                raise BadEvent(what + " values must be lists of strings")
            out.append((name, value))
    return out


def _source_ip(event):
    rc = event.get("requestContext") or {}
    ident = rc.get("identity")
    if type(ident) is dict and type(ident.get("sourceIp")) is str:
        return ident["sourceIp"]
    http = rc.get("http")
    if type(http) is dict and type(http.get("sourceIp")) is str:
        return http["sourceIp"]
    return None


# ---------------------------------------------------------------- REST v1
def _header_source(event, default_host=None):
    """The lazy header source (``lazy_pairs``) of a payload 1.0 / ALB event: multiValueHeaders when
    present, else headers."""
    multi = event.get("multiValueHeaders")
    # PERF: lazy_pairs' tuples written out (a call fewer)
    if multi is not None:
        return check_multi(multi, "multiValueHeaders"), True, default_host, None
    return check_single(event.get("headers"), "headers"), False, default_host, None


def _query_v1(get):
    """The query string of a payload 1.0 / ALB event (multi-value map first), "" without one."""
    multi_query, query = get("multiValueQueryStringParameters"), get("queryStringParameters")
    if multi_query is None and query is None:
        return ""
    pairs = _multi_items(multi_query, query, "QueryStringParameters")
    return encode_query(pairs) if pairs else ""


def to_request_apigw_v1(event, context, strip_base_path=""):
    """Request for an API Gateway REST (payload 1.0) event."""
    # PERF: the hot path of the most common event, read inline (helpers' calls, lazy_pairs' tuple and
    # make_request's checks written out: 19.8k -> 11k instructions with 8 headers); the rare cases in helpers
    get = event.get
    method, path = get("httpMethod"), get("path")
    if type(method) is not str or type(path) is not str or not method or not path:
        _bad_line(method, "httpMethod", path, "path")
    rc = get("requestContext") or _NO_CONTEXT
    domain = rc.get("domainName")
    headers = _header_source(event, domain if type(domain) is str else None)
    no_query = get("multiValueQueryStringParameters") is None and get("queryStringParameters") is None
    body = get("body")
    if body is not None and (type(body) is not str or get("isBase64Encoded")):
        body = body_source(body, get("isBase64Encoded"))
    req = Request(method, path_info(path), "" if no_query else _query_v1(get), headers, body,
                  _v1_source_ip(rc, event), "https", event, context, PLATFORM, "apigw-v1",
                  _aws_request_id(rc, event, context))
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


def _bad_line(method, method_key, path, path_key):
    """BadEvent naming the first of the request line's fields that is not a non-empty string."""
    for value, key in ((method, method_key), (path, path_key)):
        if type(value) is not str or not value:
            raise BadEvent(key + " must be a non-empty string")


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


def to_response_apigw_v1(environ, status, headers, body):
    """REST v1 response: multiValueHeaders carries every header, repeats included."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "multiValueHeaders": multi_headers(headers),
            "body": text, "isBase64Encoded": b64}


def answer_apigw_v1(request, status, headers, body, ctype):
    """REST v1 response of a plain answer (``WsgiApp.koatty_answer``: distinct names, no cookie)."""
    if ctype in PLAIN_TYPES and body.isascii():  # PERF: an ASCII body of a text type is its own text (no body_text call)
        text, b64 = body.decode("ascii"), False
    else:
        text, b64 = body_text(body, ctype)
    multi = {}
    for name, value in headers:  # PERF: a loop, not a comprehension: no frame of its own
        multi[name] = [value]
    return {"statusCode": status, "multiValueHeaders": multi, "body": text, "isBase64Encoded": b64}


# ---------------------------------------------------------------- HTTP API v2 / Function URL
def _v2_line(event, http):
    """(method, rawPath, rawQueryString) of a payload 2.0 event, checked (BadEvent)."""
    if type(http) is not dict:
        raise BadEvent("requestContext.http must be an object")
    method = http.get("method")
    if type(method) is not str or not method:
        raise BadEvent("requestContext.http.method must be a non-empty string")
    raw_path = event.get("rawPath")
    if type(raw_path) is not str:
        raise BadEvent("rawPath must be a string")
    query = event.get("rawQueryString") or ""
    if type(query) is not str:
        raise BadEvent("rawQueryString must be a string")
    return method, raw_path, query


def _to_request_v2(event, context, kind, strip_base_path):
    # PERF: read inline as REST v1 (_v2_line, lazy_pairs, make_request written out; HTTP v2 GET -3k
    # instructions); the rare cases (a malformed line, cookies, a stage in the path) in helpers
    get = event.get
    rc = event["requestContext"]
    http = rc.get("http")
    method = http.get("method") if type(http) is dict else None
    raw_path, query = get("rawPath"), get("rawQueryString") or ""
    if type(method) is not str or type(raw_path) is not str or type(query) is not str or not method:
        _v2_line(event, http)  # raises the BadEvent naming the field
    headers = check_single(get("headers"), "headers")
    cookies = get("cookies")
    if cookies:
        _check_cookies(cookies)  # why: Function URLs repeat them in headers.cookie: one source only (lazy_pairs)
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


def _check_cookies(cookies):
    if type(cookies) is not list or not all(type(c) is str for c in cookies):
        raise BadEvent("cookies must be a list of strings")


def _v2_stage(req, stage):
    """On an execute-api host, a path that starts with the stage has it moved to SCRIPT_NAME."""
    if type(stage) is str and ".execute-api." in req.host_header():
        prefix = "/" + stage
        pi = req.path
        if pi == prefix or pi.startswith(prefix + "/"):
            req.script_name = prefix
            req.path = pi[len(prefix):] or "/"


def to_request_apigw_v2(event, context, strip_base_path=""):
    """Request for an HTTP API payload 2.0 event."""
    return _to_request_v2(event, context, "apigw-v2", strip_base_path)


def to_request_function_url(event, context, strip_base_path=""):
    """Request for a Lambda Function URL event."""
    return _to_request_v2(event, context, "function-url", strip_base_path)


def to_response_v2(environ, status, headers, body):
    """HTTP API 2.0 / Function URL response: Set-Cookie in `cookies`, others comma-joined."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "headers": join_headers(headers, skip_cookies=True),
            "cookies": _cookies(headers),
            "body": text, "isBase64Encoded": b64}


def _cookies(headers):
    known = facts(headers)
    if known is not None:
        return list(known[2])
    return [v for n, v in headers if n.lower() == "set-cookie"]


to_response_apigw_v2 = to_response_function_url = to_response_v2


def answer_v2(request, status, headers, body, ctype):
    """HTTP API 2.0 / Function URL response of a plain answer (no Set-Cookie: ``cookies`` is empty)."""
    if ctype in PLAIN_TYPES and body.isascii():  # PERF: an ASCII body of a text type is its own text (no body_text call)
        text, b64 = body.decode("ascii"), False
    else:
        text, b64 = body_text(body, ctype)
    return {"statusCode": status, "headers": dict(headers), "cookies": [], "body": text, "isBase64Encoded": b64}


# ---------------------------------------------------------------- ALB
def to_request_alb(event, context, strip_base_path=""):
    """Request for an ALB target event (single- or multi-value mode)."""
    get = event.get  # PERF: read inline as REST v1 (helpers' calls written out: ALB GET -3k instructions)
    method, path = get("httpMethod"), get("path")
    if type(method) is not str or type(path) is not str or not method or not path:
        _bad_line(method, "httpMethod", path, "path")
    multi_query, query = get("multiValueQueryStringParameters"), get("queryStringParameters")
    body, b64 = get("body"), get("isBase64Encoded")
    if body is not None and (type(body) is not str or b64):
        body = body_source(body, b64)
    no_query = multi_query in _EMPTY and query in _EMPTY
    rc = get("requestContext")
    req = Request(method, path_info(path), "" if no_query else _alb_query(event), _header_source(event), body, XFF,
                  "http", event, context, PLATFORM, "alb",
                  _aws_request_id(rc if type(rc) is dict else _NO_CONTEXT, event, context))
    if strip_base_path:
        strip_request_base(req, strip_base_path)
    req.alb_multi = "multiValueHeaders" in event
    return req


_EMPTY = (None, {})  # no query: absent, null or {} (ALB sends {} for a request without one)


# ---------------------------------------------------------------- the environ of a foreign WSGI app
# PERF: the common event's environ is built straight from the event, as apig-wsgi does (env_headers +
# environ_of: one dict, no per-header loop); any other event's (BadEvents included) is the Request's,
# built by the general rules (make_environ). tests/test_wsgi_fast_path.py checks both give the same.
_V1_BASE = environ_base(PLATFORM, "apigw-v1")
_V2_BASE = environ_base(PLATFORM, "apigw-v2")
_URL_BASE = environ_base(PLATFORM, "function-url")
_ALB_BASE = environ_base(PLATFORM, "alb")


def _v1_rest(environ, rc, strip_base_path):
    """The REST v1 environ's stage SCRIPT_NAME, base path and authorizer."""
    stage = rc.get("stage")
    if type(stage) is str and stage and stage != "$default" and ".execute-api." in environ.get("HTTP_HOST", ""):
        environ["SCRIPT_NAME"] = "/" + stage
    if strip_base_path:
        strip_base(environ, strip_base_path)
    auth = rc.get("authorizer")
    if auth is not None:
        environ["koatty.authorizer"] = auth
    return environ


_TEXT_BODY = (str, type(None))


def _environ_rid(event, context):
    """The request id as make_environ finds it when there is a context."""
    rid = _request_id(event, context)
    if rid is None:
        rid = getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)
    return rid


def to_environ_apigw_v1(event, context, strip_base_path=""):
    """Environ for an API Gateway REST (payload 1.0) event."""
    get = event.get
    method, path, rc, body = get("httpMethod"), get("path"), get("requestContext"), get("body")
    multi = get("multiValueHeaders")
    found = env_headers(multi, True) if multi is not None else env_headers(get("headers"))
    if (found is None or type(rc) is not dict or not type(method) is type(path) is str or "" in (method, path)
            or get("isBase64Encoded") or type(body) not in _TEXT_BODY):
        return to_request_apigw_v1(event, context, strip_base_path).environ  # the general rules
    # PERF: no query (both maps None: a chained `is`) is the common case, without _query_v1's call
    query = "" if get("multiValueQueryStringParameters") is None is get("queryStringParameters") else _query_v1(get)
    ident = rc.get("identity")
    remote = ident.get("sourceIp") if type(ident) is dict else None
    environ = environ_of(_V1_BASE, method, path, query, found, body.encode() if body else b"",
                         remote if type(remote) is str else (_source_ip(event) or ""), "https", event, context,
                         (rc.get("requestId") or None) if context is None else _environ_rid(event, context),
                         rc.get("domainName"))
    return _v1_rest(environ, rc, strip_base_path)


def _v2_rest(environ, rc, strip_base_path):
    """The payload 2.0 environ's stage prefix, base path and authorizer."""
    stage = rc.get("stage")
    if type(stage) is str and stage and stage != "$default" and ".execute-api." in environ.get("HTTP_HOST", ""):
        prefix, pi = "/" + stage, environ["PATH_INFO"]
        if pi == prefix or pi.startswith(prefix + "/"):
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = pi[len(prefix):] or "/"
    if strip_base_path:
        strip_base(environ, strip_base_path)
    auth = rc.get("authorizer")
    if auth is not None:
        environ["koatty.authorizer"] = auth
    return environ


def _environ_v2(event, context, kind, strip_base_path):
    rc = event["requestContext"]
    http = rc.get("http")
    method, raw_path, query = _v2_line(event, http)
    get = event.get
    found = env_headers(get("headers"))
    cookies, body = get("cookies"), get("body")
    if cookies and found is not None:
        found = _with_cookies(found, cookies)
    if found is None or get("isBase64Encoded") or type(body) not in _TEXT_BODY:
        return _to_request_v2(event, context, kind, strip_base_path).environ  # the general rules
    environ = environ_of(_URL_BASE if kind == "function-url" else _V2_BASE, method, raw_path, query, found,
                         body.encode() if body else b"", http.get("sourceIp") or "", "https", event, context,
                         (rc.get("requestId") or None) if context is None else _environ_rid(event, context),
                         rc.get("domainName"))
    return _v2_rest(environ, rc, strip_base_path)


def _with_cookies(found, cookies):
    """env_headers' map with HTTP API 2.0's ``cookies`` as the Cookie header; None for the general path."""
    if type(cookies) is not list or not all(type(c) is str for c in cookies):
        return None  # the general path names the mistake
    joined = "; ".join(cookies)
    if not joined.isascii():
        return None
    # why: Function URLs repeat the cookies in headers.cookie; one source only, last (as lazy_pairs)
    found.pop("HTTP_COOKIE", None)
    found["HTTP_COOKIE"] = joined
    return found


def to_environ_apigw_v2(event, context, strip_base_path=""):
    """Environ for an HTTP API payload 2.0 event."""
    return _environ_v2(event, context, "apigw-v2", strip_base_path)


def to_environ_function_url(event, context, strip_base_path=""):
    """Environ for a Lambda Function URL event."""
    return _environ_v2(event, context, "function-url", strip_base_path)


def _alb_query(event):
    """The query string of an ALB event: decoded once as a WSGI server would (`+` a space, `%2B` a
    plus), then re-encoded canonically (ALB passes the query on as sent)."""
    query = _multi_items(event.get("multiValueQueryStringParameters"),
                         event.get("queryStringParameters"), "QueryStringParameters")
    return encode_query([(unquote_plus(k), unquote_plus(v)) for k, v in query]) if query else ""


def to_environ_alb(event, context, strip_base_path=""):
    """Environ for an ALB target event (single- or multi-value mode)."""
    get = event.get
    method, path, body, rc = get("httpMethod"), get("path"), get("body"), get("requestContext")
    is_multi = "multiValueHeaders" in event
    found = env_headers(get("multiValueHeaders"), True) if is_multi else env_headers(get("headers"))
    if (found is None or type(rc) is not dict or not type(method) is type(path) is str or "" in (method, path)
            or get("isBase64Encoded") or type(body) not in _TEXT_BODY):
        return to_request_alb(event, context, strip_base_path).environ  # the general rules
    remote = found.get("HTTP_X_FORWARDED_FOR", "")
    if remote:
        remote = remote.rsplit(",", 1)[-1].strip()  # the last entry: the one the balancer appended
    query = _alb_query(event) if get("multiValueQueryStringParameters") is not None or get(
        "queryStringParameters") not in (None, {}) else ""
    environ = environ_of(_ALB_BASE, method, path, query, found, body.encode() if body else b"", remote, "http",
                         event, context,
                         (rc.get("requestId") or None) if context is None else _environ_rid(event, context))
    if strip_base_path:
        strip_base(environ, strip_base_path)
    environ["koatty.alb_multi"] = is_multi
    return environ


def to_response_alb(environ, status, headers, body):
    """ALB response in the mode the request came in (``environ`` or the ``Request``), with statusDescription."""
    text, b64 = encode_body(headers, body)
    out = {"statusCode": int(status[:3]), "statusDescription": _status_line(status)}
    if (environ.get("koatty.alb_multi") if type(environ) is dict else environ.alb_multi):
        out["multiValueHeaders"] = multi_headers(headers)
    else:
        out["headers"] = single_headers(headers)
    out["body"] = text
    out["isBase64Encoded"] = b64
    return out


def answer_alb(request, status, headers, body, ctype):
    """ALB response of a plain answer, in the mode the request came in."""
    if ctype in PLAIN_TYPES and body.isascii():  # PERF: an ASCII body of a text type is its own text (no body_text call)
        text, b64 = body.decode("ascii"), False
    else:
        text, b64 = body_text(body, ctype)
    # PERF: the known codes' lines read from errors' table, no status_line call (ALB GET -0.7k instructions)
    out = {"statusCode": status, "statusDescription": _LINES.get(status) or status_line(status)}
    if (request.get("koatty.alb_multi") if type(request) is dict else request.alb_multi):
        multi = out["multiValueHeaders"] = {}
        for name, value in headers:
            multi[name] = [value]
    else:
        out["headers"] = dict(headers)
    out["body"] = text
    out["isBase64Encoded"] = b64
    return out


def _status_line(status):
    """'200 OK' from a WSGI status line (reason phrase filled in when the app gave none)."""
    code, _, reason = status.partition(" ")
    if not reason.strip():
        from http import HTTPStatus  # why: rare; apps normally send a reason phrase
        try:
            reason = HTTPStatus(int(code)).phrase
        except ValueError:
            reason = "Unknown"
    return code + " " + reason.strip()


# ---------------------------------------------------------------- VPC Lattice
def _split_path(path):
    path, _, query = path.partition("?")
    return path, query


def to_request_lattice_v1(event, context, strip_base_path=""):
    """Request for a VPC Lattice v1 (snake_case) event."""
    method = require_str(event, "method")
    raw = require_str(event, "raw_path")
    path, query = _split_path(raw)
    pairs = header_items(event.get("headers"))
    if not query:
        query = encode_query(header_items(event.get("query_string_parameters"),
                                          "query_string_parameters"))
    req = make_request(method, path_info(path), query, pairs,
                       body_source(event.get("body"), event.get("is_base64_encoded")),
                       XFF, "https", event, context, PLATFORM, "lattice-v1", _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def to_request_lattice_v2(event, context, strip_base_path=""):
    """Request for a VPC Lattice v2 event (array values; path may carry the query)."""
    method = require_str(event, "method")
    path, query = _split_path(require_str(event, "path"))
    pairs = _array_items(event.get("headers"), "headers")
    if not query:
        query = encode_query(_array_items(event.get("queryStringParameters"),
                                          "queryStringParameters"))
    req = make_request(method, path_info(path), query, pairs,
                       body_source(event.get("body"), event.get("isBase64Encoded")),
                       XFF, "https", event, context, PLATFORM, "lattice-v2", _request_id(event, context))
    return strip_request_base(req, strip_base_path)


def to_response_lattice(environ, status, headers, body):
    """VPC Lattice response: ALB-like, headers comma-joined into one value each."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "statusDescription": _status_line(status),
            "headers": single_headers(headers), "body": text, "isBase64Encoded": b64}


to_response_lattice_v1 = to_response_lattice_v2 = to_response_lattice


def bad_request(kind, message, event=None, context=None):
    """A 400 in the AWS shape of the kind, naming the invocation's request id (see bad_request_headers);
    ALB's in the one header map the request used (the target group's multi-value setting)."""
    rid, hdrs = bad_request_headers(event, context, "aws_request_id")
    body = error_body(message, rid).encode()
    if kind == "apigw-v1":
        return to_response_apigw_v1({}, "400 Bad Request", hdrs, body)
    if kind in ("apigw-v2", "function-url"):
        return to_response_v2({}, "400 Bad Request", hdrs, body)
    if kind == "alb":
        multi = type(event) is dict and "multiValueHeaders" in event
        return to_response_alb({"koatty.alb_multi": multi}, "400 Bad Request", hdrs, body)
    return to_response_lattice({}, "400 Bad Request", hdrs, body)


# (kind, platform, detect, to_environ, to_response, to_request, answer), in detection order; registered
# by serverless/__init__.py (to_environ None: the Request's own environ).
DETECTORS = [
    ("apigw-v1", PLATFORM, detect_apigw_v1, to_environ_apigw_v1, to_response_apigw_v1, to_request_apigw_v1,
     answer_apigw_v1),
    ("apigw-v2", PLATFORM, detect_apigw_v2, to_environ_apigw_v2, to_response_v2, to_request_apigw_v2, answer_v2),
    ("function-url", PLATFORM, detect_function_url, to_environ_function_url, to_response_v2,
     to_request_function_url, answer_v2),
    ("alb", PLATFORM, detect_alb, to_environ_alb, to_response_alb, to_request_alb, answer_alb),
    ("lattice-v1", PLATFORM, detect_lattice_v1, None, to_response_lattice, to_request_lattice_v1),
    ("lattice-v2", PLATFORM, detect_lattice_v2, None, to_response_lattice, to_request_lattice_v2),
]
