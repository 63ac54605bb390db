"""examples/flask_migration: an unchanged Flask app behind koatty_lite.handler, through Lambda events."""
from __future__ import annotations

import importlib.util
import json

import pytest

pytest.importorskip("flask")
pytestmark = pytest.mark.skipif(importlib.util.find_spec("koatty_lite.entry") is None,
                                reason="koatty_lite.entry (issue #4) not on main yet")

from koatty_lite.cli._common import fake_context  # noqa: E402
from koatty_lite.cli.event import HttpRequest, build_event, default_headers  # noqa: E402


def http(kind, method="GET", path="/", body=b""):
    return build_event(kind, HttpRequest(method, path, "", default_headers(body), body))


@pytest.fixture(scope="module")
def handler():
    from examples.flask_migration.handler import handler
    return handler


def test_post_sets_two_cookies_via_rest_multivalue(handler):
    resp = handler(http("apigw-v1", "POST", "/todos", b'{"title":"ship"}'), fake_context("aws"))
    assert resp["statusCode"] == 201
    cookies = {k.lower(): v for k, v in resp["multiValueHeaders"].items()}["set-cookie"]
    assert len(cookies) == 2 and cookies[0].startswith("last=") and cookies[1].startswith("seen=1")
    todo = json.loads(resp["body"])
    resp = handler(http("apigw-v2", path="/todos/%d" % todo["id"]), fake_context("aws"))
    assert resp["statusCode"] == 200 and json.loads(resp["body"])["title"] == "ship"


def test_v2_cookies_array(handler):
    resp = handler(http("apigw-v2", "POST", "/todos", b'{"title":"x"}'), fake_context("aws"))
    assert resp["statusCode"] == 201 and len(resp["cookies"]) == 2


def test_flask_errors_pass_through(handler):
    assert handler(http("function-url", path="/todos/999"), fake_context("aws"))["statusCode"] == 404
    assert handler(http("apigw-v2", "POST", "/todos", b"{}"), fake_context("aws"))["statusCode"] == 400


def test_the_readme_s_package_command_builds_a_zip_that_serves_the_flask_app(tmp_path):
    """`python -m koatty_lite package` as the README runs it (Flask comes from this environment here, not
    --requirements: no network in tests); the zip's handler serves the app with its two cookies."""
    import os
    import subprocess
    import sys
    import zipfile

    from conftest import ROOT
    from koatty_lite.cli import package

    logged = []
    here = os.path.join(ROOT, "examples", "flask_migration")
    res = package.build(here, [os.path.join(here, "handler.py")], str(tmp_path / "f.zip"), bytecode=False,
                        log=logged.append)
    assert logged == [] and "wsgi" in res.features  # the probe imported the entry (it failed before)
    with zipfile.ZipFile(res.path) as zf:
        names = zf.namelist()
        assert {"handler.py", "flask_migration/app.py"} <= set(names)
        assert "flask_migration/handler.py" not in names  # the entry ships once, at the top
        zf.extractall(tmp_path / "u")
    event = json.dumps(http("apigw-v1", "POST", "/todos", b'{"title":"ship"}'))
    script = ("import json, sys; sys.path.insert(0, sys.argv[1]); import handler; "
              "print(json.dumps(handler.handler(json.loads(sys.argv[2]), None)))")
    p = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path / "u"), event], capture_output=True,
                       text=True, timeout=60, cwd=str(tmp_path / "u"))
    assert p.returncode == 0, p.stderr
    resp = json.loads(p.stdout)
    assert resp["statusCode"] == 201 and len(resp["multiValueHeaders"]["Set-Cookie"]) == 2
