"""Validation (issue 15): Koatty's rules, DTOs, @Validated, conversions by annotation, the 400 shape."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Literal, Optional
from uuid import UUID

import pytest

from core_support import client as make_client
from koatty_lite import (
    CheckFunc, Contains, Controller, Equals, ExceptionHandler, Get, GetMapping, Gt, Gte, Header, IsCnName, IsDate,
    IsDefined, IsEmail, IsHash, IsIdNumber, IsIn, IsIP, IsMobile, IsNotEmpty, IsNotIn, IsPhoneNumber, IsPlateNumber,
    IsUrl, IsZipCode, Koatty, Length, Lt, Lte, Matches, NotEquals, PathVariable, Post, PostMapping, RequestBody,
    RequestParam, Rule, Valid, Validated, ValidationError, create_application, register_rule, validate,
)
from koatty_lite.rules import resolve
from koatty_lite.validation import DefinitionError


# --- the rules, one by one (semantics of koatty_validation / class-validator) ----------------

RULE_CASES = [
    (IsDefined(), [0, "", False], [None]),
    (IsNotEmpty(), ["a", 0, [0], {"k": 1}, False], [None, "", "  \t", [], {}, float("nan")]),
    (IsEmail(), ["a@b.co", "first.last+tag@sub.example.org"], ["a@b", "@b.co", "a b@c.co", "x", 5]),
    (IsIP(), ["192.0.2.1", "2001:db8::1"], ["256.0.0.1", "x", 1]),
    (IsIP(4), ["192.0.2.1"], ["2001:db8::1"]),
    (IsIP(6), ["::1"], ["127.0.0.1"]),
    (IsPhoneNumber(), ["+86 138 0013 8000", "+1 (415) 555-0100", "13800138000"], ["12", "abc", "+1-", 5]),
    (IsPhoneNumber("CN"), ["13800138000", "+44 20 7946 0958"], ["02012345678"]),
    (IsUrl(), ["https://example.com/a?b=1", "http://sub.example.org:8080", "ftp://192.0.2.1/x"],
     ["example.com", "http://localhost", "javascript:alert(1)", "http://exa mple.com", "http://a.com:99999", 1]),
    (IsUrl(require_tld=False), ["http://localhost:3000/"], ["mailto:a@b.co"]),
    (IsHash("md5"), ["d41d8cd98f00b204e9800998ecf8427e"], ["d41d8cd98f00b204e9800998ecf8427", "z" * 32]),
    (IsHash("sha256"), ["a" * 64], ["a" * 40]),
    (IsIn(["a", 1]), ["a", 1], ["b", True, None]),
    (IsNotIn(["a"]), ["b", 1], ["a"]),
    (IsDate(), [date(2024, 1, 2), datetime(2024, 1, 2, 3, 4), "2024-01-02", "2024-01-02T03:04:05Z"],
     ["2024-13-01", "yesterday", 5]),
    (Equals(3), [3, 3.0], [4, "3", True]),
    (NotEquals(3), [4, "3"], [3]),
    (Contains("ell"), ["hello"], ["help", ["ell"], 5]),
    (Gt(5), [6, 5.5, "7"], [5, 4, "x", None]),
    (Gte(5), [5, Decimal("5"), "5"], [4.99]),
    (Lt(5), [4], [5]),
    (Lte(5), [5], [5.01]),
    (Length(2, 4), ["ab", "abcd", [1, 2]], ["a", "abcde", 12]),
    (Length(2), ["ab", "a" * 100], ["a"]),
    (Matches(r"^[a-z]+\d$"), ["abc1"], ["ABC1", 5]),
    (Matches("abc", "i"), ["xxABCxx"], ["ab"]),
    (IsCnName(), ["张三", "李·四", "Ann"], ["", "张三丰张三丰张三丰张三", "a b", 5]),
    (IsIdNumber(), ["11010519491231002X", "110105491231002"], ["110105194912310021", "1101051949123100", 5]),
    (IsZipCode(), ["100000"], ["10000", "1000000", "abcdef", 100000]),
    (IsMobile(), ["13800138000", "19912345678"], ["12800138000", "1380013800", "138001380001"]),
    (IsPlateNumber(), ["京A12345", "粤B1234学", "沪AD12345", "苏A12345D"], ["A12345", "京A1234", "京AI2345", "京a12345"]),
    (CheckFunc(lambda v: v % 2 == 0), [2, 4], [3]),
]


@pytest.mark.parametrize("rule,good,bad", RULE_CASES, ids=[f"{r.name}{i}" for i, (r, _, _) in enumerate(RULE_CASES)])
def test_rule_semantics(rule, good, bad):
    _, check, _, _ = resolve(rule)
    for value in good:
        assert check(value), (rule, value)
    for value in bad:
        assert not check(value), (rule, value)


def test_each_rule_takes_a_message():
    assert resolve(Gte(1, message="too small"))[2] == "too small"
    assert resolve(IsMobile(message="bad phone"))[2] == "bad phone"
    assert resolve(Gte(1))[2] == "must be greater than or equal to 1"


def test_bad_rule_arguments_fail_where_written():
    with pytest.raises(TypeError, match="md6"):
        IsHash("md6")
    with pytest.raises(TypeError, match="number"):
        Gte("a")
    with pytest.raises(TypeError):
        Matches("(")


# --- DTOs and @Validated ----------------------------------------------------------------------


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Item:
    """One order line."""

    sku: Annotated[str, Length(1, 8)]
    qty: Annotated[int, Gte(1), Lte(99)]


class Order:
    """An order."""

    email: Annotated[str, IsEmail()]
    age: int = Valid([Gte(0), Lte(120)], default=18)
    nick: str = Length(2, 10)  # a bare rule as default: required, with that rule
    items: list[Item]
    tags: list[int] = []
    note: Optional[str] = None
    color: Color = Color.RED
    kind: Literal["a", "b"] = "a"
    when: date | None = None
    at: datetime | None = None
    price: Decimal = Decimal("0")
    ref: UUID | None = None


class Query:
    page: Annotated[int, Gte(1)] = 1
    size: int = Valid(Lte(50), default=10)
    ids: list[int] = []
    sort: Literal["asc", "desc"] = "asc"


class Form:
    name: str = IsNotEmpty()
    age: int = Gte(0)


class Node:
    name: str
    children: list[Node] = []


@dataclass
class Page:
    size: Annotated[int, Lte(50)] = 10
    ids: list[Annotated[int, Gte(1)]] = field(default_factory=list)


class Auth:
    x_api_key: Annotated[str, Length(8)]
    x_retries: int = 0


class Both:
    id: int
    q: str = ""


@Controller("/v")
class VController:
    @Validated()
    @PostMapping("/orders")
    def create(self, order: Order = RequestBody()):
        return {"order": order, "type": type(order).__name__, "items": [type(i).__name__ for i in order.items]}

    @Validated()
    @GetMapping("/search")
    def search(self, q: Query = Get()):
        return vars(q)

    @Validated()
    @PostMapping("/form")
    def form(self, f: Form = Post()):
        return vars(f)

    @GetMapping("/items/:id")
    def item(self, id: Annotated[int, Gte(1)] = PathVariable("id"),
             token: Annotated[str, Length(4)] = Header("x-token", default="none"),
             ref: UUID | None = Get("ref", default=None), tags: list[int] = Get("tag", default=[]),
             day: date | None = Get("day", default=None), color: Color = Get("color", default=Color.RED),
             price: Decimal | None = Get("price", default=None)):
        return {"id": id, "token": token, "ref": ref, "ref_type": type(ref).__name__, "tags": tags, "day": day,
                "color": color, "price": price}

    @PostMapping("/unvalidated")
    def unvalidated(self, order: Order = RequestBody()):
        return {"nick": order.nick, "age": order.age}

    @Validated()
    @PostMapping("/tree")
    def tree(self, node: Node = RequestBody()):
        return node

    @Validated()
    @GetMapping("/page")
    def page(self, p: Page = Get()):
        return {"size": p.size, "ids": p.ids, "same": p.ids is Page().ids}

    @GetMapping("/page-unvalidated")
    def page_unvalidated(self, p: Page = Get()):
        return {"size": p.size, "ids": p.ids}

    @GetMapping("/koatty-valid")
    def koatty_valid(self, name: Annotated[str, "a description", Valid("IsNotEmpty,IsCnName", "a Chinese name")]
                     = Get("name"), even: Annotated[int, lambda v: v % 2 == 0] = Get("even", default=0)):
        return {"name": name, "even": even}

    @Validated()
    @GetMapping("/headers")
    def headers(self, auth: Auth = Header()):
        return vars(auth)

    @Validated()
    @GetMapping("/both/:id")
    def both(self, p: Both = RequestParam()):
        return vars(p)

    @Validated()
    @PostMapping("/mixed/:id")
    def mixed(self, id: Annotated[int, Gte(1)] = PathVariable("id"), qty: Annotated[int, Lte(5)] = Post("qty"),
              mode: str = RequestParam("mode", default="x")):
        return {"id": id, "qty": qty, "mode": mode}


class VApp(Koatty):
    components = [VController]


@pytest.fixture(scope="module")
def c():
    client, _ = make_client(VApp)
    return client


GOOD = {"email": "a@b.co", "nick": "ann", "items": [{"sku": "x1", "qty": 2}], "price": 1.1, "when": "2024-01-02",
        "at": "2024-01-02T03:04:05Z", "ref": "12345678-1234-5678-1234-567812345678", "color": "blue", "tags": [1, 2]}


def test_dto_built_with_defaults_and_conversions(c):
    res = c.post_json("/v/orders", GOOD).json
    assert res["type"] == "Order" and res["items"] == ["Item"]
    assert res["order"] == {
        "email": "a@b.co", "age": 18, "nick": "ann", "items": [{"sku": "x1", "qty": 2}], "tags": [1, 2], "note": None,
        "color": "blue", "kind": "a", "when": "2024-01-02", "at": "2024-01-02T03:04:05+00:00",
        "price": "1.1", "ref": "12345678-1234-5678-1234-567812345678"}


def test_decimal_takes_number_or_numeric_string_and_is_written_as_string(c):
    assert c.post_json("/v/orders", {**GOOD, "price": "10.50"}).json["order"]["price"] == "10.50"
    assert c.post_json("/v/orders", {**GOOD, "price": 3}).json["order"]["price"] == "3"
    for bad in ("x", True, "NaN", [1]):
        errors = c.post_json("/v/orders", {**GOOD, "price": bad}, status=400).json["data"]["errors"]
        assert errors == [{"loc": ["body", "price"], "rule": "type", "message": "must be a decimal number"}]


def test_failure_lists_every_field_in_the_one_error_shape(c):
    body = {"email": "nope", "age": "5", "nick": "a", "items": [{"sku": "", "qty": 0}, {}, 5], "color": "green",
            "kind": "c", "when": "2024-02-30", "ref": "not-a-uuid", "tags": [1, "2"]}
    res = c.post_json("/v/orders", body, status=400)
    assert res.headers["Content-Type"] == "application/json; charset=utf-8"
    doc = res.json
    assert set(doc) == {"code", "message", "data", "requestId"}
    assert doc["code"] == 1 and doc["requestId"] == res.headers["X-Request-Id"]
    got = [(e["loc"], e["rule"]) for e in doc["data"]["errors"]]
    assert got == [
        (["body", "email"], "IsEmail"),
        (["body", "age"], "type"),  # JSON is strict: "5" is not an int
        (["body", "nick"], "Length"),
        (["body", "items", 0, "sku"], "Length"),
        (["body", "items", 0, "qty"], "Gte"),
        (["body", "items", 1, "sku"], "IsDefined"),
        (["body", "items", 1, "qty"], "IsDefined"),
        (["body", "items", 2], "type"),
        (["body", "tags", 1], "type"),
        (["body", "color"], "type"),
        (["body", "kind"], "type"),
        (["body", "when"], "type"),
        (["body", "ref"], "type"),
    ]
    assert doc["message"] == "body.email: must be an email address (and 12 more)"
    assert all(e["message"] for e in doc["data"]["errors"])


def test_json_is_strict_null_and_missing(c):
    errors = c.post_json("/v/orders", {**GOOD, "email": None, "note": None, "age": True}, status=400).json
    assert [(e["loc"], e["rule"], e["message"]) for e in errors["data"]["errors"]] == [
        (["body", "email"], "IsDefined", "must not be null"), (["body", "age"], "type", "must be an integer")]
    assert c.post_json("/v/orders", {**GOOD, "age": 30.0}).json["order"]["age"] == 30  # one JSON number type
    assert c.post_json("/v/orders", [1], status=400).json["data"]["errors"] == [
        {"loc": ["body"], "rule": "type", "message": "must be an object"}]


def test_query_dto_converted_from_strings(c):
    assert c.get("/v/search?page=2&ids=1&ids=3&sort=desc").json == {"page": 2, "size": 10, "ids": [1, 3],
                                                                    "sort": "desc"}
    errors = c.get("/v/search?page=0&size=x&ids=1&ids=a&sort=up", status=400).json["data"]["errors"]
    assert [(e["loc"], e["rule"]) for e in errors] == [
        (["query", "page"], "Gte"), (["query", "size"], "type"), (["query", "ids", 1], "type"),
        (["query", "sort"], "type")]


def test_form_dto_is_lenient(c):
    assert c.post("/v/form", {"name": "ann", "age": "5"}).json == {"name": "ann", "age": 5}
    errors = c.post("/v/form", {"name": " ", "age": "-1"}, status=400).json["data"]["errors"]
    assert [(e["loc"], e["rule"]) for e in errors] == [(["body", "name"], "IsNotEmpty"), (["body", "age"], "Gte")]
    # the same route with a JSON body is strict
    errors = c.post_json("/v/form", {"name": "ann", "age": "5"}, status=400).json["data"]["errors"]
    assert [(e["loc"], e["rule"]) for e in errors] == [(["body", "age"], "type")]


def test_scalar_arguments_converted_by_annotation_without_validated(c):
    """Issue 15: a UUID stayed a string and list[int] became the last value (fails on the old code)."""
    res = c.get("/v/items/7?ref=12345678-1234-5678-1234-567812345678&tag=1&tag=2&day=2024-01-02&color=blue"
                "&price=1.50").json
    assert res == {"id": 7, "token": "none", "ref": "12345678-1234-5678-1234-567812345678", "ref_type": "UUID",
                   "tags": [1, 2], "day": "2024-01-02", "color": "blue", "price": "1.50"}


def test_rules_on_scalar_arguments(c):
    res = c.get("/v/items/0?tag=x&ref=zz", headers={"X-Token": "ab"}, status=400).json
    assert [(e["loc"], e["rule"]) for e in res["data"]["errors"]] == [
        (["path", "id"], "Gte"), (["header", "x-token"], "Length"), (["query", "ref"], "type"),
        (["query", "tag", 0], "type")]
    res = c.post_json("/v/mixed/0", {"qty": 9}, status=400).json
    assert [(e["loc"], e["rule"]) for e in res["data"]["errors"]] == [(["path", "id"], "Gte"), (["body", "qty"], "Lte")]
    assert c.post_json("/v/mixed/3?mode=y", {}, status=400).json["data"]["errors"] == [
        {"loc": ["body", "qty"], "rule": "IsDefined", "message": "is required"}]
    assert c.post("/v/mixed/3?mode=y", {"qty": "4"}).json == {"id": 3, "qty": 4, "mode": "y"}


def test_without_validated_a_dto_is_built_but_its_rules_do_not_run(c):
    """Koatty: DTO rules are checked under @Validated(); the types are converted either way."""
    assert c.post_json("/v/unvalidated", {**GOOD, "nick": "x", "age": 500}).json == {"nick": "x", "age": 500}
    errors = c.post_json("/v/unvalidated", {**GOOD, "age": "x"}, status=400).json["data"]["errors"]
    assert errors == [{"loc": ["body", "age"], "rule": "type", "message": "must be an integer"}]


def test_self_referencing_dto(c):
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    assert c.post_json("/v/tree", tree).json == {"name": "a", "children": [
        {"name": "b", "children": [{"name": "c", "children": []}]}]}
    errors = c.post_json("/v/tree", {"name": "a", "children": [{"children": []}]}, status=400).json["data"]["errors"]
    assert errors[0]["loc"] == ["body", "children", 0, "name"]


def test_dataclass_dto_with_default_factory_and_rules_on_list_items(c):
    assert c.get("/v/page").json == {"size": 10, "ids": [], "same": False}
    assert c.get("/v/page?ids=3&ids=4").json == {"size": 10, "ids": [3, 4], "same": False}
    errors = c.get("/v/page?size=99&ids=0", status=400).json["data"]["errors"]
    assert [(e["loc"], e["rule"]) for e in errors] == [(["query", "size"], "Lte"), (["query", "ids", 0], "Gte")]
    # without @Validated the DTO's rules do not run, nor those on its list items
    assert c.get("/v/page-unvalidated?size=99&ids=0").json == {"size": 99, "ids": [0]}


def test_koatty_valid_forms_on_an_argument(c):
    """Valid("IsNotEmpty,IsCnName", message) as Koatty writes it, a function rule; other metadata ignored."""
    assert c.get("/v/koatty-valid?name=%E5%BC%A0%E4%B8%89&even=4").json == {"name": "张三", "even": 4}
    errors = c.get("/v/koatty-valid?name=a%20b&even=3", status=400).json["data"]["errors"]
    assert errors == [{"loc": ["query", "name"], "rule": "IsCnName", "message": "a Chinese name"},
                      {"loc": ["query", "even"], "rule": "CheckFunc", "message": "failed <lambda>"}]
    assert ValidationError([]).message == "validation failed"


def test_header_and_request_param_dtos(c):
    assert c.get("/v/headers", headers={"X-Api-Key": "12345678", "X-Retries": "3"}).json == {
        "x_api_key": "12345678", "x_retries": 3}
    errors = c.get("/v/headers", headers={"X-Api-Key": "short"}, status=400).json["data"]["errors"]
    assert errors == [{"loc": ["header", "x_api_key"], "rule": "Length",
                       "message": "must have a length of at least 8"}]
    assert c.get("/v/both/5?q=hi").json == {"id": 5, "q": "hi"}


def test_deeply_nested_self_referencing_body_is_a_400_not_a_500(c):
    depth = 450  # json.loads takes it (its limit is ~490 levels here); building the DTOs would overflow
    text = '{"name":"x","children":[' * depth + '{"name":"x"}' + "]}" * depth
    res = c.post("/v/tree", text, headers={"Content-Type": "application/json"}, status=400)
    assert res.json["data"]["errors"] == [{"loc": ["body"], "rule": "type", "message": "is nested too deeply"}]


def test_defaults_are_not_shared_between_requests(c):
    a = c.get("/v/search").json
    assert a["ids"] == []


def test_validation_error_reaches_the_exception_handler():
    seen = []

    @ExceptionHandler()
    class Handler:
        def handle(self, ctx, exc):
            seen.append(exc)
            ctx.status = exc.status
            return {"errors": len(exc.errors)}

    client, _ = make_client(type("A", (Koatty,), {"components": [VController, Handler]}))
    assert client.get("/v/search?page=0&size=x", status=400).json == {"errors": 2}
    assert isinstance(seen[0], ValidationError) and seen[0].status == 400


def test_compiled_at_boot_no_introspection_per_request(monkeypatch):
    client, _ = make_client(VApp)
    import koatty_lite.validation as v

    def boom(*a, **k):
        raise AssertionError("introspection during a request")

    for name in ("analyse", "dto_fields", "evaluate", "dto_plan", "converter", "value_converter"):
        monkeypatch.setattr(v, name, boom)
    assert client.post_json("/v/orders", GOOD).json["type"] == "Order"
    assert client.get("/v/search?page=2").json["page"] == 2
    client.post_json("/v/orders", {}, status=400)


def test_manual_validate():
    item = validate(Item, {"sku": "a", "qty": 3})
    assert isinstance(item, Item) and item.qty == 3
    with pytest.raises(ValidationError) as info:
        validate(Item, {"sku": "", "qty": "3"})
    assert [e["rule"] for e in info.value.errors] == ["Length", "type"]


# --- boot errors --------------------------------------------------------------------------------


def boot(*controllers):
    return create_application(type("BootApp", (Koatty,), {"components": list(controllers)}))


class BadRule:
    name: str = Valid("IsNotEmpy")


class BadType:
    value: complex


class BadUntyped:
    name = IsNotEmpty()


def test_unknown_rule_is_a_boot_error_naming_class_and_field():
    @Controller("/")
    class C:
        @Validated()
        @PostMapping("/x")
        def x(self, b: BadRule = RequestBody()):
            return None

    with pytest.raises(DefinitionError, match=r"BadRule\.name: unknown rule 'IsNotEmpy'"):
        boot(C)


def test_unconvertible_annotation_is_a_boot_error():
    @Controller("/")
    class C:
        @PostMapping("/x")
        def x(self, b: BadType = RequestBody()):
            return None

    with pytest.raises(DefinitionError, match=r"BadType\.value: cannot convert to 'complex'"):
        boot(C)

    @Controller("/")
    class D:
        @GetMapping("/y")
        def y(self, n: int | str = Get("n")):
            return None

    with pytest.raises(DefinitionError, match=r"D\.y\(n\): a union"):
        boot(D)


def test_dto_field_without_a_type_is_a_boot_error():
    @Controller("/")
    class C:
        @Validated()
        @PostMapping("/x")
        def x(self, b: BadUntyped = RequestBody()):
            return None

    with pytest.raises(DefinitionError, match=r"BadUntyped\.name: a DTO field needs a type"):
        boot(C)


def test_unresolvable_string_annotation_is_a_boot_error():
    @Controller("/")
    class C:
        @GetMapping("/x")
        def x(self, n: Missing = Get("n")):  # noqa: F821
            return None

    with pytest.raises(DefinitionError, match=r"C\.x\(n\): cannot resolve the annotation 'Missing'"):
        boot(C)


def test_plain_routes_do_not_load_validation():
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys; sys.path.insert(0, %r)\n"
            "from koatty_lite import Controller, GetMapping, Get, Koatty, create_application, PathVariable\n"
            "@Controller('/')\n"
            "class C:\n"
            "    @GetMapping('/u/:id')\n"
            "    def u(self, id: int = PathVariable('id'), q: 'str | None' = Get('q', default=None),\n"
            "          d: dict = Get('d', default=None)): return {'id': id}\n"
            "class App(Koatty): components = [C]\n"
            "create_application(App)\n"
            "print(' '.join(m for m in ('koatty_lite.validation', 'koatty_lite.rules', 'koatty_lite.openapi')"
            " if m in sys.modules))\n") % ROOT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_a_rule_of_your_own():
    register_rule("IsEven", lambda: (lambda v: isinstance(v, int) and v % 2 == 0), lambda: {"multipleOf": 2},
                  "must be even")

    class Even:
        n: int = Valid("IsEven")
        m: Annotated[int, Rule("IsEven", (), "m must be even")] = 0

    assert validate(Even, {"n": 4}).n == 4
    with pytest.raises(ValidationError) as info:
        validate(Even, {"n": 3, "m": 1})
    assert [(e["rule"], e["message"]) for e in info.value.errors] == [("IsEven", "must be even"),
                                                                     ("IsEven", "m must be even")]


def test_a_validated_serverless_request_builds_no_environ(monkeypatch):
    """The JSON/form choice reads the Content-Type header: no PEP 3333 environ built on the serverless path."""
    import json as _json

    import koatty_lite
    from koatty_lite import serverless as request_module  # the Request model's module

    def no_environ(self):
        raise AssertionError("the environ was built")

    monkeypatch.setattr(request_module.Request, "environ", property(no_environ))
    handler = koatty_lite.handler(VApp)
    event = {"version": "2.0", "routeKey": "$default", "rawPath": "/v/orders", "rawQueryString": "",
             "headers": {"host": "x", "content-type": "application/json"}, "body": _json.dumps(GOOD),
             "isBase64Encoded": False,
             "requestContext": {"http": {"method": "POST", "path": "/v/orders", "sourceIp": "192.0.2.1"},
                                "requestId": "r1"}}
    res = handler(event, None)
    assert res["statusCode"] == 200, res
    assert _json.loads(res["body"])["type"] == "Order"
    bad = handler(dict(event, body=_json.dumps({**GOOD, "age": "5"})), None)
    assert bad["statusCode"] == 400


def test_the_docs_example_runs_as_written():
    import os
    import re

    from conftest import ROOT

    with open(os.path.join(ROOT, "docs", "validation.md"), encoding="utf-8") as f:
        block = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    ns = {"__name__": "docs_validation_example"}
    exec(compile(block, "docs/validation.md", "exec", dont_inherit=True), ns)  # as a module of its own
    client, _ = make_client(type("DocsApp", (Koatty,), {"components": [ns["OrderController"]]}))
    good = {"email": "a@b.co", "name": "Ann", "items": [{"sku": "x", "qty": 1}]}
    assert client.post_json("/orders", good).json == {**good, "age": 18, "kind": "retail", "note": None}
    bad = client.post_json("/orders", {**good, "email": "x", "items": [{"sku": "x", "qty": 0}]}, status=400).json
    assert bad["data"]["errors"] == [
        {"loc": ["body", "email"], "rule": "IsEmail", "message": "a valid email, please"},
        {"loc": ["body", "items", 0, "qty"], "rule": "Gte", "message": "must be greater than or equal to 1"}]
    assert client.get("/orders/0", status=400).json["data"]["errors"][0]["loc"] == ["path", "id"]
