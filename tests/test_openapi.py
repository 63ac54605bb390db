"""OpenAPI 3.1 (issue 15 points 6-7): app.openapi(), the CLI command, the served document, the round trip."""
from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from conftest import ROOT
from core_support import client as make_client
from examples.demo.app import App as DemoApp
from koatty_lite import Controller, GetMapping, Koatty, create_application

try:
    from openapi_spec_validator import validate as validate_spec
except ImportError:  # a test-only tool (requirements-test.txt)
    validate_spec = None
needs_validator = pytest.mark.skipif(validate_spec is None,
                                     reason="openapi-spec-validator is not installed (pip install -r requirements-test.txt)")


def document(App):
    app = create_application(App)
    try:
        return app.openapi()
    finally:
        app.stop()


def example_apps():
    """Every example app: the demo, and the cloud examples' entry modules that serve it."""
    from test_validation import VApp

    import examples.alicloud.index as ali
    import examples.aws.handler as aws
    import examples.tencent.index as tc

    apps = {"demo": DemoApp, "validation-tests": VApp}
    for name, module in (("aws", aws), ("alicloud", ali), ("tencent", tc)):
        apps[name] = module.App
    return apps


@needs_validator
@pytest.mark.parametrize("name", ["demo", "aws", "alicloud", "tencent", "validation-tests"])
def test_example_documents_are_valid_openapi_31(name):
    doc = document(example_apps()[name])
    assert doc["openapi"] == "3.1.0"
    validate_spec(doc)  # raises on any schema violation
    json.dumps(doc)  # and it is plain JSON


def test_titles_descriptions_and_operations_of_the_demo():
    doc = document(DemoApp)
    assert doc["info"] == {"title": "koatty_lite demo", "version": "0.1.0",
                           "description": "Components are listed explicitly: nothing is discovered by scanning files."}
    assert doc["tags"] == [{"name": "IndexController", "description": "The demo's users: ``/``, ``/hello``, "
                                                                      "``/users/:id``, ``POST /users``."}]
    assert sorted(doc["paths"]) == ["/", "/hello", "/users", "/users/{id}"]
    detail = doc["paths"]["/users/{id}"]["get"]
    assert detail["summary"] == "A user by id (404 when there is none)."
    assert detail["parameters"] == [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    assert doc["paths"]["/hello"]["get"]["responses"]["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    create = doc["paths"]["/users"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CreateUser"}
    assert doc["components"]["schemas"]["CreateUser"] == {
        "type": "object", "title": "CreateUser", "description": "A new user.", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "pattern": r"\S", "maxLength": 40},
                       "email": {"type": ["string", "null"], "format": "email", "default": None}}}
    assert set(create["responses"]) == {"200", "400", "404", "405", "413", "415", "500"}
    assert set(doc["paths"]["/"]["get"]["responses"]) == {"200", "404", "405", "500"}
    assert "/openapi.json" not in doc["paths"]  # the document does not describe itself


def test_rules_become_json_schema_keywords():
    from test_validation import VApp

    doc = document(VApp)
    schemas = doc["components"]["schemas"]
    assert schemas["Item"]["properties"]["qty"] == {"type": "integer", "minimum": 1, "maximum": 99}
    assert schemas["Item"]["properties"]["sku"] == {"type": "string", "minLength": 1, "maxLength": 8}
    order = schemas["Order"]["properties"]
    assert order["email"] == {"type": "string", "format": "email"}
    assert order["age"] == {"type": "integer", "minimum": 0, "maximum": 120, "default": 18}
    assert order["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert order["color"] == {"type": "string", "enum": ["red", "blue"], "default": "red"}
    assert order["kind"] == {"enum": ["a", "b"], "default": "a"}
    assert order["when"] == {"type": ["string", "null"], "format": "date", "default": None}
    assert order["ref"]["format"] == "uuid"
    assert order["price"]["type"] == ["string", "number"] and order["price"]["default"] == "0"
    assert schemas["Order"]["required"] == ["email", "nick", "items"]
    assert schemas["Node"]["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    search = doc["paths"]["/v/search"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in search] == [
        ("page", "query", False), ("size", "query", False), ("ids", "query", False), ("sort", "query", False)]
    item = {p["name"]: p for p in doc["paths"]["/v/items/{id}"]["get"]["parameters"]}
    assert item["id"]["schema"] == {"type": "integer", "minimum": 1}
    assert item["x-token"] == {"name": "x-token", "in": "header", "required": False,
                               "schema": {"type": "string", "minLength": 4, "default": "none"}}
    assert item["tag"]["schema"] == {"type": "array", "items": {"type": "integer"}, "default": []}
    # rules are documented where they run: the same DTO on a route without @Validated has types only
    unchecked = doc["paths"]["/v/unvalidated"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert unchecked == {"$ref": "#/components/schemas/OrderUnchecked"}
    assert schemas["OrderUnchecked"]["properties"]["age"] == {"type": "integer", "default": 18}
    assert schemas["OrderUnchecked"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ItemUnchecked"}
    both = doc["paths"]["/v/both/{id}"]["get"]["parameters"]  # RequestParam(): query ∪ path, per field
    assert [(p["name"], p["in"], p["schema"]) for p in both] == [
        ("id", "path", {"type": "integer"}), ("q", "query", {"type": "string", "default": ""})]
    form = doc["paths"]["/v/form"]["post"]["requestBody"]["content"]
    assert set(form) == {"application/json", "application/x-www-form-urlencoded"}


def test_error_answers_match_their_documented_schemas():
    """The 400 koatty_lite gives validates against the documented ValidationError, a 404 against Error."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with openapi-spec-validator")
    from test_validation import VApp

    doc = document(VApp)
    c, _ = make_client(VApp)

    def check(ref, body):
        schema = {"$ref": f"#/components/schemas/{ref}", "components": doc["components"]}
        jsonschema.Draft202012Validator(schema).validate(body)

    check("ValidationError", c.post_json("/v/orders", {"items": [{}]}, status=400).json)
    check("ValidationError", c.get("/v/items/x", status=400).json)
    check("Error", c.get("/nowhere", status=404).json)
    check("Error", c.delete("/v/search", status=405).json)
    responses = doc["components"]["responses"]
    assert {name: r["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            for name, r in responses.items()} == {
        "BadRequest": "ValidationError", "NotFound": "Error", "MethodNotAllowed": "Error",
        "PayloadTooLarge": "Error", "UnsupportedMediaType": "Error", "InternalServerError": "Error"}


# --- round trip: what each example route accepts, its documented parameters accept ----------

# {(method, path template): [(path params, query, headers, JSON body or None, form body or None)]}
ACCEPTED = {  # in order: the user is created before it is read
    ("post", "/users"): [({}, {}, {}, {"name": "Ann"}, None), ({}, {}, {}, {"name": "Bo", "email": "bo@example.com"}, None),
                         ({}, {}, {}, None, {"name": "Cy"})],
    ("get", "/"): [({}, {}, {}, None, None)],
    ("get", "/hello"): [({}, {}, {}, None, None), ({}, {"name": "Ann"}, {}, None, None)],
    ("get", "/users/{id}"): [({"id": "1"}, {}, {}, None, None)],
}


def _typed(schema, text):
    """A query/path string as the schema's type reads it (OpenAPI style=form/simple)."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        return int(text)
    if "number" in types:
        return float(text)
    if "boolean" in types:
        return text == "true"
    return text


@pytest.mark.parametrize("name", ["demo", "aws"])
def test_round_trip_documented_parameters_accept_what_the_route_accepts(name):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with openapi-spec-validator")
    App = example_apps()[name]
    doc = document(App)
    c, app = make_client(App)
    try:
        operations = {(m, p): op for p, ops in doc["paths"].items() for m, op in ops.items()}
        assert set(operations) == set(ACCEPTED), "every documented route has accepted samples, and only those"
        fmt = jsonschema.Draft202012Validator.FORMAT_CHECKER

        def valid(schema, value):
            full = {**schema, "components": doc["components"]}
            jsonschema.Draft202012Validator(full, format_checker=fmt).validate(value)

        for (method, template), samples in ACCEPTED.items():
            op = operations[(method, template)]
            params = {(p["in"], p["name"]): p for p in op.get("parameters", ())}
            for path_params, query, headers, json_body, form in samples:
                path = template
                for key, value in path_params.items():
                    path = path.replace("{" + key + "}", value)
                url = path + ("?" + urlencode(query) if query else "")
                if json_body is not None:
                    res = c.post_json(url, json_body, headers=headers)
                elif form is not None:
                    res = c.post(url, form, headers=headers)
                else:
                    res = getattr(c, method)(url, headers=headers)
                assert res.status_int < 400, (method, url)
                given = {("path", k): v for k, v in path_params.items()}
                given.update({("query", k): v for k, v in query.items()})
                given.update({("header", k.lower()): v for k, v in headers.items()})
                for key, value in given.items():
                    assert key in params, f"{method} {template}: {key} is accepted but not documented"
                    valid(params[key]["schema"], _typed(params[key]["schema"], value))
                for key, p in params.items():
                    if p["required"]:
                        assert key in given, f"{method} {template}: documented as required: {key}"
                if json_body is not None or form is not None:
                    kind = "application/json" if json_body is not None else "application/x-www-form-urlencoded"
                    content = op["requestBody"]["content"]
                    assert kind in content
                    valid(content[kind]["schema"], json_body if json_body is not None else form)
    finally:
        app.stop()


# --- serving and the CLI ------------------------------------------------------------------------


def test_served_at_the_configured_path_and_off_by_default():
    c, app = make_client(DemoApp)
    try:
        served = c.get("/openapi.json").json
        assert served == json.loads(json.dumps(app.openapi()))
        assert c.get("/openapi.json").json is not None  # built once, then cached
    finally:
        app.stop()

    @Controller("/")
    class Plain:
        @GetMapping("/x")
        def x(self):
            return 1

    plain, _ = make_client(type("PlainApp", (Koatty,), {"components": [Plain]}))
    plain.get("/openapi.json", status=404)


def test_serving_it_loads_openapi_only_when_asked():
    code = ("import io, sys, json; sys.path.insert(0, %r)\n"
            "from koatty_lite import create_application\n"
            "from examples.demo.app import App\n"
            "h = create_application(App).get_request_handler()\n"
            "env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/hello', 'QUERY_STRING': '', 'wsgi.input': io.BytesIO()}\n"
            "b''.join(h(env, lambda *a: None))\n"
            "before = 'koatty_lite.openapi' in sys.modules\n"
            "env = dict(env, PATH_INFO='/openapi.json', wsgi.input=io.BytesIO())\n"
            "body = b''.join(h(env, lambda *a: None))\n"
            "print(json.dumps([before, 'koatty_lite.openapi' in sys.modules, json.loads(body)['openapi']]))\n") % ROOT
    code = code.replace("wsgi.input=io.BytesIO()", "**{'wsgi.input': io.BytesIO()}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [False, True, "3.1.0"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "koatty_lite", "openapi", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_cli_writes_the_document(tmp_path):
    out = tmp_path / "openapi.json"
    p = run_cli("examples.demo.app:App", "-o", str(out))
    assert p.returncode == 0, p.stderr
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(document(DemoApp)))
    p = run_cli("examples.demo.app")  # App is the default attribute; stdout by default
    assert p.returncode == 0 and json.loads(p.stdout)["info"]["title"] == "koatty_lite demo"


@pytest.mark.parametrize("args,needle", [
    (["nosuch_module:App"], "cannot import module 'nosuch_module'"),
    (["examples.demo.app:UserService"], "is not a Koatty app class"),
    (["tests.openapi_bad_app:App"], "BadDto.name: unknown rule 'IsNope'"),
    (["tests.openapi_bad_app:NoMarkerApp"], "NoMarkerController.y: argument 'n' needs a marker default"),
    (["tests.openapi_bad_app:MissingDependencyApp"], "MissingDependencyController.svc -> Unregistered"),
    (["examples.demo.app:App", "-o", "/nonexistent-dir/x.json"], "cannot write /nonexistent-dir/x.json"),
])
def test_cli_mistakes_are_one_line_exit_2(args, needle):
    p = run_cli(*args)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: ") and needle in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_cli_keeps_the_traceback_of_the_apps_own_bug():
    """Declaration mistakes koatty_lite names are one line; an exception from the app's own code is not
    hidden behind one."""
    p = run_cli("tests.openapi_bad_app:BrokenInitApp")
    assert p.returncode == 1 and "Traceback" in p.stderr and "ZeroDivisionError: the app's own bug" in p.stderr


def test_documented_bounds_are_the_bounds_the_routes_enforce():
    """Round trip on the validation app: each documented integer bound of a GET parameter is accepted at
    the bound and refused (400, that parameter in loc) one step outside it."""
    from test_validation import VApp

    doc = document(VApp)
    c, _ = make_client(VApp)
    checked = 0
    for template, ops in doc["paths"].items():
        op = ops.get("get")
        for p in (op or {}).get("parameters", ()):
            schema = p["schema"]
            if schema.get("type") != "integer":
                continue
            for key, inside, outside in (("minimum", 0, -1), ("maximum", 0, 1)):
                if key not in schema:
                    continue
                for delta, ok in ((inside, True), (outside, False)):
                    value = str(schema[key] + delta)
                    path = template
                    for name in [q["name"] for q in op["parameters"] if q["in"] == "path"]:
                        path = path.replace("{" + name + "}", value if name == p["name"] else "5")
                    url = path if p["in"] == "path" else f"{path}?{p['name']}={value}"
                    res = c.get(url, expect_errors=True)
                    if ok:
                        assert res.status_int == 200, (url, res.text)
                    else:
                        assert res.status_int == 400, url
                        assert [p["in"], p["name"]] in [e["loc"] for e in res.json["data"]["errors"]], url
                    checked += 1
    assert checked >= 8  # page ≥ 1, size ≤ 50 (two routes), id ≥ 1: every bound was exercised both ways


def test_round_trip_on_the_validation_app():
    """Requests the validation app's routes accept (bodies with every kind of field, repeated query keys,
    header DTOs) validate against the documented schemas, formats included; and values just outside a
    documented bound are refused by the route too."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with openapi-spec-validator")
    from test_validation import GOOD, VApp

    doc = document(VApp)
    c, _ = make_client(VApp)
    fmt = jsonschema.Draft202012Validator.FORMAT_CHECKER

    def errors(schema, value):
        full = {**schema, "components": doc["components"]}
        return [e.message for e in jsonschema.Draft202012Validator(full, format_checker=fmt).iter_errors(value)]

    body_schema = doc["paths"]["/v/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for body in (GOOD, {**GOOD, "price": "10.50", "age": 0, "note": "n", "kind": "b", "when": None},
                 {**GOOD, "price": 3, "at": "2024-01-02T03:04:05.5+08:00", "items": [{"sku": "12345678", "qty": 99}]}):
        c.post_json("/v/orders", body)
        assert errors(body_schema, body) == [], body
    for body in ({**GOOD, "age": 121}, {**GOOD, "items": [{"sku": "x", "qty": 100}]}, {**GOOD, "nick": "a"},
                 {**GOOD, "email": "nope"}, {**GOOD, "kind": "c"}):
        c.post_json("/v/orders", body, status=400)
        assert errors(body_schema, body) != [], body
    params = {p["name"]: p for p in doc["paths"]["/v/search"]["get"]["parameters"]}
    c.get("/v/search?page=2&size=50&ids=1&ids=3&sort=desc")
    for name, value in (("page", 2), ("size", 50), ("ids", [1, 3]), ("sort", "desc")):
        assert errors(params[name]["schema"], value) == [], name
    headers = {p["name"]: p for p in doc["paths"]["/v/headers"]["get"]["parameters"]}
    c.get("/v/headers", headers={"X-Api-Key": "12345678", "X-Retries": "3"})
    assert set(headers) == {"x-api-key", "x-retries"} and headers["x-api-key"]["required"]
    assert errors(headers["x-api-key"]["schema"], "12345678") == [] and errors(headers["x-retries"]["schema"], 3) == []
