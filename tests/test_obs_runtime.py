"""Logs and metrics under the real AWS Lambda runtime client (awslambdaric) and a local Runtime API."""
from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("awslambdaric")

from koatty_lite.cli.event import HttpRequest, build_event, default_headers  # noqa: E402
from tests.lambda_runtime_emulator import RuntimeApiEmulator  # noqa: E402
from test_runtime_client import start_runtime, stop  # noqa: E402

XRAY_ROOT = "5759e988bd862e3fe1be46a994272793"  # the emulator's Lambda-Runtime-Trace-Id


def run(env, paths):
    """Invoke tests.obs_app.handler once per path under awslambdaric; (responses, output lines)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with RuntimeApiEmulator() as emu:
            proc = start_runtime("tests.obs_app.handler", emu.address)
            try:
                results = [emu.invoke(build_event("apigw-v2", HttpRequest(path=p, headers=default_headers())))
                           for p in paths]
            finally:
                out = stop(proc)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return results, out.splitlines()


def test_info_lines_reach_the_log_under_the_runtime_client():
    # Issue 13.6: the runtime client's root logger is at WARNING; INFO lines of the app must not vanish.
    results, lines = run({"OBS_CONFIG": "{}"}, ["/users/5"])
    assert results[0][0] == "response" and results[0][1]["statusCode"] == 200
    assert [line for line in lines if "looked up" in line and "[INFO]" in line], lines


def test_json_logs_and_emf_under_the_runtime_client():
    config = {"metrics": {"namespace": "Shop", "cold_start": True, "latency": True}}
    results, lines = run({"AWS_LAMBDA_LOG_FORMAT": "JSON", "OBS_CONFIG": json.dumps(config)},
                         ["/users/5", "/users/6", "/boom"])
    assert [r[1]["statusCode"] for r in results] == [200, 200, 500]
    objects = []
    for line in lines:
        if line.startswith("{"):
            objects.append(json.loads(line))
    ours = [o for o in objects if o.get("logger") == "koatty"]
    emf = [o for o in objects if "_aws" in o]
    boot = [o for o in ours if o["message"] == "App ready: 3 routes"]
    assert len(boot) == 1 and boot[0]["cold_start"] is True and "requestId" not in boot[0]
    looked = [o for o in ours if o["message"] == "looked up"]
    assert len(looked) == 2  # once each: the runtime's own root handler does not repeat them
    for o in looked:
        assert o["traceId"] == XRAY_ROOT and o["functionName"] == "koatty-lite-test"
        assert o["functionVersion"] == "$LATEST" and o["route"] == "/users/:id" and o["requestId"]
    assert [o["cold_start"] for o in looked] == [True, False]
    assert looked[0]["requestId"] != looked[1]["requestId"]
    requests = [o for o in ours if "status" in o]
    assert [(o["method"], o["route"], o["status"]) for o in requests] == [
        ("GET", "/users/:id", 200), ("GET", "/users/:id", 200), ("GET", "/boom", 500)]
    (fault,) = [o for o in ours if o["level"] == "ERROR"]
    assert "ValueError: boom on purpose" in fault["exception"]
    assert not [line for line in lines if line.startswith("Traceback")]
    assert len(emf) == 3  # one EMF document per invocation
    first = emf[0]
    assert first["Lookups"] == 1 and first["ColdStart"] == 1 and first["service"] == "koatty-lite-test"
    assert "ColdStart" not in emf[1] and emf[2]["route"] == "GET /boom" and "Lookups" not in emf[2]
    assert {d["Namespace"] for doc in emf for d in doc["_aws"]["CloudWatchMetrics"]} == {"Shop"}
