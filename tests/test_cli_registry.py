"""The CLI's kinds and platforms come from the registries: a fake cloud registered from outside the
package gets its `event` kind, `invoke` (auto-detected platform, a fake context) and `start-api`."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest

import acme_cloud
from koatty_lite.cli import _common, event, invoke, start_api
from koatty_lite.cli.event import HttpRequest


@pytest.fixture
def acme():
    unregister = acme_cloud.register()
    yield
    unregister()


def test_the_built_in_lists_are_derived_from_the_registries():
    assert _common.PLATFORMS == ("aws", "alicloud", "tencent")
    assert event.PLATFORM["scf"] == "tencent" and event.PLATFORM["alb-multi"] == "aws"
    assert event.PLATFORM["fc3"] == "alicloud" and event.PLATFORM["fc-timer"] == "alicloud"
    assert list(event.HTTP_BUILDERS) == ["apigw-v1", "apigw-v2", "function-url", "alb", "alb-multi",
                                         "lattice-v1", "lattice-v2", "fc3", "fc-apigw", "scf", "scf-url"]
    assert event.KINDS == tuple(event.HTTP_BUILDERS) + tuple(event.OTHER_BUILDERS)
    assert start_api.FORMATS == tuple(event.HTTP_BUILDERS)


def test_a_registered_cloud_is_a_platform_and_an_event_kind(acme):
    assert "acme" in _common.PLATFORMS and "acme-http" in event.KINDS
    record = event.BUILDERS["acme-http"]
    assert (record.kind, record.platform, record.http) == ("acme-http", "acme", True)
    assert event.PLATFORM["acme-http"] == "acme" and "acme-http" in start_api.FORMATS
    built = event.build_event("acme-http", HttpRequest("POST", "/where", "a=1"))
    assert built == {"acme": 1, "verb": "POST", "where": "/where", "q": "a=1", "id": "acme-req-1"}
    assert _common.platform_of_event(built) == "acme"
    ctx = _common.fake_context("acme")
    assert ctx.request_id and ctx.get_remaining_time_in_millis() > 0


def test_unregistered_it_is_gone(acme):
    event.unregister_event("acme-http")
    assert "acme-http" not in event.KINDS and "acme-http" not in event.PLATFORM
    event.register_event("acme-http", acme_cloud.build, to_http=acme_cloud.to_http)  # the fixture removes it


def test_the_event_command_prints_it(acme, capsys):
    assert event.main(["acme-http", "--path", "/where", "--query", "x=1"]) == 0
    assert json.loads(capsys.readouterr().out)["q"] == "x=1"


def test_invoke_calls_the_handler_with_the_clouds_context(acme, tmp_path, capsys):
    built = event.build_event("acme-http", HttpRequest("GET", "/where", "a=2"))
    result, ctx = invoke.call_handler(acme_cloud.handle, built)
    assert isinstance(ctx, _common.FakeContext)
    assert json.loads(result["text"]) == {"platform": "acme", "kind": "acme-http", "rid": "acme-req-1", "q": "a=2"}
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(built))
    assert invoke.main(["tests.acme_cloud:handle", "--event", str(path), "--platform", "acme"]) == 0
    assert json.loads(json.loads(capsys.readouterr().out)["text"])["platform"] == "acme"


def test_start_api_serves_it(acme):
    server = start_api.make_server(acme_cloud.handle, "acme-http", port=0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/where?z=9" % server.server_address[1]
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["q"] == "z=9"
    finally:
        server.shutdown()
        server.server_close()


def test_registration_is_checked(acme):
    with pytest.raises(ValueError, match="already registered"):
        event.register_event("acme-http", acme_cloud.build)
    with pytest.raises(ValueError, match="give platform="):
        event.register_event("nowhere-http", acme_cloud.build)
    with pytest.raises(TypeError, match="build must be callable"):
        event.register_event("x", None, platform="acme")


def test_an_unknown_platform_is_a_cli_error():
    with pytest.raises(_common.CliError, match="unknown platform 'nowhere'"):
        _common.fake_context("nowhere")


def _run(*args):
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run([sys.executable, "-m", "koatty_lite", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_from_the_shell_import_names_the_module_that_registers_the_cloud(tmp_path):
    p = _run("event", "acme-http", "--import", "tests.acme_plugin", "--path", "/where")
    assert p.returncode == 0, p.stderr
    event_file = tmp_path / "acme.json"
    event_file.write_text(p.stdout)
    p = _run("invoke", "tests.acme_cloud:handle", "--import=tests.acme_plugin", "--platform", "acme",
             "--event", str(event_file))
    assert p.returncode == 0, p.stderr
    assert json.loads(json.loads(p.stdout)["text"])["platform"] == "acme"
    p = _run("event", "acme-http")
    assert p.returncode == 2 and "unknown event kind 'acme-http'" in p.stderr
    p = _run("event", "sqs", "--import", "no_such_module_here")
    assert p.returncode == 2 and "--import no_such_module_here: ModuleNotFoundError" in p.stderr
