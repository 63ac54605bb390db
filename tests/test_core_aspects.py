"""Aspects: order, arguments, a before-aspect exception becomes the response."""
from __future__ import annotations

import pytest

from core_support import client as make_client
from core_support import error_of
from koatty_lite import (After, AfterEach, Aspect, Before, BeforeEach, Controller, Get, GetMapping, Koatty,
                         KoattyException, create_application)

TRACE = []


def recorder(label):
    @Aspect(label)
    class Rec:
        def run(self, ctx, *args):
            TRACE.append((label, args))

    return Rec


EachBefore = recorder("EachBefore")
EachAfter = recorder("EachAfter")
MethodBefore = recorder("MethodBefore")
MethodAfter = recorder("MethodAfter")


@Aspect()
class GuardAspect:
    def run(self, ctx, *args):
        if ctx.get("x-token") != "ok":
            raise KoattyException("forbidden", 2, 403)


@Controller("/a")
@BeforeEach(EachBefore)
@AfterEach("EachAfter")
class AspectController:
    def _before(self):
        TRACE.append(("_before", ()))

    def _after(self):
        TRACE.append(("_after", ()))

    @GetMapping("/m")
    @Before(MethodBefore)
    @After("MethodAfter")
    def m(self, x: int = Get("x", default=1), y: str = Get("y", default="b")):
        TRACE.append(("method", (x, y)))
        return {"x": x}

    @GetMapping("/guarded")
    @Before(GuardAspect)
    def guarded(self):
        TRACE.append(("guarded", ()))
        return {"secret": True}


class App(Koatty):
    components = [EachBefore, EachAfter, MethodBefore, MethodAfter, GuardAspect, AspectController]


@pytest.fixture
def c():
    TRACE.clear()
    return make_client(App)[0]


def test_aspect_order_and_args(c):
    assert c.get("/a/m?x=5").json == {"x": 5}
    assert TRACE == [
        ("_before", ()), ("EachBefore", (5, "b")), ("MethodBefore", (5, "b")), ("method", (5, "b")),
        ("MethodAfter", (5, "b")), ("EachAfter", (5, "b")), ("_after", ())]


def test_before_aspect_exception_is_the_response(c):
    res = c.get("/a/guarded", status=403)
    assert error_of(res) == {"code": 2, "message": "forbidden", "data": None}
    assert ("guarded", ()) not in TRACE
    assert ("EachBefore", ()) in TRACE  # the class-level aspect ran first
    assert c.get("/a/guarded", headers={"X-Token": "ok"}).json == {"secret": True}


def test_aspect_without_run_fails_boot():
    @Aspect()
    class NoRunAspect:
        pass

    @Controller()
    class C:
        @GetMapping("/")
        @Before(NoRunAspect)
        def x(self):
            return {}

    class A(Koatty):
        components = [NoRunAspect, C]

    with pytest.raises(TypeError, match="no run"):
        create_application(A)
