"""koatty_lite.handler(): one boot per process, HTTP through every platform, non-HTTP routing, health, FC hooks."""
from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading

import pytest

from conftest import FIXTURES
from koatty_lite import (Controller, GetMapping, Koatty, OnEvent, PostMapping, RequestBody, Scheduled, Service,
                         create_application, handler)
from koatty_lite.cli._common import fake_context, platform_event
from koatty_lite.cli.event import HttpRequest, build_event, default_headers
from koatty_lite.entry import HealthCheckError, UnhandledEventError, booted_apps
from koatty_lite.serverless import AwsLambdaAdapter, ServerlessAdapter, UnknownEventError


def fixture(name):
    """A project event fixture (tests/fixtures/<group>/<name>.json)."""
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def make_app(fail_boots=0):
    """A fresh App class (handler() caches per class) counting its bootstraps."""
    counter = {"boots": 0, "stops": 0, "fail": fail_boots, "ran": []}

    @Service()
    class Jobs:
        @Scheduled("rate(5 minutes)", name="nightly-report")
        def report(self):
            counter["ran"].append("report")
            return {"task": "report"}

        @Scheduled("cron(0 12 * * ? *)")
        def cleanup(self):
            counter["ran"].append("cleanup")
            return "cleaned"

        @OnEvent("appStop")
        def on_stop(self, app):
            counter["stops"] += 1

    @Controller("/")
    class Api:
        @GetMapping("/hello")
        def hello(self):
            return {"hello": "world", "rid": self.ctx.request_id, "kind": self.ctx.event_kind,
                    "serverless": self.app.get_config("server.serverless"),
                    "has_context": self.ctx.platform_context is not None, "trace": self.ctx.trace_id}

        @PostMapping("/echo")
        def echo(self, body=RequestBody()):
            self.ctx.status = 201
            return body

    class App(Koatty):
        components = [Jobs, Api]

        def init(self):
            counter["boots"] += 1
            if counter["fail"]:
                counter["fail"] -= 1
                raise RuntimeError("database not reachable")

    return App, counter


def http(kind, method="GET", path="/hello", body=b"", headers=None):
    """An HTTP event of `kind` built from one request model."""
    hdrs = default_headers(body) + list(headers or ())
    return build_event(kind, HttpRequest(method, path, "", hdrs, body))


@pytest.mark.parametrize("kind", ["apigw-v1", "apigw-v2", "function-url", "alb", "lattice-v2", "scf", "scf-url",
                                  "fc-apigw"])
def test_http_event_reaches_the_controller(kind):
    App, _ = make_app()
    fn = handler(App)
    platform = "tencent" if kind.startswith("scf") else "alicloud" if kind.startswith("fc") else "aws"
    resp = fn(http(kind), fake_context(platform))
    assert resp["statusCode"] == 200
    body = json.loads(resp["body"])
    assert body["hello"] == "world" and body["serverless"] is True and body["has_context"] is True


def test_fc3_event_as_bytes_post():
    App, _ = make_app()
    fn = handler(App)
    event = platform_event(http("fc3", "POST", "/echo", b'{"a":1}'), "alicloud")
    assert isinstance(event, bytes)
    resp = fn(event, fake_context("alicloud"))
    assert resp["statusCode"] == 201 and json.loads(resp["body"]) == {"a": 1}


def test_rest_v1_fixture_carries_request_id_header_and_trace(monkeypatch):
    App, _ = make_app()
    fn = handler(App)
    ctx = fake_context("aws")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-abc")
    resp = fn(http("apigw-v1"), ctx)
    body = json.loads(resp["body"])
    assert body["rid"] == ctx.aws_request_id
    assert resp["multiValueHeaders"]["X-Request-Id"] == [ctx.aws_request_id]
    assert body["trace"] == "Root=1-abc"
    resp = fn(http("apigw-v1", headers=[("X-Amzn-Trace-Id", "Root=1-hdr")]), ctx)
    assert json.loads(resp["body"])["trace"] == "Root=1-hdr"


def test_one_bootstrap_over_many_invocations_and_two_handler_calls():
    App, counter = make_app()
    first = handler(App)
    second = handler(App, event_handlers={"sqs": lambda e, c, a: []})
    for _ in range(25):
        assert first(http("apigw-v2"), None)["statusCode"] == 200
        assert second(http("apigw-v1"), None)["statusCode"] == 200
    assert counter["boots"] == 1
    assert first.get_app() is second.get_app()
    assert first.get_app().get_request_handler() is second.get_app().get_request_handler()
    assert first.get_app() in booted_apps()


def test_first_boot_is_thread_safe():
    App, counter = make_app()
    fn = handler(App, lazy=True)
    barrier = threading.Barrier(8)
    results = []

    def call():
        barrier.wait()
        results.append(fn(http("apigw-v2"), None)["statusCode"])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8 and counter["boots"] == 1


def test_lazy_boots_on_first_invocation():
    App, counter = make_app()
    fn = handler(App, lazy=True)
    assert counter["boots"] == 0
    fn(http("apigw-v2"), None)
    assert counter["boots"] == 1


def test_failing_first_bootstrap_is_logged_raised_and_retried(caplog):
    App, counter = make_app(fail_boots=1)
    with caplog.at_level(logging.ERROR, logger="koatty"):
        with pytest.raises(RuntimeError, match="database not reachable"):
            handler(App)
    assert any("bootstrap of App failed" in r.getMessage() and r.exc_info for r in caplog.records)
    fn = handler(App)  # the platform re-imports the module: a new attempt, not a cached failure
    assert fn(http("apigw-v2"), None)["statusCode"] == 200
    assert counter["boots"] == 2


def test_failing_lazy_bootstrap_retried_on_next_invocation():
    App, counter = make_app(fail_boots=1)
    fn = handler(App, lazy=True)
    with pytest.raises(RuntimeError):
        fn(http("apigw-v2"), None)
    assert fn(http("apigw-v2"), None)["statusCode"] == 200
    assert counter["boots"] == 2


def test_created_app_and_wsgi_callable_targets():
    App, counter = make_app()
    app = create_application(App)
    fn = handler(app)
    assert fn(http("apigw-v2"), None)["statusCode"] == 200 and counter["boots"] == 1

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    resp = handler(wsgi)(http("apigw-v2", path="/plain"), fake_context("aws"))
    assert resp["body"] == "/plain" and "X-Request-Id" in resp["headers"]


def test_foreign_wsgi_app_that_raises_gets_a_json_500(caplog):
    def broken(environ, start_response):
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, logger="koatty"):
        resp = handler(broken)(http("apigw-v2"), None)
    assert resp["statusCode"] == 500 and json.loads(resp["body"])["message"] == "Internal Server Error"
    assert "boom" not in resp["body"] and any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize("body", [[b"no start_response"], iter([b"lazy", b" body"]), []],
                         ids=["list", "generator", "empty"])
def test_foreign_wsgi_app_that_never_calls_start_response_gets_a_json_500(caplog, body):
    """Issue 11 point 9: a PEP 3333 violation is the app's fault, answered as documented (no AssertionError)."""
    def careless(environ, start_response):
        return body

    with caplog.at_level(logging.ERROR, logger="koatty"):
        resp = handler(careless)(http("apigw-v2"), fake_context("aws"))
    assert resp["statusCode"] == 500 and json.loads(resp["body"])["message"] == "Internal Server Error"
    assert resp["headers"]["X-Request-Id"] and "start_response" not in resp["body"]
    assert any("start_response" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)



def test_foreign_wsgi_app_that_never_calls_start_response_gets_a_json_500_in_fc2_wsgi_mode():
    """Point 9 in FC 2.0, where the platform calls handler(environ, start_response) itself."""
    import io

    seen = []
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "x", "SERVER_PORT": "80",
           "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    body = b"".join(handler(lambda environ, start_response: [b"body"])(env, lambda s, h, e=None: seen.append((s, h))))
    assert seen[0][0] == "500 Internal Server Error" and json.loads(body)["message"] == "Internal Server Error"
    assert dict(seen[0][1])["X-Request-Id"]

def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="platform"):
        handler(lambda e, s: [], platform="azure")
    with pytest.raises(TypeError, match="event_handlers"):
        handler(lambda e, s: [], event_handlers={"sqs": "nope"})
    with pytest.raises(TypeError, match="WSGI callable"):
        handler(42)


def test_scheduled_event_goes_to_the_scheduled_handler():
    App, counter = make_app()
    seen = []
    fn = handler(App, event_handlers={"scheduled": lambda e, c, a: seen.append((e["id"], a)) or "done"})
    assert fn(fixture("events/eventbridge-scheduled"), fake_context("aws")) == "done"
    assert seen and isinstance(seen[0][1], App) and counter["ran"] == []


@pytest.mark.parametrize("name,platform", [("events/eventbridge-scheduled", "aws"), ("events/fc-timer", "alicloud"),
                                           ("events/scf-timer", "tencent")])
def test_scheduled_event_without_handler_runs_the_matching_task(name, platform):
    App, counter = make_app()
    fn = handler(App)
    assert fn(platform_event(fixture(name), platform), fake_context(platform)) == {"task": "report"}
    assert counter["ran"] == ["report"]


def test_scheduled_task_chosen_by_task_field():
    App, counter = make_app()
    fn = handler(App)
    assert fn({"task": "cleanup"}, None) == "cleaned"  # EventBridge Scheduler input / manual run
    event = dict(fixture("events/fc-timer"), triggerName="timer-1", payload='{"task": "Jobs.cleanup"}')
    assert fn(event, None) == "cleaned"
    assert counter["ran"] == ["cleanup", "cleanup"]


def test_scheduled_event_naming_no_task_raises():
    App, counter = make_app()
    fn = handler(App)
    event = dict(fixture("events/eventbridge-scheduled"), resources=["arn:aws:events:us-east-1:1:rule/other"])
    with pytest.raises(UnhandledEventError, match="other"):
        fn(event, None)
    assert counter["ran"] == []


def test_sqs_partial_batch_response():
    App, _ = make_app()
    fn = handler(App, event_handlers={"sqs": lambda e, c, a: [r["messageId"] for r in e["Records"]
                                                                if r["body"] == "fail"]})
    assert fn(fixture("events/sqs"), None) == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    ok = handler(App, event_handlers={"sqs": lambda e, c, a: []})
    assert ok(fixture("events/sqs"), None) == {"batchItemFailures": []}


@pytest.mark.parametrize("name,kind", [("events/sns", "sns"), ("events/s3", "s3"), ("events/scf-cos", "cos"),
                                       ("events/fc-oss", "oss"), ("events/custom-trigger", None)])
def test_non_http_kind_without_handler_raises_named_error(name, kind):
    App, _ = make_app()
    event = fixture(name)
    with pytest.raises(UnhandledEventError, match="no handler for"):
        handler(App)(event, None)
    from koatty_lite.serverless import detect_event_source

    kind = kind or detect_event_source(event)
    assert handler(App, event_handlers={kind: lambda e, c, a: kind})(event, None) == kind


@pytest.mark.parametrize("event", [fixture("events/unknown"), [1, 2], b"not json", "plain"],
                         ids=["unknown-keys", "list", "bad-bytes", "bad-str"])
def test_unknown_event_raises_unknown_event_error(event):
    App, _ = make_app()
    with pytest.raises(UnknownEventError):
        handler(App)(event, None)


def test_http_event_of_another_platform_is_refused_by_a_fixed_platform():
    App, _ = make_app()
    with pytest.raises(UnknownEventError, match="platform 'aws'"):
        handler(App, platform="aws")(http("scf"), None)
    assert handler(App, platform="tencent")(http("scf"), None)["statusCode"] == 200


def test_request_id_visible_to_the_logger_in_event_handlers():
    App, _ = make_app()
    from koatty_lite.log import current_request_id

    ctx = fake_context("aws")
    before = current_request_id()
    fn = handler(App, event_handlers={"sns": lambda e, c, a: current_request_id()})
    assert fn(fixture("events/sns"), ctx) == ctx.aws_request_id
    assert current_request_id() == before


def test_health_check_runs_each_time_and_its_failure_is_a_503():
    App, _ = make_app()
    calls = []
    healthy = [True]

    def check(app):
        calls.append(app)
        if not healthy[0]:
            raise ConnectionError("db gone")

    fn = handler(App, health_check=check, event_handlers={"sqs": lambda e, c, a: []})
    for _ in range(3):
        assert fn(http("apigw-v2"), None)["statusCode"] == 200
    assert len(calls) == 3 and all(isinstance(a, App) for a in calls)
    healthy[0] = False
    resp = fn(http("apigw-v1"), fake_context("aws"))
    assert resp["statusCode"] == 503 and json.loads(resp["body"])["message"] == "Service Unavailable"
    assert fn(http("scf"), None)["statusCode"] == 503
    with pytest.raises(HealthCheckError):
        fn(fixture("events/sqs"), None)
    healthy[0] = True
    assert fn(http("apigw-v2"), None)["statusCode"] == 200


def wsgi_environ(path="/hello", query=""):
    """An FC 2.0 HTTP-function WSGI environ."""
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
            "SERVER_NAME": "fc", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "fc.context": fake_context("alicloud"), "fc.request_uri": path}


def test_fc2_wsgi_passthrough():
    App, _ = make_app()
    fn = handler(App)
    seen = {}
    environ = wsgi_environ()
    body = b"".join(fn(environ, lambda s, h, e=None: seen.update(status=s, headers=dict(h))))
    data = json.loads(body)
    assert seen["status"].startswith("200") and data["kind"] == "fc2-wsgi"
    assert data["rid"] == environ["fc.context"].request_id == seen["headers"]["X-Request-Id"]


def test_fc2_health_failure_is_a_503():
    App, _ = make_app()

    def check(app):
        raise ConnectionError("down")

    seen = {}
    body = b"".join(handler(App, health_check=check)(wsgi_environ(), lambda s, h, e=None: seen.update(status=s)))
    assert seen["status"].startswith("503") and json.loads(body)["message"] == "Service Unavailable"


def test_fc_lifecycle_hooks():
    App, counter = make_app()
    fn = handler(App, lazy=True)
    fn.initialize(fake_context("alicloud"))
    assert counter["boots"] == 1
    fn.initialize(fake_context("alicloud"))
    assert counter["boots"] == 1
    fn.pre_stop(fake_context("alicloud"))
    fn.pre_stop(fake_context("alicloud"))
    assert counter["stops"] == 1


def test_builtin_adapter_strips_base_path_and_custom_adapter_is_used():
    App, _ = make_app()
    fn = handler(App, adapter=AwsLambdaAdapter(strip_base_path="/v1"))
    assert fn(http("apigw-v2", path="/v1/hello"), None)["statusCode"] == 200

    class Echo(ServerlessAdapter):
        name = "echo"

        def create_handler(self, app):
            return lambda event, context: {"custom": event.get("ping")}

    custom = handler(App, adapter=Echo(), event_handlers={"sqs": lambda e, c, a: "sqs"})
    assert custom({"ping": 1}, None) == {"custom": 1}
    assert custom(fixture("events/sqs"), None) == "sqs"


SIGTERM_SCRIPT = r'''
import signal, sys, time
sys.path.insert(0, sys.argv[1])
from koatty_lite import Component, Koatty, OnEvent, handler

if sys.argv[2] == "chained":
    def previous(signum, frame):
        print("previous handler", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, previous)

def make(label):
    @Component()
    class Closer:
        @OnEvent("appStop")
        def close(self, app):
            print("appStop " + label, flush=True)

    class App(Koatty):
        components = [Closer]
    return App

handler(make("one"))
handler(make("two"))
print("ready", flush=True)
time.sleep(60)
print("not stopped", flush=True)
'''


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("mode,returncode", [("default", -15), ("chained", 0)])
def test_sigterm_runs_app_stop_once_then_the_process_ends(tmp_path, mode, returncode):
    import signal
    import subprocess

    from conftest import ROOT

    script = tmp_path / "entry_sigterm.py"
    script.write_text(SIGTERM_SCRIPT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), ROOT, mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    lines = out.splitlines()
    assert lines.count("appStop one") == 1 and lines.count("appStop two") == 1, (out, err)
    assert "not stopped" not in lines
    assert ("previous handler" in lines) == (mode == "chained")
    assert proc.returncode == returncode


def records_with_request_id(caplog, text, rid):
    """Log records whose message contains text, written with exc_info and request id rid."""
    return [r for r in caplog.records if text in r.getMessage() and r.exc_info and r.request_id == rid]


def test_failing_boot_func_is_logged_raised_and_retried(caplog):
    App, counter = make_app()
    calls = []

    def boot(app):
        calls.append(app)
        if len(calls) == 1:
            raise ConnectionError("secrets manager timed out")

    with caplog.at_level(logging.ERROR, logger="koatty"):
        with pytest.raises(ConnectionError):
            handler(App, boot_func=boot)
    assert any("bootstrap of App failed" in r.getMessage() for r in caplog.records)
    assert handler(App, boot_func=boot)(http("apigw-v2"), None)["statusCode"] == 200 and len(calls) == 2


def test_failing_event_handler_is_logged_with_the_request_id_raised_then_next_served(caplog):
    App, _ = make_app()
    fail = [True]

    def on_sqs(event, context, app):
        if fail[0]:
            raise TimeoutError("downstream slow")
        return []

    fn = handler(App, event_handlers={"sqs": on_sqs})
    ctx = fake_context("aws")
    with caplog.at_level(logging.ERROR, logger="koatty"):
        with pytest.raises(TimeoutError):
            fn(fixture("events/sqs"), ctx)
    assert records_with_request_id(caplog, "event handler for 'sqs' events failed", ctx.aws_request_id)
    fail[0] = False
    assert fn(fixture("events/sqs"), fake_context("aws")) == {"batchItemFailures": []}
    assert fn(http("apigw-v2"), None)["statusCode"] == 200


def test_failing_scheduled_task_is_logged_with_the_request_id_raised_then_next_served(caplog):
    App, counter = make_app()
    fn = handler(App)
    jobs = fn.get_app().scheduled_tasks
    index = next(i for i, t in enumerate(jobs) if t[0] == "nightly-report")
    original = jobs[index]
    jobs[index] = (original[0], original[1], lambda: 1 / 0)
    ctx = fake_context("aws")
    try:
        with caplog.at_level(logging.ERROR, logger="koatty"):
            with pytest.raises(ZeroDivisionError):
                fn(fixture("events/eventbridge-scheduled"), ctx)
        assert records_with_request_id(caplog, "@Scheduled task nightly-report failed", ctx.aws_request_id)
    finally:
        jobs[index] = original
    assert fn(fixture("events/eventbridge-scheduled"), ctx) == {"task": "report"}


def test_failing_health_check_is_logged_and_the_next_invocation_checks_again(caplog):
    App, _ = make_app()
    state = {"n": 0}

    def check(app):
        state["n"] += 1
        if state["n"] == 1:
            raise ConnectionError("db gone")

    fn = handler(App, health_check=check)
    ctx = fake_context("aws")
    with caplog.at_level(logging.ERROR, logger="koatty"):
        assert fn(http("apigw-v2"), ctx)["statusCode"] == 503
    assert records_with_request_id(caplog, "health_check failed", ctx.aws_request_id)
    assert fn(http("apigw-v2"), None)["statusCode"] == 200 and state["n"] == 2


@pytest.mark.parametrize("kind", ["apigw-v1", "apigw-v2", "alb", "fc3", "scf"])
@pytest.mark.parametrize("method,path,body", [("GET", "/hello", b""), ("POST", "/echo", b'{"a":[1,2]}'),
                                              ("HEAD", "/hello", b""), ("GET", "/missing", b"")],
                         ids=["get", "post", "head", "404"])
def test_direct_koatty_respond_path_answers_exactly_as_pep_3333(kind, method, path, body):
    from koatty_lite.serverless import serve_http

    App, _ = make_app()
    wsgi = handler(App).get_app().get_request_handler()
    assert callable(wsgi.koatty_respond)

    def through_pep_3333(environ, start_response):  # the same app without the direct path
        return wsgi(environ, start_response)

    event = http(kind, method, path, body)
    ctx = fake_context("aws")
    assert serve_http(wsgi, event, ctx) == serve_http(through_pep_3333, event, ctx)


def test_foreign_wsgi_body_generator_that_fails_midway_gets_a_json_500_and_is_closed():
    closed = []

    class Body:
        def __iter__(self):
            yield b"partial"
            raise RuntimeError("stream broke")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    resp = handler(app)(http("apigw-v2"), None)
    assert resp["statusCode"] == 500 and "partial" not in resp["body"] and closed == [True]


def test_cold_start_path_stays_lean():
    """Booting through handler() and answering one GET loads none of the modules kept off the cold path,
    and compiles no regular expression (a dynamic route, a custom header and a cookie included)."""
    import subprocess

    from conftest import ROOT

    code = ("import sys, json; sys.path.insert(0, %r)\n"
            "import re\n"
            "compiled = []\n"
            "_compile = re._compile\n"
            "re._compile = lambda *a, **k: (compiled.append(a[0]), _compile(*a, **k))[1]\n"
            "from koatty_lite import Controller, GetMapping, Koatty, PathVariable, handler\n"
            "@Controller('/')\n"
            "class C:\n"
            "    @GetMapping('/hello')\n"
            "    def hello(self):\n"
            "        self.ctx.set('X-Served-By', 'koatty')\n"
            "        self.ctx.set_cookie('seen', '1')\n"
            "        return {'hello': 'world'}\n"
            "    @GetMapping('/users/:id')\n"
            "    def user(self, id: int = PathVariable('id')): return {'id': id}\n"
            "class App(Koatty): components = [C]\n"
            "h = handler(App)\n"
            "ev = {'version': '2.0', 'rawPath': '/hello', 'rawQueryString': '', 'headers': {'host': 'x'},\n"
            "      'requestContext': {'http': {'method': 'GET', 'path': '/hello', 'sourceIp': '1.2.3.4'}}}\n"
            "assert h(ev, None)['statusCode'] == 200\n"
            "heavy = ('urllib.parse', 'binascii', 'signal', 'logging', 'typing', 'koatty_lite.payload',\n"
            "         'koatty_lite.schedule', 'traceback', 'threading', 'uuid', 'koatty_lite.serverless.events',\n"
            "         'koatty_lite.serverless.wsgi', 'koatty_lite.cors', 'koatty_lite.validation', 'koatty_lite.rules',\n"
            "         'koatty_lite.openapi', 'koatty_lite.logsetup', 'logging', 'koatty_lite.kinds', 'koatty_lite.environ')\n"
            "print(' '.join(m for m in heavy if m in sys.modules), *compiled)\n") % ROOT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name,kind", [("events/apigw-websocket-message", "websocket"),
                                       ("events/apigw-authorizer-token", "authorizer"),
                                       ("events/cloudfront-viewer-request", "cloudfront")])
def test_websocket_authorizer_and_edge_events_reach_their_handlers(name, kind):
    App, _ = make_app()
    fn = handler(App, event_handlers={kind: lambda e, c, a: {"statusCode": 200, "kind": kind}})
    assert fn(fixture(name), fake_context("aws")) == {"statusCode": 200, "kind": kind}
    with pytest.raises(UnhandledEventError, match=kind):
        handler(App)(fixture(name), None)


@pytest.mark.parametrize("returned, got", [(lambda e: [r for r in e["Records"] if r["body"] == "fail"], "records"),
                                           (lambda e: [2], "a int")])
def test_sqs_handler_returning_records_is_a_clear_error(returned, got):
    from koatty_lite.entry import BatchResultError

    App, _ = make_app()
    fn = handler(App, event_handlers={"sqs": lambda e, c, a: returned(e)})
    with pytest.raises(BatchResultError) as info:
        fn(fixture("events/sqs"), None)
    assert str(info.value) == (f"the sqs event handler returned {got} instead of message ids: return the failed "
                               "messages' ids, e.g. [record[\"messageId\"] for record in failed]")
    assert isinstance(info.value, TypeError)


def test_sqs_handler_returning_one_record_is_a_clear_error():
    """Audit of issue 13.12: `return record` (one failed record) was returned as it is, which SQS reads as
    "every message succeeded": the failed message was lost. A dict of your own is still returned."""
    from koatty_lite.entry import BatchResultError

    App, _ = make_app()
    fn = handler(App, event_handlers={"sqs": lambda e, c, a: e["Records"][0]})
    with pytest.raises(BatchResultError) as info:
        fn(fixture("events/sqs"), None)
    assert str(info.value) == ("the sqs event handler returned a record instead of message ids: return the "
                               "failed messages' ids, e.g. [record[\"messageId\"]]")
    own = {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert handler(App, event_handlers={"sqs": lambda e, c, a: own})(fixture("events/sqs"), None) == own


def test_the_event_handler_example_in_docs_reaches_services_with_app_get():
    import os
    import re

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "handler.md"), encoding="utf-8") as f:
        section = f.read().split("### Reaching services from an event handler", 1)[1]
    ns = {"__name__": "docs_handler_services"}
    exec(compile(re.search(r"```python\n(.*?)```", section, re.S).group(1), "docs/handler.md", "exec"), ns)
    event = fixture("events/sqs")
    assert ns["handler"](event, None) == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    orders = ns["handler"].get_app().get(ns["Orders"])
    assert orders.saved == [r["body"] for r in event["Records"] if r["body"] != "fail"]


def test_a_wsgi_callable_whose_first_invocation_is_not_http_gets_its_event_handler():
    """A handler() around a foreign WSGI callable, first invocation of the process an SQS batch: the
    event handler's answer (the cold start's metrics check read the WSGI function's `.config`:
    AttributeError). A fresh process, so the invocation is the cold start."""
    import subprocess

    from conftest import ROOT

    code = ("import sys, json; sys.path.insert(0, %r)\n"
            "import koatty_lite\n"
            "def wsgi(environ, start_response):\n"
            "    start_response('200 OK', []); return [b'']\n"
            "h = koatty_lite.handler(wsgi, event_handlers={'sqs': lambda e, c, a: []})\n"
            "print(json.dumps(h({'Records': [{'eventSource': 'aws:sqs', 'messageId': 'm-1', 'body': 'x'}]}, None)))\n"
            ) % ROOT
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"batchItemFailures": []}
