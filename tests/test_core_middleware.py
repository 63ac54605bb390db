"""The onion: order, before/after next(), next() twice, configured @Middleware classes, body limit."""
from __future__ import annotations

import pytest

from core_support import client as make_client
from koatty_lite import Controller, GetMapping, Koatty, Middleware, PostMapping, RequestBody, create_application
from koatty_lite.app import compose
from koatty_lite.decorators import InjectionError


def test_compose_order_and_return_values():
    trace = []

    def mw(name):
        def fn(ctx, next):
            trace.append(name + ">")
            result = next()
            trace.append("<" + name)
            return result

        return fn

    chain = compose([mw("a"), mw("b")], lambda ctx: trace.append("end") or "done")
    assert chain(object()) == "done"
    assert trace == ["a>", "b>", "end", "<b", "<a"]


def test_next_twice_raises():
    chain = compose([lambda ctx, next: (next(), next())], lambda ctx: None)
    with pytest.raises(RuntimeError, match="multiple times"):
        chain(object())


def test_non_callable_refused():
    with pytest.raises(TypeError):
        compose([1])


def test_chain_used_as_middleware():
    trace = []
    inner = compose([lambda ctx, next: trace.append("inner") or next()])
    outer = compose([inner], lambda ctx: trace.append("end"))
    outer(object())
    assert trace == ["inner", "end"]


@Middleware()
class FirstMiddleware:
    def run(self, options, app):
        tag = options["tag"]

        def first(ctx, next):
            ctx.state["trace"] = [tag + ">"]
            next()
            ctx.set("X-Trace", ",".join(ctx.state["trace"] + ["<" + tag]))

        return first


@Middleware()
class SecondMiddleware:
    def run(self, options, app):
        def second(ctx, next):
            ctx.state["trace"].append("second>")
            if ctx.path == "/short":
                ctx.body = {"short": True}  # answer without calling next()
                return
            next()
            ctx.state["trace"].append("<second")

        return second


@Middleware()
class DisabledMiddleware:
    def run(self, options, app):
        raise AssertionError("disabled middleware must not be built")


@Controller()
class MwController:
    @GetMapping("/")
    def index(self):
        self.ctx.state["trace"].append("controller")
        return {"ok": True}

    @PostMapping("/echo")
    def echo(self, body=RequestBody()):
        return body


class App(Koatty):
    components = [FirstMiddleware, SecondMiddleware, DisabledMiddleware, MwController]
    config = {"middleware": {"list": ["FirstMiddleware", "SecondMiddleware", "DisabledMiddleware"],
                             "config": {"FirstMiddleware": {"tag": "first"},
                                        "DisabledMiddleware": {"enabled": False}}},
              "payload": {"limit": 16}}


@pytest.fixture
def c():
    return make_client(App)[0]


def test_configured_order_and_options(c):
    res = c.get("/")
    assert res.headers["X-Trace"] == "first>,second>,controller,<second,<first"


def test_middleware_can_answer_without_next(c):
    res = c.get("/short")
    assert res.json == {"short": True}


def test_app_use_runs_outermost():
    trace = []

    class A(App):
        def init(self):
            self.use(lambda ctx, next: trace.append("use") or next())

    make_client(A)[0].get("/")
    assert trace == ["use"]


def test_body_limit_413(c):
    res = c.post("/echo", b"x" * 17, content_type="text/plain", status=413)
    assert res.json["code"] == 1 and res.json["data"] is None
    assert c.post("/echo", b"x" * 16, content_type="text/plain").body == b"xxxxxxxxxxxxxxxx"


def test_invalid_json_is_400(c):
    res = c.post("/echo", b"{bad", content_type="application/json", status=400)
    assert res.json["code"] == 1


def test_body_parsed_only_once_a_route_will_serve_it(c):
    # Issue 12: a request no route serves is answered (404 / 405) without reading or parsing its body;
    # a routed one gets the 413 before its controller runs.
    c.post("/nowhere", b"x" * 17, content_type="text/plain", status=404)
    assert c.post("/", b"x" * 17, content_type="text/plain", status=405).headers["Allow"] == "GET, HEAD, OPTIONS"
    c.post("/echo", b"x" * 17, content_type="text/plain", status=413)


def test_unknown_middleware_in_list_fails_boot():
    class A(Koatty):
        config = {"middleware": {"list": ["NopeMiddleware"]}}

    with pytest.raises(InjectionError, match="NopeMiddleware"):
        create_application(A)


def test_run_must_return_callable():
    @Middleware()
    class BadMiddleware:
        def run(self, options, app):
            return None

    class A(Koatty):
        components = [BadMiddleware]
        config = {"middleware": {"list": ["BadMiddleware"]}}

    with pytest.raises(TypeError, match="must return a function"):
        create_application(A)


def test_unsupported_content_encoding_is_415(c):
    res = c.post("/echo", b"xx", headers={"Content-Type": "text/plain", "Content-Encoding": "br"}, status=415)
    assert res.json["code"] == 1


# --- async middleware refused at boot (issue 13.10) ---------------------------------------------


def test_app_use_refuses_an_async_middleware():
    async def timing(ctx, next):
        return next()

    class A(Koatty):
        def init(self):
            self.use(timing)

    with pytest.raises(TypeError) as info:
        create_application(A)
    assert str(info.value) == ("middleware 'test_app_use_refuses_an_async_middleware.<locals>.timing' is async: "
                               "the core is synchronous (WSGI); use a plain def fn(ctx, next)")


def test_app_use_refuses_an_object_with_async_call():
    class Timing:
        async def __call__(self, ctx, next):
            return next()

    with pytest.raises(TypeError, match="is async: the core is synchronous"):
        Koatty().use(Timing())


def _configured_app(mw):
    class A(Koatty):
        components = [mw]
        config = {"middleware": {"list": [mw.__name__]}}

    return A


def test_middleware_run_returning_an_async_function_fails_boot():
    @Middleware()
    class AsyncMw:
        def run(self, options, app):
            async def fn(ctx, next):
                return next()

            return fn

    with pytest.raises(TypeError) as info:
        create_application(_configured_app(AsyncMw))
    assert str(info.value) == ("middleware AsyncMw (the function its run() returns) is async: the core is "
                               "synchronous (WSGI); return a plain def fn(ctx, next)")


def test_async_middleware_run_method_fails_boot():
    @Middleware()
    class AsyncRun:
        async def run(self, options, app):
            return lambda ctx, next: next()

    with pytest.raises(TypeError, match=r"^AsyncRun.run is async: .*use a plain def run\(self, options, app\)$"):
        create_application(_configured_app(AsyncRun))


def test_async_aspect_and_exception_handler_fail_boot():
    from koatty_lite import Aspect, Before, ExceptionHandler

    @Aspect()
    class Auth:
        async def run(self, ctx, *args):
            ctx.throw(401)

    @Controller()
    class Guarded:
        @GetMapping("/")
        @Before(Auth)
        def index(self):
            return "secret"

    class A(Koatty):
        components = [Auth, Guarded]

    # Why: an async aspect's coroutine would never run, so the route would answer without its guard.
    with pytest.raises(TypeError, match="aspect Auth.run is async"):
        create_application(A)

    @ExceptionHandler()
    class Handler:
        async def handle(self, ctx, exc):
            return {}

    class B(Koatty):
        components = [Handler]

    with pytest.raises(TypeError, match="Handler.handle is async"):
        create_application(B)


def test_async_middleware_behind_a_partial_and_async_event_listeners_are_refused():
    """Audit of issue 13.10: functools.partial(async_fn) passed as middleware, and app.on/once with an
    async listener, were accepted: the coroutine never ran (a RuntimeWarning at best)."""
    import functools

    async def timing(ctx, next, label):
        return next()

    class A(Koatty):
        def init(self):
            self.use(functools.partial(timing, label="t"))

    with pytest.raises(TypeError, match="is async: the core is synchronous"):
        create_application(A)

    async def ready(app):
        pass

    for register in (Koatty.on, Koatty.once):
        class B(Koatty):
            def init(self, register=register):
                register(self, "appReady", ready)

        with pytest.raises(TypeError) as info:
            create_application(B)
        assert str(info.value).endswith("ready' of 'appReady' is async: the core is synchronous (WSGI); "
                                        "use a plain def")
