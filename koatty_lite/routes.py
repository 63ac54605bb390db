"""Controller routes compiled once at boot: argument extractors, converters, aspects."""
from __future__ import annotations

from .compose import refuse_async
from .container import InjectionError, defines_init, koatty_name
from .decorators import _MISSING, Param
from .errors import HttpException

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .app import Koatty
    from .context import Context


_CONVERTERS = {}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


_DIGITS = frozenset("0123456789")
_FLOAT_CHARS = frozenset("0123456789+-.eE")


def _to_int(value: Any) -> int:
    if type(value) is str and value.isascii() and value.isdigit():  # PERF: the usual "42", no sign
        return int(value)
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(value)
    text = str(value)
    # Why: int() also takes "1_0", " 1", Arabic-Indic and fullwidth digits: ASCII digits and a sign only.
    digits = text[1:] if text[:1] in ("-", "+") else text
    if not digits or not _DIGITS.issuperset(digits):
        raise ValueError(value)
    return int(text)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if not isinstance(value, (int, float)):
        value = str(value)
        # Why: as for int: float() takes "1_0", spaces and non-ASCII digits; "inf"/"nan" fail here too.
        if not value or not _FLOAT_CHARS.issuperset(value):
            raise ValueError(value)
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError(value)  # NaN/inf are not useful request values
    return result


def _to_str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(value)
    return value if isinstance(value, str) else str(value)


_CONVERTERS.update({int: _to_int, float: _to_float, bool: _to_bool, str: _to_str,
                    "int": _to_int, "float": _to_float, "bool": _to_bool, "str": _to_str})


def _converter(annotation: Any) -> tuple:
    """``(convert_fn or None, type name)`` for an annotation (class or string, ``X | None`` allowed)."""
    if annotation is None:
        return None, ""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").strip("'\"")
        if text.startswith("Optional[") and text.endswith("]"):
            text = text[9:-1]
        parts = [p for p in text.split("|") if p not in ("None", "")]
        text = parts[0] if len(parts) == 1 else text
        return _CONVERTERS.get(text), text
    conv = _CONVERTERS.get(annotation)
    return conv, getattr(annotation, "__name__", str(annotation))


_WHERE = {"path": "path parameter", "query": "query parameter", "body": "body field", "header": "header",
          "file": "uploaded file", "param": "query/path parameter", "body-all": "request body"}


def _get_path(ctx: Context, key: str) -> Any:
    return ctx.params.get(key, _MISSING)


def _get_query(ctx: Context, key: str) -> Any:
    return ctx.query.get(key, _MISSING)


def _get_body(ctx: Context, key: str) -> Any:
    body = ctx.request_body()
    if isinstance(body, dict):
        return body.get(key, _MISSING)
    return _MISSING


def _get_header(ctx: Context, key: str) -> Any:
    value = ctx.headers.get(key)
    return _MISSING if value is None else value


def _get_file(ctx: Context, key: str) -> Any:
    if key is None:
        files = ctx.request_file()
        return files if files else _MISSING
    value = ctx.request_file(key)  # one file: the last of a repeated field (ctx.request_files for all)
    return _MISSING if value is None else value


def _get_param(ctx: Context, key: str) -> Any:
    params = ctx.request_param()
    return params if key is None else params.get(key, _MISSING)


def _get_body_all(ctx: Context, key: str) -> Any:
    return ctx.request_body()


_GETTERS = {"path": _get_path, "query": _get_query, "body": _get_body, "header": _get_header,
            "file": _get_file, "param": _get_param, "body-all": _get_body_all}


class Extractor:
    """Reads one controller argument from the request and converts it; compiled once per route."""

    __slots__ = ("arg", "getter", "key", "default", "convert", "type_name", "where")

    def __init__(self, arg: str, marker: Param, annotation: Any):
        self.arg = arg
        source = marker.source
        self.getter = _GETTERS[source]
        key = marker.name
        if key is None and source not in ("body-all", "param", "file"):
            key = arg
        self.key = key
        self.default = marker.default
        self.convert, self.type_name = _converter(annotation) if source not in ("body-all", "file") else (None, "")
        where = _WHERE[source]
        self.where = f"{where} {key!r}" if key is not None and source != "body-all" else where

    def __call__(self, ctx: Context) -> Any:
        value = self.getter(ctx, self.key)
        if value is _MISSING:
            if self.default is _MISSING:
                raise HttpException(f"missing required parameter {self.arg!r} ({self.where})", 1, 400)
            return self.default
        convert = self.convert
        if convert is not None:
            try:
                return convert(value)
            except (TypeError, ValueError, OverflowError):
                raise HttpException(
                    f"invalid parameter {self.arg!r} ({self.where}): expected {self.type_name}", 1, 400) from None
        return value


def _signature(fn: Callable) -> list:
    """``[(name, default or _MISSING, annotation)]`` for the arguments after ``self``; no inspect import."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    positional = names[:code.co_argcount]
    defaults = fn.__defaults__ or ()
    kwdefaults = fn.__kwdefaults__ or {}
    annotations = fn.__annotations__ or {}
    first_default = len(positional) - len(defaults)
    out = []
    for i, name in enumerate(names):
        if i == 0 and code.co_argcount:
            continue  # self
        if i < code.co_argcount:
            default = defaults[i - first_default] if i >= first_default else _MISSING
        else:
            default = kwdefaults.get(name, _MISSING)
        out.append((name, default, annotations.get(name)))
    return out


# Annotations the plain extractors convert (or pass through); any other one, or @Validated, asks
# validation.py (loaded only then) for a compiled checker of the route's arguments.
_PLAIN = frozenset((None, dict, list, object, bytes, "dict", "list", "object", "bytes", "Any"))


def _needs_validation(fn: Callable, signature: list) -> bool:
    if fn.__dict__.get("__koatty_validated__"):
        return True
    for _name, default, annotation in signature:
        if isinstance(default, Param) and default.source != "file":
            if annotation in _PLAIN or _converter(annotation)[0] is not None:
                continue
            return True
    return False


class Route:
    """A compiled controller route: prepared injections, argument extractors, aspects."""

    __slots__ = ("app", "cls", "fn", "prepared", "init_mode", "extractors", "extract", "before", "after",
                 "own_before", "own_after", "has_aspects", "label")

    def __init__(self, app: Koatty, cls: type, fn: Callable, prepared: dict):
        self.app = app
        self.cls = cls
        self.fn = fn
        self.prepared = prepared
        self.label = f"{cls.__name__}.{fn.__name__}"
        refuse_async(fn, self.label)
        init_mode = 0
        if defines_init(cls):
            init = cls.__init__
            code = getattr(init, "__code__", None)
            # Koatty constructs controllers as `new Ctl(ctx)`; accept both __init__(self) and __init__(self, ctx).
            init_mode = 2 if code is not None and code.co_argcount >= 2 else 1
        self.init_mode = init_mode
        extractors = []
        signature = _signature(fn)
        for name, default, annotation in signature:
            if isinstance(default, Param):
                extractors.append((name, Extractor(name, default, annotation)))
            elif default is _MISSING:
                raise TypeError(f"{self.label}: argument {name!r} needs a marker default "
                                f"(PathVariable, Get, Post, Header, RequestBody, File, RequestParam)")
        self.extractors = tuple(extractors)
        self.extract = None
        if _needs_validation(fn, signature):
            from .validation import compile_route

            self.extract = compile_route(self.label, fn, signature, self.extractors)
        container = app.container

        def aspects(items: Any, decorator: str) -> list:
            out = []
            for item in items or ():
                if container.name_of(item) is None:
                    what = item if isinstance(item, str) else getattr(item, "__name__", None) or repr(item)
                    raise InjectionError(f"{self.label}: aspect {what} (from @{decorator}) is not registered: "
                                         f"add it to App.components")
                aspect = container.get(item)
                if not callable(getattr(aspect, "run", None)):
                    raise TypeError(f"aspect {koatty_name(type(aspect))} has no run(self, ctx, *args) method")
                refuse_async(aspect.run, f"aspect {koatty_name(type(aspect))}.run")
                out.append(aspect.run)
            return out

        self.before = tuple(aspects(cls.__dict__.get("__koatty_before_each__"), "BeforeEach")
                            + aspects(fn.__dict__.get("__koatty_before__"), "Before"))
        self.after = tuple(aspects(fn.__dict__.get("__koatty_after__"), "After")
                           + aspects(cls.__dict__.get("__koatty_after_each__"), "AfterEach"))
        self.own_before = callable(getattr(cls, "_before", None))
        self.own_after = callable(getattr(cls, "_after", None))
        self.has_aspects = bool(self.before or self.after or self.own_before or self.own_after)

    def __call__(self, ctx: Context) -> Any:
        cls = self.cls
        # PERF: no per-request resolution: injections were resolved at boot; __new__ + dict update.
        obj = cls.__new__(cls)
        d = obj.__dict__
        d.update(self.prepared)
        d["ctx"] = ctx
        d["app"] = self.app
        if self.init_mode:
            if self.init_mode == 2:
                obj.__init__(ctx)
            else:
                obj.__init__()
        if self.extract is None:
            kwargs = {}
            for name, extractor in self.extractors:
                kwargs[name] = extractor(ctx)
        else:
            kwargs = self.extract(ctx)
        if self.has_aspects:
            args = tuple(kwargs.values())
            if self.own_before:
                obj._before()
            for run in self.before:
                run(ctx, *args)
            result = self.fn(obj, **kwargs)
            for run in self.after:
                run(ctx, *args)
            if self.own_after:
                obj._after()
        else:
            result = self.fn(obj, **kwargs)
        if result is not None:
            if isinstance(result, BaseException):
                raise result  # Koatty: returning an Error throws it
            if type(result) is tuple and _is_response_tuple(result):
                return _unpack(ctx, result)
            ctx.body = result
        elif ctx.body is None and ctx._status is None:
            ctx._status = 204
        return result


def _is_response_tuple(result: tuple) -> bool:
    """``(body, status)`` or ``(body, status, headers)`` as Flask and Powertools take them: status an
    int 100-599, headers a dict or a list of (name, value) pairs. Any other tuple is a JSON array."""
    n = len(result)
    if n not in (2, 3):
        return False
    status = result[1]
    if type(status) is not int or not 100 <= status <= 599:
        return False
    if n == 2 or isinstance(result[2], dict):
        return True
    headers = result[2]
    return isinstance(headers, list) and all(type(p) is tuple and len(p) == 2 for p in headers)


def _unpack(ctx: Context, result: tuple) -> Any:
    """Apply a response tuple: the body, the status, then the headers (a dict sets, pairs append)."""
    ctx.body = result[0]
    ctx.status = result[1]
    if len(result) == 3:
        headers = result[2]
        if isinstance(headers, dict):
            ctx.set(headers)
        else:
            for name, value in headers:
                ctx.append(name, value)  # why: a list may repeat a name (several Set-Cookie)
    return result


def _methods(cls: type) -> dict:
    """Functions of a class and its bases, subclass definitions winning."""
    out = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, value in klass.__dict__.items():
            if isinstance(value, (staticmethod, classmethod)):
                continue
            if callable(value) and hasattr(value, "__code__"):
                out[name] = value
    return out
