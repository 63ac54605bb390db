"""Parameter markers are one registry of named records: a user's marker is a class, no core edit.

A ``Cookie`` marker is defined here, outside the package, and used on a controller served through
handler() (an API Gateway event) and webtest (the WSGI callable).
"""
from __future__ import annotations

import json
import uuid

import pytest

from koatty_lite import Controller, Get, GetMapping, Koatty, Param, create_application, handler, register_marker
from koatty_lite.cli.event import HttpRequest, build_event
from koatty_lite.routes import MARKERS, Extractor

from core_support import client


class Cookie(Param):
    """The request cookie ``name``."""

    __slots__ = ()
    source = "cookie"  # OpenAPI's "in": cookie; validation's loc ["cookie", name]
    where = "cookie"

    def get(self, ctx, key):
        return ctx.cookies.get(key, self.MISSING)


@Controller("/")
class Session:
    @GetMapping("/who")
    def who(self, sid: str = Cookie(), theme: str = Cookie("ui-theme", default="light"), n: int = Get(default=1)):
        return {"sid": sid, "theme": theme, "n": n}

    @GetMapping("/count")
    def count(self, visits: int = Cookie()):
        return {"visits": visits}


class App(Koatty):
    components = [Session]


@pytest.fixture
def web():
    return client(App)[0]


def test_a_marker_class_reads_its_own_value(web):
    web.set_cookie("sid", "abc")
    web.set_cookie("ui-theme", "dark")
    assert web.get("/who?n=3").json == {"sid": "abc", "theme": "dark", "n": 3}


def test_a_missing_value_is_the_400_naming_the_markers_where(web):
    answer = web.get("/who", status=400).json
    assert answer["message"] == "missing required parameter 'sid' (cookie 'sid')"
    web.set_cookie("sid", "abc")
    assert web.get("/who").json == {"sid": "abc", "theme": "light", "n": 1}


def test_the_annotation_converts_a_custom_markers_value(web):
    web.set_cookie("visits", "41")
    assert web.get("/count").json == {"visits": 41}
    web.set_cookie("visits", "many")
    assert web.get("/count", status=400).json["message"] == \
        "invalid parameter 'visits' (cookie 'visits'): expected int"


def test_served_through_handler():
    req = HttpRequest("GET", "/who", "", [("Host", "x"), ("Cookie", "sid=s-1; ui-theme=blue")])
    answer = handler(App)(build_event("apigw-v1", req), None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"sid": "s-1", "theme": "blue", "n": 1}


def test_the_getter_is_bound_at_boot():
    ext = Extractor("sid", Cookie(), "str")
    assert ext.getter.__func__ is Cookie.get and ext.key == "sid" and ext.where == "cookie 'sid'"
    assert Extractor("q", Get(), None).getter is MARKERS["query"].get  # the built-ins: a plain function


def test_a_marker_whose_source_nothing_reads_fails_the_boot_by_name():
    class Tenant(Param):
        __slots__ = ()
        source = "tenant"

    @Controller("/")
    class Uses:
        @GetMapping("/t")
        def t(self, tenant: str = Tenant()):
            return tenant

    class Broken(Koatty):
        components = [Uses]

    with pytest.raises(TypeError, match=r"Tenant has source 'tenant', which no getter reads.*register_marker"):
        create_application(Broken)


def test_register_marker_adds_a_source_for_marker_classes():
    def get_tenant(ctx, key):
        value = ctx.headers.get("x-tenant")
        return Param.MISSING if value is None else value.lower()

    record = register_marker("tenant-header", get_tenant, "tenant header", keyed=False)
    try:
        assert (record.source, record.get, record.where, record.keyed, record.converts) == \
            ("tenant-header", get_tenant, "tenant header", False, True)

        class Tenant(Param):
            __slots__ = ()
            source = "tenant-header"

        @Controller("/")
        class Uses:
            @GetMapping("/t")
            def t(self, tenant: str = Tenant()):
                return {"tenant": tenant}

        class WithTenant(Koatty):
            components = [Uses]

        web = client(WithTenant)[0]
        assert web.get("/t", headers={"X-Tenant": "ACME"}).json == {"tenant": "acme"}
        assert web.get("/t", status=400).json["message"] == "missing required parameter 'tenant' (tenant header)"
        with pytest.raises(ValueError, match="already registered"):
            register_marker("tenant-header", get_tenant, "x")
        with pytest.raises(TypeError, match="get must be callable"):
            register_marker("other", None, "x")
    finally:
        del MARKERS["tenant-header"]


def test_validation_and_openapi_see_the_markers_source():
    @Controller("/")
    class Typed:
        @GetMapping("/s")
        def s(self, sid: uuid.UUID = Cookie()):
            return {"sid": str(sid)}

    class TypedApp(Koatty):
        components = [Typed]

    web, app = client(TypedApp)
    sid = str(uuid.uuid4())
    web.set_cookie("sid", sid)
    assert web.get("/s").json == {"sid": sid}
    web.set_cookie("sid", "nope")
    body = web.get("/s", status=400).json
    assert [e["loc"] for e in body["data"]["errors"]] == [["cookie", "sid"]]
    params = app.openapi()["paths"]["/s"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params] == [("sid", "cookie", True)]
