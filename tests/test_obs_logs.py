"""Structured logs (issue 16.1), the level under the Lambda runtime client (issue 13.6), the lock (issue 14)."""
from __future__ import annotations

import json
import logging

import pytest

from koatty_lite import Controller, GetMapping, Koatty, PathVariable
from koatty_lite import log as klog
from obs_support import boot, call, clean_log, json_lines, run_python  # noqa: F401 (fixture)


@Controller("/")
class LogController:
    @GetMapping("/users/:id")
    def user(self, id: int = PathVariable("id")):
        self.ctx.logger.append_keys(user=id)
        self.ctx.logger.info("looked up", extra={"source": "db"})
        self.app.logger.info("app line", tier="gold")
        return {"id": id}

    @GetMapping("/boom")
    def boom(self):
        raise ValueError("boom on purpose")


def make_app(**config):
    class App(Koatty):
        components = [LogController]

    App.config = config
    return App


# --- the level (issue 13.6) ---------------------------------------------------------------------


def test_info_lines_pass_a_root_logger_at_warning():
    # The Lambda runtime client leaves the root logger at WARNING with its own handler.
    code = ("import logging; logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(message)s'); "
            "from koatty_lite.log import get_logger; get_logger().info('hello'); get_logger().debug('hidden')")
    rc, out, err = run_python(code)
    assert rc == 0, err
    assert err.splitlines() == ["INFO hello"]


@pytest.mark.parametrize("env, config_level, expected", [
    ({}, None, logging.INFO),
    ({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, None, logging.WARNING),
    ({"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, None, logging.CRITICAL),
    ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, None, logging.DEBUG),
    ({"LOG_LEVEL": "debug"}, None, logging.DEBUG),
    ({"AWS_LAMBDA_LOG_LEVEL": "ERROR", "LOG_LEVEL": "DEBUG"}, None, logging.ERROR),
    ({"LOG_LEVEL": "LOUD"}, None, logging.INFO),  # an unknown name is ignored
    ({"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, "ERROR", logging.DEBUG),
    ({"AWS_LAMBDA_LOG_LEVEL": "verbose", "LOG_LEVEL": "error"}, None, logging.ERROR),  # the next one is read
    ({"AWS_LAMBDA_LOG_LEVEL": "", "LOG_LEVEL": " warn "}, None, logging.WARNING),
    ({}, "error", logging.ERROR),
    ({"LOG_LEVEL": "WARNING"}, "DEBUG", logging.WARNING),  # the environment wins over the config
])
def test_level_from_the_environment_then_the_config(clean_log, monkeypatch, env, config_level, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clean_log.setLevel(logging.NOTSET)
    assert klog.configure(level=config_level).level == expected


def test_config_log_level_is_applied_at_boot(clean_log):
    clean_log.setLevel(logging.NOTSET)
    boot(make_app(log={"level": "ERROR"}))
    assert clean_log.level == logging.ERROR
    with pytest.raises(ValueError, match="log level must be one of"):
        boot(make_app(log={"level": "LOUD"}))


def test_logger_is_set_up_once_under_a_lock():
    # Why: a slow handler constructor widens the window between "no handler yet" and addHandler:
    # without the lock every thread installs one and each line is printed several times.
    code = r"""
import logging, threading, time
init = logging.StreamHandler.__init__
def slow(self, *a, **k):
    time.sleep(0.05)
    init(self, *a, **k)
logging.StreamHandler.__init__ = slow
from koatty_lite import log
barrier = threading.Barrier(8)
def go():
    barrier.wait()
    log.get_logger()
threads = [threading.Thread(target=go) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
log.get_logger().warning('once')
print(len(logging.getLogger('koatty').handlers))
"""
    rc, out, err = run_python(code)
    assert rc == 0, err
    assert out.strip() == "1"
    assert err.count("once") == 1


# --- text lines ---------------------------------------------------------------------------------------


def test_text_lines_show_the_keys_an_app_adds():
    code = ("from koatty_lite import log; log.app_logger.append_keys(tenant='acme'); "
            "log.Logger({}).warning('paid', order=7); log.app_logger.remove_keys('tenant'); "
            "log.app_logger.error('plain', extra={'k': 'v'})")
    rc, out, err = run_python(code)
    assert rc == 0, err
    lines = err.splitlines()
    assert lines[0].endswith("[WARNING] [-] paid tenant=acme order=7"), lines
    assert lines[1].endswith("[ERROR] [-] plain k=v"), lines


def test_no_request_line_in_text_mode_unless_asked(clean_log, caplog):
    caplog.set_level(logging.INFO, logger="koatty")
    _, wsgi = boot(make_app())
    call(wsgi, path="/users/3")
    assert not [r for r in caplog.records if getattr(r, "koatty_keys", {}).get("status")]
    _, wsgi = boot(make_app(log={"request": True}))
    call(wsgi, path="/users/3", request_id="r-9")
    lines = [r for r in caplog.records if getattr(r, "koatty_keys", {}).get("status")]
    assert [r.getMessage().rsplit(" ", 1)[0] for r in lines] == ["GET /users/:id 200"]
    keys = lines[0].koatty_keys
    assert keys["method"] == "GET" and keys["status"] == 200 and keys["duration_ms"] >= 0
    assert lines[0].request_id == "r-9"


# --- JSON lines (issue 16.1) ------------------------------------------------------------------------


@pytest.mark.parametrize("env", [{"AWS_LAMBDA_LOG_FORMAT": "JSON"}, {"KOATTY_LOG_FORMAT": "json"}, {}])
def test_json_lines_carry_the_request_fields(clean_log, monkeypatch, capsys, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "12")
    config = {} if env else {"log": {"format": "json"}}
    _, wsgi = boot(make_app(**config))
    boot_lines = json_lines(capsys.readouterr().out)
    assert [(b["level"], b["message"], b["cold_start"]) for b in boot_lines] == [("INFO", "App ready: 2 routes", True)]
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    res = call(wsgi, path="/users/7", headers=[("traceparent", tp)], request_id="req-A")
    assert res["statusCode"] == 200
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = json_lines(captured.out)
    assert [line["message"] for line in lines][:2] == ["looked up", "app line"]
    looked, app_line, request = lines
    for line in lines:
        assert line["requestId"] == "req-A" and line["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert line["functionName"] == "orders" and line["functionVersion"] == "12"
        assert line["cold_start"] is True and line["route"] == "/users/:id" and line["logger"] == "koatty"
        assert line["time"].endswith("Z") and line["level"] == "INFO"
    assert looked["user"] == 7 and looked["source"] == "db"
    assert app_line["tier"] == "gold" and "user" not in app_line  # ctx.logger keys stay on ctx.logger lines
    assert request["message"].startswith("GET /users/:id 200 ")
    assert request["method"] == "GET" and request["status"] == 200 and request["duration_ms"] >= 0
    call(wsgi, path="/users/8", request_id="req-B")
    second = json_lines(capsys.readouterr().out)
    assert {line["cold_start"] for line in second} == {False}
    assert {line["requestId"] for line in second} == {"req-B"}


def test_an_unhandled_exception_is_one_json_object(clean_log, monkeypatch, capsys):
    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    _, wsgi = boot(make_app())
    capsys.readouterr()
    res = call(wsgi, path="/boom", request_id="req-X")
    assert res["statusCode"] == 500 and "boom on purpose" not in res["body"]
    captured = capsys.readouterr()
    assert captured.err == ""  # nothing raw on wsgi.errors (stderr)
    fault, request = json_lines(captured.out)
    assert fault["level"] == "ERROR" and fault["message"] == "unhandled exception: GET /boom"
    assert fault["exceptionType"] == "ValueError"
    assert fault["exception"].startswith("Traceback (most recent call last):")
    assert fault["exception"].rstrip().endswith("ValueError: boom on purpose")
    assert fault["requestId"] == "req-X" and fault["route"] == "/boom"
    assert request["status"] == 500


def test_request_line_can_be_switched_off(clean_log, monkeypatch, capsys):
    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    _, wsgi = boot(make_app(log={"request": False}))
    capsys.readouterr()
    call(wsgi, path="/users/1")
    assert [line["message"] for line in json_lines(capsys.readouterr().out)] == ["looked up", "app line"]


def test_app_keys_cannot_forge_the_base_fields(clean_log, monkeypatch, capsys):
    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    klog.configure()
    klog._state.request_id = "real"
    try:
        klog.Logger({}).warning("x", requestId="forged", level="DEBUG", note=object)
    finally:
        klog._state.request_id = None
    (line,) = json_lines(capsys.readouterr().out)
    assert line["requestId"] == "real" and line["level"] == "WARNING" and line["note"] == str(object)


def test_json_boot_failure_is_one_object():
    code = ("import koatty_lite\nfrom koatty_lite import Koatty, Service\n"
            "@Service()\nclass Broken:\n    def __init__(self):\n        raise RuntimeError('no db')\n"
            "class App(Koatty):\n    components = [Broken]\n"
            "try:\n    koatty_lite.handler(App)\nexcept RuntimeError:\n    pass\n")
    rc, out, err = run_python(code, {"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    assert rc == 0, err
    (line,) = json_lines(out)
    assert line["level"] == "ERROR" and line["message"].startswith("bootstrap of App failed")
    assert line["cold_start"] is True and "RuntimeError: no db" in line["exception"]
    assert err == ""


def test_json_lines_survive_values_json_cannot_hold(clean_log, monkeypatch, capsys):
    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    loop = []
    loop.append(loop)
    klog.configure()
    klog.app_logger.warning("odd", data=loop, blob=b"\xff")
    (line,) = json_lines(capsys.readouterr().out)
    assert line["message"] == "odd" and isinstance(line["data"], str)


def test_event_handler_lines_carry_the_invocation(clean_log, monkeypatch, capsys):
    import koatty_lite
    from koatty_lite.cli.event import build_event
    from obs_support import Invocation

    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")

    def on_sqs(event, context, app):
        app.logger.info("batch", size=len(event["Records"]))

    h = koatty_lite.handler(make_app(), event_handlers={"sqs": on_sqs})
    capsys.readouterr()
    h(build_event("sqs"), Invocation("q-1"))
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    h(build_event("sqs"), Invocation("q-2"))
    lines = json_lines(capsys.readouterr().out)
    assert [(x["requestId"], x["cold_start"], x["size"]) for x in lines] == [("q-1", True, 1), ("q-2", False, 1)]
    assert "route" not in lines[0] and "traceId" not in lines[0]
    assert lines[1]["traceId"] == "5759e988bd862e3fe1be46a994272793"


@pytest.mark.parametrize("config, message", [({"log": "json"}, "config log must be a dict"),
                                             ({"metrics": ["x"]}, "config metrics must be a dict"),
                                             ({"trace": True}, "config trace must be a dict")])
def test_a_malformed_observability_config_fails_the_boot_naming_it(clean_log, config, message):
    with pytest.raises(ValueError, match=message):
        boot(make_app(**config))


def test_listen_server_app_failure_is_one_json_object(clean_log, monkeypatch, capsys):
    import urllib.error
    import urllib.request

    from koatty_lite.server import start_server

    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    klog.configure()

    def broken(environ, start_response):
        raise RuntimeError("foreign app broke")

    server = start_server(broken, "127.0.0.1", 0)
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/x", timeout=10)
        assert info.value.code == 500
        info.value.close()
    finally:
        server.stop()
    captured = capsys.readouterr()
    (line,) = [x for x in json_lines(captured.out) if x["level"] == "ERROR"]
    assert line["message"] == "listen(): the WSGI app failed: GET /x"
    assert "RuntimeError: foreign app broke" in line["exception"]
    assert "Traceback" not in captured.err


def test_an_app_may_still_set_its_own_logger(clean_log):
    class Own(Koatty):
        components = [LogController]

        def init(self):
            self.logger = logging.getLogger("mine")

    app, _ = boot(Own)
    assert app.logger is logging.getLogger("mine")
    assert make_app()().logger is klog.app_logger


def test_a_child_of_the_koatty_logger_writes_json_too(clean_log, monkeypatch, capsys):
    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    klog.configure()
    logging.getLogger("koatty.orders").info("child line", extra={"order": 3})
    (line,) = json_lines(capsys.readouterr().out)
    assert line["logger"] == "koatty.orders" and line["order"] == 3 and line["level"] == "INFO"


@pytest.mark.parametrize("context, expected", [
    (type("FC", (), {"function": type("F", (), {"name": "fc-fn", "version_id": "", "qualifier": "LATEST"})()})(),
     {"functionName": "fc-fn", "functionVersion": "LATEST"}),
    (type("FC", (), {"function": type("F", (), {"name": "fc-fn", "version_id": "4", "qualifier": "prod"})()})(),
     {"functionName": "fc-fn", "functionVersion": "4"}),
    ({"function_name": "scf-fn", "function_version": "$LATEST"}, {"functionName": "scf-fn", "functionVersion": "$LATEST"}),
    (type("Aws", (), {"function_name": "aws-fn", "function_version": "3"})(), {"functionName": "aws-fn", "functionVersion": "3"}),
])
def test_function_identity_from_the_platform_context(clean_log, context, expected):
    from koatty_lite import logjson
    from koatty_lite.observe import _function_from_context

    _function_from_context(context)
    assert logjson.function_identity() == expected


def test_json_lines_survive_keys_and_values_that_break_the_encoder(clean_log, monkeypatch, capsys):
    # Audit of issue 16: a dict keyed by tuples (TypeError in json) or a value whose str() raises
    # lost the line and printed "--- Logging error ---" with a traceback on stderr.
    class Sour:
        def __str__(self):
            raise RuntimeError("no str")

        __repr__ = __str__

    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    klog.configure()
    klog.app_logger.warning("odd", table={(1, 2): 3}, sour=Sour(), fine=1)
    captured = capsys.readouterr()
    (line,) = json_lines(captured.out)
    assert line["message"] == "odd" and line["fine"] == 1 and "1, 2" in line["table"]
    assert line["sour"] == "<unprintable Sour>"
    assert captured.err == ""


def test_text_request_line_cannot_be_forged_by_a_path(clean_log, caplog):
    # Audit of issue 16: a 404's raw path went into the text request line, %0A and ESC included.
    caplog.set_level(logging.INFO, logger="koatty")
    _, wsgi = boot(make_app(log={"request": True}))
    call(wsgi, path="/x%0Aforged%1B[31m")
    (record,) = [r for r in caplog.records if getattr(r, "koatty_keys", {}).get("status")]
    assert record.getMessage().startswith("GET /x\\nforged\\x1b[31m 404 ")
    assert record.koatty_keys["path"] == "/x\\nforged\\x1b[31m"


def test_ctx_logger_names_its_request_from_a_thread_the_app_started(clean_log, monkeypatch, capsys):
    # Audit of issue 16: the request id is thread-local (listen() serves on many threads), so a line
    # written from a worker thread the controller started had no requestId; ctx.logger carries it.
    import threading

    @Controller("/")
    class Threaded:
        @GetMapping("/work")
        def work(self):
            logger, app_logger = self.ctx.logger, self.app.logger
            worker = threading.Thread(target=lambda: (logger.info("in thread"), app_logger.info("app in thread")))
            worker.start()
            worker.join()
            return {}

    class App(Koatty):
        components = [Threaded]
        config = {"log": {"format": "json", "request": False}}

    _, wsgi = boot(App)
    capsys.readouterr()
    call(wsgi, path="/work", request_id="r-thread")
    lines = {line["message"]: line for line in json_lines(capsys.readouterr().out)}
    assert lines["in thread"]["requestId"] == "r-thread"
    assert "requestId" not in lines["app in thread"]  # documented: pass ctx.logger to the thread


def test_listen_mode_lines_carry_cold_start_once_and_unhandled_errors_as_one_object(clean_log, monkeypatch, capsys):
    # Audit of issue 16: in listen() mode the first request the process serves is the cold start,
    # the later ones are not; an unhandled exception is one JSON object, nothing raw on stderr.
    import urllib.error
    import urllib.request

    from koatty_lite.server import start_server

    monkeypatch.setenv("KOATTY_LOG_FORMAT", "json")
    _, wsgi = boot(make_app())
    server = start_server(wsgi, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path in ("/users/1", "/users/2"):
            urllib.request.urlopen(base + path, timeout=10).close()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/boom", timeout=10)
        info.value.close()
    finally:
        server.stop()
    captured = capsys.readouterr()
    lines = [x for x in json_lines(captured.out) if "status" in x]
    assert [(x["status"], x["cold_start"]) for x in lines] == [(200, True), (200, False), (500, False)]
    (error,) = [x for x in json_lines(captured.out) if x["level"] == "ERROR"]
    assert "Traceback" in error["exception"] and "Traceback" not in captured.err
