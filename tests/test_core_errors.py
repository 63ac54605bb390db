"""Error output: KoattyException/HttpException, unknown exceptions, the @ExceptionHandler, what propagates."""
from __future__ import annotations

import io

import pytest

from core_support import client as make_client
from core_support import error_of
from koatty_lite import (Controller, ExceptionHandler, GetMapping, HttpException, Koatty, KoattyException,
                         create_application)


class Boom(Exception):
    pass


@Controller()
class ErrController:
    @GetMapping("/koatty")
    def koatty(self):
        raise KoattyException("bad thing", 5, 418, data={"k": 1})

    @GetMapping("/http")
    def http(self):
        raise HttpException("nope", status=401)

    @GetMapping("/boom")
    def boom(self):
        self.ctx.set("X-Before", "kept")
        raise Boom("secret detail")

    @GetMapping("/returned")
    def returned(self):
        return HttpException("returned", 3, 409)

    @GetMapping("/interrupt")
    def interrupt(self):
        raise KeyboardInterrupt

    @GetMapping("/exit")
    def exit(self):
        raise SystemExit(3)

    @GetMapping("/memory")
    def memory(self):
        raise MemoryError

    @GetMapping("/unserialisable")
    def unserialisable(self):
        return {"x": object()}


class App(Koatty):
    components = [ErrController]


@pytest.fixture
def c():
    return make_client(App)[0]


def test_koatty_exception(c):
    res = c.get("/koatty", status=418)
    assert error_of(res) == {"code": 5, "message": "bad thing", "data": {"k": 1}}
    assert res.headers["Content-Type"] == "application/json; charset=utf-8"
    assert res.headers["X-Request-Id"]


def test_http_exception_is_a_koatty_exception(c):
    assert issubclass(HttpException, KoattyException)
    assert error_of(c.get("/http", status=401)) == {"code": 1, "message": "nope", "data": None}
    assert error_of(c.get("/returned", status=409)) == {"code": 3, "message": "returned", "data": None}


def test_unknown_exception_500_traceback_to_wsgi_errors():
    app = create_application(App)
    errors = io.StringIO()
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/boom", "wsgi.input": io.BytesIO(), "wsgi.errors": errors}
    seen = {}
    body = b"".join(app.get_request_handler()(env, lambda s, h, e=None: seen.update(status=s, headers=h)))
    assert seen["status"] == "500 Internal Server Error"
    rid = dict(seen["headers"])["X-Request-Id"]
    assert body == b'{"code":1,"message":"Internal Server Error","data":null,"requestId":"%s"}' % rid.encode()
    assert b"secret" not in body
    assert "Boom: secret detail" in errors.getvalue() and "Traceback" in errors.getvalue()
    assert ("X-Before", "kept") not in seen["headers"]  # Koa onerror: dropped (issue 12)


def test_unserialisable_body_is_500(c):
    res = c.get("/unserialisable", status=500, expect_errors=True)
    assert res.json["message"] == "Internal Server Error"


@pytest.mark.parametrize("path,exc", [
    pytest.param("/interrupt", KeyboardInterrupt, id="KeyboardInterrupt"),
    pytest.param("/exit", SystemExit, id="SystemExit"),
    pytest.param("/memory", MemoryError, id="MemoryError"),
])
def test_fatal_exceptions_propagate(path, exc):
    app = create_application(App)
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO()}
    with pytest.raises(exc):
        app.get_request_handler()(env, lambda *a: None)


@pytest.mark.parametrize("args,status", [
    pytest.param(("m",), 500, id="default"), pytest.param(("m", 1, 404), 404, id="given"),
    pytest.param(("m", 1, 99), 500, id="too-low"), pytest.param(("m", 1, "x"), 500, id="not-int"),
])
def test_exception_status_clamped(args, status):
    assert KoattyException(*args).status == status


def make_handler_app(handle):
    @ExceptionHandler()
    class Handler:
        pass

    Handler.handle = handle

    class A(Koatty):
        components = [ErrController, Handler]

    return make_client(A)[0]


def test_exception_handler_returns_body():
    def handle(self, ctx, exc):
        ctx.status = getattr(exc, "status", 500)
        return {"error": type(exc).__name__, "path": ctx.path}

    c = make_handler_app(handle)
    assert c.get("/koatty", status=418).json == {"error": "KoattyException", "path": "/koatty"}
    res = c.get("/boom", status=500, expect_errors=True)  # the fault is still logged to wsgi.errors
    assert res.json == {"error": "Boom", "path": "/boom"} and "Boom: secret detail" in res.errors
    assert c.get("/nowhere", status=404).json == {"error": "HttpException", "path": "/nowhere"}


def test_exception_handler_sets_body_status_defaults():
    def handle(self, ctx, exc):
        ctx.body = "oops"

    c = make_handler_app(handle)
    res = c.get("/http", status=401)
    assert res.body == b"oops"


def test_exception_handler_doing_nothing_falls_back():
    c = make_handler_app(lambda self, ctx, exc: None)
    assert error_of(c.get("/http", status=401)) == {"code": 1, "message": "nope", "data": None}


def test_exception_handler_raising_falls_back_to_500():
    def handle(self, ctx, exc):
        raise RuntimeError("handler broke")

    c = make_handler_app(handle)
    res = c.get("/koatty", status=500, expect_errors=True)
    assert error_of(res) == {"code": 1, "message": "Internal Server Error", "data": None}
    assert "handler broke" in res.errors
