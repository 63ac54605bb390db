"""`python -m koatty_lite event`: every kind prints a well-formed event of that kind."""
from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from koatty_lite.cli import event as ev

HTTP_KINDS = sorted(ev.HTTP_BUILDERS)
OTHER_KINDS = sorted(ev.OTHER_BUILDERS)
# Non-HTTP kind -> what detect_event_source names it.
SOURCE = {"schedule": "scheduled", "fc-timer": "scheduled", "scf-timer": "scheduled", "sqs": "sqs",
          "sns": "sns", "s3": "s3", "dynamodb": "dynamodb", "kinesis": "kinesis"}
# `event` kind -> the architecture's `koatty.event_kind` name where they differ.
HTTP_NAME = {"scf": "scf-apigw", "alb-multi": "alb"}


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "koatty_lite", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, input=stdin)



def build(kind, **kw):
    headers = ev.default_headers(kw.get("body", b""))
    headers += kw.pop("headers", [])
    return ev.build_event(kind, ev.HttpRequest(headers=headers, **kw))


def test_every_listed_kind_exists():
    assert set(ev.KINDS) == set(HTTP_KINDS) | set(OTHER_KINDS)
    for k in ("apigw-v1", "apigw-v2", "function-url", "alb", "alb-multi", "lattice-v1", "lattice-v2", "fc3",
              "fc-apigw", "scf", "scf-url", "schedule", "fc-timer", "scf-timer", "sqs", "sns", "s3",
              "dynamodb", "kinesis"):
        assert k in ev.KINDS


@pytest.mark.parametrize("kind", ["apigw-v2", "sqs", "fc3"], ids=str)
def test_cli_prints_json(kind):
    p = run("event", kind, "--path", "/users/1", "--query", "a=1", "--header", "X-A: b", "--body", "hi")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert isinstance(data, dict) and data


def test_v1_multi_values_and_last_wins():
    e = build("apigw-v1", method="POST", path="/users/1", raw_query="a=1&a=2&b=x+y",
              headers=[("X-T", "1"), ("X-T", "2")], body=b'{"n":1}')
    assert e["httpMethod"] == "POST" and e["path"] == "/users/1"
    assert e["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert e["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert e["multiValueHeaders"]["X-T"] == ["1", "2"] and e["headers"]["X-T"] == "2"
    assert e["body"] == '{"n":1}' and e["isBase64Encoded"] is False


def test_v2_cookies_and_joined_headers():
    e = build("apigw-v2", path="/p", raw_query="a=1&a=2", headers=[("Cookie", "s=1; t=2"), ("X-T", "1"), ("X-T", "2")])
    assert e["version"] == "2.0" and e["rawQueryString"] == "a=1&a=2"
    assert e["cookies"] == ["s=1", "t=2"] and "cookie" not in e["headers"]
    assert e["headers"]["x-t"] == "1,2" and e["queryStringParameters"] == {"a": "1,2"}
    assert "body" not in e
    url = build("function-url", headers=[("Cookie", "s=1")])
    assert url["cookies"] == ["s=1"] and url["headers"]["cookie"] == "s=1"  # both places, as AWS does


def test_base64_flag_and_binary_body():
    e = build("apigw-v2", method="POST", body=b"hello", base64_body=True)
    assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == b"hello"
    e = build("alb", method="POST", body=b"\xff\x00")
    assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == b"\xff\x00"


def test_cli_body_from_file_and_base64(tmp_path):
    f = tmp_path / "b.bin"
    f.write_bytes(b"\x01\x02")
    p = run("event", "apigw-v1", "--method", "PUT", "--body", "@" + str(f), "--base64")
    assert p.returncode == 0, p.stderr
    e = json.loads(p.stdout)
    assert e["httpMethod"] == "PUT" and base64.b64decode(e["body"]) == b"\x01\x02"


def test_alb_query_not_decoded_and_scf_query_types():
    assert build("alb-multi", raw_query="q=%3Fx&q=2")["multiValueQueryStringParameters"] == {"q": ["%3Fx", "2"]}
    assert build("scf", raw_query="a=1&b=x&b=y&flag")["queryString"] == {"a": "1", "b": ["x", "y"], "flag": True}


@pytest.mark.parametrize("kind", OTHER_KINDS, ids=str)
def test_non_http_detected(kind):
    serverless = pytest.importorskip("koatty_lite.serverless")
    detect = getattr(serverless, "detect_event_source", None)
    if detect is None:
        from koatty_lite.serverless.events import detect_event_source as detect
    assert detect(ev.build_event(kind)) == SOURCE[kind]


@pytest.mark.parametrize("kind", HTTP_KINDS, ids=str)
def test_http_detected(kind):
    serverless = pytest.importorskip("koatty_lite.serverless")
    detect_http = getattr(serverless, "detect_http", None)
    if detect_http is None:
        pytest.skip("koatty_lite.serverless.detect_http not on main yet")
    mod = {"alicloud": "alicloud", "tencent": "tencent"}.get(ev.PLATFORM[kind])
    if mod and importlib.util.find_spec("koatty_lite.serverless." + mod) is None:
        pytest.skip(f"koatty_lite.serverless.{mod} not on main yet")
    e = build(kind, method="POST", path="/users/1", raw_query="a=1", body=b'{"x":1}')
    assert detect_http(e) == HTTP_NAME.get(kind, kind)


@pytest.mark.parametrize("args, needle", [
    (["nope"], "unknown event kind 'nope'"),
    (["apigw-v2", "--header", "novalue"], "--header expects NAME:VALUE"),
    (["apigw-v2", "--query", "novalue"], "--query expects KEY=VALUE"),
    (["apigw-v2", "--body", "@/no/such/file"], "cannot read file"),
], ids=["unknown-kind", "bad-header", "bad-query", "missing-body-file"])
def test_errors_one_line(args, needle):
    p = run("event", *args)
    assert p.returncode == 2
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1 and p.stdout == ""
