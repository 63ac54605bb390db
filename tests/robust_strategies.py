"""Hypothesis strategies that build hostile events shaped like each platform's HTTP trigger.

Each builder follows the documented field list of its format (see docs/architecture.md and the
adapter modules) but fills every slot with arbitrary content: header names in any case, duplicate
names differing only in case, unicode, control characters, invalid percent-encoding, bodies that
are not what their Content-Type or isBase64Encoded flag claims.  ``mangled()`` then deletes keys
and swaps values for values of the wrong type, so adapters meet events no gateway would send.

Test-only: imports hypothesis, which runtime code never does.
"""
from __future__ import annotations

import base64
import json
import string

from hypothesis import strategies as st

# Routes of the fuzz app in tests/test_robust_fuzz.py; mixed with random paths so that a good
# share of the examples reaches a controller and its body parsing instead of a 404.
APP_PATHS = ["/", "/echo", "/users/1", "/users/abc", "/html", "/items/%E2%82%AC", "/echo/"]

TCHAR = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
WELL_KNOWN_HEADERS = [
    "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Host",
    "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "Cookie", "X-Request-Id",
    "Authorization", "Accept", "User-Agent", "X-Amzn-Trace-Id", "Connection", "Expect",
]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "application/x-www-form-urlencoded", "text/plain", "text/html; charset=utf-8",
    "multipart/form-data", "multipart/form-data; boundary=XyZ", "multipart/form-data; boundary=",
    "application/octet-stream", "image/png", "idk", "", ";;;", "application/json; charset=bogus-42",
]
CONTENT_ENCODINGS = ["gzip", "deflate", "br", "identity", "x-unknown", "", "gzip, gzip"]
HOSTILE_SEGMENTS = [
    "%00", "%zz", "%", "%2F", "%2e%2e", "..", ".", "%C3%A9", "%FF", "%E2%82", "<script>alert(1)</script>",
    "a b", "?", "#", ";", "%0d%0aX-Injected:%201", "\r\nX-Injected: 1", "\x00", "é", "💥", "%u0041",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
IPS = ["203.0.113.9", "2001:db8::1", "test-invoke-source-ip", "", "999.1.1.1", "1.2.3.4, 5.6.7.8"]


def random_case(name: str) -> st.SearchStrategy[str]:
    """The same header name in lower, upper, title or per-letter random case."""
    per_char = st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(name, flips)))
    return st.one_of(st.just(name), st.just(name.lower()), st.just(name.upper()), per_char)


short_text = st.text(max_size=12)
header_name = st.one_of(
    st.sampled_from(WELL_KNOWN_HEADERS).flatmap(random_case),
    st.text(alphabet=TCHAR, min_size=1, max_size=16),
    short_text,  # hostile: empty, spaces, colons, CR/LF, unicode
)


def _value_for(name: str) -> st.SearchStrategy[str]:
    low = name.lower()
    if low == "content-type":
        return st.one_of(st.sampled_from(CONTENT_TYPES), short_text)
    if low == "content-length":
        return st.one_of(st.integers(-5, 10**12).map(str), st.sampled_from(["", "abc", "1e3", " 3", "0x10"]))
    if low == "content-encoding":
        return st.sampled_from(CONTENT_ENCODINGS)
    if low in ("x-forwarded-for", "host"):
        return st.one_of(st.sampled_from(IPS + ["example.com", "exa mple:99999", "h,h", "ünï.com:x"]), short_text)
    if low == "x-forwarded-port":
        return st.sampled_from(["443", "80", "", "-1", "abc", "99999"])
    return st.text(max_size=30)


header_pair = header_name.flatmap(lambda n: st.tuples(st.just(n), _value_for(n)))
headers_single = st.lists(header_pair, max_size=8).map(dict)
headers_multi = st.lists(
    header_name.flatmap(lambda n: st.tuples(st.just(n), st.lists(_value_for(n), max_size=3))), max_size=8
).map(dict)

segment = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-._~", max_size=10),
    st.sampled_from(HOSTILE_SEGMENTS),
    st.text(max_size=6),
)
random_path = st.lists(segment, max_size=6).map(lambda s: "/" + "/".join(s))
path = st.one_of(
    st.sampled_from(APP_PATHS), random_path,
    st.sampled_from(["", "//", "*", "/users/%00", "/%zz", "/" + "a" * 2000]),
)

query_key = st.one_of(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6), short_text)
query_single = st.dictionaries(query_key, st.text(max_size=16), max_size=4)
query_multi = st.dictionaries(query_key, st.lists(st.text(max_size=10), max_size=3), max_size=4)
raw_query = st.one_of(
    st.text(max_size=40),
    st.lists(st.tuples(query_key, st.one_of(short_text, st.sampled_from(["%zz", "%FF%FE", "%00", "a+b", "%"]))),
             max_size=4).map(lambda kv: "&".join(f"{k}={v}" for k, v in kv)),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _multipart(parts: list[tuple[str, str, bytes]], boundary: str, terminated: bool) -> bytes:
    out = []
    for name, filename, data in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.append(f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode("utf-8", "surrogatepass") + data + b"\r\n")
    if terminated:
        out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


multipart_body = st.builds(
    _multipart,
    st.lists(st.tuples(st.text(max_size=6), st.sampled_from(["", "a.txt", "../../etc/passwd", 'q"uote']),
                       st.binary(max_size=40)), max_size=3),
    st.sampled_from(["XyZ", "other"]),
    st.booleans(),
)
body_bytes = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"{", b'{"a": 1', b"[1,]", b"\xff\xfe{}", b"a=1&a=2&b=%zz", b"null", b'"\xed\xa0\x80"']),
    multipart_body,
)


@st.composite
def body_spec(draw) -> tuple:
    """(body value for the event, isBase64Encoded flag): absent, text, valid or invalid base64."""
    kind = draw(st.sampled_from(["none", "text", "b64", "bad-b64", "empty"]))
    if kind == "none":
        return None, False
    if kind == "empty":
        return "", draw(st.booleans())
    raw = draw(body_bytes)
    if kind == "b64":
        return base64.b64encode(raw).decode(), True
    if kind == "bad-b64":
        return draw(st.sampled_from(["%%%not base64%%%", "abc", "====", "YQ", "é", "a" * 5])), True
    return raw.decode("utf-8", "replace"), False


method = st.one_of(st.sampled_from(METHODS), st.sampled_from(["get", "", "BREW", "GET\r\nX: 1"]))
request_id = st.one_of(st.uuids().map(str), short_text)
ip = st.one_of(st.sampled_from(IPS), short_text)


def _split(p: str) -> tuple[str, str]:
    return p.split("?", 1)[0], p


@st.composite
def apigw_v1(draw) -> dict:
    """API Gateway REST API, payload 1.0."""
    p, m = draw(path), draw(method)
    body, b64 = draw(body_spec())
    multi_h = draw(st.one_of(st.none(), headers_multi))
    single_h = draw(st.one_of(st.none(), headers_single))
    multi_q = draw(st.one_of(st.none(), query_multi))
    return {
        "resource": "/{proxy+}", "path": p, "httpMethod": m,
        "headers": single_h, "multiValueHeaders": multi_h,
        "queryStringParameters": None if multi_q is None else {k: v[-1] for k, v in multi_q.items() if v},
        "multiValueQueryStringParameters": multi_q,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}", "httpMethod": m, "path": "/prod" + p, "stage": "prod",
            "requestId": draw(request_id), "accountId": "123456789012", "apiId": "abc123",
            "identity": {"sourceIp": draw(ip), "userAgent": draw(short_text)},
            "domainName": draw(st.sampled_from(["abc123.execute-api.eu-west-1.amazonaws.com", "api.example.com"])),
        },
        "body": body, "isBase64Encoded": b64,
    }


def _v2(draw, domain: str, account: str) -> dict:
    p, m = draw(path), draw(method)
    body, b64 = draw(body_spec())
    ev = {
        "version": "2.0", "routeKey": "$default", "rawPath": p, "rawQueryString": draw(raw_query),
        "headers": {k.lower(): v for k, v in draw(headers_single).items()},
        "requestContext": {
            "accountId": account, "apiId": "abc123", "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": m, "path": p, "protocol": "HTTP/1.1", "sourceIp": draw(ip), "userAgent": "fuzz"},
            "requestId": draw(request_id), "routeKey": "$default", "stage": "$default",
            "time": "17/Jun/2024:15:52:39 +0000", "timeEpoch": 1718639559080,
        },
        "isBase64Encoded": b64,
    }
    if body is not None:
        ev["body"] = body
    cookies = draw(st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=3)))
    if cookies is not None:
        ev["cookies"] = cookies
    q = draw(st.one_of(st.none(), query_single))
    if q is not None:
        ev["queryStringParameters"] = q
    return ev


@st.composite
def apigw_v2(draw) -> dict:
    """API Gateway HTTP API, payload 2.0."""
    return _v2(draw, "abc123.execute-api.eu-west-1.amazonaws.com", "123456789012")


@st.composite
def function_url(draw) -> dict:
    """Lambda Function URL (payload 2.0 on a lambda-url domain)."""
    return _v2(draw, "abcdefghij.lambda-url.us-east-1.on.aws", "anonymous")


@st.composite
def alb(draw, multi: bool = False) -> dict:
    """ALB target group event, single- or multi-value headers."""
    body, b64 = draw(body_spec())
    ev = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123:targetgroup/t/abc"}},
        "httpMethod": draw(method), "path": draw(path), "body": "" if body is None else body, "isBase64Encoded": b64,
    }
    if multi:
        ev["multiValueHeaders"] = draw(headers_multi)
        ev["multiValueQueryStringParameters"] = draw(query_multi)
    else:
        ev["headers"] = draw(headers_single)
        ev["queryStringParameters"] = draw(query_single)
    return ev


@st.composite
def lattice_v1(draw) -> dict:
    """VPC Lattice, event structure V1 (snake_case)."""
    body, b64 = draw(body_spec())
    return {
        "raw_path": draw(path), "method": draw(method), "headers": draw(headers_single),
        "query_string_parameters": draw(query_single), "body": body, "is_base64_encoded": b64,
    }


@st.composite
def lattice_v2(draw) -> dict:
    """VPC Lattice, event structure V2 (camelCase, every header/query value a list)."""
    body, b64 = draw(body_spec())
    p = draw(path)
    if draw(st.booleans()):
        p = p + "?" + draw(raw_query)  # one documented example carries the query in `path`
    return {
        "version": "2.0", "path": p, "method": draw(method), "headers": draw(headers_multi),
        "queryStringParameters": draw(query_multi), "body": body, "isBase64Encoded": b64,
        "requestContext": {
            "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-2:123:servicenetwork/sn-1",
            "serviceArn": "arn:aws:vpc-lattice:us-east-2:123:service/svc-1",
            "targetGroupArn": "arn:aws:vpc-lattice:us-east-2:123:targetgroup/tg-1",
            "identity": {"sourceVpcArn": "arn:aws:ec2:region:123:vpc/vpc-1", "type": "AWS_IAM"},
            "region": "us-east-2", "timeEpoch": "1696331543569073",
        },
    }


@st.composite
def fc3(draw) -> dict:
    """Alibaba Cloud FC 3.0 HTTP trigger event (the tests also send it JSON-encoded as bytes)."""
    body, b64 = draw(body_spec())
    p, m = draw(path), draw(method)
    ev = {
        "version": "v1", "rawPath": p, "headers": draw(headers_single),
        "queryParameters": draw(query_single), "isBase64Encoded": b64,
        "requestContext": {
            "accountId": "1234", "domainName": "x.cn-shanghai.fcapp.run", "domainPrefix": "x",
            "requestId": draw(request_id), "time": "2026-02-24T07:23:22.320752064+00:00", "timeEpoch": "1771917802320",
            "http": {"method": m, "path": p, "protocol": "HTTP/1.1", "sourceIp": draw(ip), "userAgent": "fuzz"},
        },
    }
    if body is not None:
        ev["body"] = body
    return ev


@st.composite
def fc_apigw(draw) -> dict:
    """Alibaba API Gateway -> FC event function."""
    body, b64 = draw(body_spec())
    return {
        "path": draw(path), "httpMethod": draw(method), "headers": draw(headers_single),
        "queryParameters": draw(query_single), "pathParameters": {}, "body": "" if body is None else body,
        "isBase64Encoded": b64,
    }


scf_query_value = st.one_of(st.text(max_size=10), st.lists(st.text(max_size=6), max_size=3), st.just(True))


@st.composite
def scf_apigw(draw) -> dict:
    """Tencent SCF API Gateway trigger event."""
    body, b64 = draw(body_spec())
    m = draw(method)
    ev = {
        "requestContext": {
            "serviceId": "service-f94sy04v", "path": "/test/{path}", "httpMethod": "ANY",
            "requestId": draw(request_id), "identity": {"secretId": "abc"}, "sourceIp": draw(ip), "stage": "release",
        },
        "headers": {k.lower(): v for k, v in draw(headers_single).items()},
        "pathParameters": {}, "queryStringParameters": {}, "headerParameters": {}, "stageVariables": {"stage": "release"},
        "path": draw(path), "queryString": draw(st.dictionaries(query_key, scf_query_value, max_size=4)),
        "httpMethod": m,
    }
    if body is not None:
        ev["body"] = body
    if draw(st.booleans()):
        ev["isBase64Encoded"] = b64
    return ev


@st.composite
def scf_url(draw) -> dict:
    """Tencent SCF function URL event (shaped like HTTP API 2.0; see serverless/tencent.py)."""
    ev = _v2(draw, "1250000000-abc.ap-guangzhou.tencentscf.com", "1250000000")
    return ev


@st.composite
def scf_clb(draw) -> dict:
    """Tencent SCF CLB trigger event: {headers, payload, isBase64Encoded}; method and path in X-Method / X-Uri."""
    body, b64 = draw(body_spec())
    headers = {k: v for k, v in draw(headers_single).items() if k.lower() not in ("x-method", "x-uri")}
    if draw(st.booleans()):
        headers["X-Method"] = draw(method)
    if draw(st.booleans()):
        p = draw(path)
        headers["X-Uri"] = p + ("?" + draw(raw_query) if draw(st.booleans()) else "")
    headers["X-Forwarded-For"] = draw(ip)
    payload = body
    if payload is None and not b64:
        payload = draw(st.one_of(st.none(), st.dictionaries(short_text, short_text, max_size=3)))
    flag = draw(st.sampled_from([b64, "true" if b64 else "false"]))
    return {"headers": headers, "payload": payload, "isBase64Encoded": flag}


# kind name (as in docs/architecture.md) -> strategy; ALB appears twice for its two modes.
EVENT_STRATEGIES: dict[str, st.SearchStrategy[dict]] = {
    "apigw-v1": apigw_v1(),
    "apigw-v2": apigw_v2(),
    "function-url": function_url(),
    "alb": alb(),
    "alb-multi": alb(multi=True),
    "lattice-v1": lattice_v1(),
    "lattice-v2": lattice_v2(),
    "fc3": fc3(),
    "fc-apigw": fc_apigw(),
    "scf-apigw": scf_apigw(),
    "scf-url": scf_url(),
    "scf-clb": scf_clb(),
}

wrong_type_value = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _slots(obj, out: list, parent=None, key=None) -> list:
    """Every (container, key) pair reachable in a JSON-like value, the root excluded."""
    if parent is not None:
        out.append((parent, key))
    if isinstance(obj, dict):
        for k in list(obj):
            _slots(obj[k], out, obj, k)
    elif isinstance(obj, list):
        for i in range(len(obj)):
            _slots(obj[i], out, obj, i)
    return out


@st.composite
def mangled(draw, base: st.SearchStrategy[dict]) -> dict:
    """An event from ``base`` with 1-3 keys deleted or their values replaced by a wrong type."""
    ev = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(ev, [])
        if not slots:
            break
        parent, key = slots[draw(st.integers(0, len(slots) - 1))]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(wrong_type_value)
    return ev


arbitrary_event = st.one_of(
    st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    st.sampled_from([{}, {"Records": []}, {"Records": [{}]}, {"version": "2.0"}, {"httpMethod": "GET"},
                     {"requestContext": {}}, {"version": "v1"}, {"source": "aws.events"}]),
)
