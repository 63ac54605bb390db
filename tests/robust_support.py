"""Helpers shared by the tests/test_robust_*.py files: response checks and small event builders.

No hypothesis here, so that the table-driven robustness tests run where it is not installed.
"""
from __future__ import annotations

import base64
import json
import re

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
BAD_VALUE_CHARS = ("\r", "\n", "\x00")

# Top-level keys each platform accepts in a function's HTTP answer (events/README "Response
# contracts"): AWS REST v1 answers 502 to any other key, so an extra key is a defect, not a style.
ALLOWED_KEYS = {
    "apigw-v1": {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    "apigw-v2": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "function-url": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "alb": {"statusCode", "statusDescription", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    "alb-multi": {"statusCode", "statusDescription", "headers", "multiValueHeaders", "body", "isBase64Encoded"},
    "lattice-v1": {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
    "lattice-v2": {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
    "fc3": {"statusCode", "headers", "body", "isBase64Encoded"},
    "fc-apigw": {"statusCode", "headers", "body", "isBase64Encoded"},
    "scf-apigw": {"statusCode", "headers", "body", "isBase64Encoded"},
    "scf-url": {"statusCode", "headers", "cookies", "body", "isBase64Encoded"},
    "scf-clb": {"statusCode", "headers", "body", "isBase64Encoded"},
}
# Shapes whose `headers` may carry a list for a repeated header (SCF's only multi-value form).
LIST_HEADER_VALUES = {"scf-apigw", "scf-url", "scf-clb"}


class Answer:
    """A checked platform response: status, decoded body text and a case-insensitive header view."""

    def __init__(self, resp: dict, status: int, body: bytes, headers: dict):
        self.resp = resp
        self.status = status
        self.body = body
        self.text = body.decode("utf-8", "replace")
        self.headers = headers  # lower-case name -> list of values

    def header(self, name: str, default=None):
        """The first value of a response header, or default."""
        vals = self.headers.get(name.lower())
        return vals[0] if vals else default

    def json(self):
        """The body decoded as JSON."""
        return json.loads(self.text)


def _check_header(name, value, where: str) -> None:
    assert isinstance(name, str) and TOKEN.match(name), f"bad header name {name!r} in {where}"
    assert isinstance(value, str), f"header {name!r} in {where} has a non-str value {value!r}"
    assert not any(c in value for c in BAD_VALUE_CHARS), f"header {name!r} in {where} carries CR/LF/NUL: {value!r}"


def check_response(resp, kind: str | None = None) -> Answer:
    """Assert `resp` is a well-formed platform HTTP answer (for `kind`, when given) and return it parsed."""
    assert isinstance(resp, dict), f"response is not a dict: {type(resp).__name__}"
    if kind is not None:
        extra = set(resp) - ALLOWED_KEYS[kind]
        assert not extra, f"unexpected top-level keys for {kind}: {sorted(extra)}"
    status = resp.get("statusCode")
    assert type(status) is int and 100 <= status <= 599, f"statusCode {status!r}"
    b64 = resp.get("isBase64Encoded", False)
    assert isinstance(b64, bool), f"isBase64Encoded {b64!r}"
    body = resp.get("body", "")
    assert isinstance(body, str), f"body is {type(body).__name__}"
    raw = base64.b64decode(body, validate=True) if b64 else body.encode("utf-8", "surrogatepass")
    headers: dict = {}
    h = resp.get("headers")
    if h is not None:
        assert isinstance(h, dict), "headers is not a dict"
        for name, value in h.items():
            values = value if (isinstance(value, list) and (kind in LIST_HEADER_VALUES or kind is None)) else [value]
            for v in values:
                _check_header(name, v, "headers")
            headers.setdefault(name.lower(), []).extend(values)
    mvh = resp.get("multiValueHeaders")
    if mvh is not None:
        assert isinstance(mvh, dict), "multiValueHeaders is not a dict"
        for name, values in mvh.items():
            assert isinstance(values, list), f"multiValueHeaders[{name!r}] is not a list"
            for v in values:
                _check_header(name, v, "multiValueHeaders")
            lst = headers.setdefault(name.lower(), [])
            lst.extend(v for v in values if v not in lst)
    cookies = resp.get("cookies")
    if cookies is not None:
        assert isinstance(cookies, list) and all(isinstance(c, str) for c in cookies), "cookies is not a list of str"
        for c in cookies:
            _check_header("Set-Cookie", c, "cookies")
        headers.setdefault("set-cookie", []).extend(cookies)
    if kind in ("alb", "alb-multi"):
        assert isinstance(resp.get("statusDescription"), str), "ALB answer without statusDescription"
    ans = Answer(resp, status, raw, headers)
    assert "Traceback" not in ans.text and 'File "' not in ans.text, f"traceback in the body: {ans.text[:300]!r}"
    return ans


class FakeContext:
    """A Lambda-like context with a request id."""

    function_name = "robust"
    memory_limit_in_mb = "128"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:robust"

    def __init__(self, request_id: str = "req-robust-1"):
        self.aws_request_id = request_id
        self.request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30000


def v1_event(method="GET", path="/", body=None, b64=False, headers=None, query=None, source_ip="203.0.113.7"):
    """A minimal API Gateway REST (payload 1.0) event."""
    h = {"Host": "abc123.execute-api.us-east-1.amazonaws.com"}
    h.update(headers or {})
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": h, "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"path": "/prod" + path, "stage": "prod", "httpMethod": method, "requestId": "apigw-req-1",
                           "identity": {"sourceIp": source_ip}, "domainName": "abc123.execute-api.us-east-1.amazonaws.com"},
        "body": body, "isBase64Encoded": b64,
    }


def v2_event(method="GET", path="/", body=None, b64=False, headers=None, raw_query="", source_ip="203.0.113.8",
             domain="abc123.execute-api.us-east-1.amazonaws.com"):
    """A minimal HTTP API (payload 2.0) event."""
    h = {"host": domain}
    h.update({k.lower(): v for k, v in (headers or {}).items()})
    ev = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": raw_query, "headers": h,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123", "domainName": domain, "domainPrefix": "abc123",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                                    "userAgent": "robust"},
                           "requestId": "apigw-req-2", "routeKey": "$default", "stage": "$default",
                           "time": "17/Jun/2024:15:52:39 +0000", "timeEpoch": 1718639559080},
        "isBase64Encoded": b64,
    }
    if body is not None:
        ev["body"] = body
    return ev


def alb_event(method="GET", path="/", headers=None, multi=False, body="", b64=False, query=None):
    """A minimal ALB event, single- or multi-value."""
    ev = {"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
          "httpMethod": method, "path": path, "body": body, "isBase64Encoded": b64}
    h = {"host": "alb.example.com"}
    h.update(headers or {})
    if multi:
        ev["multiValueHeaders"] = {k: v if isinstance(v, list) else [v] for k, v in h.items()}
        ev["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
    else:
        ev["headers"] = h
        ev["queryStringParameters"] = query or {}
    return ev


def clb_event(method="GET", path="/", headers=(), body=""):
    """A Tencent SCF CLB trigger event (no CLI builder): X-Method / X-Uri carry the request line."""
    h = {"X-Method": method, "X-Uri": path}
    for name, value in headers:
        h[name] = h[name] + "," + value if name in h else value
    return {"headers": h, "payload": body, "isBase64Encoded": "false"}


def http_kinds():
    """Every HTTP kind an event can be built for: the CLI's builders plus scf-clb."""
    from koatty_lite.cli.event import HTTP_BUILDERS

    return sorted(HTTP_BUILDERS) + ["scf-clb"]


def build_http(kind, method="GET", path="/", raw_query="", headers=(), source_ip="127.0.0.1"):
    """An HTTP event of `kind` (a CLI builder name or "scf-clb") for one request."""
    from koatty_lite.cli.event import HTTP_BUILDERS, HttpRequest

    if kind == "scf-clb":
        return clb_event(method, path + ("?" + raw_query if raw_query else ""), headers)
    return HTTP_BUILDERS[kind](HttpRequest(method, path, raw_query, list(headers), source_ip=source_ip))


def response_shape(kind):
    """The ALLOWED_KEYS entry of a builder name."""
    return "scf-apigw" if kind == "scf" else kind
