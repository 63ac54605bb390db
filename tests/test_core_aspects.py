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


@pytest.mark.parametrize("decorate, which", [(lambda a: (None, Before(a)), "Before"),
                                             (lambda a: (BeforeEach(a), None), "BeforeEach"),
                                             (lambda a: (None, Before("AuthAspect")), "Before")])
def test_an_aspect_used_but_not_registered_names_the_referrer_and_the_fix(decorate, which):
    @Aspect()
    class AuthAspect:
        def run(self, ctx, *args):
            pass

    on_class, on_method = decorate(AuthAspect)

    class Notes:
        @GetMapping("/notes")
        def list(self):
            return []

    if on_method:
        Notes.list = on_method(Notes.list)
    if on_class:
        Notes = on_class(Notes)
    Notes = Controller()(Notes)

    class A(Koatty):
        components = [Notes]

    from koatty_lite.decorators import InjectionError

    with pytest.raises(InjectionError) as info:
        create_application(A)
    assert str(info.value) == (f"Notes.list: aspect AuthAspect (from @{which}) is not registered: "
                               "add it to App.components")
