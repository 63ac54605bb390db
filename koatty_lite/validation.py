"""Request validation: annotations and Koatty's rules compiled once at boot into plain closures.

Loaded only when a route asks for it: ``@Validated()``, or an argument annotation beyond
``int``/``float``/``bool``/``str`` (a DTO class, ``Annotated[...]``, ``list[...]``, ``UUID``,
``Decimal``, ``date``/``datetime``, an enum, ``Literal``). routes.Route calls ``compile_route``;
each DTO class becomes one plan per mode (strict for JSON bodies, lenient for query/path/header/form
strings) and per rules on/off, cached. A request pays for dict lookups and the checks, no
introspection. Failures are collected, then raised as one ``ValidationError`` (400) listing every
field. docs/validation.md describes the rules and the conversions.
"""
from __future__ import annotations

import sys

from . import rules as _rules
from .decorators import _MISSING, Param
from .errors import HttpException
from .rules import Rule, Valid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_INVALID = object()


class ValidationError(HttpException):
    """400: ``data = {"errors": [{"loc": [...], "rule": ..., "message": ...}, ...]}``."""

    def __init__(self, errors: list):
        if errors:
            first = errors[0]
            where = ".".join(str(p) for p in first["loc"])
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            message = f"{where}: {first['message']}{more}"
        else:
            message = "validation failed"
        super().__init__(message, 1, 400, {"errors": errors})
        self.errors = errors


class DefinitionError(TypeError):
    """A DTO or route argument that cannot be validated (unknown rule, unconvertible type): a boot error."""


def Validated() -> Callable:
    """Koatty's ``@Validated()``: validate every DTO-typed argument of this route method by its rules."""

    def deco(fn: Callable) -> Callable:
        fn.__koatty_validated__ = True
        return fn

    return deco


# --- annotations ------------------------------------------------------------------------------


class TypeInfo:
    """An annotation taken apart: ``kind``, ``arg`` (item TypeInfo, class, or values), rules, nullable."""

    __slots__ = ("kind", "arg", "rules", "nullable", "tp")

    def __init__(self, kind: str, arg: Any, rules: tuple, nullable: bool, tp: Any):
        self.kind = kind
        self.arg = arg
        self.rules = rules
        self.nullable = nullable
        self.tp = tp


_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}
_ANY_NAMES = ("dict", "object", "Any", "bytes")


def evaluate(annotation: Any, globalns: dict, localns: dict | None, where: str) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated in its module, once at boot."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, globalns, localns)  # noqa: S307 — the app's own annotation text, at boot
    except Exception as exc:
        raise DefinitionError(f"{where}: cannot resolve the annotation {annotation!r} ({type(exc).__name__}: {exc}); "
                              "import the names it uses at module level") from None


def _rules_of(items: Any, where: str) -> list:
    """The rules in ``Annotated[...]`` metadata: Rule, Valid and plain functions; other metadata (a
    description string, another library's marker) is left alone."""
    out = []
    for item in items:
        if isinstance(item, Valid):
            for r in item.rules:
                out.append((r, item.message))
        elif isinstance(item, Rule) or type(item).__name__ in ("function", "builtin_function_or_method"):
            out.append((item, None))
    return out


def analyse(tp: Any, where: str) -> TypeInfo:
    """Take an evaluated annotation apart; a type koatty_lite cannot convert is a ``DefinitionError``."""
    tp, rules, nullable = _unwrap(tp, where)
    resolved = _resolve_rules(rules, where)
    kind, arg = _kind_of(tp, where)
    if kind in ("list", "dict"):
        arg = analyse(arg, where) if arg is not None else TypeInfo("any", None, (), True, None)
    return TypeInfo(kind, arg, resolved, nullable or tp is None or tp is type(None), tp)


def _is_union(tp: Any) -> bool:
    typing = sys.modules.get("typing")  # a typing.Union exists only if the app imported typing
    return (typing is not None and getattr(tp, "__origin__", None) is typing.Union) or type(tp).__name__ == "UnionType"


def _unwrap(tp: Any, where: str) -> tuple:
    """Strip ``Annotated[T, rules...]`` and ``Optional``/``T | None``: ``(T, rules, nullable)``."""
    rules = []
    nullable = False
    while True:
        meta = getattr(tp, "__metadata__", None)
        if meta is not None and hasattr(tp, "__origin__"):  # Annotated[T, rule, ...]
            rules += _rules_of(meta, where)
            tp = tp.__origin__
        elif _is_union(tp):
            args = [a for a in tp.__args__ if a is not type(None)]
            nullable = nullable or len(args) != len(tp.__args__)
            if len(args) != 1:
                raise DefinitionError(f"{where}: a union of several types ({tp!r}) cannot be converted; "
                                      "use one type (Optional allowed)")
            tp = args[0]
        else:
            return tp, rules, nullable


_ANY_TYPES = (dict, object, bytes)


def _kind_of(tp: Any, where: str) -> tuple:
    """``(kind, arg)`` of a bare annotation: arg is the item annotation of a list, the value annotation
    of a dict, the values of a Literal, the class of an enum/DTO/scalar."""
    origin = getattr(tp, "__origin__", None)
    if origin is not None:
        return _generic_kind(tp, origin, where)
    if tp is None or tp is type(None) or tp in _ANY_TYPES:
        return "any", None
    typing = sys.modules.get("typing")
    if typing is not None and tp is typing.Any:
        return "any", None
    if tp in (list, tuple):
        return "list", None
    if tp in (int, float, bool, str):
        return tp.__name__, tp
    kind = _class_kind(tp) if isinstance(tp, type) else None
    if kind is None:
        raise DefinitionError(f"{where}: cannot convert to {getattr(tp, '__name__', tp)!r}; use int, float, bool, "
                              "str, Decimal, UUID, date, datetime, an enum, Literal, list[...], dict or a DTO class")
    return kind, tp


def _generic_kind(tp: Any, origin: Any, where: str) -> tuple:
    """``(kind, arg)`` of ``list[X]``, ``dict[str, X]``, ``Literal[...]``, ``ClassVar[...]`` and their kin."""
    typing = sys.modules.get("typing")
    if origin is dict:  # dict[str, X]; a bare typing.Dict passes through, as dict does
        return ("dict", _value_of(tp, typing, where)) if getattr(tp, "__args__", None) else ("any", None)
    if typing is not None and origin is typing.ClassVar:
        return "any", None
    if typing is not None and origin is typing.Literal:
        return "literal", tuple(tp.__args__)
    if origin in (list, tuple, set, frozenset):
        return "list", _item_of(tp, origin, where)
    raise DefinitionError(f"{where}: cannot convert to {tp!r}; use int, float, bool, str, Decimal, UUID, date, "
                          "datetime, an enum, Literal, list[...], dict or a DTO class")


def _value_of(tp: Any, typing: Any, where: str) -> Any:
    """The value annotation of ``dict[str, X]``; other keys are a boot error (JSON keys are strings)."""
    key, value = tp.__args__
    if key is not str and not (typing is not None and key is typing.Any):
        raise DefinitionError(f"{where}: {tp!r} cannot be converted: JSON object keys are strings, "
                              "use dict[str, ...]")
    return value


def _item_of(tp: Any, origin: Any, where: str) -> Any:
    args = getattr(tp, "__args__", None) or ()
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    if origin is tuple and len(args) > 1:
        raise DefinitionError(f"{where}: fixed-length tuples ({tp!r}) cannot be converted; use list[...]")
    return args[0] if args else None


_CLASS_KINDS = {("decimal", "Decimal"): "decimal", ("uuid", "UUID"): "uuid", ("datetime", "date"): "date",
                ("datetime", "datetime"): "datetime"}


def _class_kind(tp: type) -> str | None:
    """By module and name, so that no module is imported to recognise its type."""
    kind = _CLASS_KINDS.get((tp.__module__, tp.__name__))
    if kind is not None:
        return kind
    enum = sys.modules.get("enum")
    if enum is not None and issubclass(tp, enum.Enum):
        return "enum"
    if _annotations_of(tp) or any(isinstance(v, (Rule, Valid)) for v in vars(tp).values()):
        return "dto"
    return None


def _resolve_rules(items: list, where: str) -> tuple:
    out = []
    for rule, message in items:
        try:
            out.append(_rules.resolve(rule, message))
        except KeyError:
            raise DefinitionError(f"{where}: unknown rule {getattr(rule, 'name', rule)!r} "
                                  f"(known: {', '.join(sorted(_rules.RULES))})") from None
        except (TypeError, ValueError) as exc:
            raise DefinitionError(f"{where}: {exc}") from None
    return tuple(out)


def _annotations_of(cls: type) -> list:
    """``[(owner class, name, annotation)]`` over the class and its bases (bases first)."""
    out = []
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        ann = klass.__dict__.get("__annotations__")
        if ann:
            out += [(klass, name, a) for name, a in ann.items()]
    return out


# --- DTO fields -------------------------------------------------------------------------------


class Factory:
    """A default made per request (a dataclass ``field(default_factory=...)``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        self.fn = fn


class FieldSpec:
    """One DTO field: attribute name, its TypeInfo, default (or ``_MISSING``), IsDefined."""

    __slots__ = ("name", "info", "default", "defined")

    def __init__(self, name: str, info: TypeInfo, default: Any, defined: bool):
        self.name = name
        self.info = info
        self.default = default
        self.defined = defined


_FIELDS: dict = {}


def dto_fields(cls: type) -> list:
    """The fields of a DTO class, analysed once (cached); a field without a type is a boot error."""
    fields = _FIELDS.get(cls)
    if fields is not None:
        return fields
    annotated = {name: (owner, annotation) for owner, name, annotation in _annotations_of(cls)}
    for klass in cls.__mro__:
        for name, value in klass.__dict__.items():
            if isinstance(value, (Rule, Valid)) and name not in annotated:
                raise DefinitionError(f"{cls.__name__}.{name}: a DTO field needs a type (name: int = ...)")
    fields = []
    for name, (owner, annotation) in annotated.items():
        if not name.startswith("_"):
            field = _field(cls, owner, name, annotation)
            if field is not None:
                fields.append(field)
    _FIELDS[cls] = fields
    return fields


def _field(cls: type, owner: type, name: str, annotation: Any) -> FieldSpec | None:
    """One DTO field (None for a ClassVar): its type, its rules (Annotated and default forms), default."""
    where = f"{cls.__name__}.{name}"
    module = sys.modules.get(owner.__module__)
    localns = dict(vars(owner))
    localns.setdefault(cls.__name__, cls)
    tp = evaluate(annotation, vars(module) if module else {}, localns, where)
    typing = sys.modules.get("typing")
    if typing is not None and getattr(tp, "__origin__", None) is typing.ClassVar:
        return None
    default, extra = _field_default(cls, name, where)
    info = analyse(tp, where)
    if extra:
        info.rules = info.rules + _resolve_rules(extra, where)
    if default is None:
        info.nullable = True
    return FieldSpec(name, info, default, any(r[0] == "IsDefined" for r in info.rules))


def _field_default(cls: type, name: str, where: str) -> tuple:
    """``(default or _MISSING, [(rule, message)])`` from the class attribute: a value, a Rule, a Valid."""
    default = next((klass.__dict__[name] for klass in cls.__mro__ if name in klass.__dict__), _MISSING)
    dc_field = (getattr(cls, "__dataclass_fields__", None) or {}).get(name)
    if default is _MISSING and dc_field is not None and callable(getattr(dc_field, "default_factory", None)):
        return Factory(dc_field.default_factory), []  # a dataclass field(default_factory=...)
    if isinstance(default, Valid):
        return default.default, [(r, default.message) for r in default.rules]
    if isinstance(default, Rule):
        return _MISSING, [(default, None)]
    if isinstance(default, Param):
        raise DefinitionError(f"{where}: parameter markers belong on route arguments, not DTO fields")
    return default, []


# --- converters -------------------------------------------------------------------------------
# A converter is conv(value, path, errors) -> value or _INVALID; path is the loc tuple so far.


def _type_error(path: tuple, errors: list, message: str) -> Any:
    errors.append({"loc": list(path), "rule": "type", "message": message})
    return _INVALID


def _strict_int(v: Any) -> int:
    if type(v) is int:
        return v
    if type(v) is float and v.is_integer():  # JSON has one number type: 5.0 is the integer 5
        return int(v)
    raise TypeError


def _strict_float(v: Any) -> float:
    if type(v) is float or type(v) is int:
        return float(v)
    raise TypeError


def _strict(t: type) -> Callable:
    def conv(v: Any) -> Any:
        if type(v) is t:
            return v
        raise TypeError

    return conv


def _lenient(fn: Callable) -> Callable:
    def conv(v: Any) -> Any:
        if type(v) is list:  # a repeated query/form key: the last value wins, as ctx.query does
            if not v:
                raise ValueError
            v = v[-1]
        return fn(v)

    return conv


_NUMBER_CHARS = frozenset("0123456789+-.eE")
_UUID_CHARS = frozenset("0123456789abcdefABCDEF-{}")


def _decimal(strict: bool) -> Callable:
    from decimal import Decimal, InvalidOperation

    def conv(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise TypeError
        if type(v) is str and (not v or not _NUMBER_CHARS.issuperset(v)):
            raise ValueError  # why: Decimal() also takes "1_0", spaces and non-ASCII digits, as int() does
        try:
            d = Decimal(v if isinstance(v, str) else repr(v) if isinstance(v, float) else v)
        except InvalidOperation:
            raise ValueError from None
        if not d.is_finite():
            raise ValueError
        return d

    return conv


def _uuid() -> Callable:
    from uuid import UUID

    def conv(v: Any) -> Any:
        if not isinstance(v, str) or len(v) > 64:
            raise TypeError
        # why: UUID() reads the hex with int(), which also takes fullwidth digits, "_" and spaces
        if not _UUID_CHARS.issuperset(v[9:] if v[:9].lower() == "urn:uuid:" else v):
            raise ValueError
        return UUID(v)

    return conv


def _date(kind: str) -> Callable:
    # why: rules' own parsers, not fromisoformat, whose grammar changed in Python 3.11
    parse = _rules.parse_datetime if kind == "datetime" else _rules.parse_date

    def conv(v: Any) -> Any:
        if not isinstance(v, str) or len(v) > 64:
            raise TypeError
        return parse(v)

    return conv


def _choices(pairs: list, strict: bool) -> Callable:
    """Enum members / Literal values by value; lenient strings also match by their text."""
    exact = [(value, result) for value, result in pairs]
    by_text = {str(value.value if hasattr(value, "value") else value): result for value, result in pairs}

    def conv(v: Any) -> Any:
        for value, result in exact:
            if v == value and isinstance(v, bool) == isinstance(value, bool) and type(v) is not list:
                return result
        if not strict:
            if type(v) is list and v:
                v = v[-1]
            if isinstance(v, str) and v in by_text:
                return by_text[v]
        raise ValueError

    return conv


_MESSAGES = {"int": "must be an integer", "float": "must be a number", "bool": "must be a boolean",
             "str": "must be a string", "decimal": "must be a decimal number", "uuid": "must be a UUID",
             "date": "must be an ISO 8601 date (YYYY-MM-DD)", "datetime": "must be an ISO 8601 date-time"}


def _scalar_fn(info: TypeInfo, strict: bool) -> tuple:
    kind = info.kind  # the JSON output writes these back by default (Decimal as an exact string: output.py)
    if kind in _SCALARS:
        if strict:
            fn = {"int": _strict_int, "float": _strict_float}.get(kind) or _strict(info.tp)
        else:
            from .routes import _CONVERTERS  # the lenient string converters routes.py uses (ASCII digits...)

            fn = _lenient(_CONVERTERS[info.tp])
        return fn, _MESSAGES[kind]
    if kind == "decimal":
        fn = _decimal(strict)
    elif kind == "uuid":
        fn = _uuid()
    elif kind in ("date", "datetime"):
        fn = _date(kind)
    elif kind == "enum":
        members = list(info.arg)
        fn = _choices([(m.value, m) for m in members], strict)
        return fn, "must be one of " + ", ".join(repr(m.value) for m in members)
    elif kind == "literal":
        fn = _choices([(v, v) for v in info.arg], strict)
        return fn, "must be one of " + ", ".join(repr(v) for v in info.arg)
    else:
        return None, ""
    return (fn if strict else _lenient(fn)), _MESSAGES[kind]


def converter(info: TypeInfo, strict: bool, rules_on: bool, own_rules: bool = True) -> Callable:
    """``conv(value, path, errors)`` for a TypeInfo (rules of nested DTOs run when ``rules_on``; rules on
    list items when ``own_rules``, as for the list itself)."""
    kind = info.kind
    if kind == "any":
        conv = None
    elif kind == "list":
        conv = _list_conv(info, strict, rules_on, own_rules)
    elif kind == "dict":
        conv = _dict_conv(info, strict, rules_on, own_rules)
    elif kind == "dto":
        conv = dto_plan(info.arg, strict, rules_on)
    else:
        conv = _scalar_conv(info, strict, ())
    return conv


_EXACT = {"int": int, "float": float, "bool": bool, "str": str}


def _scalar_conv(info: TypeInfo, strict: bool, checks: tuple) -> Callable:
    """One closure per scalar value: the conversion (skipped when the value already has the exact
    type) and the rule checks. PERF: the bench's 10-field DTO is built in ~6.6 µs (best of 7 × 20000,
    `plan(body, ("body",), [])` on the 2-core bench machine)."""
    fn, message = _scalar_fn(info, strict)
    exact = _EXACT.get(info.kind) if strict or info.kind == "str" else None

    def conv(v: Any, path: tuple, errors: list) -> Any:
        if type(v) is not exact:
            try:
                v = fn(v)
            except (TypeError, ValueError, ArithmeticError):
                errors.append({"loc": list(path), "rule": "type", "message": message})
                return _INVALID
        ok = True
        for name, check, msg, _rule in checks:
            try:
                passed = check(v)
            except Exception:  # a check that cannot judge the value (a user's CheckFunc) refuses it
                passed = False
            if not passed:
                errors.append({"loc": list(path), "rule": name, "message": msg})
                ok = False
        return v if ok else _INVALID

    return conv


def _checked(conv: Callable | None, checks: tuple) -> Callable:
    """conv followed by the rule checks (each failing rule is one error)."""
    def run(v: Any, path: tuple, errors: list) -> Any:
        if conv is not None:
            v = conv(v, path, errors)
            if v is _INVALID:
                return v
        ok = True
        for name, check, message, _rule in checks:
            try:
                passed = check(v)
            except Exception:
                passed = False
            if not passed:
                errors.append({"loc": list(path), "rule": name, "message": message})
                ok = False
        return v if ok else _INVALID

    return run


def value_converter(info: TypeInfo, strict: bool, rules_on: bool, own_rules: bool = True) -> Callable | None:
    """The converter of a value with its own rules attached (rules_on decides for DTO fields)."""
    checks = tuple(r for r in info.rules if r[0] != "IsDefined") if own_rules else ()
    if info.kind not in ("any", "list", "dict", "dto"):
        return _scalar_conv(info, strict, checks)
    conv = converter(info, strict, rules_on, own_rules)
    if checks:
        return _checked(conv, checks)
    return conv


def _list_conv(info: TypeInfo, strict: bool, rules_on: bool, own_rules: bool) -> Callable:
    item = value_converter(info.arg, strict, rules_on, own_rules)
    item_nullable = info.arg.nullable

    def conv(v: Any, path: tuple, errors: list) -> Any:
        if type(v) is not list:
            if strict or isinstance(v, dict):
                return _type_error(path, errors, "must be an array")
            v = [v]
        if item is None:
            return v
        out = []
        bad = False
        for i, x in enumerate(v):
            if x is None and item_nullable:
                out.append(None)
                continue
            x = item(x, path + (i,), errors)
            if x is _INVALID:
                bad = True
            out.append(x)
        return _INVALID if bad else out

    return conv


def _dict_conv(info: TypeInfo, strict: bool, rules_on: bool, own_rules: bool) -> Callable:
    """``dict[str, X]``: an object whose every value is converted and checked as X (its key in ``loc``)."""
    item = value_converter(info.arg, strict, rules_on, own_rules)
    item_nullable = info.arg.nullable

    def conv(v: Any, path: tuple, errors: list) -> Any:
        if type(v) is not dict:
            return _type_error(path, errors, "must be an object")
        if item is None:
            return v
        out = {}
        bad = False
        for k, x in v.items():
            if x is None and item_nullable:
                out[k] = None
                continue
            x = item(x, path + (k,), errors)
            if x is _INVALID:
                bad = True
            out[k] = x
        return _INVALID if bad else out

    return conv


_PLANS: dict = {}


def dto_plan(cls: type, strict: bool, rules_on: bool) -> Callable:
    """``build(data, path, errors) -> instance or _INVALID`` for a DTO class; compiled once per mode."""
    key = (cls, strict, rules_on)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    slot = []

    def forward(data: Any, path: tuple, errors: list) -> Any:  # a DTO that contains itself
        return slot[0](data, path, errors)

    _PLANS[key] = forward
    fields = []
    for f in dto_fields(cls):
        conv = value_converter(f.info, strict, rules_on, own_rules=rules_on)
        required = f.default is _MISSING or (rules_on and f.defined)
        if rules_on and f.defined:
            required = _defined_message(f.info.rules) or True
        fields.append((f.name, conv, required, f.default, f.info.nullable and not (rules_on and f.defined)))
    fields = tuple(fields)
    new = cls.__new__
    has_dict = cls.__dictoffset__ != 0

    def build(data: Any, path: tuple, errors: list) -> Any:
        if not isinstance(data, dict) and (strict or not hasattr(data, "get")):
            return _type_error(path, errors, "must be an object")
        obj = new(cls)
        values = {}
        failed = False
        for name, conv, required, default, nullable in fields:
            v = data.get(name, _MISSING)
            if v is _MISSING or (v is None and not nullable):
                failed = _absent(v, required, default, path + (name,), errors, values, name) or failed
                continue
            if v is not None and conv is not None:
                v = conv(v, path + (name,), errors)
                if v is _INVALID:
                    failed = True
                    continue
            values[name] = v
        if failed:
            return _INVALID
        if has_dict:
            obj.__dict__.update(values)
        else:
            for name, v in values.items():
                object.__setattr__(obj, name, v)
        return obj

    slot.append(build)
    _PLANS[key] = build
    _register_output(cls)
    return build


_MUTABLE = (list, dict, set)


def _defined_message(rules: tuple) -> str | None:
    """The message of an ``IsDefined(message=...)`` (or ``Valid("IsDefined", msg)``) among resolved rules."""
    default = _rules.RULES["IsDefined"].message
    for name, _check, message, _rule in rules:
        if name == "IsDefined" and message != default:
            return message
    return None


def _absent(v: Any, required: Any, default: Any, path: tuple, errors: list, values: dict, name: Any) -> bool:
    """A missing or null value: ``values[name]`` gets its default (a mutable one copied, a factory
    called), or an IsDefined error is added; True when it failed. ``required`` is a bool, or the
    message of the field's own IsDefined rule."""
    if v is _MISSING and not required:
        kind = type(default)
        values[name] = default.copy() if kind in _MUTABLE else default.fn() if kind is Factory else default
        return False
    message = required if type(required) is str else "is required" if v is _MISSING else "must not be null"
    errors.append({"loc": list(path), "rule": "IsDefined", "message": message})
    return True


def _register_output(cls: type) -> None:
    """A DTO returned by a controller is written as its fields (output.py's JSON types)."""
    from .output import register_json_type

    if cls.__dictoffset__ != 0:
        register_json_type(cls, vars)  # PERF: the instance dict as it is (its fields, set by the plan)
    else:
        names = tuple(f.name for f in dto_fields(cls))
        register_json_type(cls, lambda obj: {n: getattr(obj, n) for n in names if hasattr(obj, n)})


def validate(cls: type, data: Any, *, strict: bool = True) -> Any:
    """Koatty's ``ClassValidator.valid``: build a ``cls`` instance from ``data`` or raise ValidationError."""
    errors = []
    obj = dto_plan(cls, strict, True)(data, ("body",), errors)
    if errors:
        raise ValidationError(errors)
    return obj


# --- route arguments --------------------------------------------------------------------------

_ROOTS = {"path": "path", "query": "query", "header": "header", "body": "body", "body-all": "body", "param": "query"}


class ArgSpec:
    """A route argument as validation sees it (openapi.py reads these too)."""

    __slots__ = ("name", "source", "key", "info", "default", "required", "whole")

    def __init__(self, name: str, source: str, key: Any, info: TypeInfo | None, default: Any, whole: bool):
        self.name = name
        self.source = source
        self.key = key
        self.info = info
        self.default = default
        self.required = default is _MISSING
        self.whole = whole


def arg_specs(label: str, fn: Callable, signature: list) -> list:
    """Resolve each marked argument's annotation (evaluated once); ``[ArgSpec]``."""
    out = []
    for name, marker, annotation in signature:
        if not isinstance(marker, Param):
            continue
        where = f"{label}({name})"
        source = marker.source
        info = None
        if source != "file" and annotation is not None:
            tp = evaluate(annotation, fn.__globals__, None, where)
            info = analyse(tp, where)
        whole = source in ("body-all",) or (marker.name is None and source in ("param",))
        if info is not None and info.kind == "dto" and marker.name is None and source in ("query", "body", "header"):
            whole = True
        key = marker.name if marker.name is not None or whole else name
        default = marker.default
        if default is None and info is not None:
            info.nullable = True
        out.append(ArgSpec(name, source, key, info, default, whole))
    return out


def _fetch(spec: ArgSpec) -> Callable:
    """``fetch(ctx)`` → the raw value or ``_MISSING``."""
    source, key, kind = spec.source, spec.key, spec.info.kind if spec.info else "any"
    if spec.whole:
        if source == "query":
            def fetch(ctx: Any) -> Any:
                multi = {}
                for k, v in ctx._pairs():
                    multi.setdefault(k, []).append(v)
                return multi
        elif source == "header":
            return _header_dto_fetch(spec)
        elif source == "param":
            return lambda ctx: ctx.request_param()
        else:
            return lambda ctx: ctx.request_body()
        return fetch
    if source == "path":
        return lambda ctx: ctx.params.get(key, _MISSING)
    if source == "query":
        if kind == "list":
            return lambda ctx: ctx.query_list(key) or _MISSING
        return lambda ctx: ctx.query.get(key, _MISSING)
    if source == "header":
        def fetch(ctx: Any) -> Any:
            v = ctx.headers.get(key)
            if v is None:
                return _MISSING
            return [p.strip() for p in v.split(",")] if kind == "list" else v
        return fetch
    if source == "param":
        return lambda ctx: ctx.request_param().get(key, _MISSING)

    def fetch(ctx: Any) -> Any:  # body field
        body = ctx.request_body()
        return body.get(key, _MISSING) if isinstance(body, dict) else _MISSING
    return fetch


def _header_dto_fetch(spec: ArgSpec) -> Callable:
    """All headers as a mapping for a header DTO. Field names are identifiers: a field x_api_key reads
    the header X-Api-Key; a list field's header is split on "," as for ``Header("x-ids")`` (OpenAPI's
    style simple), the other fields take the header as sent."""
    lists = frozenset(f.name for f in dto_fields(spec.info.arg) if f.info.kind == "list") if spec.info.kind == "dto" \
        else frozenset()

    def fetch(ctx: Any) -> dict:
        out = {}
        for k, v in ctx.headers.items():
            k = k.lower().replace("-", "_")
            out[k] = [p.strip() for p in v.split(",")] if k in lists else v
        return out

    return fetch


def _fetch_for(spec: ArgSpec, extractor: Any) -> Callable:
    """The built-in sources' fetch, or the marker's own getter (a user's marker class or source)."""
    from .routes import MARKERS

    record = MARKERS.get(spec.source)
    if record is not None and extractor.getter is record.get and spec.source in _ROOTS:
        return _fetch(spec)
    getter, key = extractor.getter, extractor.key
    return lambda ctx: getter(ctx, key)


def _is_json(ctx: Any) -> bool:
    ctype = ctx.headers.get("content-type") or ""
    return "json" in ctype


def compile_route(label: str, fn: Callable, signature: list, extractors: tuple) -> Callable:
    """``extract(ctx) -> kwargs`` for a route whose arguments need validation (see module docstring)."""
    validated = bool(fn.__dict__.get("__koatty_validated__"))
    by_name = dict(extractors)
    plan = []
    for spec in arg_specs(label, fn, signature):
        if spec.info is None or spec.source == "file":
            plan.append((spec.name, by_name[spec.name], None, None, None, None, None))
            continue
        info = spec.info
        # Koatty: a DTO's own rules run under @Validated; rules on an argument (Annotated) always run.
        rules_on = validated
        lenient = value_converter(info, False, rules_on)
        strict = value_converter(info, True, rules_on) if spec.source in ("body", "body-all") else None
        where = _ROOTS.get(spec.source, spec.source)  # a user's marker: its own source name ("cookie")
        root = (where,) if spec.whole else (where, spec.key)
        required = spec.required or any(r[0] == "IsDefined" for r in info.rules)
        if required:
            required = _defined_message(info.rules) or True
        plan.append((spec.name, None, _fetch_for(spec, by_name[spec.name]), root, lenient, strict,
                     (required, spec.default, info.nullable)))
    plan = tuple(plan)

    def extract(ctx: Any) -> dict:
        kwargs = {}
        errors = []
        json_body = None
        for name, extractor, fetch, root, lenient, strict, opts in plan:
            if extractor is not None:
                kwargs[name] = extractor(ctx)
                continue
            v = fetch(ctx)
            required, default, nullable = opts
            if v is _MISSING or (v is None and not nullable):
                _absent(v, required, default, root, errors, kwargs, name)
                continue
            conv = lenient
            if strict is not None:
                if json_body is None:
                    json_body = _is_json(ctx)
                if json_body:
                    conv = strict
            if v is not None and conv is not None:
                try:
                    v = conv(v, root, errors)
                except RecursionError:  # a self-referencing DTO fed a body nested deeper than the stack
                    errors.append({"loc": list(root), "rule": "type", "message": "is nested too deeply"})
                    continue
            kwargs[name] = v
        if errors:
            raise ValidationError(errors)
        return kwargs

    return extract
