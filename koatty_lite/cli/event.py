"""`python -m koatty_lite event KIND [--method GET] [--path /] [--query a=1] [--header k:v] [--body TEXT|@file]... [--base64] [--name N]`.

Prints a well-formed sample event. Every HTTP kind is built from one `HttpRequest` by a per-format
builder function; `start-api` reuses the same builders for each real request it receives. The kinds
are one registry of named records (`BUILDERS`, `register_event`): a cloud added with
`koatty_lite.serverless.register_format` gets its `event`, `invoke` and `start-api` support there.
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import quote, unquote, unquote_plus, urlencode

from koatty_lite.cli._common import CliError, add_import_option, import_plugins, make_parser, run_cli

__all__ = ["HttpRequest", "HTTP_BUILDERS", "OTHER_BUILDERS", "KINDS", "PLATFORM", "BUILDERS", "EventBuilder",
           "register_event", "unregister_event", "build_event", "main"]

ACCOUNT = "123456789012"
REGION = "us-east-1"


class HttpRequest:
    """One HTTP request, independent of any platform: the input of every HTTP event builder."""

    def __init__(self, method="GET", path="/", raw_query="", headers=None, body=b"", base64_body=None,
                 source_ip="127.0.0.1", name=None):
        self.method = method.upper()
        self.path = path or "/"  # raw (percent-encoded) path, as on the wire
        self.raw_query = raw_query  # raw query string, as on the wire
        self.headers = list(headers or [])  # [(name, value)], repeated names allowed
        self.body = body if isinstance(body, bytes) else str(body).encode("utf-8")
        if base64_body is None:
            # Why: platforms base64-encode bodies that are not text; do the same for non-UTF-8 bytes.
            try:
                self.body.decode("utf-8")
                base64_body = False
            except UnicodeDecodeError:
                base64_body = True
        self.base64 = bool(base64_body)
        self.source_ip = source_ip
        self.name = name  # the rule / trigger name of a timer event (None: the default)

    # --- views the builders share -------------------------------------------------------------
    def header(self, name, default=None):
        """The last value of a header (case-insensitive)."""
        name = name.lower()
        for k, v in reversed(self.headers):
            if k.lower() == name:
                return v
        return default

    def header_lists(self, lower=True, skip=()):
        """{name: [values]} in first-seen order."""
        out = {}
        for k, v in self.headers:
            if k.lower() in skip:
                continue
            out.setdefault(k.lower() if lower else k, []).append(v)
        return out

    def joined_headers(self, lower=True, skip=()):
        """{name: "v1,v2"}: how HTTP API v2, Function URLs and FC 3.0 deliver repeated headers."""
        return {k: ",".join(v) for k, v in self.header_lists(lower, skip).items()}

    def last_headers(self, lower=True):
        """{name: last value}: REST v1 / ALB single-value maps keep the last value."""
        return {k: v[-1] for k, v in self.header_lists(lower).items()}

    def query_lists(self, decode=True):
        """{key: [values]}; values form-decoded unless decode=False (ALB does not decode)."""
        out = {}
        for part in self.raw_query.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            if decode:
                k, v = unquote_plus(k), unquote_plus(v)
            out.setdefault(k, []).append(v)
        return out

    def cookies(self):
        """The Cookie header split into `name=value` items."""
        out = []
        for k, v in self.headers:
            if k.lower() == "cookie":
                out.extend(c.strip() for c in v.split(";") if c.strip())
        return out

    def body_text(self):
        """The body as the event carries it: text, or base64 text when `self.base64`."""
        if self.base64:
            return base64.b64encode(self.body).decode("ascii")
        return self.body.decode("utf-8")


def _now():
    t = time.time()
    return t, time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))


def _user_agent(req):
    return req.header("user-agent", "")


# --- AWS -------------------------------------------------------------------------------------------
def build_apigw_v1(req):
    """API Gateway REST API, Lambda proxy (payload 1.0)."""
    t, ts = _now()
    mq = req.query_lists()
    return {
        "resource": "/{proxy+}",
        "path": req.path,  # Why: REST v1 does not percent-decode `path` (see the recorded AWS events)
        "httpMethod": req.method,
        "headers": req.last_headers(lower=False) or None,
        "multiValueHeaders": req.header_lists(lower=False) or None,
        "queryStringParameters": {k: v[-1] for k, v in mq.items()} or None,
        "multiValueQueryStringParameters": mq or None,
        "pathParameters": {"proxy": req.path.lstrip("/")} if req.path != "/" else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123", "resourcePath": "/{proxy+}", "httpMethod": req.method,
            "extendedRequestId": uuid.uuid4().hex[:16], "requestTime": ts, "path": "/prod" + req.path,
            "accountId": ACCOUNT, "protocol": "HTTP/1.1", "stage": "prod", "domainPrefix": "abc123",
            "requestTimeEpoch": int(t * 1000), "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": req.source_ip, "userAgent": _user_agent(req)},
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "apiId": "abc123",
        },
        "body": req.body_text() if req.body else None,
        "isBase64Encoded": req.base64,
    }


def _v2(req, domain, account, url=False):
    t, ts = _now()
    # Why: HTTP APIs move cookies into `cookies`; Function URLs carry them in both places.
    headers = req.joined_headers(skip=() if url else ("cookie",))
    ev = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": req.path,
        "rawQueryString": req.raw_query,
    }
    cookies = req.cookies()
    if cookies:
        ev["cookies"] = cookies
    ev["headers"] = headers
    q = req.query_lists()
    if q:
        ev["queryStringParameters"] = {k: ",".join(v) for k, v in q.items()}
    ev["requestContext"] = {
        "accountId": account, "apiId": domain.split(".")[0], "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {"method": req.method, "path": req.path, "protocol": "HTTP/1.1",
                 "sourceIp": req.source_ip, "userAgent": _user_agent(req)},
        "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
        "time": ts, "timeEpoch": int(t * 1000),
    }
    if req.body:  # Why: real v2 events have no `body` key when the request has none
        ev["body"] = req.body_text()
    ev["isBase64Encoded"] = req.base64
    return ev


def build_apigw_v2(req):
    """API Gateway HTTP API (payload 2.0)."""
    return _v2(req, "abc123.execute-api.us-east-1.amazonaws.com", ACCOUNT)


def build_function_url(req):
    """Lambda Function URL (payload 2.0 shape)."""
    return _v2(req, "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws", "anonymous", url=True)


_TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/lambda-target/abcdef0123456789"


def build_alb(req, multi=False):
    """Application Load Balancer target (single-value headers unless multi)."""
    q = req.query_lists(decode=False)  # Why: ALB does not URL-decode query values
    ev = {"requestContext": {"elb": {"targetGroupArn": _TG}}, "httpMethod": req.method, "path": req.path}
    if multi:
        ev["multiValueQueryStringParameters"] = q
        ev["multiValueHeaders"] = req.header_lists()
    else:
        ev["queryStringParameters"] = {k: v[-1] for k, v in q.items()}
        ev["headers"] = req.last_headers()
    ev["body"] = req.body_text()  # Why: ALB sends "" (not null) for an empty body
    ev["isBase64Encoded"] = req.base64
    return ev


def build_alb_multi(req):
    """ALB target group with lambda.multi_value_headers.enabled=true."""
    return build_alb(req, multi=True)


def build_lattice_v1(req):
    """VPC Lattice target, event structure V1 (snake_case)."""
    return {
        "raw_path": req.path + ("?" + req.raw_query if req.raw_query else ""),
        "method": req.method,
        "headers": req.joined_headers(),
        "query_string_parameters": {k: ",".join(v) for k, v in req.query_lists().items()},
        "body": req.body_text(),
        "is_base64_encoded": req.base64,
    }


def build_lattice_v2(req):
    """VPC Lattice target, event structure V2 (every header/query value an array)."""
    t = time.time()
    arn = f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}"
    return {
        "version": "2.0",
        "path": req.path,
        "method": req.method,
        "headers": req.header_lists(),
        "queryStringParameters": req.query_lists(),
        "body": req.body_text(),
        "isBase64Encoded": req.base64,
        "requestContext": {
            "serviceNetworkArn": f"{arn}:servicenetwork/sn-0bf3f2882e9cc805a",
            "serviceArn": f"{arn}:service/svc-0a40eebed65f8d69c",
            "targetGroupArn": f"{arn}:targetgroup/tg-6d0ecf831eec9f09",
            "identity": {"sourceVpcArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0b8276c84697e7339", "type": "NONE"},
            "region": REGION,
            "timeEpoch": str(int(t * 1_000_000)),
        },
    }


# --- Alibaba Cloud FC --------------------------------------------------------------------------------
def build_fc3(req):
    """FC 3.0 HTTP trigger -> event function (the handler receives this JSON as bytes)."""
    t = time.time()
    return {
        "version": "v1",
        "rawPath": req.path,
        "body": req.body_text(),
        "isBase64Encoded": req.base64,
        "headers": req.joined_headers(lower=False),
        "queryParameters": {k: ",".join(v) for k, v in req.query_lists().items()},
        "requestContext": {
            "accountId": "1234567890",
            "domainName": "koatty-lite-abc.cn-hangzhou.fcapp.run",
            "domainPrefix": "koatty-lite-abc",
            # Why: FC gives rawPath URL-encoded and http.path decoded.
            "http": {"method": req.method, "path": unquote(req.path), "protocol": "HTTP/1.1",
                     "sourceIp": req.source_ip, "userAgent": _user_agent(req)},
            "requestId": "1-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:24],
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
            "timeEpoch": str(int(t * 1000)),
        },
    }


def build_fc_apigw(req):
    """Alibaba API Gateway -> FC event function."""
    return {
        "path": unquote(req.path),
        "httpMethod": req.method,
        "headers": req.last_headers(lower=False),
        "queryParameters": {k: v[-1] for k, v in req.query_lists().items()},
        "pathParameters": {},
        "body": req.body_text(),
        "isBase64Encoded": req.base64,
    }


# --- Tencent SCF --------------------------------------------------------------------------------------
def _scf_query(req):
    # Why: SCF `queryString` uses a string, an array for a repeated key and `true` for a bare flag.
    out = {}
    for part in req.raw_query.split("&"):
        if not part:
            continue
        k, eq, v = part.partition("=")
        k = unquote_plus(k)
        val = unquote_plus(v) if eq else True
        if k in out:
            prev = out[k]
            out[k] = (prev if isinstance(prev, list) else [prev]) + [val]
        else:
            out[k] = val
    return out


def build_scf(req):
    """Tencent SCF API Gateway trigger (event function)."""
    rid = str(uuid.uuid4())
    headers = req.last_headers()
    headers.setdefault("x-api-requestid", rid.replace("-", ""))
    headers.setdefault("requestsource", "APIGW")
    headers.setdefault("x-api-scheme", "https")
    ev = {
        "requestContext": {"serviceId": "service-abc123", "path": "/", "httpMethod": "ANY", "requestId": rid,
                           "identity": {}, "sourceIp": req.source_ip, "stage": "release"},
        "headers": headers,
        "pathParameters": {},
        "queryStringParameters": {},
        "headerParameters": {},
        "stageVariables": {"stage": "release"},
        "path": unquote(req.path),
        "queryString": _scf_query(req),
        "httpMethod": req.method,
        "isBase64Encoded": req.base64,
    }
    if req.body:  # Why: SCF sends no `body` key on a bodiless request
        ev["body"] = req.body_text()
    return ev


def build_scf_url(req):
    """Tencent SCF function URL (event function)."""
    headers = req.last_headers()
    headers["x-scf-remote-addr"] = req.source_ip  # Why: the platform sets it (over any client value)
    ev = {"body": req.body_text(), "headers": headers, "httpMethod": req.method,
          "path": unquote(req.path), "queryString": _scf_query(req)}
    if req.base64:
        ev["isBase64Encoded"] = True
    return ev


# --- non-HTTP ------------------------------------------------------------------------------------------
def _iso(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def build_schedule(req):
    """EventBridge scheduled rule."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT, "time": _iso(), "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{req.name or 'koatty-lite-schedule'}"],
            "detail": {}}


def build_fc_timer(req):
    """Alibaba FC timer trigger (payload = the configured string)."""
    return {"triggerTime": _iso(), "triggerName": req.name or "timer", "payload": req.body.decode("utf-8", "replace")}


def build_scf_timer(req):
    """Tencent SCF timer trigger (Message = the configured argument)."""
    return {"Type": "Timer", "TriggerName": req.name or "timer", "Time": _iso(),
            "Message": req.body.decode("utf-8", "replace")}


def _text(req, default):
    return req.body.decode("utf-8", "replace") if req.body else default


def build_sqs(req):
    """SQS batch of one message."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": _text(req, "Hello from SQS!"),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000)),
                       "SenderId": ACCOUNT, "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000))},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:koatty-lite-queue",
        "awsRegion": REGION,
    }]}


def build_sns(req):
    """SNS notification (note the capital E in EventSource)."""
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:koatty-lite-topic"
    return {"Records": [{
        "EventVersion": "1.0", "EventSubscriptionArn": topic + ":" + str(uuid.uuid4()), "EventSource": "aws:sns",
        "Sns": {"SignatureVersion": "1", "Timestamp": _iso(), "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE",
                "MessageId": str(uuid.uuid4()), "Message": _text(req, "Hello from SNS!"), "MessageAttributes": {},
                "Type": "Notification", "UnsubscribeUrl": "EXAMPLE", "TopicArn": topic, "Subject": "TestInvoke"},
    }]}


def build_s3(req):
    """S3 ObjectCreated:Put (the key comes from --path, URL-encoded as in real events)."""
    key = req.path.lstrip("/") or "example.txt"
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION, "eventTime": _iso(),
        "eventName": "ObjectCreated:Put", "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": req.source_ip}, "responseElements": {},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "koatty-lite",
               "bucket": {"name": "koatty-lite-bucket", "ownerIdentity": {"principalId": "EXAMPLE"},
                          "arn": "arn:aws:s3:::koatty-lite-bucket"},
               "object": {"key": quote(unquote(key)), "size": len(req.body), "eTag": "0123456789abcdef0123456789abcdef",
                          "sequencer": "0A1B2C3D4E5F678901"}},
    }]}


def build_dynamodb(req):
    """DynamoDB Streams INSERT record."""
    return {"Records": [{
        "eventID": uuid.uuid4().hex, "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {"ApproximateCreationDateTime": int(time.time()), "Keys": {"Id": {"N": "101"}},
                     "NewImage": {"Id": {"N": "101"}, "Message": {"S": _text(req, "New item!")}},
                     "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/koatty-lite/stream/2026-01-01T00:00:00.000",
    }]}


def build_kinesis(req):
    """Kinesis Data Streams record (data is base64)."""
    data = req.body or b"Hello from Kinesis!"
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "1",
                    "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                    "data": base64.b64encode(data).decode("ascii"), "approximateArrivalTimestamp": time.time()},
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        "awsRegion": REGION, "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/koatty-lite",
    }]}


# --- the registry -------------------------------------------------------------------------------------
class EventBuilder(tuple):
    """One `event` kind, a named record: ``kind`` (the CLI name), ``build(req) -> event``,
    ``platform`` (the cloud that sends it: its fake context and how the event is passed), ``http``
    (an HTTP format: `start-api --format` offers it), ``to_http(result) -> (status, headers, body)``
    (how start-api turns the handler's answer into HTTP; None: the API Gateway shape)."""

    __slots__ = ()

    def __new__(cls, kind, build, platform, http, to_http=None):
        """Build the record (see the class docstring for the fields)."""
        return tuple.__new__(cls, (kind, build, platform, http, to_http))

    kind = property(lambda self: self[0], doc="the CLI kind name, e.g. 'apigw-v1'")
    build = property(lambda self: self[1], doc="build(req: HttpRequest) -> the event")
    platform = property(lambda self: self[2], doc="the cloud that sends it, e.g. 'aws'")
    http = property(lambda self: self[3], doc="True for an HTTP format (start-api)")
    to_http = property(lambda self: self[4], doc="to_http(result) -> (status, headers, body), or None")


# kind -> EventBuilder, in listing order; HTTP_BUILDERS, OTHER_BUILDERS, PLATFORM and KINDS are
# derived from it by _index() (in place, but KINDS, a tuple, is rebound).
BUILDERS = {}
HTTP_BUILDERS = {}
OTHER_BUILDERS = {}
PLATFORM = {}
KINDS = ()


def register_event(kind, build, *, platform=None, http=None, claims_as=None, to_http=None):
    """Add an `event` kind (e.g. a cloud registered with `koatty_lite.serverless.register_format`).

    `platform` defaults to the serverless registry's platform for `claims_as` (the HTTP format kind
    the event is claimed as; default `kind`), and `http` to whether that kind is an HTTP format.
    Returns the `EventBuilder`.
    """
    from koatty_lite import serverless

    if not (isinstance(kind, str) and kind):
        raise ValueError("register_event needs a kind name")
    if not callable(build):
        raise TypeError(f"register_event({kind!r}): build must be callable build(req)")
    if kind in BUILDERS:
        raise ValueError(f"event kind {kind!r} is already registered")
    serverless.load_platforms()  # why: the CLI knows every cloud, whatever the shell's variables say
    serverless_platform = serverless.KIND_PLATFORM.get(claims_as or kind)
    if http is None:
        http = serverless_platform is not None
    platform = platform or serverless_platform
    if platform is None:
        raise ValueError(f"register_event({kind!r}): give platform=, no HTTP format {claims_as or kind!r} "
                         f"is registered (koatty_lite.serverless.register_format)")
    record = BUILDERS[kind] = EventBuilder(kind, build, platform, bool(http), to_http)
    _index()
    return record


def unregister_event(kind):
    """Remove an `event` kind added by `register_event` (tests, plug-ins that unload)."""
    BUILDERS.pop(kind, None)
    _index()


def _index():
    global KINDS
    HTTP_BUILDERS.clear()
    OTHER_BUILDERS.clear()
    PLATFORM.clear()
    for b in BUILDERS.values():
        (HTTP_BUILDERS if b.http else OTHER_BUILDERS)[b.kind] = b.build
        PLATFORM[b.kind] = b.platform
    KINDS = tuple(HTTP_BUILDERS) + tuple(OTHER_BUILDERS)


# The HTTP kinds: the cloud of each comes from the serverless registry (KIND_PLATFORM).
for _kind, _build, _claims_as in (
        ("apigw-v1", build_apigw_v1, None), ("apigw-v2", build_apigw_v2, None),
        ("function-url", build_function_url, None), ("alb", build_alb, None),
        ("alb-multi", build_alb_multi, "alb"), ("lattice-v1", build_lattice_v1, None),
        ("lattice-v2", build_lattice_v2, None), ("fc3", build_fc3, None), ("fc-apigw", build_fc_apigw, None),
        ("scf", build_scf, "scf-apigw"), ("scf-url", build_scf_url, None)):
    register_event(_kind, _build, claims_as=_claims_as)
for _kind, _build, _platform in (
        ("schedule", build_schedule, "aws"), ("fc-timer", build_fc_timer, "alicloud"),
        ("scf-timer", build_scf_timer, "tencent"), ("sqs", build_sqs, "aws"), ("sns", build_sns, "aws"),
        ("s3", build_s3, "aws"), ("dynamodb", build_dynamodb, "aws"), ("kinesis", build_kinesis, "aws")):
    register_event(_kind, _build, platform=_platform, http=False)
del _kind, _build, _claims_as, _platform

# Kinds whose batch holds one record per --body, and kinds named by --name (rule / trigger name).
MULTI_RECORD = ("sqs", "sns", "dynamodb", "kinesis")
NAMED = ("schedule", "fc-timer", "scf-timer")


def build_event(kind, req=None):
    """Build the sample event of `kind` from `req` (a default GET / when None)."""
    record = BUILDERS.get(kind)
    if record is None:
        raise CliError(f"unknown event kind {kind!r}; choose one of: {', '.join(KINDS)}")
    return record.build(req or HttpRequest(headers=default_headers()))


def default_headers(body=b""):
    """The headers a curl-like client sends."""
    h = [("Host", "localhost"), ("User-Agent", "curl/8.5.0"), ("Accept", "*/*")]
    if body:
        h.append(("Content-Type", _guess_type(body)))
        h.append(("Content-Length", str(len(body))))
    return h


def _guess_type(body):
    try:
        json.loads(body)
        return "application/json"
    except ValueError:
        pass
    try:
        body.decode("utf-8")
        return "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        return "application/octet-stream"


def request_from_args(args, body_arg=None):
    """An HttpRequest from the parsed `event` options (`body_arg`: one --body value, default the first)."""
    path, _, q = args.path.partition("?")
    pairs = []
    for item in args.query:
        if "=" not in item:
            raise CliError(f"--query expects KEY=VALUE, got {item!r}")
        pairs.append(tuple(item.split("=", 1)))
    raw_query = "&".join(x for x in (q, urlencode(pairs)) if x)
    body = b""
    if body_arg is None and args.body:
        body_arg = args.body[0] if isinstance(args.body, list) else args.body
    if body_arg is not None:
        if body_arg.startswith("@"):
            try:
                with open(body_arg[1:], "rb") as fh:
                    body = fh.read()
            except OSError as exc:
                raise CliError(f"--body {body_arg}: cannot read file ({exc.strerror})") from None
        else:
            body = body_arg.encode("utf-8")
    given = []
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise CliError(f"--header expects NAME:VALUE, got {item!r}")
        given.append((name.strip(), value.strip()))
    names = {k.lower() for k, _ in given}
    headers = [h for h in default_headers(body) if h[0].lower() not in names] + given
    if not path.startswith("/"):
        path = "/" + path
    return HttpRequest(args.method, path, raw_query, headers, body, True if args.base64 else None,
                       name=getattr(args, "name", None))


def event_from_args(args):
    """The event the parsed options describe: one record per --body for the batch kinds."""
    bodies = args.body or []
    if len(bodies) > 1 and args.kind not in MULTI_RECORD:
        raise CliError(f"--body given {len(bodies)} times, but a {args.kind} event holds one body; "
                       f"several bodies make several records for: {', '.join(MULTI_RECORD)}")
    if args.name is not None and args.kind not in NAMED:
        raise CliError(f"--name names the rule or trigger of: {', '.join(NAMED)} (not {args.kind})")
    events = [build_event(args.kind, request_from_args(args, b)) for b in (bodies or [None])]
    event = events[0]
    if len(events) > 1:
        event["Records"] = [r for e in events for r in e["Records"]]
    return event


def _main(argv):
    import_plugins(argv)  # a cloud of your own, registered by a module named with --import
    p = make_parser(prog="python -m koatty_lite event", description="Print a sample platform event.")
    p.add_argument("kind", help="one of: " + ", ".join(KINDS))
    p.add_argument("--method", default="GET")
    p.add_argument("--path", default="/", help="request path, may include ?query (S3: the object key)")
    p.add_argument("--query", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="repeatable")
    p.add_argument("--body", action="append", default=[], metavar="TEXT|@FILE",
                   help="the body (sqs, sns, dynamodb, kinesis: repeatable, one record each)")
    p.add_argument("--base64", action="store_true", help="send the body base64-encoded (isBase64Encoded)")
    p.add_argument("--name", default=None, help="schedule: the rule name; fc-timer, scf-timer: the trigger name")
    add_import_option(p)
    args = p.parse_args(argv)
    if args.kind not in KINDS:
        raise CliError(f"unknown event kind {args.kind!r}; choose one of: {', '.join(KINDS)}")
    print(json.dumps(event_from_args(args), indent=2))
    return 0


def main(argv) -> int:
    """Entry point of `python -m koatty_lite event`."""
    return run_cli(_main, argv)
