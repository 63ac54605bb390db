"""An OpenAPI 3.1 document built from a ready app: routes, markers, DTOs and their rules, return types.

``app.openapi()`` (and ``python -m koatty_lite openapi module:App``) call ``build``; config
``openapi.path`` serves it. Loaded only then. Rules become JSON Schema keywords (rules.RULES'
schema functions); the error answers are the ones output.py gives. docs/openapi.md.
"""
from __future__ import annotations

import sys

from .decorators import _MISSING
from .errors import REASONS
from .routes import _tokens
from .routes import Route, _signature
from .validation import TypeInfo, analyse, arg_specs, dto_fields, evaluate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .app import Koatty

_BODY_METHODS = ("post", "put", "patch", "delete")
_ALL = ("get", "post", "put", "delete", "patch")
_ERRORS = {
    "400": ("BadRequest", "Bad request: the errors list names every field that failed (validation), or a "
                          "malformed body"),
    "404": ("NotFound", "No route matches the path"),
    "405": ("MethodNotAllowed", "The path exists but not for this method (see the Allow header)"),
    "413": ("PayloadTooLarge", "The body is larger than the payload limit"),
    "415": ("UnsupportedMediaType", "The Content-Encoding or the body's charset is not supported"),
    "500": ("InternalServerError", "An unhandled error (logged with the request id)"),
}
_DECIMAL = r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"


class _Builder:
    """One document: the component schemas collected while the operations are described."""

    def __init__(self):
        self.schemas = {}
        self.names = {}

    # --- schemas ----------------------------------------------------------------------------

    def dto_ref(self, cls: type, rules: bool = True) -> dict:
        """A DTO's component; its rules are documented where they run (under @Validated): a DTO also
        used without it gets a second component, ``<Name>Unchecked``, with the types only."""
        name = self.names.get((cls, rules))
        if name is None:
            base = cls.__name__ if rules else cls.__name__ + "Unchecked"
            name, n = base, 2
            while name in self.schemas:
                name, n = f"{base}{n}", n + 1
            self.names[(cls, rules)] = name
            self.schemas[name] = {}  # reserved first: a DTO that contains itself refers to its own name
            props, required = {}, []
            for f in dto_fields(cls):
                props[f.name] = self.schema(f.info, f.default, rules, rules)
                if f.default is _MISSING or (rules and f.defined):
                    required.append(f.name)
            schema = {"type": "object", "title": cls.__name__, "properties": props}
            if required:
                schema["required"] = required
            doc = _doc(cls)
            if doc:
                schema["description"] = doc
            self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def schema(self, info: TypeInfo | None, default: Any = _MISSING, own: bool = True, dto_rules: bool = True) -> dict:
        """The JSON Schema of a value: its type, its rules as keywords (``own``: they run; ``dto_rules``:
        a DTO's field rules run), null when optional, the default."""
        if info is None:
            return {}
        out = self.type_schema(info, own, dto_rules)
        for name, _check, message, rule in info.rules if own else ():
            _merge(out, _keywords(info.kind, rule))
        if info.nullable:
            out = _nullable(out)
        if default is not _MISSING and type(default).__name__ != "Factory":
            d = _json_value(default)
            if d is not _MISSING:
                if "$ref" in out:
                    out = {"allOf": [out]}
                out["default"] = d
        return out

    def type_schema(self, info: TypeInfo, own: bool, dto_rules: bool) -> dict:
        kind = info.kind
        if kind == "dto":
            return self.dto_ref(info.arg, dto_rules)
        if kind == "list":
            return {"type": "array", "items": self.schema(info.arg, _MISSING, own, dto_rules)}
        if kind == "dict":
            values = self.schema(info.arg, _MISSING, own, dto_rules)
            return {"type": "object", "additionalProperties": values} if values else {"type": "object"}
        if kind == "any":
            return {"type": "object"} if info.tp is dict or getattr(info.tp, "__origin__", None) is dict else {}
        if kind == "enum":
            values = [m.value for m in info.arg]
            types = {_json_type(v) for v in values}
            return {"type": types.pop(), "enum": values} if len(types) == 1 and None not in types else {"enum": values}
        if kind == "literal":
            return {"enum": list(info.arg)}
        return dict(_SCALAR_SCHEMAS[kind])

    # --- operations -------------------------------------------------------------------------

    def operation(self, method: str, path: str, route: Route) -> dict:
        fn = route.fn
        inputs = _Inputs(self, path, bool(fn.__dict__.get("__koatty_validated__")))
        for spec in arg_specs(route.label, fn, _signature(fn)):
            inputs.add(spec)
        op = {"operationId": "", "tags": [route.cls.__name__]}
        summary, _, rest = _doc(fn).partition("\n")
        if summary:
            op["summary"] = summary.strip()
        if rest.strip():
            op["description"] = rest.strip()
        if inputs.params:
            op["parameters"] = list(inputs.params.values())
        body = inputs.request_body()
        if body:
            op["requestBody"] = body
        op["responses"] = self.responses(method, fn, bool(inputs.params or body))
        return op

    def param(self, params: dict, where: str, name: str, info: TypeInfo | None, required: bool, default: Any,
              own: bool = True, dto_rules: bool = True) -> None:
        schema = self.schema(info, default if not required else _MISSING, own, dto_rules)
        if where == "path":
            required = True
        entry = {"name": name, "in": where, "required": bool(required), "schema": schema}
        params[(where, name.lower() if where == "header" else name)] = entry

    def responses(self, method: str, fn: Any, has_input: bool) -> dict:
        out = {}
        ret = (fn.__annotations__ or {}).get("return", _MISSING)
        if ret is None or ret == "None":
            out["204"] = {"description": "No Content"}
        else:
            ok = {"description": "OK"}
            if ret is not _MISSING:
                try:
                    info = analyse(evaluate(ret, fn.__globals__, None, fn.__qualname__), fn.__qualname__)
                except TypeError:
                    info = None
                if info is not None:
                    if info.kind == "str":
                        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
                    else:
                        ok["content"] = {"application/json": {"schema": self.schema(info)}}
            out["200"] = ok
        codes = ["404", "405", "500"]
        if method in _BODY_METHODS:
            codes += ["400", "413", "415"]  # a body is parsed before any route runs: bad JSON is a 400 there too
        elif has_input:
            codes.append("400")
        for code in sorted(codes):
            out[code] = {"$ref": f"#/components/responses/{_ERRORS[code][0]}"}
        return out


class _Inputs:
    """The parameters and request body of one operation, collected argument by argument."""

    def __init__(self, builder: _Builder, path: str, validated: bool):
        self.b = builder
        self.validated = validated  # a DTO's own rules run (and are documented) only under @Validated
        self.path_names = [name for kind, name in _tokens(path) if kind == "param"]
        self.params = {("path", n): {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                       for n in self.path_names}
        self.props, self.required, self.files = {}, [], {}
        self.body, self.body_required = None, False

    def add(self, spec: Any) -> None:
        source = spec.source
        if source == "param" and not spec.whole:
            source = "path" if spec.key in self.path_names else "query"
        if source in ("path", "query", "header", "cookie", "param"):  # OpenAPI "in" values (a Cookie marker too)
            self.add_param(source, spec)
        elif source == "body-all" or (source == "body" and spec.whole):
            self.body = self.b.schema(spec.info, _MISSING, True, self.validated)
            self.body_required = spec.required
        elif source == "body":
            self.props[spec.key] = self.b.schema(spec.info, spec.default, True, self.validated)
            if spec.required:
                self.required.append(spec.key)
        elif source == "file":
            self.files[spec.key or spec.name] = {"type": "string", "format": "binary"}

    def add_param(self, source: str, spec: Any) -> None:
        v = self.validated
        if not spec.whole:
            self.b.param(self.params, source, spec.key, spec.info, spec.required, spec.default, True, v)
        elif spec.info is not None and spec.info.kind == "dto":  # one parameter per field
            for f in dto_fields(spec.info.arg):
                name = f.name.replace("_", "-") if source == "header" else f.name
                where = ("path" if name in self.path_names else "query") if source == "param" else source
                self.b.param(self.params, where, name, f.info, f.default is _MISSING or (v and f.defined),
                             f.default, v, v)

    def request_body(self) -> dict | None:
        content = {}
        if self.body is not None:
            content["application/json"] = {"schema": self.body}
            if self.body.get("$ref") or self.body.get("type") == "object":
                content["application/x-www-form-urlencoded"] = {"schema": self.body}
        elif self.props or self.files:
            obj = {"type": "object", "properties": {**self.props, **self.files}}
            if self.required:
                obj["required"] = self.required
            if not self.files:
                content["application/json"] = {"schema": obj}
                content["application/x-www-form-urlencoded"] = {"schema": obj}
            content["multipart/form-data"] = {"schema": obj}
        if not content:
            return None
        return {"content": content, "required": bool(self.body_required or self.required)}


_SCALAR_SCHEMAS = {
    "int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
    "str": {"type": "string"},
    # A Decimal is read from a JSON number or a numeric string and written back as a string.
    "decimal": {"type": ["string", "number"], "pattern": _DECIMAL, "format": "decimal"},
    "uuid": {"type": "string", "format": "uuid"}, "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _nullable(out: dict) -> dict:
    if "$ref" in out or "type" not in out:
        return {"anyOf": [out, {"type": "null"}]} if out else out
    t = out["type"]
    out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = out["enum"] + [None]
    return out


def _keywords(kind: str, rule: Any) -> dict:
    """The JSON Schema keywords of one rule on a value of ``kind`` (rules.RULES' schema functions)."""
    from .rules import schema_of

    if rule.name in ("CheckFunc", "IsDefined", "IsDate"):
        return {}  # IsDefined is "required"; the others have no keyword
    if rule.name == "IsNotEmpty":
        return {"list": {"minItems": 1}, "str": {"minLength": 1, "pattern": r"\S"},
                "dto": {"minProperties": 1}, "dict": {"minProperties": 1}}.get(kind, {})
    keywords = {}
    for key, value in schema_of(rule).items():
        value = _json_value(value)
        if value is not _MISSING:  # an argument JSON cannot carry (a compiled regex...) is left out
            keywords[key] = value
    if kind == "list" and rule.name == "Length":
        keywords = {("minItems" if k == "minLength" else "maxItems"): v for k, v in keywords.items()}
    return keywords


def _merge(out: dict, keywords: dict) -> None:
    """Add keywords to a schema; one already there with another value goes under allOf."""
    for key, value in keywords.items():
        if out.get(key, _MISSING) == value:
            continue
        if "$ref" in out or key in out:
            out.setdefault("allOf", []).append({key: value})
        else:
            out[key] = value


def _json_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _json_value(value: Any, fallback: Any = _MISSING) -> Any:
    """A default or rule argument as JSON (enum → value, Decimal/UUID → str, date → ISO); else fallback."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_json_value(v) for v in value]
        return fallback if _MISSING in items else items
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    enum = sys.modules.get("enum")
    if enum is not None and isinstance(value, enum.Enum):
        return _json_value(value.value, fallback)
    kind = type(value).__name__
    if kind in ("Decimal", "UUID"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return fallback


def _doc(obj: Any) -> str:
    doc = obj.__doc__ or ""
    if not doc.strip():
        return ""
    lines = doc.expandtabs().strip().splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()), default=0)
    return "\n".join([lines[0].strip()] + [line[indent:].rstrip() for line in lines[1:]]).strip()


def _openapi_path(path: str) -> str:
    """``/users/:id`` → ``/users/{id}``; a final ``*`` → ``{wildcard}``."""
    return "".join("{" + name + "}" if kind == "param" else name for kind, name in _tokens(path))


def _error_components() -> tuple:
    error = {"type": "object", "required": ["code", "message", "data"], "properties": {
        "code": {"type": "integer", "description": "1 unless the exception set another code"},
        "message": {"type": "string"},
        "data": {"description": "Exception data, null when none"},
        "requestId": {"type": "string", "description": "Also sent as the X-Request-Id header"}}}
    loc = {"type": "array", "items": {"type": ["string", "integer"]},
           "description": 'Where the value was looked for ("path", "query", "header" or "body"), then the field '
                          "names and list indexes"}
    validation = {"allOf": [{"$ref": "#/components/schemas/Error"}, {"type": "object", "properties": {
        "data": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["errors"], "properties": {
            "errors": {"type": "array", "items": {"type": "object", "required": ["loc", "rule", "message"],
                                                  "properties": {"loc": loc, "rule": {"type": "string"},
                                                                 "message": {"type": "string"}}}}}}]}}}]}
    responses = {}
    for code, (name, description) in _ERRORS.items():
        ref = "ValidationError" if code == "400" else "Error"
        responses[name] = {"description": f"{REASONS[int(code)]}: {description}",
                           "headers": {"X-Request-Id": {"schema": {"type": "string"}}},
                           "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    return {"Error": error, "ValidationError": validation}, responses


def build(app: Koatty) -> dict:
    """The OpenAPI 3.1 document of a ready app (``app.openapi()``)."""
    config = app.get_config("openapi") or {}
    if not isinstance(config, dict):
        config = {}
    cls = type(app)
    info = {"title": str(config.get("title") or cls.__name__), "version": str(config.get("version") or "1.0.0")}
    description = config.get("description") or _doc(cls)
    if description:
        info["description"] = str(description)
    b = _Builder()
    paths, tags = _operations(b, app.router)
    schemas, responses = _error_components()
    schemas.update(b.schemas)
    doc = {"openapi": "3.1.0", "info": info, "paths": paths,
           "components": {"schemas": schemas, "responses": responses}}
    tag_list = [{"name": name, **({"description": d} if d else {})} for name, d in tags.items()]
    if tag_list:
        doc["tags"] = tag_list
    servers = config.get("servers")
    if isinstance(servers, list):
        doc["servers"] = servers
    return doc


def _operations(b: _Builder, router: Any) -> tuple:
    """``(paths, {tag: description})`` for every controller route of the table, in path order."""
    paths, tags, used_ids = {}, {}, set()
    tables = [(p, t) for p, t in router.static.items()] + [(p, t) for _, p, t in router.dynamic]
    for path, table in sorted(tables, key=lambda pt: pt[0]):
        for method, handler in sorted(table.items()):
            handler = getattr(handler, "__wrapped__", handler)  # observability wraps routes (observe.py)
            if not isinstance(handler, Route):
                continue  # the served document itself, a user's own callable
            tags.setdefault(handler.cls.__name__, _doc(handler.cls))
            for m in _ALL if method == "ALL" else (method.lower(),):
                if m == "head" and "GET" in table:
                    continue  # HEAD is served by the GET route
                op = b.operation(m, path, handler)
                op["operationId"] = _op_id(f"{handler.cls.__name__}.{handler.fn.__name__}", m, used_ids)
                paths.setdefault(_openapi_path(path), {})[m] = op
    return paths, tags


def _op_id(op_id: str, method: str, used: set) -> str:
    """``Controller.method``, with ``.get``... appended when one method serves several operations."""
    if op_id in used:
        op_id = f"{op_id}.{method}"
        while op_id in used:
            op_id += "_"
    used.add(op_id)
    return op_id
