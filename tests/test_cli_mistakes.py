"""Issue 13 point 14: the CLI names each user mistake in one line (exit 2) and builds the events asked for."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request

import pytest

from conftest import ROOT
from koatty_lite.cli import start_api


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "koatty_lite", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, input=stdin)


def one_line_exit_2(p, needle):
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert needle in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("target,needle", [
    ("examples.demo.app:App", "is a Koatty app class, not a handler"),
    ("examples.demo.app.App", "is a Koatty app class, not a handler"),
    ("json:dumps", "not (event, context)"),
], ids=["app-class", "aws-form", "wrong-signature"])
def test_invoke_with_something_that_is_not_a_handler(target, needle):
    one_line_exit_2(run("invoke", target), needle)


@pytest.mark.parametrize("target,needle", [
    ("examples.demo.app:App", "is a Koatty app class, not a handler"),
    ("tests.cli_handlers:NOT_CALLABLE", "not a callable handler"),
], ids=["app-class", "not-callable"])
def test_start_api_refuses_a_target_that_is_not_a_handler_before_listening(target, needle):
    p = run("start-api", target, "--port", "0")
    one_line_exit_2(p, needle)
    assert "start-api:" not in p.stderr  # it never started listening


def test_invoke_still_runs_the_real_handler():
    p = run("invoke", "examples.aws.handler:handler")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["statusCode"] in (200, 404)


def test_event_schedule_name_reaches_the_rule_and_the_task():
    p = run("event", "schedule", "--name", "nightly-report")
    assert p.returncode == 0, p.stderr
    event = json.loads(p.stdout)
    assert event["resources"][0].endswith(":rule/nightly-report")
    from koatty_lite.entry import _schedule_names

    assert "nightly-report" in _schedule_names(event)
    for kind, key in (("fc-timer", "triggerName"), ("scf-timer", "TriggerName")):
        assert json.loads(run("event", kind, "--name", "t1").stdout)[key] == "t1"


def test_event_name_on_a_kind_without_one_is_a_mistake():
    one_line_exit_2(run("event", "sqs", "--name", "x"), "--name names the rule or trigger of")


@pytest.mark.parametrize("kind", ["sqs", "sns", "kinesis", "dynamodb"])
def test_event_batch_gets_one_record_per_body(kind):
    p = run("event", kind, "--body", "one", "--body", "two", "--body", "three")
    assert p.returncode == 0, p.stderr
    records = json.loads(p.stdout)["Records"]
    assert len(records) == 3
    if kind == "sqs":
        assert [r["body"] for r in records] == ["one", "two", "three"]
        assert len({r["messageId"] for r in records}) == 3
    if kind == "sns":
        assert [r["Sns"]["Message"] for r in records] == ["one", "two", "three"]


def test_event_http_kind_with_two_bodies_is_a_mistake():
    one_line_exit_2(run("event", "apigw-v2", "--body", "a", "--body", "b"), "--body given 2 times")


def _scheme_app(environ, start_response):
    body = json.dumps({"scheme": environ["wsgi.url_scheme"], "port": environ["SERVER_PORT"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@pytest.mark.parametrize("fmt", ["apigw-v1", "apigw-v2", "function-url", "alb", "fc3", "scf", "scf-url"])
def test_start_api_app_sees_the_http_scheme_and_port_it_is_served_on(fmt):
    import koatty_lite

    srv = start_api.make_server(koatty_lite.handler(_scheme_app), fmt, "127.0.0.1", 0, quiet=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        port = srv.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/x", timeout=10) as r:
            seen = json.loads(r.read())
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)
    assert seen == {"scheme": "http", "port": str(port)}


@pytest.mark.parametrize("command", ["serve", "event", "invoke", "start-api", "coldstart", "openapi", "package"])
def test_a_bad_option_is_one_line_exit_2_in_every_command(command):
    p = run(command, "--no-such-option", "x")
    one_line_exit_2(p, "unrecognized arguments: --no-such-option")
    assert f"(see python -m koatty_lite {command} --help)" in p.stderr


@pytest.mark.parametrize("args,needle", [
    (["serve", "examples.demo.app:App", "--port", "abc"], "argument --port: invalid port 'abc'"),
    (["serve", "examples.demo.app:App", "--port", "99999"], "argument --port: invalid port 99999: expected 0 to 65535"),
    (["start-api", "examples.aws.handler:handler", "--port", "-1"], "argument --port: invalid port -1"),
    (["invoke"], "the following arguments are required: target"),
    (["invoke", "tests.cli_handlers:echo", "--platform", "gcp"], "argument --platform: invalid choice: 'gcp'"),
    (["nosuchcommand"], "unknown command 'nosuchcommand'; choose one of: serve"),
], ids=["bad-int", "port-too-big", "negative-port", "missing-target", "bad-choice", "unknown-command"])
def test_argument_mistakes_are_one_line(args, needle):
    one_line_exit_2(run(*args), needle)


def test_help_still_prints_usage_and_exits_0():
    p = run("invoke", "--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: python -m koatty_lite invoke")
