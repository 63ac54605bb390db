"""`python -m koatty_lite invoke`: calls a handler like the platform, prints JSON, exit status."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from koatty_lite.cli import _common, invoke
from koatty_lite.cli.event import build_event


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "koatty_lite", "invoke", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, input=stdin)


def test_invoke_from_file_prints_result_json(tmp_path):
    f = tmp_path / "e.json"
    f.write_text(json.dumps(build_event("apigw-v1")))
    p = run("tests.cli_handlers:echo", "--event", str(f))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["statusCode"] == 201
    body = json.loads(out["body"])
    assert body["event"]["httpMethod"] == "GET" and body["request_id"] and body["remaining_ms"] > 0


def test_invoke_from_stdin_and_aws_handler_string_form():
    p = run("tests.cli_handlers.echo", "--event", "-", stdin=json.dumps(build_event("sqs")))
    assert p.returncode == 0, p.stderr
    assert json.loads(json.loads(p.stdout)["body"])["event"]["Records"][0]["eventSource"] == "aws:sqs"


def test_invoke_fc3_passes_bytes_and_fc_context(tmp_path):
    f = tmp_path / "e.json"
    f.write_text(json.dumps(build_event("fc3")))
    p = run("tests.cli_handlers:echo", "--event", str(f))
    assert p.returncode == 0, p.stderr
    assert json.loads(json.loads(p.stdout)["body"])["event_was_bytes"] is True


@pytest.mark.parametrize("platform, attrs", [
    ("aws", ["aws_request_id", "function_name", "memory_limit_in_mb", "invoked_function_arn", "function_version",
             "log_group_name", "log_stream_name"]),
    ("alicloud", ["request_id", "function", "service", "region", "account_id", "credentials"]),
    ("tencent", ["request_id", "function_name", "memory_limit_in_mb", "time_limit_in_ms", "namespace"]),
], ids=["aws", "alicloud", "tencent"])
def test_fake_contexts(platform, attrs):
    ctx = _common.fake_context(platform)
    for a in attrs:
        assert getattr(ctx, a) not in (None, "")
    assert 0 < ctx.get_remaining_time_in_millis() <= 30000
    assert _common.fake_context(platform).request_id != ctx.request_id if platform != "aws" else True


@pytest.mark.parametrize("kind, platform", [
    ("apigw-v2", "aws"), ("schedule", "aws"), ("fc3", "alicloud"), ("fc-timer", "alicloud"),
    ("fc-apigw", "alicloud"), ("scf", "tencent"), ("scf-url", "tencent"), ("scf-timer", "tencent"),
], ids=str)
def test_platform_guess(kind, platform):
    assert _common.platform_of_event(build_event(kind)) == platform


def test_handler_raises_one_line_nonzero():
    p = run("tests.cli_handlers:boom")
    assert p.returncode == 1
    assert p.stderr.strip() == "ValueError: bad things" and p.stdout == ""


@pytest.mark.parametrize("args, needle", [
    (["no_such_module_xyz:handler"], "cannot import module 'no_such_module_xyz'"),
    (["tests.cli_handlers:missing"], "has no attribute 'missing'"),
    (["tests.cli_handlers:NOT_CALLABLE"], "not a callable handler"),
    (["tests.cli_broken_module:handler"], "RuntimeError: broken at import on purpose"),
    (["tests.cli_handlers:echo", "--event", "/no/such.json"], "cannot read file"),
], ids=["missing-module", "missing-attribute", "not-callable", "import-error", "missing-event-file"])
def test_usage_errors_one_line(args, needle):
    p = run(*args)
    assert p.returncode == 2
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_event_not_json(tmp_path):
    f = tmp_path / "e.json"
    f.write_text("{not json")
    p = run("tests.cli_handlers:echo", "--event", str(f))
    assert p.returncode == 2 and "not valid JSON" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_call_handler_in_process():
    from tests.cli_handlers import echo

    result, ctx = invoke.call_handler(echo, build_event("scf"))
    assert json.loads(result["body"])["request_id"] == ctx.request_id
