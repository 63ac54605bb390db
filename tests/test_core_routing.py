"""Routing, parameters and conversion, return values → responses, HEAD/OPTIONS/404/405."""
from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

from core_support import client as make_client
from core_support import error_of
from koatty_lite import (Controller, DeleteMapping, File, Get, GetMapping, Header, HeadMapping, Koatty,
                         OptionsMapping, PatchMapping, PathVariable, Post, PostMapping, PutMapping,
                         RequestBody, RequestMapping, RequestParam)
from koatty_lite.routes import Router, join_path


def find(router, method, path):
    """``(handler, params, table)`` of ``router.match`` (Router.find was this, used by tests only)."""
    return router.match(method, path)[:3]


@Controller("/api/")
class ApiController:
    @GetMapping("/items")
    def items(self):
        return [1, 2]

    @PostMapping("//items/")
    def create(self, body: dict = RequestBody()):
        self.ctx.status = 201
        return body

    @GetMapping("/items/:id")
    def item(self, id: int = PathVariable("id"), full: bool = Get("full", default=False)):
        return {"id": id, "full": full}

    @PutMapping("/items/:id")
    def put(self, id: int = PathVariable()):
        return {"put": id}

    @DeleteMapping("/items/:id")
    def delete(self, id: int = PathVariable("id")):
        return None

    @PatchMapping("/items/:id")
    def patch(self, id=PathVariable("id"), name: str = Post("name")):
        return {"id": id, "name": name}

    @GetMapping("/conv")
    def conv(self, i: int = Get("i", default=0), f: float = Get("f", default=0.0), b: bool = Get("b", default=False),
             s: str = Get("s", default=""), o: "int | None" = Get("o", default=None)):
        return {"i": i, "f": f, "b": b, "s": s, "o": o}

    @GetMapping("/header")
    def header(self, key: str = Header("x-api-key")):
        return {"key": key}

    @GetMapping("/params/:id")
    def params(self, all=RequestParam(), id=RequestParam("id")):
        return {"all": all, "id": id}

    @GetMapping("/text")
    def text(self):
        return "plain"

    @GetMapping("/html")
    def html(self):
        return "<p>hi</p>"

    @GetMapping("/bytes")
    def raw(self):
        return b"\x00\x01"

    @GetMapping("/none")
    def none(self):
        return None

    @GetMapping("/body-set")
    def body_set(self):
        self.ctx.body = {"set": True}

    @GetMapping("/typed")
    def typed(self):
        self.ctx.type = "xml"
        return "<a/>"

    @RequestMapping("/any", method="ALL")
    def any(self):
        return {"method": self.ctx.method}

    @OptionsMapping("/opts")
    def opts(self):
        self.ctx.set("X-Opts", "1")
        self.ctx.status = 200
        return {"options": True}

    @HeadMapping("/head-only")
    def head_only(self):
        self.ctx.set("X-Head", "1")
        self.ctx.status = 200

    @PostMapping("/upload")
    def upload(self, up=File("upload")):
        return {"filename": up.filename, "size": up.size, "data": up.read().decode()}


class App(Koatty):
    components = [ApiController]


@pytest.fixture
def c():
    return make_client(App)[0]


def test_static_and_dynamic_routes(c):
    assert c.get("/api/items").json == [1, 2]
    assert c.get("/api/items/").json == [1, 2]  # trailing slash stripped
    assert c.get("/api/items/5?full=yes").json == {"id": 5, "full": True}
    assert c.put("/api/items/5").json == {"put": 5}
    assert c.post_json("/api/items", {"a": 1}, status=201).json == {"a": 1}


def test_path_join_and_normalise():
    assert join_path("/api/", "//items/") == "/api/items"
    assert join_path("", "/") == "/"
    assert join_path("", "") == "/"
    assert join_path("a", "b/") == "/a/b"


def test_delete_returning_none_is_204(c):
    res = c.delete("/api/items/5", status=204)
    assert res.body == b""
    assert "Content-Type" not in res.headers


@pytest.mark.parametrize("query,expected", [
    pytest.param("i=3&f=1.5&b=on&s=x&o=4", {"i": 3, "f": 1.5, "b": True, "s": "x", "o": 4}, id="all"),
    pytest.param("b=no", {"i": 0, "f": 0.0, "b": False, "s": "", "o": None}, id="defaults"),
    pytest.param("b=0&i=-7", {"i": -7, "f": 0.0, "b": False, "s": "", "o": None}, id="negative"),
])
def test_conversion(c, query, expected):
    assert c.get("/api/conv?" + query).json == expected


@pytest.mark.parametrize("query,param", [
    pytest.param("i=x", "i", id="int"),
    pytest.param("f=nan", "f", id="float-nan"),
    pytest.param("f=abc", "f", id="float"),
    pytest.param("b=maybe", "b", id="bool"),
    pytest.param("i=1.5", "i", id="int-fraction"),
])
def test_bad_conversion_is_400(c, query, param):
    res = c.get("/api/conv?" + query, status=400)
    assert res.json["code"] == 1 and res.json["data"] is None
    assert f"'{param}'" in res.json["message"] and "query parameter" in res.json["message"]


def test_missing_required_is_400_naming_where(c):
    res = c.get("/api/header", status=400)
    assert res.json["message"] == "missing required parameter 'key' (header 'x-api-key')"
    assert c.get("/api/header", headers={"X-API-Key": "k"}).json == {"key": "k"}
    res = c.patch_json("/api/items/1", {"nope": 1}, status=400)
    assert res.json["message"] == "missing required parameter 'name' (body field 'name')"
    assert c.patch_json("/api/items/1", {"name": "n"}).json == {"id": "1", "name": "n"}


def test_request_param_path_wins(c):
    assert c.get("/api/params/9?id=1&q=2").json == {"all": {"id": "9", "q": "2"}, "id": "9"}


@pytest.mark.parametrize("path,ctype,body", [
    pytest.param("/api/text", "text/plain; charset=utf-8", b"plain", id="str"),
    pytest.param("/api/html", "text/html; charset=utf-8", b"<p>hi</p>", id="html"),
    pytest.param("/api/bytes", "application/octet-stream", b"\x00\x01", id="bytes"),
    pytest.param("/api/body-set", "application/json; charset=utf-8", b'{"set":true}', id="ctx.body"),
    pytest.param("/api/typed", "application/xml; charset=utf-8", b"<a/>", id="ctx.type"),
])
def test_return_values(c, path, ctype, body):
    res = c.get(path)
    assert res.headers["Content-Type"] == ctype
    assert res.body == body
    assert res.headers["Content-Length"] == str(len(body))


def test_none_without_body_is_204(c):
    assert c.get("/api/none", status=204).body == b""


def test_404_body(c):
    res = c.get("/nowhere", status=404)
    assert error_of(res) == {"code": 1, "message": "Not Found", "data": None}
    assert res.headers["Content-Type"] == "application/json; charset=utf-8"


def test_405_with_allow(c):
    res = c.post("/api/items/3", status=405)
    assert error_of(res) == {"code": 1, "message": "Method Not Allowed", "data": None}
    assert res.headers["Allow"] == "GET, HEAD, PUT, DELETE, PATCH, OPTIONS"


def test_head_served_by_get_without_body(c):
    res = c.head("/api/items")
    assert res.status_int == 200 and res.body == b""
    assert res.headers["Content-Length"] == str(len(b"[1,2]"))
    assert c.head("/api/head-only").headers["X-Head"] == "1"


def test_options_without_route_is_204_with_allow(c):
    res = c.options("/api/items", status=204)
    assert res.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    res = c.options("/api/opts")
    assert res.json == {"options": True} and res.headers["X-Opts"] == "1"
    c.options("/nowhere", status=404)


def test_request_mapping_all(c):
    for method in ("get", "post", "put", "delete", "patch"):
        assert getattr(c, method)("/api/any").json == {"method": method.upper()}


def test_upload_file(c):
    res = c.post("/api/upload", upload_files=[("upload", "a.txt", b"hello")])
    assert res.json == {"filename": "a.txt", "size": 5, "data": "hello"}
    res = c.post("/api/upload", {"x": "1"}, status=400)
    assert res.json["message"] == "missing required parameter 'up' (uploaded file 'upload')"


def test_router_rejects_duplicates_and_bad_params():
    r = Router()
    r.add("GET", "/a/:id", 1)
    with pytest.raises(ValueError, match="duplicate route"):
        r.add("GET", "/a/:id/", 2)
    with pytest.raises(ValueError, match="duplicate path parameter"):
        r.add("GET", "/b/:id/:id", 3)
    assert find(r, "GET", "/a/x") == (1, {"id": "x"}, {"GET": 1})
    assert find(r, "GET", "/a/x/y") == (None, None, None)


def test_wildcard_route():
    r = Router()
    r.add("GET", "/static/*", 1)
    assert find(r, "GET", "/static/a/b.css")[:2] == (1, {"wildcard": "a/b.css"})


def test_argument_without_marker_fails_boot():
    from koatty_lite import create_application

    @Controller()
    class Bad:
        @GetMapping("/")
        def x(self, id):
            return id

    class A(Koatty):
        components = [Bad]

    with pytest.raises(TypeError, match="argument 'id' needs a marker"):
        create_application(A)


def test_non_utf8_path_and_query_do_not_500():
    @Controller()
    class E:
        @GetMapping("/echo/:v")
        def echo(self, v: str = PathVariable("v"), q: str = Get("q", default="")):
            return {"v": v, "q": q}

    class A(Koatty):
        components = [E]

    c = make_client(A)[0]
    # A raw 0xff byte arrives as the latin-1 character U+00FF in the WSGI native string.
    res = c.get("/echo/%FF?q=%FF")
    assert res.json == {"v": "\ufffd", "q": "\ufffd"}


def test_async_method_fails_boot():
    from koatty_lite import create_application

    @Controller()
    class Async:
        @GetMapping("/")
        async def x(self):
            return {}

    class A(Koatty):
        components = [Async]

    with pytest.raises(TypeError, match="is async"):
        create_application(A)


# The router matches by hand (no regex compiled at boot). The regex it replaced is the oracle:
# every pattern × path below must give the same answer as the compiled regex did (with one
# deliberate difference: ``*`` now matches a newline too, hence DOTALL in the oracle).
_ORACLE_PARAM = r":([A-Za-z_][A-Za-z0-9_]*)|\*"


def _oracle(pattern, path):
    import re

    out, pos = [], 0
    for m in re.finditer(_ORACLE_PARAM, pattern):
        out.append(re.escape(pattern[pos:m.start()]))
        out.append("(?P<wildcard>.*)" if m.group(0) == "*" else f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    m = re.compile("".join(out), re.DOTALL).fullmatch(path)
    return None if m is None else m.groupdict()


_PATTERNS = ["/users/:id", "/users/:id/posts/:post", "/static/*", "/*", "/a/*/b", "/v:ver/x",
             "/files/:name.:ext", "/:a-:b", "/x/:id/*", "/time:", "/a:/b", "/:_x9/y", "/q/:1", "/:a/:b/:c"]
_PATHS = ["/", "/users", "/users/1", "/users/1/", "/users/1/posts/2", "/users//posts/2", "/users/1/x",
          "/static", "/static/a", "/static/a/b.css", "/static//a", "/a/b", "/a/x/b", "/a/x/y/b", "/a//b",
          "/v2/x", "/v/x", "/files/a.b.c", "/files/.c", "/files/a.", "/x-y", "/x-y-z", "/-y", "/x/7",
          "/x/7/rest/of/it", "/time:", "/a:/b", "/z/y", "/q/:1", "/q/1", "/1/2/3", "/1/2", "/é/ü/\n",
          "/static/a\nb", "/users/%2F"]


@pytest.mark.parametrize("pattern", _PATTERNS)
def test_hand_matcher_agrees_with_the_regex_it_replaced(pattern):
    from koatty_lite.routes import Router, join_path

    r = Router()
    r.add("GET", pattern, "h")
    for path in _PATHS:
        expected = _oracle(join_path(pattern), path.rstrip("/") or "/")
        if join_path(pattern) in r.static:  # no parameter at all: a static route
            expected = {} if (path.rstrip("/") or "/") == join_path(pattern) else None
        handler, params, _ = find(r, "GET", path)
        assert (params if handler else None) == expected, (pattern, path)


def test_router_compiles_no_regex_at_boot(monkeypatch):
    import re

    calls = []
    monkeypatch.setattr(re, "_compile", lambda *a, **k: calls.append(a))
    routers = {}
    for p in _PATTERNS:
        routers[p] = Router()
        routers[p].add("GET", p, 1)
    assert find(routers["/users/:id"], "GET", "/users/1")[1] == {"id": "1"}
    assert find(routers["/a/*/b"], "GET", "/a/x/y/b")[1] == {"wildcard": "x/y"}
    assert find(routers["/files/:name.:ext"], "GET", "/files/a.b.c")[1] == {"name": "a.b", "ext": "c"}
    assert calls == []


def test_a_parameter_named_twice_is_refused():
    for path in ("/a/*/b/*", "/:wildcard/*", "/:x.:x"):
        with pytest.raises(ValueError, match="duplicate path parameter"):
            Router().add("GET", path, 1)


def test_property_hand_matcher_agrees_with_the_regex():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies
    from koatty_lite.routes import Router, join_path

    # Route paths and request paths over a small alphabet, so they often (nearly) match.
    piece = st.sampled_from(["a", "b", "/", ":x", ":y", ":z1", "*", ".", "-", ":", "ab"])
    request = st.text("ab/.-:x\n", max_size=12)

    @hyp.settings(max_examples=300, deadline=None, derandomize=True)
    @hyp.given(st.lists(piece, min_size=1, max_size=6).map("".join), request)
    def check(pattern, path):
        route = join_path(pattern)
        r = Router()
        try:
            r.add("GET", route, "h")
        except ValueError:
            return  # a parameter named twice: refused at boot, by both implementations
        request_path = "/" + path
        handler, params, _ = find(r, "GET", request_path)
        got = params if handler else None
        norm = request_path.rstrip("/") or "/"
        if route in r.static:
            expected = {} if norm == route else None
        else:
            expected = _oracle(route, norm)
        assert got == expected, (route, request_path)

    check()


def test_hostile_path_against_a_many_parameter_segment_is_bounded(monkeypatch):
    from koatty_lite import context_extra
    from koatty_lite.routes import Pattern

    calls = []
    original = context_extra.match_tokens

    def counting(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(context_extra, "match_tokens", counting)
    r = Router()
    r.add("GET", "/:a-:b-:c.:d", 1)
    assert find(r, "GET", "/" + "-" * 3000 + ".") == (None, None, None)  # d would be empty: no match
    assert len(calls) <= Pattern.MAX_STEPS + 1
    assert find(r, "GET", "/x-y-z.json")[1] == {"a": "x", "b": "y", "c": "z", "d": "json"}
    assert find(r, "GET", "/" + "-" * 3000 + "/x") == (None, None, None)  # one slash too many


# --- boot-time checks of route definitions (issue 13.8, 13.10, 13.15) ----------------------------


def _boot(*components):
    from koatty_lite import create_application

    class A(Koatty):
        pass

    A.components = list(components)
    return create_application(A)


def test_path_variable_naming_no_route_parameter_fails_boot():
    @Controller("/notes")
    class Notes:
        @GetMapping("/:nid")
        def get(self, id: int = PathVariable("id")):
            return id

    with pytest.raises(ValueError) as info:
        _boot(Notes)
    assert str(info.value) == ("Notes.get: argument 'id' is PathVariable('id') but route GET /notes/:nid "
                               "has no parameter :id (its parameters: :nid)")


def test_path_variable_defaulting_to_the_argument_name_is_checked_too():
    @Controller()
    class Static:
        @GetMapping("/all")
        def get(self, id: int = PathVariable()):
            return id

    with pytest.raises(ValueError, match=r"route GET /all has no parameter :id \(its parameters: none\)"):
        _boot(Static)


def test_path_variables_on_several_paths_and_wildcards_boot():
    @Controller()
    class Files:
        @GetMapping("/files")
        @GetMapping("/files/:name")
        def get(self, name: str = PathVariable("name", default="index")):
            return {"name": name}

        @GetMapping("/static/*")
        def static(self, rest: str = PathVariable("wildcard")):
            return {"rest": rest}

    c = make_client(type("A", (Koatty,), {"components": [Files]}))[0]
    assert c.get("/files").json == {"name": "index"}
    assert c.get("/files/a").json == {"name": "a"}
    assert c.get("/static/a/b").json == {"rest": "a/b"}


def test_a_default_does_not_hide_a_name_no_path_has():
    @Controller()
    class Typo:
        @GetMapping("/a/:nid")
        @GetMapping("/b")
        def get(self, id: str = PathVariable("id", default="")):
            return id

    with pytest.raises(ValueError, match=r"Typo.get: argument 'id' is PathVariable\('id'\) but route GET /(a/:nid|b) "):
        _boot(Typo)


def test_path_variable_required_on_one_of_several_paths_fails_boot():
    @Controller()
    class Half:
        @GetMapping("/a/:id")
        @GetMapping("/b")
        def get(self, id: str = PathVariable("id")):
            return id

    with pytest.raises(ValueError, match=r"route GET /b has no parameter :id"):
        _boot(Half)


def test_async_generator_route_fails_boot():
    @Controller()
    class Stream:
        @GetMapping("/")
        async def x(self):
            yield b"chunk"

    with pytest.raises(TypeError) as info:
        _boot(Stream)
    assert str(info.value) == ("Stream.x is an async generator: the core is synchronous (WSGI); "
                               "use a plain def")


# --- response tuples (issue 13.13) ---------------------------------------------------------------


@Controller("/t")
class TupleController:
    @PostMapping("/created")
    def created(self):
        return {"id": 7}, 201

    @GetMapping("/headers")
    def headers(self):
        return "moved", 200, {"X-Flavour": "plain", "Cache-Control": "no-store"}

    @GetMapping("/pairs")
    def pairs(self):
        return [1, 2], 202, [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]

    @DeleteMapping("/gone")
    def gone(self):
        return None, 204

    @GetMapping("/list")
    def as_list(self):
        return [{"a": 1}, 201]

    @GetMapping("/other")
    def other_tuples(self, which: str = Get("which")):
        return {"ints": (1, 2), "bad-status": ("x", 42), "bool": ("x", True), "four": ("x", 200, {}, 1),
                "bad-headers": ("x", 200, "h")}[which]


@pytest.fixture
def tc():
    return make_client(type("TupleApp", (Koatty,), {"components": [TupleController]}))[0]


def test_body_status_tuple(tc):
    res = tc.post("/t/created", status=201)
    assert res.json == {"id": 7} and res.content_type == "application/json"


def test_body_status_headers_tuple(tc):
    res = tc.get("/t/headers", status=200)
    assert res.text == "moved" and res.headers["X-Flavour"] == "plain" and res.headers["Cache-Control"] == "no-store"
    res = tc.get("/t/pairs", status=202)
    assert res.json == [1, 2] and res.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    res = tc.delete("/t/gone", status=204)
    assert res.body == b""


@pytest.mark.parametrize("which, body", [("ints", [1, 2]), ("bad-status", ["x", 42]), ("bool", ["x", True]),
                                         ("four", ["x", 200, {}, 1]), ("bad-headers", ["x", 200, "h"])])
def test_other_tuples_and_lists_stay_json_arrays(tc, which, body):
    assert tc.get("/t/other", {"which": which}, status=200).json == body


def test_a_list_is_never_unpacked(tc):
    assert tc.get("/t/list", status=200).json == [{"a": 1}, 201]


def test_response_tuple_through_handler():
    import koatty_lite
    from robust_support import FakeContext, check_response, v2_event

    handler = koatty_lite.handler(type("TupleApp2", (Koatty,), {"components": [TupleController]}))
    ans = check_response(handler(v2_event("GET", "/t/pairs"), FakeContext()), "apigw-v2")
    assert ans.status == 202 and ans.resp["cookies"] == ["a=1", "b=2"]


def test_duplicate_route_names_both_methods():
    @Controller("/notes")
    class Notes:
        @GetMapping("/:id")
        def get(self, id: str = PathVariable("id")):
            return id

    @Controller("/notes")
    class LegacyNotes:
        @GetMapping("/:id/")
        def show(self, id: str = PathVariable("id")):
            return id

    with pytest.raises(ValueError) as info:
        _boot(Notes, LegacyNotes)
    assert str(info.value) == "duplicate route GET /notes/:id: Notes.get and LegacyNotes.show"


def test_arguments_converted_by_annotation_uuid_list_decimal_date():
    """Issue 15: a UUID argument stayed a string and list[int] got the last value as a string."""

    @Controller("/")
    class Conv:
        @GetMapping("/conv15")
        def conv(self, ref: uuid.UUID = Get("ref"), tags: list[int] = Get("tag"),
                 price: decimal.Decimal = Get("price"), day: datetime.date = Get("day")):
            return {"ref": type(ref).__name__, "tags": tags, "price": [type(price).__name__, str(price)],
                    "day": type(day).__name__}

    c, _ = make_client(type("ConvApp", (Koatty,), {"components": [Conv]}))
    res = c.get("/conv15?ref=12345678-1234-5678-1234-567812345678&tag=1&tag=2&price=1.50&day=2024-01-02")
    assert res.json == {"ref": "UUID", "tags": [1, 2], "price": ["Decimal", "1.50"], "day": "date"}
    bad = c.get("/conv15?ref=x&tag=1&tag=y&price=1&day=2024-01-02", status=400).json
    assert [(e["loc"], e["rule"]) for e in bad["data"]["errors"]] == [(["query", "ref"], "type"),
                                                                       (["query", "tag", 1], "type")]


def test_routes_differing_only_in_parameter_names_are_a_duplicate():
    """Audit of issue 13.15: GET /x/:id and GET /x/:nid booted; the second was never reached."""

    @Controller("/x")
    class Items:
        @GetMapping("/:id")
        def get(self, id: str = PathVariable("id")):
            return id

        @GetMapping("/:nid")
        def other(self, nid: str = PathVariable("nid")):
            return nid

    with pytest.raises(ValueError) as info:
        _boot(Items)
    assert str(info.value) == ("duplicate route GET /x/:id and GET /x/:nid (only the parameter names differ, "
                               "so the second is never reached): Items.get and Items.other")


def test_a_later_route_of_the_same_path_serves_the_method_the_first_lacks():
    """Audit of issue 13: DELETE /x/5 was a 405 when DELETE /x/:nid came after GET /x/:id, and
    DELETE /x/me when a static GET /x/me existed (koa-router tries every matching route)."""

    @Controller("/x")
    class Items:
        @GetMapping("/:id")
        def get(self, id: str = PathVariable("id")):
            return {"get": id}

        @GetMapping("/me")
        def me(self):
            return {"me": True}

        @DeleteMapping("/:nid")
        def delete(self, nid: str = PathVariable("nid")):
            return {"delete": nid}

        @PutMapping("/:a/:b")
        def put(self, a: str = PathVariable("a"), b: str = PathVariable("b")):
            return {"put": [a, b]}

        @PostMapping("/:c/:d")
        def post(self, c: str = PathVariable("c"), d: str = PathVariable("d")):
            return {"post": [c, d]}

    c, _ = make_client(type("ItemsApp", (Koatty,), {"components": [Items]}))
    assert c.get("/x/5").json == {"get": "5"}
    assert c.delete("/x/5").json == {"delete": "5"}
    assert c.get("/x/me").json == {"me": True}
    assert c.delete("/x/me").json == {"delete": "me"}
    assert c.post("/x/1/2").json == {"post": ["1", "2"]}
    res = c.patch("/x/5", status=405)
    assert res.headers["Allow"] == "GET, HEAD, DELETE, OPTIONS"  # every matching route's methods
    assert c.patch("/x/1/2", status=405).headers["Allow"] == "POST, PUT, OPTIONS"


def test_a_static_route_kept_by_lookup_answers_as_match_and_its_params_stay_per_request():
    """Router.lookup keeps a frozen static route's match per path: the same handler and table as
    match(); ctx.params is still each request's own dict (a controller writing to it, or a middleware
    filling it before the route, leaks nothing into the next request)."""
    seen = []

    @Controller("/")
    class Ctl:
        @GetMapping("/s")
        def s(self):
            seen.append(dict(self.ctx.params))
            self.ctx.params["written"] = 1
            return {"ok": True}

        @GetMapping("/d/:x")
        def d(self, x: str = PathVariable("x")):
            return {"x": x, "params": dict(self.ctx.params)}

    class App(Koatty):
        components = [Ctl]

        def init(self):
            def fill(ctx, next):
                if ctx.get("x-fill"):
                    ctx.params["filled"] = "yes"
                return next()

            self.use(fill)

    c, app = make_client(App)
    router = app.router
    assert router.frozen
    for _ in range(3):
        assert c.get("/s").json == {"ok": True}
    assert c.get("/s", headers={"X-Fill": "1"}).json == {"ok": True}
    assert seen == [{}, {}, {}, {}]  # neither the previous request's write nor the middleware's fill
    kept, matched = router.lookup("GET", "/s"), router.match("GET", "/s")
    assert (kept[0], kept[2], kept[3]) == (matched[0], matched[2], matched[3]) and kept[1] == {} == matched[1]
    assert router.lookup("GET", "/s/") == router.match("GET", "/s/")  # a trailing slash: not kept, matched
    assert router.lookup("POST", "/s")[0] is None and router.lookup("GET", "/nope") == (None, None, None, None)
    assert c.get("/d/7").json == {"x": "7", "params": {"x": "7"}}


def test_lookup_keeps_no_answer_per_client_chosen_method():
    """An ALL route matches any method string the client sends: Router.lookup keeps the standard
    methods' and the table's own, never one per new string (unbounded memory before)."""

    @Controller("/")
    class Ctl:
        @RequestMapping("/any")
        def any(self):
            return {"ok": True}

    class App(Koatty):
        components = [Ctl]

    c, app = make_client(App)
    router = app.router
    for i in range(50):
        assert router.lookup("M%03d" % i + "X" * 100, "/any")[0] is not None
    assert router.lookup("GET", "/any")[0] is not None
    kept = sum(len(methods) for methods in router._hits.values())
    assert kept == 1 and list(router._hits["/any"]) == ["GET"]


def test_lookup_gives_match_answer_on_every_dynamic_shape():
    """Router.lookup answers a dynamic path in place (the path split once for every pattern); its answer
    is match()'s on every shape: a trailing slash, ``*``, text and a parameter in one segment, a later
    route that has the method, a 405, and a path no route takes."""
    r = Router()
    for method, path in (("GET", "/static/*"), ("GET", "/v:ver/x"), ("DELETE", "/u/:id"), ("GET", "/u/:nid/"),
                         ("GET", "/u/:id/posts/:post"), ("GET", "/u/me")):
        r.add(method, path, method + " " + path)
    r.frozen = True
    for method in ("GET", "DELETE", "PUT", "HEAD"):
        for path in ("/static/a/b.css", "/static/a/", "/static/", "/v2/x", "/v/x", "/u/7", "/u/7/", "/u/7/posts/9",
                     "/u/7/posts/", "/u//posts/9", "/u/me", "/nope/1", "/", ""):
            assert r.lookup(method, path) == r.match(method, path), (method, path)


def test_path_parameter_reaches_the_method_whatever_its_place():
    """A route whose one argument is a path parameter calls the method with it positionally only when it is
    the first after ``self``; after another defaulted argument, or keyword-only, it is passed by name."""

    @Controller("/p")
    class Ctl:
        @GetMapping("/first/:id")
        def first(self, id: str = PathVariable("id")):
            return {"id": id}

        @GetMapping("/second/:id")
        def second(self, flag=5, id=PathVariable("id")):
            return {"id": id, "flag": flag}

        @GetMapping("/kw/:id")
        def kw(self, *, id=PathVariable()):
            return {"id": id}

        @GetMapping("/two/:a/:b")
        def two(self, b=PathVariable("b"), a=PathVariable("a")):
            return {"a": a, "b": b}

    class App(Koatty):
        components = [Ctl]

    c, _ = make_client(App)
    assert c.get("/p/first/7").json == {"id": "7"}
    assert c.get("/p/second/7").json == {"id": "7", "flag": 5}
    assert c.get("/p/kw/7").json == {"id": "7"}
    assert c.get("/p/two/1/2").json == {"a": "1", "b": "2"}
    assert c.get("/p/first/a%01b", status=400).json["message"] == \
        "invalid path: control character in a path parameter"


def test_a_controller_keeps_what_its_own_new_set():
    """A controller (or its base) whose ``__new__`` sets instance state: that state is still there when the
    method runs, beside the injected fields and ``ctx`` (the object's fields were replaced wholesale by a
    copy of the injected ones: AttributeError, a 500). Found by audit2."""

    class Tracked:
        def __new__(cls, *args, **kwargs):
            obj = super().__new__(cls)
            obj.made_by = "new"
            return obj

    @Controller("/n")
    class Ctl(Tracked):
        @GetMapping("/plain")
        def plain(self):
            return {"made_by": self.made_by, "ctx": self.ctx is not None}

        @GetMapping("/one/:id")
        def one(self, id: str = PathVariable("id")):
            return {"made_by": self.made_by, "id": id}

    class App(Koatty):
        components = [Ctl]

    c, _ = make_client(App)
    assert c.get("/n/plain").json == {"made_by": "new", "ctx": True}
    assert c.get("/n/one/7").json == {"made_by": "new", "id": "7"}
