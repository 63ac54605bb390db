"""Audit of issue 14's cold-start moves (the app as its own PEP 3333 callable, the query encoder without
urllib.parse, log.py's rare functions in logsetup.py): what each move must keep working as before."""
import builtins
import json
import os
import subprocess
import sys

import pytest

import koatty_lite
from koatty_lite.cli import slim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return json.load(fh)


# A lone surrogate (a JSON "\ud800" escape, which json.loads accepts) has no UTF-8: FC's and SCF's query maps
# answer it with a 400 naming the field (tests/test_query_encoding.py); the AWS formats' maps must too.
@pytest.mark.parametrize("name,update,field", [
    ("aws/apigw-v1-get-multivalue.json", {"multiValueQueryStringParameters": None,
                                          "queryStringParameters": {"q": "x\ud800"}}, "queryStringParameters"),
    ("aws/apigw-v1-get-multivalue.json", {"multiValueQueryStringParameters": {"\udc80": ["x"]}},
     "queryStringParameters"),  # why one name for both maps: bytes of the shipped runtime (issue 14's 60 KB)
    ("aws/alb-single-value.json", {"queryStringParameters": {"q": "\udfff"}}, "queryStringParameters"),
    ("aws/alb-multi-value.json", {"multiValueQueryStringParameters": {"k": ["1", "\ud800"]}},
     "queryStringParameters"),
    ("aws/lattice-v1.json", {"raw_path": "/orders", "query_string_parameters": {"id": "\ud800"}},
     "query_string_parameters"),
    ("aws/lattice-v2.json", {"queryStringParameters": {"p": ["\ud800"]}}, "queryStringParameters"),
])
@pytest.mark.parametrize("app", ["koatty", "wsgi"])
def test_a_lone_surrogate_in_an_aws_query_map_is_a_400_naming_the_field(name, update, field, app):
    """Fails on the old code: UnicodeEncodeError escaped the handler (a traceback, no answer)."""
    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    target = koatty_lite.Koatty() if app == "koatty" else wsgi
    r = koatty_lite.handler(target, platform="aws")(dict(fixture(name), **update), None)
    assert r["statusCode"] == 400
    assert json.loads(r["body"])["message"] == field + " must be text (a lone surrogate is not)"


@pytest.mark.parametrize("config", [{}, {"server_timing": True}])
@pytest.mark.parametrize("served", ["app", "handler"])
def test_a_warm_pep3333_call_of_the_app_imports_nothing(config, served):
    """The app is its own PEP 3333 callable (listen(), FC 2.0, any WSGI server; observe's ObservedWsgiApp with
    observability on): after the first call, a call runs no ``from .environ import`` statement (~0.7 us each: a
    warm GET 6.3 -> 7.7 us, time.process_time best of 7). Fails on the old code (Koatty.__call__ and
    ObservedWsgiApp.__call__ imported environ.respond on every call)."""
    app = koatty_lite.Koatty()
    app.config.update(config)
    app.use(lambda ctx, nxt: setattr(ctx, "body", {"ok": 1}))
    app.mark_ready()
    wsgi = app if served == "app" else app.get_request_handler()
    assert (wsgi is app) is (served == "app" or not config)
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "koatty.request_id": "r"}
    seen, real = [], builtins.__import__
    answers = [wsgi(dict(env), lambda status, headers: seen.append(status))]

    def counting(name, *args, **kwargs):
        if name.rpartition(".")[2] == "environ":
            seen.append(("import", name))
        return real(name, *args, **kwargs)

    builtins.__import__ = counting
    try:
        answers.append(wsgi(dict(env), lambda status, headers: seen.append(status)))
    finally:
        builtins.__import__ = real
    assert seen == ["200 OK", "200 OK"] and answers == [[b'{"ok":1}']] * 2


def test_output_wsgiapp_read_from_the_imported_output_module_ships_environ(tmp_path):
    """``from koatty_lite import output`` then ``output.WsgiApp(app)``: WsgiApp is environ.py's now (not the core's),
    so the scan must ship environ, as it does for ``from koatty_lite.output import WsgiApp``. Fails on the old
    code (the scan saw no koatty_lite name: the slim zip answered output.WsgiApp with an ImportError)."""
    app = tmp_path / "app.py"
    app.write_text("from koatty_lite import output as out, decorators\n"
                   "def wrap(app):\n    return out.WsgiApp(app)\n"
                   "@decorators.Scheduled('rate(1 minute)')\ndef tick():\n    pass\n")
    found = slim.scan([str(app)])
    assert "environ" in found and "schedule" in found


def test_a_cold_non_http_event_loads_no_logsetup():
    """A cold SQS invocation counts itself (``cold_start``) without loading logsetup.py (its module, classes and
    code objects: the logger's setup, loaded with the first line logged). Fails on the old code
    (kinds.enter called log.next_invocation, which moved to logsetup.py)."""
    prog = (f"import sys, json; sys.path.insert(0, {ROOT!r}); import koatty_lite\n"
            "h = koatty_lite.handler(koatty_lite.Koatty(), event_handlers={'sqs': lambda e, c, a: None})\n"
            f"h(json.load(open({os.path.join(FIXTURES, 'events', 'sqs.json')!r})), None)\n"
            "from koatty_lite import log\n"
            "print(json.dumps([m for m in sys.modules if m in ('koatty_lite.logsetup', 'logging')] "
            "+ [log._invocations[0]]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [1]


@pytest.mark.parametrize("cookie", [False, True])
def test_a_warm_request_that_used_ctx_logger_imports_nothing_to_finish(cookie):
    """``output.finish`` moved to context_extra.py (off the code cache): a request that used ctx.logger (or
    ctx.metrics, ctx.trace) ends with it, bound once, not through an import statement a request (HTTP v2 GET
    61.5k -> 72.7k -> 61.8k instructions a request, callgrind). Fails on the old code (6397e66's import)."""
    app = koatty_lite.Koatty()

    def mw(ctx, nxt):
        ctx.logger  # noqa: B018 - the use is the point: ctx._ext is made
        if cookie:
            ctx.set("Set-Cookie", "a=1")  # the general path (the shapers)
        ctx.body = {"ok": 1}

    app.use(mw)
    h = koatty_lite.handler(app, platform="aws")
    event = fixture("aws/apigw-v2-default-stage-post.json")
    seen, real = [], builtins.__import__
    first = h(dict(event), None)

    def counting(name, globals=None, locals=None, fromlist=(), level=0):
        if "finish" in (fromlist or ()):
            seen.append(name)
        return real(name, globals, locals, fromlist, level)

    builtins.__import__ = counting
    try:
        second = h(dict(event), None)
    finally:
        builtins.__import__ = real
    assert seen == [] and first == second and first["statusCode"] == 200
