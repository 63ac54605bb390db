"""The built-in CORS middleware (koatty_lite.cors): preflights on every trigger, headers on errors."""
from __future__ import annotations

import copy
import json
import os

import pytest

import koatty_lite
from core_support import client as make_client
from koatty_lite import (Controller, GetMapping, HttpException, Koatty, OptionsMapping, PostMapping,
                         create_application)
from koatty_lite.cors import cors
from robust_support import FakeContext, alb_event, check_response, v1_event, v2_event

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = "https://app.example.com"
CALLS = []


@Controller("/notes")
class Notes:
    @GetMapping("/")
    def list(self):
        CALLS.append("list")
        return [{"id": 1}]

    @PostMapping("/")
    def create(self):
        CALLS.append("create")
        return {"id": 2}, 201

    @GetMapping("/forbidden")
    def forbidden(self):
        raise HttpException("forbidden", 1, 403)

    @GetMapping("/boom")
    def boom(self):
        raise RuntimeError("boom")

    @OptionsMapping("/own")
    def own_options(self):
        CALLS.append("own-options")
        return "own"


def make_app(options=None, **extra):
    config = {"middleware": {"list": ["Cors"], "config": {"Cors": options if options is not None else
                                                           {"origin": [SITE, "https://admin.example.com/"],
                                                            "credentials": True, "maxAge": 600,
                                                            "exposeHeaders": ["X-Request-Id", "X-Total"]}}}}
    config.update(extra)
    return type("CorsApp", (Koatty,), {"components": [Notes], "config": config})


@pytest.fixture
def c():
    CALLS.clear()
    return make_client(make_app())[0]


PREFLIGHT = {"Origin": SITE, "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "content-type, x-api-key"}


def test_simple_request_from_an_allowed_origin(c):
    res = c.get("/notes", headers={"Origin": SITE})
    assert res.json == [{"id": 1}]
    assert res.headers["Access-Control-Allow-Origin"] == SITE
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Access-Control-Expose-Headers"] == "X-Request-Id,X-Total"
    assert res.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Methods" not in res.headers  # preflight-only headers


def test_a_configured_origin_with_a_trailing_slash_matches(c):
    res = c.get("/notes", headers={"Origin": "https://admin.example.com"})
    assert res.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {}])
def test_other_origins_and_same_origin_requests_get_no_cors_headers(c, headers):
    res = c.get("/notes", headers=headers)
    assert res.json == [{"id": 1}]
    assert not [h for h in res.headers if h.lower().startswith("access-control-")]
    assert res.headers["Vary"] == "Origin"  # caches must not serve one origin's answer to another


@pytest.mark.parametrize("path", ["/notes", "/notes/own", "/nowhere", "/notes/forbidden"])
def test_preflight_is_answered_before_routing_on_any_path(c, path):
    res = c.options(path, headers=PREFLIGHT, status=204)
    assert res.body == b""
    assert res.headers["Access-Control-Allow-Origin"] == SITE
    assert res.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,POST,DELETE,PATCH"
    assert res.headers["Access-Control-Allow-Headers"] == "content-type, x-api-key"  # reflected
    assert res.headers["Access-Control-Max-Age"] == "600"
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Vary"] == "Origin"
    assert CALLS == []  # no route ran, not even the explicit OPTIONS route


def test_options_without_request_method_is_routed_as_usual(c):
    res = c.options("/notes/own", headers={"Origin": SITE}, status=200)
    assert res.text == "own" and CALLS == ["own-options"]
    res = c.options("/notes", headers={"Origin": SITE}, status=204)
    assert "POST" in res.headers["Allow"]


def test_preflight_from_an_origin_not_allowed_gets_no_cors_headers(c):
    res = c.options("/notes", headers=dict(PREFLIGHT, Origin="https://evil.example"), status=204)
    assert "Access-Control-Allow-Origin" not in res.headers and res.headers["Allow"]
    c.options("/nowhere", headers=dict(PREFLIGHT, Origin="https://evil.example"), status=404)


@pytest.mark.parametrize("path, status", [("/notes/forbidden", 403), ("/notes/boom", 500), ("/nowhere", 404)])
def test_error_answers_keep_the_cors_headers(c, path, status):
    res = c.get(path, headers={"Origin": SITE}, status=status, expect_errors=True)
    assert res.json["code"] == 1
    assert res.headers["Access-Control-Allow-Origin"] == SITE
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Vary"] == "Origin"


def test_method_not_allowed_keeps_the_cors_headers(c):
    res = c.put("/notes", headers={"Origin": SITE}, status=405)
    assert res.headers["Access-Control-Allow-Origin"] == SITE


def test_keep_headers_on_error_false_drops_them():
    c = make_client(make_app({"origin": [SITE], "keepHeadersOnError": False}))[0]
    res = c.get("/notes/forbidden", headers={"Origin": SITE}, status=403)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert c.get("/notes", headers={"Origin": SITE}).headers["Access-Control-Allow-Origin"] == SITE


def test_any_origin_by_default():
    c = make_client(make_app({}))[0]
    res = c.get("/notes", headers={"Origin": "https://anyone.example"})
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in res.headers


@pytest.mark.parametrize("origin", ["*", ["https://a.example", "*"], "https://a.example,*"])
def test_credentials_never_with_any_origin(origin):
    with pytest.raises(ValueError, match=r"^cors: credentials need an explicit list of origins, not '\*'"):
        create_application(make_app({"origin": origin, "credentials": True}))


def test_an_origin_function_decides_and_never_sends_credentials_with_star():
    def origin(ctx):
        return {"https://ok.example": True, "https://star.example": "*"}.get(ctx.get("origin"))

    c = make_client(make_app({"origin": origin, "credentials": lambda ctx: True}))[0]
    res = c.get("/notes", headers={"Origin": "https://ok.example"})
    assert res.headers["Access-Control-Allow-Origin"] == "https://ok.example"
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    res = c.get("/notes", headers={"Origin": "https://star.example"})
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in res.headers
    res = c.get("/notes", headers={"Origin": "https://no.example"})
    assert "Access-Control-Allow-Origin" not in res.headers


def test_origins_from_an_environment_variable(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    c = make_client(make_app({"origin": "${CORS_ORIGINS}", "allow_methods": ["GET", "POST"],
                              "allow_headers": "Content-Type", "secureContext": True,
                              "privateNetworkAccess": True}))[0]
    assert c.get("/notes", headers={"Origin": "https://b.example"}).headers["Access-Control-Allow-Origin"] \
        == "https://b.example"
    res = c.options("/notes", headers=dict(PREFLIGHT, Origin="https://a.example",
                                           **{"Access-Control-Request-Private-Network": "true"}), status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert res.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert res.headers["Access-Control-Allow-Private-Network"] == "true"
    assert res.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert res.headers["Cross-Origin-Embedder-Policy"] == "require-corp"


@pytest.mark.parametrize("options, message", [
    ({"origins": "*"}, "unknown cors option 'origins'"),
    ({"origin": 7}, "cors option origin must be"),
    ({"origin": ""}, "cors option origin is empty"),
    ({"maxAge": "a day"}, "cors option maxAge must be a number of seconds"),
    ({"allowMethods": 5}, "cors option allowMethods must be a list of strings"),
    ({"credentials": "yes", "origin": [SITE]}, "cors option credentials must be"),
])
def test_bad_options_fail_the_boot(options, message):
    with pytest.raises(ValueError, match=message):
        create_application(make_app(options))


def test_disabled_by_config():
    c = make_client(make_app({"enabled": False, "origin": [SITE]}))[0]
    assert "Access-Control-Allow-Origin" not in c.get("/notes", headers={"Origin": SITE}).headers


def test_app_use_with_the_factory_and_an_existing_vary():
    def vary(ctx, next):
        ctx.set("Vary", "Accept-Encoding")
        return next()

    class A(Koatty):
        components = [Notes]

        def init(self):
            self.use(vary)
            self.use(cors({"origin": [SITE]}))

    c = make_client(A)[0]
    res = c.get("/notes", headers={"Origin": SITE})
    assert res.headers["Vary"] == "Accept-Encoding, Origin"
    assert res.headers["Access-Control-Allow-Origin"] == SITE


def test_a_reflected_request_header_that_is_not_plain_is_not_sent_back():
    c = make_client(make_app({"origin": [SITE]}))[0]
    res = c.options("/notes", headers=dict(PREFLIGHT, **{"Access-Control-Request-Headers": "x-a\u00e9"}), status=204)
    assert "Access-Control-Allow-Headers" not in res.headers


# --- on every trigger, through koatty_lite.handler() --------------------------------------------


def _fixture(name):
    with open(os.path.join(HERE, "fixtures", name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def _function_url(method, path, headers):
    ev = _fixture("aws/function-url-cookies-twice")
    ev.update(rawPath=path, rawQueryString="", body="", isBase64Encoded=False)
    ev.pop("cookies"), ev.pop("queryStringParameters")
    ev["headers"] = {"host": ev["headers"]["host"], **{k.lower(): v for k, v in headers.items()}}
    ev["requestContext"]["http"].update(method=method, path=path)
    return ev


def _fc3(method, path, headers):
    ev = _fixture("alicloud/fc3-post-encoded-path")
    ev.update(rawPath=path, body="", isBase64Encoded=False, queryParameters={})
    ev["headers"] = {"Host": "fn-abc.cn-hangzhou.fcapp.run", **headers}
    ev["requestContext"]["http"].update(method=method, path=path)
    return ev


def _fc_apigw(method, path, headers):
    ev = _fixture("alicloud/fc-apigw-get")
    ev.update(path=path, httpMethod=method, queryParameters={}, pathParameters={})
    ev["headers"] = {"Host": "grp.cn-hangzhou.alicloudapi.com", **headers}
    return ev


def _scf_apigw(method, path, headers):
    ev = _fixture("tencent/scf-apigw-query-kinds")
    ev.update(path=path, httpMethod=method, queryString={})
    ev["requestContext"]["path"] = path
    ev["headers"] = {"host": "service-1.gz.apigw.tencentcs.com", **{k.lower(): v for k, v in headers.items()}}
    return ev


def _scf_url(method, path, headers):
    ev = copy.deepcopy(_fixture("tencent/scf-url-get-no-query"))
    ev.update(path=path, httpMethod=method)
    ev["headers"] = {"host": ev["headers"]["host"], **{k.lower(): v for k, v in headers.items()}}
    return ev


TRIGGERS = {
    "apigw-v1": lambda m, p, h: v1_event(m, p, headers=h),
    "apigw-v2": lambda m, p, h: v2_event(m, p, headers=h),
    "function-url": _function_url,
    "alb": lambda m, p, h: alb_event(m, p, headers=h),
    "alb-multi": lambda m, p, h: alb_event(m, p, headers=h, multi=True),
    "fc3": _fc3,
    "fc-apigw": _fc_apigw,
    "scf-apigw": _scf_apigw,
    "scf-url": _scf_url,
}


@pytest.fixture(scope="module")
def fn():
    return koatty_lite.handler(make_app())


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_preflight_on_every_trigger(fn, kind):
    from koatty_lite.serverless import detect_http

    CALLS.clear()
    event = TRIGGERS[kind]("OPTIONS", "/notes", PREFLIGHT)
    assert detect_http(event) == kind.replace("-multi", "")  # the builder makes the trigger it names
    ans = check_response(fn(event, FakeContext()), kind)
    assert ans.status == 204
    assert ans.header("access-control-allow-origin") == SITE
    assert ans.header("access-control-allow-methods") == "GET,HEAD,PUT,POST,DELETE,PATCH"
    assert ans.header("access-control-allow-headers") == "content-type, x-api-key"
    assert ans.header("access-control-max-age") == "600"
    assert ans.header("vary") == "Origin"
    assert CALLS == []


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_actual_requests_and_errors_on_every_trigger(fn, kind):
    ans = check_response(fn(TRIGGERS[kind]("GET", "/notes", {"Origin": SITE}), FakeContext()), kind)
    assert ans.status == 200 and ans.json() == [{"id": 1}]
    assert ans.header("access-control-allow-origin") == SITE
    assert ans.header("access-control-allow-credentials") == "true"
    ans = check_response(fn(TRIGGERS[kind]("GET", "/notes/forbidden", {"Origin": SITE}), FakeContext()), kind)
    assert ans.status == 403 and ans.json()["message"] == "forbidden"
    assert ans.header("access-control-allow-origin") == SITE
    assert ans.header("vary") == "Origin"


def test_fc2_wsgi_preflight(fn):
    import io

    environ = {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": "/notes/nowhere", "QUERY_STRING": "", "SERVER_NAME": "fc",
               "SERVER_PORT": "9000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.5",
               "HTTP_ORIGIN": SITE, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "DELETE",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
               "wsgi.url_scheme": "http", "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False}
    seen = {}
    body = b"".join(fn(environ, lambda status, headers, exc_info=None: seen.update(status=status, headers=headers)))
    assert seen["status"].startswith("204") and body == b""
    assert ("Access-Control-Allow-Origin", SITE) in seen["headers"]


# --- through listen() ----------------------------------------------------------------------------


def test_preflight_and_error_through_listen():
    import http.client

    app = create_application(make_app())
    server = app.listen(port=0, host="127.0.0.1")
    try:
        host, port = server.server_address[:2]
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("OPTIONS", "/notes", headers=PREFLIGHT)
        res = conn.getresponse()
        res.read()
        assert res.status == 204 and res.getheader("Access-Control-Allow-Origin") == SITE
        conn.request("GET", "/notes/boom", headers={"Origin": SITE})
        res = conn.getresponse()
        assert json.loads(res.read())["code"] == 1
        assert res.status == 500 and res.getheader("Access-Control-Allow-Origin") == SITE
        conn.close()
    finally:
        app.stop()


# --- pay for what you use ------------------------------------------------------------------------


def test_an_app_without_cors_does_not_load_it():
    import subprocess
    import sys

    code = ("import io, sys, json; from koatty_lite import create_application; from examples.demo.app import App; "
            "h = create_application(App).get_request_handler(); "
            "env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/hello', 'QUERY_STRING': '', 'wsgi.input': io.BytesIO()}; "
            "b''.join(h(env, lambda *a: None)); print(json.dumps('koatty_lite.cors' in sys.modules))")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {os.path.dirname(HERE)!r}); "
                          + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False


def test_the_docs_example_configures_cors():
    import re

    with open(os.path.join(os.path.dirname(HERE), "docs", "core.md"), encoding="utf-8") as f:
        section = f.read().split("## CORS", 1)[1]
    ns = {"Koatty": Koatty}
    exec(compile(re.search(r"```python\n(.*?)```", section, re.S).group(1), "docs/core.md", "exec"), ns)
    ns["App"].components = [Notes]
    c = make_client(ns["App"])[0]
    res = c.options("/notes", headers=dict(PREFLIGHT, Origin="https://app.example.com"), status=204)
    assert res.headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,DELETE"
    assert res.headers["Access-Control-Allow-Headers"] == "Content-Type,Authorization"
    assert res.headers["Access-Control-Allow-Credentials"] == "true"


def test_an_origin_option_a_header_cannot_carry_fails_the_boot():
    with pytest.raises(ValueError, match="cors option origin holds a character a header cannot carry"):
        create_application(make_app({"origin": ["https://a.example\r\nX-Evil: 1"]}))


def test_a_function_origin_that_is_not_plain_is_not_sent():
    c = make_client(make_app({"origin": lambda ctx: "https://a.example\nX: 1"}))[0]
    assert "Access-Control-Allow-Origin" not in c.get("/notes", headers={"Origin": SITE}).headers


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_preflight_and_404_for_an_unknown_path_on_every_trigger(fn, kind):
    """Audit of issue 13.17: a preflight for a path no route serves is answered (a browser asks before a
    request the API will 404), and the 404 keeps the origin and credentials, on every trigger."""
    ans = check_response(fn(TRIGGERS[kind]("OPTIONS", "/nowhere/at/all", PREFLIGHT), FakeContext()), kind)
    assert ans.status == 204
    assert ans.header("access-control-allow-origin") == SITE
    assert ans.header("access-control-allow-credentials") == "true"
    ans = check_response(fn(TRIGGERS[kind]("DELETE", "/nowhere/at/all", {"Origin": SITE}), FakeContext()), kind)
    assert ans.status == 404 and ans.json()["message"] == "Not Found"
    assert ans.header("access-control-allow-origin") == SITE
    assert ans.header("access-control-allow-credentials") == "true"
    assert ans.header("vary") == "Origin"
