"""The kinds users put in front of functions (issue 11 points 10-11): each named, routed, or caught by "*".

Fixtures: tests/fixtures/events/*.json and tests/fixtures/tencent/scf-clb-*.json, written from the
published samples named in tests/fixtures/README.md.
"""
from __future__ import annotations

import base64
import glob
import gzip
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from koatty_lite import Controller, GetMapping, Koatty, PostMapping, RequestBody, Scheduled, Service, handler
from koatty_lite.cli._common import fake_context
from koatty_lite.entry import UnhandledEventError
from koatty_lite.serverless import DETECTORS, UnknownEventError, detect_event_source, detect_http
from koatty_lite.serverless.events import KINDS

# fixture (tests/fixtures/<name>.json) -> the kind detect_event_source names and handler() routes by
NEW = {
    "events/kafka-msk": "kafka", "events/kafka-self-managed": "kafka",
    "events/mq-activemq": "mq", "events/mq-rabbitmq": "mq",
    "events/logs-subscription": "logs",
    "events/firehose-transformation": "firehose", "events/firehose-from-kinesis": "firehose",
    "events/cognito-pre-signup": "cognito", "events/cognito-custom-message": "cognito",
    "events/cloudformation-create": "cloudformation", "events/cloudformation-update": "cloudformation",
    "events/secretsmanager-rotation": "secretsmanager",
    "events/fc-mns-topic-json": "mns", "events/fc-mns-topic-json-attributes": "mns",
    "events/fc-mns-topic-stream-attributes": "mns",
    "events/fc-sls": "sls", "events/fc-tablestore": "tablestore",
    "events/fc-cdn-refreshed": "cdn", "events/fc-cdn-log-file": "cdn",
    "events/fc-cloudevents-mns-queue": "cloudevents", "events/fc-cloudevents-kafka-batch": "cloudevents",
    "events/fc-cloudevents-kafka-strings": "cloudevents",
    "events/scf-ckafka": "ckafka", "events/scf-cls": "cls", "events/scf-cmq-topic": "cmq",
}
ALL = sorted(os.path.relpath(p, FIXTURES)[:-5].replace(os.sep, "/")
             for p in glob.glob(os.path.join(FIXTURES, "*", "*.json")))


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


@Service()
class Jobs:
    @Scheduled("rate(1 hour)", name="nightly")
    def nightly(self):
        return "ran nightly"


@Controller("/")
class Orders:
    @PostMapping("/api/orders")
    def create(self, body=RequestBody()):
        self.ctx.status = 201
        self.ctx.set("X-Tag", "a")
        self.ctx.append("X-Tag", "b")
        return {"got": body, "method": self.ctx.method, "query": self.ctx.query, "ip": self.ctx.ip,
                "kind": self.ctx.event_kind}

    @GetMapping("/")
    def root(self):
        return {"root": True, "method": self.ctx.method}


class KindsApp(Koatty):
    components = [Jobs, Orders]


def claims(event):
    """Every HTTP detector and every new-kind record that claims the event."""
    if type(event) is list:  # only a CloudEvents batch is claimed as a list
        from koatty_lite.serverless.events import _batch_kind

        return [k for k in [_batch_kind(event)] if k]
    return [r[0] for r in DETECTORS if r[2](event)] + [k.name for k in KINDS if k.detect(event)]


# -- detection: one truth, one claimant ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NEW), ids=str)
def test_each_new_fixture_is_named_by_detect_event_source(name):
    assert detect_event_source(load(name)) == NEW[name]


@pytest.mark.parametrize("name", ALL, ids=str)
def test_no_fixture_is_claimed_twice_and_new_kinds_never_take_an_http_event(name):
    event = load(name)
    found = claims(event)
    assert len(found) <= 1, found
    if name.split("/")[0] in ("aws", "alicloud", "tencent"):  # HTTP fixtures: an HTTP kind, never a new one
        assert found and found[0] in {r[0] for r in DETECTORS}
        assert detect_event_source(event) == "http"
    elif name in NEW and NEW[name] in {k.name for k in KINDS}:  # a new kind: its record alone claims it, no HTTP detector
        assert found == [NEW[name]] and detect_http(event) is None
    elif found:
        assert detect_event_source(event) == found[0]


@pytest.mark.parametrize("name", sorted(NEW), ids=str)
def test_each_new_kind_reaches_its_handler(name):
    kind = NEW[name]
    seen = []
    fn = handler(KindsApp, event_handlers={kind: lambda e, c, a: seen.append((e, a)) or {"kind": kind}})
    event = load(name)
    assert fn(event, fake_context("aws")) == {"kind": kind}
    assert seen[0][0] == event and isinstance(seen[0][1], KindsApp)
    # FC and SCF hand the event over as JSON bytes: the same route
    assert fn(json.dumps(event).encode(), fake_context("alicloud")) == {"kind": kind}
    with pytest.raises(UnhandledEventError, match="no handler for %r" % kind):
        handler(KindsApp)(event, None)


def test_cognito_handler_returns_the_event_it_was_given():
    def pre_signup(event, context, app):
        event["response"]["autoConfirmUser"] = True
        return event

    out = handler(KindsApp, event_handlers={"cognito": pre_signup})(load("events/cognito-pre-signup"), None)
    assert out["response"]["autoConfirmUser"] is True and out["userPoolId"] == "eu-west-1_AbCdEfGhI"


def test_a_list_that_is_not_a_cloudevents_batch_stays_unknown():
    for event in ([1, 2], [], ["not json"], ['{"a": 1}'], [{"id": "x"}], ['{"id":' * 50_000]):
        with pytest.raises(UnknownEventError):
            detect_event_source(event)


# -- the fallback "*" --------------------------------------------------------------------------------

def star(event, context, app):
    return {"star": event, "app": type(app).__name__}


@pytest.mark.parametrize("event", [load("events/unknown"), {"sessionState": {"intent": {"name": "Book"}}},
                                   [1, 2]], ids=["unknown", "lex-like", "list"])
def test_star_receives_what_no_adapter_and_no_kind_claims(event):
    assert handler(KindsApp, event_handlers={"*": star})(event, None) == {"star": event, "app": "KindsApp"}
    with pytest.raises(UnknownEventError):
        handler(KindsApp)(event, None)


def test_star_receives_an_event_that_is_not_json_as_it_came():
    # An MNS topic message in STREAM format without attributes is the bare message text.
    fn = handler(KindsApp, event_handlers={"*": star})
    assert fn(b"hello topic", None)["star"] == b"hello topic"
    with pytest.raises(UnknownEventError, match="not valid JSON"):
        handler(KindsApp)(b"hello topic", None)


def test_star_receives_a_known_kind_without_a_handler_of_its_own():
    fn = handler(KindsApp, event_handlers={"*": star, "sqs": lambda e, c, a: []})
    sns = load("events/sns")
    assert fn(sns, None)["star"] == sns
    assert fn(load("events/sqs"), None) == {"batchItemFailures": []}  # its own handler first


def test_star_comes_after_scheduled_tasks_and_never_sees_http():
    fn = handler(KindsApp, event_handlers={"*": star})
    timer = {"Type": "Timer", "TriggerName": "nightly", "Time": "2026-01-01T00:00:00Z", "Message": ""}
    assert fn(timer, None) == "ran nightly"
    assert fn({"task": "nightly"}, None) == "ran nightly"
    answer = fn(load("tencent/scf-clb-post"), None)
    assert answer["statusCode"] == 201


def test_star_failure_is_logged_with_the_request_id_and_raised(caplog):
    def broken(event, context, app):
        raise RuntimeError("boom")

    ctx = fake_context("aws")
    with pytest.raises(RuntimeError, match="boom"):
        handler(KindsApp, event_handlers={"*": broken})(load("events/unknown"), ctx)
    record = [r for r in caplog.records if "event handler '*' failed" in r.getMessage() and r.exc_info
              and r.request_id == ctx.aws_request_id]
    assert record and record[0].exc_info[1].__context__ is None  # not chained to an UnknownEventError


def test_star_must_be_callable():
    with pytest.raises(TypeError, match=r"event_handlers\['\*'\]"):
        handler(KindsApp, event_handlers={"*": "nope"})


# -- decode_awslogs / decode_clslogs ----------------------------------------------------------------

def test_decode_awslogs_returns_the_subscription_payload():
    from koatty_lite.serverless import decode_awslogs

    data = decode_awslogs(load("events/logs-subscription"))
    assert data["messageType"] == "DATA_MESSAGE" and data["logGroup"] == "/aws/lambda/orders"
    assert [e["message"] for e in data["logEvents"]] == ["[ERROR] order 42 failed", "[ERROR] order 43 failed"]


def test_decode_clslogs_returns_the_records():
    from koatty_lite.serverless import decode_clslogs

    data = decode_clslogs(load("events/scf-cls"))
    assert data["topic_name"] == "nginx-access" and len(data["records"]) == 2


def _b64(raw):
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("event,message", [
    ({"awslogs": {"data": "%%%"}}, "not valid base64"),
    ({"awslogs": {"data": ""}}, "truncated"),
    ({"awslogs": {"data": "ü"}}, "not valid base64"),
    ({"awslogs": {"data": _b64(b"plain text")}}, "not gzip"),
    ({"awslogs": {"data": _b64(gzip.compress(b"not json"))}}, "does not hold a JSON document"),
    ({"awslogs": {"data": _b64(gzip.compress(b"[1, 2]"))}}, "does not hold a JSON object"),
    ({"awslogs": {"data": _b64(gzip.compress(b"\xff\xfe"))}}, "does not hold a JSON document"),
    ({"awslogs": {"data": _b64(gzip.compress(b'{"a": 1}')[:-12])}}, "truncated"),
    ({"awslogs": {"data": _b64(gzip.compress(b"[" * 200_000))}}, "does not hold a JSON document"),
    ({"awslogs": {"data": 5}}, "no awslogs.data string"),
    ({"awslogs": "x"}, "no awslogs.data string"),
    ({}, "no awslogs.data string"),
    ([], "must be a JSON object"),
], ids=["garbage", "empty-data", "non-ascii", "not-gzip", "not-json", "not-object", "not-utf8", "truncated", "nested",
        "data-int", "awslogs-str", "empty", "list"])
def test_malformed_awslogs_data_is_a_named_error(event, message):
    from koatty_lite.serverless import MalformedEventError, decode_awslogs

    with pytest.raises(MalformedEventError, match=message) as info:
        decode_awslogs(event)
    assert isinstance(info.value, ValueError)


def test_a_gzip_bomb_stops_at_the_limit(monkeypatch):
    from koatty_lite.serverless import MalformedEventError, decode, decode_awslogs

    monkeypatch.setattr(decode, "MAX_DECODED", 1000)
    bomb = {"awslogs": {"data": _b64(gzip.compress(b" " * 100_000))}}
    with pytest.raises(MalformedEventError, match="inflates beyond 1000 bytes"):
        decode_awslogs(bomb)


def test_decoders_and_new_kinds_stay_off_the_http_path():
    code = ("import sys, json; sys.path.insert(0, %r)\n"
            "import koatty_lite.serverless as s\n"
            "from koatty_lite import Koatty, handler\n"
            "class App(Koatty): components = []\n"
            "h = handler(App, event_handlers={'logs': lambda e, c, a: 1})\n"
            "h(json.load(open('tests/fixtures/tencent/scf-clb-post.json')), None)\n"
            "before = [m for m in ('koatty_lite.serverless.events', 'koatty_lite.serverless.decode', 'koatty_lite.serverless.cbor') if m in sys.modules]\n"
            "h(json.load(open('tests/fixtures/events/logs-subscription.json')), None)\n"
            "after = [m for m in ('koatty_lite.serverless.events', 'koatty_lite.serverless.decode', 'koatty_lite.serverless.cbor') if m in sys.modules]\n"
            "print(json.dumps([before, after]))\n") % ROOT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [[], ["koatty_lite.serverless.events"]]


# -- the Tencent CLB trigger: an HTTP request ---------------------------------------------------------

def test_scf_clb_end_to_end_whole_response():
    fn = handler(KindsApp)
    ctx = fake_context("tencent")
    response = fn(load("tencent/scf-clb-post"), ctx)
    body = json.loads(response.pop("body"))
    assert response == {
        "isBase64Encoded": False,
        "statusCode": 201,
        "headers": {"Content-Type": "application/json; charset=utf-8", "X-Tag": ["a", "b"],
                    "X-Request-Id": ctx.request_id, "Content-Length": response["headers"]["Content-Length"]},
    }
    assert body == {"got": {"item": "book", "qty": 2}, "method": "POST", "query": {"src": "clb", "tag": "a b"},
                    "ip": "203.0.113.9", "kind": "scf-clb"}
    assert int(response["headers"]["Content-Length"]) == len(json.dumps(body, separators=(",", ":")).encode())


def test_scf_clb_without_x_method_and_x_uri_is_get_or_post_on_the_root():
    event = load("tencent/scf-clb-post")
    for key in ("X-Method", "X-Uri"):
        del event["headers"][key]
    event["payload"] = None
    response = handler(KindsApp)(event, None)
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"root": True, "method": "GET"}


def test_scf_clb_text_and_base64_payloads():
    from koatty_lite.serverless import serve_http

    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [environ["wsgi.input"].read()]

    event = load("tencent/scf-clb-post")
    event["payload"], event["isBase64Encoded"] = "a=1&b=2", "false"
    assert base64.b64decode(serve_http(echo, event, None)["body"]) == b"a=1&b=2"
    event["payload"], event["isBase64Encoded"] = _b64(b"\x89PNG"), True
    response = serve_http(echo, event, None)
    assert response["isBase64Encoded"] is True and base64.b64decode(response["body"]) == b"\x89PNG"


@pytest.mark.parametrize("change,message", [
    ({"isBase64Encoded": "maybe"}, "isBase64Encoded must be true or false"),
    ({"isBase64Encoded": "true", "payload": "not base64!"}, "body is marked base64 but is not valid base64"),
    ({"isBase64Encoded": "true", "payload": {"a": 1}}, "payload is marked base64 but is not a string"),
    ({"headers": {"X-Method": "GE T", "X-Uri": "/"}}, "X-Method must be an HTTP method"),
    ({"headers": {"X-Uri": "api/orders"}}, "X-Uri must be a path starting with '/'"),
    ({"headers": {"X-Uri": 5}}, "headers values must be strings"),
], ids=["flag", "base64", "b64-object", "method", "uri", "header-type"])
def test_scf_clb_bad_input_is_a_400_in_its_shape(change, message):
    event = load("tencent/scf-clb-post")
    event.update(change)
    response = handler(KindsApp)(event, None)
    assert set(response) == {"isBase64Encoded", "statusCode", "headers", "body"}
    assert response["statusCode"] == 400 and response["isBase64Encoded"] is False
    body = json.loads(response["body"])  # the one error shape (docs/errors.md)
    assert (body["code"], body["message"], body["data"]) == (1, message, None)


def test_fixture_readme_names_every_fixture():
    with open(os.path.join(FIXTURES, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    for name in list(NEW) + ["tencent/scf-clb-post"]:
        assert "`%s.json`" % name in text, name


# -- Tablestore: the one trigger whose event is CBOR, not JSON -------------------------------------

def cbor(value):
    """A minimal CBOR encoder for the tests (definite lengths, shortest heads, float64)."""
    import struct

    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise OverflowError

    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())


@pytest.mark.parametrize("hexed,value", [  # RFC 8949 Appendix A
    ("00", 0), ("17", 23), ("1818", 24), ("1903e8", 1000), ("1bffffffffffffffff", 18446744073709551615),
    ("20", -1), ("3903e7", -1000), ("f93c00", 1.0), ("f93e00", 1.5), ("fa47c35000", 100000.0),
    ("fb3ff199999999999a", 1.1), ("f4", False), ("f5", True), ("f6", None), ("4401020304", b"\x01\x02\x03\x04"),
    ("6449455446", "IETF"), ("62c3bc", "ü"), ("83010203", [1, 2, 3]), ("a201020304", {1: 2, 3: 4}),
    ("a26161016162820203", {"a": 1, "b": [2, 3]}), ("c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00Z"),
    ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"), ("7f657374726561646d696e67ff", "streaming"),
    ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]), ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
])
def test_cbor_decodes_the_rfc_examples(hexed, value):
    from koatty_lite.serverless.cbor import loads

    assert loads(bytes.fromhex(hexed)) == value


@pytest.mark.parametrize("raw", [
    b"", b"\x18", b"\x1c", b"\x44\x01", b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff", b"\x81" * 100 + b"\x00", b"\x9f" * 100_000, b"\xff", b"\x01\x02",
    b"\x62\xff\xfe", b"\xa1\x81\x00\x00", b"\x5f\x61\x61\xff", b"\xbf\x61\x61\xff", b"\xf8",
], ids=["empty", "short-arg", "reserved", "short-bytes", "huge-array", "huge-map", "deep", "deep-indefinite",
        "lone-break", "trailing", "not-utf8", "list-key", "mixed-chunks", "map-key-without-value", "short-simple"])
def test_malformed_cbor_is_a_value_error(raw):
    from koatty_lite.serverless.cbor import loads

    with pytest.raises(ValueError, match="CBOR"):
        loads(raw)


def test_a_cbor_tablestore_event_reaches_its_handler_decoded():
    event = load("events/fc-tablestore")
    event["Records"][0]["PrimaryKey"].append({"ColumnName": "blob_pk", "Value": b"\x00\x01"})
    raw = cbor(event)
    assert detect_event_source(raw) == "tablestore"
    seen = []
    fn = handler(KindsApp, event_handlers={"tablestore": lambda e, c, a: seen.append(e) or "OK"})
    assert fn(raw, fake_context("alicloud")) == "OK"
    assert seen == [event]  # the decoded rows, Blob values as bytes


def test_bytes_that_are_neither_json_nor_cbor_stay_unknown_or_go_to_star():
    for raw in (b"\xa1\x61", b"\xbf", b"hello topic"):
        with pytest.raises(UnknownEventError):
            handler(KindsApp)(raw, None)
        assert handler(KindsApp, event_handlers={"*": star})(raw, None)["star"] == raw
