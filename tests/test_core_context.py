"""Context: request views, response headers, cookies, request ids, body helpers, platform keys."""
from __future__ import annotations

import io

import pytest

from core_support import client as make_client
from core_support import error_of
from koatty_lite import Context, Controller, GetMapping, Koatty, PostMapping, RequestMapping


def environ(**kw):
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "wsgi.input": io.BytesIO(b""),
           "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    env.update(kw)
    return env


@Controller("/ctx")
class CtxController:
    @GetMapping("/info")
    def info(self):
        ctx = self.ctx
        return {"method": ctx.method, "path": ctx.path, "query": ctx.query, "a": ctx.query_list("a"),
                "ua": ctx.get("user-agent"), "has": "User-Agent" in ctx.headers, "cookies": ctx.cookies,
                "ip": ctx.ip, "rid": ctx.request_id, "state": ctx.state, "url": ctx.url}

    @GetMapping("/cookies")
    def cookies(self):
        self.ctx.set_cookie("a", "1")
        self.ctx.set_cookie("b", "2", max_age=60, secure=True, samesite="Strict")
        self.ctx.set("X-One", "1")
        self.ctx.set("x-one", "2")
        self.ctx.append("X-Many", "1")
        self.ctx.append("X-Many", "2")
        return {"ok": True}

    @GetMapping("/split")
    def split(self):
        self.ctx.set("X-Bad", "a\r\nSet-Cookie: evil=1")

    @PostMapping("/body")
    def body(self):
        ctx = self.ctx
        return {"body": ctx.request_body(), "again": ctx.request_body() is ctx.request_body(),
                "files": sorted(ctx.request_file())}

    @RequestMapping("/throw/:how", "GET")
    def throw(self):
        how = self.ctx.params["how"]
        if how == "status":
            self.ctx.throw(403)
        if how == "status-msg":
            self.ctx.throw(409, "taken")
        self.ctx.throw("custom", 7, 422)

    @GetMapping("/redirect")
    def redirect(self):
        self.ctx.redirect("/ctx/info")


class App(Koatty):
    components = [CtxController]


@pytest.fixture
def c():
    return make_client(App)[0]


def test_request_views(c):
    res = c.get("/ctx/info?a=1&a=2&b=x", headers={"User-Agent": "t", "Cookie": 'k=v; q="quoted"; bad'},
                extra_environ={"REMOTE_ADDR": "10.0.0.1"})
    data = res.json
    assert data["query"] == {"a": "2", "b": "x"}  # a repeated key keeps its last value
    assert data["a"] == ["1", "2"]
    assert data["ua"] == "t" and data["has"] is True
    assert data["cookies"] == {"k": "v", "q": "quoted"}
    assert data["ip"] == "10.0.0.1"
    assert data["rid"] == res.headers["X-Request-Id"] and len(data["rid"]) == 16
    assert data["url"] == "/ctx/info?a=1&a=2&b=x"


@pytest.mark.parametrize("incoming,kept", [
    pytest.param("abc-123.x:y_z", True, id="valid"),
    pytest.param("a" * 129, False, id="too-long"),
    pytest.param("bad id", False, id="space"),
    pytest.param("<script>", False, id="markup"),
])
def test_incoming_request_id(c, incoming, kept):
    rid = c.get("/ctx/info", headers={"X-Request-Id": incoming}).headers["X-Request-Id"]
    assert (rid == incoming) is kept


def test_platform_request_id_wins(c):
    res = c.get("/ctx/info", headers={"X-Request-Id": "client"}, extra_environ={"koatty.request_id": "aws-1"})
    assert res.headers["X-Request-Id"] == "aws-1"


def test_platform_keys():
    ctx = Context(environ(**{"koatty.event": {"e": 1}, "koatty.context": "lc", "koatty.platform": "aws",
                             "koatty.event_kind": "apigw-v2", "koatty.trace_id": "Root=1"}))
    assert (ctx.event, ctx.platform_context, ctx.platform, ctx.event_kind, ctx.trace_id) == (
        {"e": 1}, "lc", "aws", "apigw-v2", "Root=1")
    bare = Context(environ(HTTP_X_AMZN_TRACE_ID="Root=2"))
    assert (bare.event, bare.platform_context, bare.platform, bare.event_kind, bare.trace_id) == (
        None, None, None, None, "Root=2")


def test_response_headers_as_pairs(c):
    res = c.get("/ctx/cookies")
    assert res.headers.getall("Set-Cookie") == ["a=1; Path=/; HttpOnly; SameSite=Lax",
                                                "b=2; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Strict"]
    assert res.headers.getall("X-One") == ["2"]
    assert res.headers.getall("X-Many") == ["1", "2"]


def test_header_splitting_refused(c):
    res = c.get("/ctx/split", status=500, expect_errors=True)
    assert "evil" not in res.headers.get("Set-Cookie", "")
    assert res.json["message"] == "Internal Server Error"


@pytest.mark.parametrize("name,value", [
    pytest.param("X-A", "a\nb", id="lf"), pytest.param("X-A", "a\rb", id="cr"),
    pytest.param("X-A", "a\x00b", id="nul"), pytest.param("X A", "v", id="name-space"),
    pytest.param("X-A\n", "v", id="name-lf"), pytest.param("X-A", "a\ud800", id="lone-surrogate"),
])
def test_set_refuses_bad_headers(name, value):
    ctx = Context(environ())
    with pytest.raises(ValueError):
        ctx.set(name, value)
    with pytest.raises(ValueError):
        ctx.append(name, value)


def test_set_cookie_refuses_bad_values():
    ctx = Context(environ())
    with pytest.raises(ValueError):
        ctx.set_cookie("a", "x; Domain=evil")
    with pytest.raises(ValueError):
        ctx.set_cookie("a b", "1")


@pytest.mark.parametrize("how,status,code,message", [
    pytest.param("status", 403, 1, "Forbidden", id="status"),
    pytest.param("status-msg", 409, 1, "taken", id="status-message"),
    pytest.param("koatty", 422, 7, "custom", id="message-code-status"),
])
def test_throw(c, how, status, code, message):
    assert error_of(c.get(f"/ctx/throw/{how}", status=status)) == {"code": code, "message": message, "data": None}


def test_redirect(c):
    res = c.get("/ctx/redirect", status=302)
    assert res.headers["Location"] == "/ctx/info"


def test_body_helpers_cached(c):
    res = c.post_json("/ctx/body", {"a": [1, 2]})
    assert res.json == {"body": {"a": [1, 2]}, "again": True, "files": []}
    res = c.post("/ctx/body", {"f": "v"}, upload_files=[("up", "a.bin", b"\x00")])
    assert res.json["body"] == {"f": "v"} and res.json["files"] == ["up"]


def test_status_validation():
    ctx = Context(environ())
    with pytest.raises(ValueError):
        ctx.status = 99
    ctx.status = 201
    assert ctx.status == 201


def test_headers_view_is_case_insensitive():
    ctx = Context(environ(HTTP_X_API_KEY="k", CONTENT_TYPE="text/plain", CONTENT_LENGTH="3"))
    assert ctx.headers["x-api-key"] == ctx.headers["X-Api-Key"] == ctx.get("X-API-KEY") == "k"
    assert ctx.headers.get("content-type") == "text/plain"
    assert dict(ctx.headers.items()) == {"x-api-key": "k", "content-type": "text/plain", "content-length": "3"}
    with pytest.raises(KeyError):
        ctx.headers["missing"]


def test_set_takes_the_shortcut_only_for_ordinary_names():
    """ctx.set's shortcut (a name already checked, a printable ASCII text value) keeps ctx.set's rules:
    Content-Type sets the type, a special name or a non-ASCII value marks the answer special, a repeated
    name replaces, a control character or a bad name is refused, whatever was set before."""
    for _ in range(2):  # the second round runs with every name already checked
        ctx = Context(environ())
        ctx.set("X-A", "1")
        ctx.set("x-a", 2)
        assert ctx._out == [("x-a", "2")] and not ctx._special
        ctx.set("Content-Type", "text/csv")
        assert ctx.type == "text/csv" and ctx._out == [("x-a", "2")] and not ctx._special
        ctx.set("Content-Type", "text/plain; name=é")
        assert ctx._special and ctx.type == "text/plain; name=é"
        ctx = Context(environ())
        ctx.set("Set-Cookie", "a=1")
        assert ctx._special
        ctx = Context(environ())
        ctx.set("X-City", "Zürich")
        assert ctx._special and ctx._out == [("X-City", "Zürich")]
        with pytest.raises(ValueError):
            ctx.set("X-A", "1\r\nX-B: 2")
        with pytest.raises(ValueError):
            ctx.set("X A", "1")
