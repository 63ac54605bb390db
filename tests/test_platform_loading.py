"""Pay for what you use, per cloud (issue 14): on a detected cloud only its format module is loaded;
handler(platform=...) loads only that platform's; a package without the other clouds' modules works."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

from koatty_lite import serverless

CLOUD_ENV = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV", "FC_FUNCTION_NAME", "SCF_FUNCTIONNAME",
             "TENCENTCLOUD_RUNENV")
CLOUDS = ["koatty_lite.serverless.aws", "koatty_lite.serverless.alicloud", "koatty_lite.serverless.tencent"]

# One GET per cloud's HTTP trigger (the smallest event each format claims).
EVENTS = {
    "aws": {"version": "2.0", "rawPath": "/hello", "rawQueryString": "", "headers": {"host": "x"},
            "requestContext": {"http": {"method": "GET", "path": "/hello", "sourceIp": "192.0.2.1"}}},
    "alicloud": {"version": "v1", "rawPath": "/hello", "rawQueryString": "", "headers": {"host": "x"},
                 "requestContext": {"http": {"method": "GET", "path": "/hello", "sourceIp": "192.0.2.1"}}},
    "tencent": {"httpMethod": "GET", "path": "/hello", "headers": {"host": "x"}, "queryString": {},
                "requestContext": {"serviceId": "service-1", "path": "/hello", "httpMethod": "GET",
                                   "stage": "release", "sourceIp": "192.0.2.1"}},
    # An Alibaba API Gateway -> FC event whose client sent a Host of an SCF function URL's domain
    "fc-apigw-forged-host": {"path": "/hello", "httpMethod": "GET", "headers": {"Host": "1-2-ap-guangzhou.scf.tencentcs.com"},
                             "queryParameters": {}, "pathParameters": {}, "body": "", "isBase64Encoded": False},
}

APP = """
import json as _j, sys
sys.path.insert(0, %(root)r)
from koatty_lite import Controller, GetMapping, Koatty, handler
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        return {'hello': 'world'}
class App(Koatty):
    components = [C]
h = handler(App%(kwargs)s)
r = h(_j.loads(%(event)r), None)
print(_j.dumps([r['statusCode'], sorted(m for m in %(clouds)r if m in sys.modules)]))
"""


def run_app(env: dict, event: str = "aws", kwargs: str = "", root: str = ROOT) -> list:
    full = {k: v for k, v in os.environ.items() if k not in CLOUD_ENV}
    full.update(env)
    code = APP % {"root": root, "kwargs": kwargs, "event": json.dumps(EVENTS[event]), "clouds": CLOUDS}
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, env=full,
                         cwd=root, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("env, event, loaded", [
    ({"AWS_LAMBDA_FUNCTION_NAME": "fn"}, "aws", ["aws"]),
    ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}, "aws", ["aws"]),
    ({"FC_FUNCTION_NAME": "fn"}, "alicloud", ["alicloud"]),
    ({"SCF_FUNCTIONNAME": "fn"}, "tencent", ["tencent"]),
    ({"TENCENTCLOUD_RUNENV": "SCF"}, "tencent", ["tencent"]),
    ({}, "tencent", ["alicloud", "aws", "tencent"]),  # local, tests, CLI: every cloud, as before
    ({"AWS_EXECUTION_ENV": "CloudShell"}, "alicloud", ["alicloud", "aws", "tencent"]),  # not a Lambda runtime
])
def test_a_detected_cloud_loads_only_its_formats(env, event, loaded):
    """Boot through handler() and answer one GET: the clouds' format modules loaded are the detected one's."""
    assert run_app(env, event) == [200, ["koatty_lite.serverless." + p for p in loaded]]


@pytest.mark.parametrize("platform", ["aws", "alicloud", "tencent"])
def test_handler_for_one_platform_loads_only_its_formats(platform):
    assert run_app({}, platform, f", platform={platform!r}") == [200, ["koatty_lite.serverless." + platform]]


def test_an_explicit_platform_beside_a_detected_cloud_loads_it():
    """On Lambda, handler(platform="tencent") still serves Tencent events (its module loaded on demand)."""
    assert run_app({"AWS_LAMBDA_FUNCTION_NAME": "fn"}, "tencent", ", platform='tencent'") == [
        200, ["koatty_lite.serverless.tencent"]]


@pytest.mark.parametrize("env", [{"AWS_LAMBDA_FUNCTION_NAME": "fn"}, {}])
def test_an_aws_app_works_from_a_package_without_the_other_clouds(tmp_path, env):
    """The slim build for AWS ships neither alicloud.py nor tencent.py: nothing imports them."""
    shutil.copytree(os.path.join(ROOT, "koatty_lite"), tmp_path / "koatty_lite",
                    ignore=shutil.ignore_patterns("__pycache__", "cli"))
    for name in ("alicloud.py", "tencent.py"):
        os.remove(tmp_path / "koatty_lite" / "serverless" / name)
    assert run_app(env, "aws", root=str(tmp_path)) == [200, ["koatty_lite.serverless.aws"]]


def test_a_platform_missing_from_the_package_is_a_clear_error(tmp_path):
    shutil.copytree(os.path.join(ROOT, "koatty_lite"), tmp_path / "koatty_lite",
                    ignore=shutil.ignore_patterns("__pycache__", "cli"))
    os.remove(tmp_path / "koatty_lite" / "serverless" / "tencent.py")
    code = ("import sys; sys.path.insert(0, %r)\nfrom koatty_lite import serverless\n"
            "try:\n    serverless.formats_for('tencent')\nexcept ValueError as exc:\n    print(exc)\n") % str(tmp_path)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "platform must be one of 'auto', 'aws', 'alicloud', not 'tencent'"


def test_clouds_loaded_late_keep_the_detection_order():
    """handler(platform="tencent") first, "auto" later: FORMATS holds the built-in order all the same."""
    code = ("import sys, json; sys.path.insert(0, %r)\nfrom koatty_lite import serverless\n"
            "serverless.formats_for('tencent'); serverless.formats_for('alicloud')\n"
            "print(json.dumps([f.platform for f in serverless.FORMATS]))\n") % ROOT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k not in CLOUD_ENV})
    order = json.loads(out.stdout)
    assert order == sorted(order, key=serverless.BUILTIN_PLATFORMS.index)
    assert order == [f.platform for f in serverless.FORMATS if f.platform in serverless.BUILTIN_PLATFORMS]


@pytest.mark.parametrize("env, cloud", [
    ({}, None), ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, "aws"), ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"}, "aws"),
    ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, None), ({"FC_FUNCTION_NAME": "f"}, "alicloud"),
    ({"SCF_FUNCTIONNAME": "f"}, "tencent"), ({"TENCENTCLOUD_RUNENV": "SCF"}, "tencent"),
    ({"TENCENTCLOUD_RUNENV": "CBR"}, None), ({"FC_FUNCTION_NAME": "f", "SCF_FUNCTIONNAME": "f"}, "alicloud"),
])
def test_running_on(env, cloud):
    assert serverless.running_on(env) == cloud


def test_two_threads_loading_a_cloud_at_once_both_see_its_formats():
    """formats_for() from two threads at once, first use: the second waits for the cloud's registration
    (it saw the cloud as loaded, and no formats, while the first was still importing it)."""
    code = """
import json, threading
from koatty_lite import serverless
barrier, seen = threading.Barrier(4), []
def ask():
    barrier.wait()
    try:
        seen.append(len(serverless.formats_for("aws")))
    except ValueError as exc:
        seen.append(str(exc)[:40])
threads = [threading.Thread(target=ask) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps(seen))
"""
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                             env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_"))})
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == [6, 6, 6, 6]


@pytest.mark.parametrize("env, kwargs", [({"FC_FUNCTION_NAME": "fn"}, ""), ({}, ", platform='alicloud'")])
def test_on_fc_a_client_s_host_header_does_not_turn_an_api_gateway_event_away(env, kwargs):
    """On FC (or platform='alicloud') no SCF format is there to claim a function-URL Host, so an API Gateway
    event keeps its route whatever Host its client sent (it was an UnknownEventError: a header the client
    chooses decided the routing). Off any cloud, every cloud loaded, the Host still tells SCF URL events apart."""
    assert run_app(env, "fc-apigw-forged-host", kwargs) == [200, ["koatty_lite.serverless.alicloud"]]
