"""The real AWS Lambda runtime client (awslambdaric) running our handlers against a local Runtime API."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("awslambdaric")

from conftest import ROOT  # noqa: E402
from koatty_lite.cli.event import build_event  # noqa: E402
from tests.lambda_runtime_emulator import RuntimeApiEmulator  # noqa: E402

HAS_DEMO = os.path.exists(os.path.join(ROOT, "examples", "demo", "app.py")) and os.path.exists(
    os.path.join(ROOT, "koatty_lite", "entry.py"))


def start_runtime(handler, address):
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=address, AWS_LAMBDA_FUNCTION_NAME="koatty-lite-test",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("AWS_EXECUTION_ENV", None)
    return subprocess.Popen([sys.executable, "-m", "awslambdaric", handler], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stop(proc):
    # Why: the runtime client never exits by itself and ignores SIGTERM outside AWS; kill after a grace period.
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    out = proc.stdout.read().decode("utf-8", "replace")
    proc.stdout.close()
    return out


@pytest.fixture
def runtime():
    procs = []
    with RuntimeApiEmulator() as emu:
        def start(handler):
            procs.append(start_runtime(handler, emu.address))
            return emu
        try:
            yield start
        finally:
            for p in procs:
                stop(p)


def test_echo_handler_v1_v2_schedule_and_error(runtime):
    emu = runtime("tests.cli_handlers.echo")
    kind, body = emu.invoke(build_event("apigw-v1"))
    assert kind == "response" and body["statusCode"] == 201
    inner = json.loads(body["body"])
    assert inner["event"]["httpMethod"] == "GET" and inner["request_id"] and inner["remaining_ms"] > 0
    kind, body = emu.invoke(build_event("apigw-v2"))
    assert kind == "response" and body["cookies"] == ["a=1; Path=/", "b=2; Path=/"]
    kind, body = emu.invoke(build_event("schedule"))
    assert kind == "response" and json.loads(body["body"])["event"]["detail-type"] == "Scheduled Event"


def test_handler_exception_reaches_error_endpoint(runtime):
    emu = runtime("tests.cli_handlers.boom")
    kind, body = emu.invoke(build_event("apigw-v2"))
    assert kind == "error" and body["errorType"] == "ValueError" and "bad things" in body["errorMessage"]


def test_import_failure_reaches_init_error(runtime):
    emu = runtime("tests.cli_broken_module.handler")
    err = emu.wait_init_error()
    assert err["body"]["errorType"] == "RuntimeError"
    assert "broken at import on purpose" in err["body"]["errorMessage"]


@pytest.mark.skipif(not HAS_DEMO, reason="examples/demo/app.py or koatty_lite/entry.py not on main yet")
def test_aws_example_in_the_real_runtime(runtime):
    emu = runtime("examples.aws.handler.handler")
    kind, v1 = emu.invoke(build_event("apigw-v1"))
    assert kind == "response", v1
    assert isinstance(v1["statusCode"], int) and 200 <= v1["statusCode"] < 500
    assert "multiValueHeaders" in v1 or "headers" in v1
    kind, v2 = emu.invoke(build_event("apigw-v2"))
    assert kind == "response", v2
    assert v2["statusCode"] == v1["statusCode"]
    kind, sched = emu.invoke(build_event("schedule"))
    assert kind == "response" and sched == {"handled": "scheduled"}, sched
