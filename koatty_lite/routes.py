"""Routing: the route table (static routes by dict, dynamic ``/:param`` routes matched segment by segment,
405 with Allow; was router.py, merged for the cold start) and the controller routes compiled once at
boot (argument extractors, converters, aspects)."""
# PERF: `import x` and one `from . import`, names read where used (entry.py says why)
import functools  # why: free, decorators.py imports it
import operator  # why: loaded at start-up (collections); a C getter per field, no lambda
import types

from . import decorators as _dec, errors

partial, _MISSING, Param = functools.partial, _dec._MISSING, _dec.Param

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .app import Koatty
    from .context import Context


# --- the route table (was router.py) ------------------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
# A parameter name is an ASCII identifier after ``:`` (``/users/:id``); ``*`` matches the rest of the path.
# PERF: strings (and a dict below), not frozensets: the gc traverses every set at each collection (context.py)
_NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NAME_CHARS = _NAME_START + "0123456789"


def join_path(*parts: str) -> str:
    """Join path pieces, collapse repeated slashes, strip a trailing slash (except for ``/``)."""
    # PERF: the non-empty pieces between slashes, joined by C calls (a boot joins each route path twice)
    return "/" + "/".join(filter(None, "/".join(parts).split("/")))


def _name_at(path: str, i: int) -> str:
    """The parameter name starting at ``path[i]`` ("" when there is none)."""
    j = i
    if j < len(path) and path[j] in _NAME_START:
        j += 1
        while j < len(path) and path[j] in _NAME_CHARS:
            j += 1
    return path[i:j]


_TOKENS = {}  # route path -> its tokens (PERF: a boot splits a dynamic path ~6 times; bounded below)


def _tokens(path: str) -> tuple:
    """Split a route path into literal text and parameters: ``(("text", "/users/"), ("param", "id"))``."""
    found = _TOKENS.get(path)
    if found is not None:
        return found
    out = []
    start = i = 0  # start: where the pending text begins; i: where to look for the next ":" or "*"
    n = len(path)
    while i < n:
        # PERF: jump to the next ":" or "*" (str.find) instead of walking the text character by character
        colon, star = path.find(":", i), path.find("*", i)
        j = colon if star == -1 or (colon != -1 and colon < star) else star
        if j == -1:
            break
        name = _name_at(path, j + 1) if j == colon else ""
        if name or j == star:
            if j > start:
                out.append(("text", path[start:j]))
            out.append(("param", name or "wildcard"))
            i = start = j + 1 + len(name)
        else:
            i = j + 1  # a ":" without a name is text
    if start < n:
        out.append(("text", path[start:]))
    found = tuple(out)
    if len(_TOKENS) < 4096:  # why: paths come from code (routes, openapi); bounded all the same
        _TOKENS[path] = found
    return found


def path_params(path: str) -> list:
    """The parameter names of a route path (``*`` is ``wildcard``): ``/users/:id/*`` → ``["id", "wildcard"]``."""
    out = []  # why loops, here and below: a comprehension is a code object more to load at every cold start
    if ":" in path or "*" in path:
        for kind, value in _tokens(path):
            if kind == "param":
                out.append(value)
    return out


def _matcher(path: str, tokens: bool = True) -> "Callable | None":
    """``match(path, parts=None)`` of a dynamic route path: ``_match`` bound to the common shape's parts, else
    (``tokens``) a ``Pattern``'s; a parameter named twice raises ValueError.

    PERF: no object of a class of ours for the common shape (the Pattern class at every cold start: cold v2 GET
    -0.07M instructions): the router keeps the bound method, Pattern is made by the first other shape (or use)."""
    names = path_params(path)
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"duplicate path parameter {name!r} in {path!r}")
    # The common shape: every segment literal or ``:name``, and a final ``*`` (rest). PERF: what _match checks,
    # precomputed: the part count, then (index, text), then (index, name).
    segments = path.split("/")[1:]
    literals, params, rest = [], [], False
    for i, seg in enumerate(segments, 1):
        toks = _tokens(seg)
        if seg == "*" and i == len(segments):
            rest = True
        elif len(toks) == 1 and toks[0][0] == "param" and seg != "*":
            params.append((i, toks[0][1]))
        elif not path_params(seg):
            literals.append((i, seg))
        else:  # why: text and a parameter in one segment, or ``*`` mid-path: the token matcher
            return (globals().get("Pattern") or __getattr__("Pattern"))(path).match if tokens else None
    return types.MethodType(_match, (len(segments) + 1 - rest, tuple(literals), tuple(params), rest))


def _match(shape: tuple, path: str, parts: "list | None" = None) -> "dict | None":
    """The parameters when ``path`` matches a common ``shape`` (``_matcher``), else None; ``parts``:
    ``path.split("/")`` when the caller has it (PERF: the router splits a request path once for all its
    dynamic routes)."""
    count, literals, names, rest = shape
    if parts is None:
        parts = path.split("/")
    if (len(parts) <= count) if rest else (len(parts) != count):
        return None
    for i, literal in literals:
        if parts[i] != literal:
            return None
    params = {}
    for i, name in names:
        part = parts[i]
        if not part:
            return None
        params[name] = part
    if rest:
        params["wildcard"] = "/".join(parts[count:])
    return params


_KEPT_METHODS = dict.fromkeys(METHODS)
_NO_PARAMS = {}  # a static route's params in Router.lookup's kept answers (read, never handed out)


class Router:
    """The route table. ``add()`` while building; ``find()`` per request."""

    # PERF: no __slots__ (one per app): a class with them costs more to make at every cold start (with Route's: cold v2
    # GET -0.06M instructions); its attributes read as fast (per request: unchanged, bench/icount.py)

    def __init__(self):
        self.static = {}  # path -> {METHOD: handler}
        self.dynamic = []  # [(match, path, {METHOD: handler})] (_matcher), tried in the order they were added
        self._dynamic_index = {}
        self._shapes = {}  # shape -> [path, ...]: finds routes differing only in parameter names
        self.frozen = False
        self._hits = {}  # (frozen) request path -> {method: match() of a static route, params _NO_PARAMS}

    def add(self, method: str, path: str, handler: "Any") -> None:
        """Register ``handler`` for ``method`` (or ``"ALL"``) on ``path``."""
        if self.frozen:
            raise RuntimeError("routes cannot be added after the app is ready")
        method = method.upper()
        path = join_path(path)
        if path_params(path):
            entry = self._dynamic_index.get(path)
            # Refuse a dynamic route that differs from one already added only in its parameter names (``GET /x/:id``
            # and ``GET /x/:nid``): the second could never be reached.
            shape = []  # the path with its parameter names blanked: two paths of one shape match the same URLs
            for kind, value in _tokens(path):
                shape.append(value if kind == "text" else value == "wildcard")
            paths = self._shapes.setdefault(tuple(shape), [])
            for other in paths:
                table = self._dynamic_index[other]
                if other != path and method in table:
                    both = ""
                    if hasattr(table[method], "label") and hasattr(handler, "label"):
                        both = f": {table[method].label} and {handler.label}"
                    raise ValueError(f"duplicate route {method} {other} and {method} {path} (only the "
                                     f"parameter names differ, so the second is never reached){both}")
            if path not in paths:
                paths.append(path)
            if entry is None:
                match = _matcher(path)
                entry = self._dynamic_index[path] = {}
                self.dynamic.append((match, path, entry))
            table = entry
        else:
            table = self.static.setdefault(path, {})
        if method in table:
            both = ""
            if hasattr(table[method], "label") and hasattr(handler, "label"):
                both = f": {table[method].label} and {handler.label}"
            raise ValueError(f"duplicate route {method} {path}{both}")
        table[method] = handler

    def routes(self) -> list:
        """Every ``(METHOD, path)`` registered, sorted."""
        out = []
        for path, table in self.static.items():
            for method in table:
                out.append((method, path))
        for _, path, table in self.dynamic:
            for method in table:
                out.append((method, path))
        return sorted(out, key=operator.itemgetter(1, 0))

    def lookup(self, method: str, path: str) -> tuple:
        """``match()`` for a request: once the table is frozen, a static route's answer is kept per path
        and method (its params ``_NO_PARAMS``, an empty dict nobody may change: Koatty's endpoint does
        not hand it to the context). PERF: GET /hello, match() 2.5k -> 0.9k instructions."""
        methods = self._hits.get(path)
        if methods is not None:
            found = methods.get(method)
            if found is not None:
                return found
        elif path and path[-1] != "/" and path not in self.static:
            # PERF: a dynamic route's usual answer (the first path that matches has the method) without
            # match()'s frame, the path split once for every pattern; anything else is match()'s
            # (GET /users/:id, lookup 7.5k -> 5k instructions)
            parts = path.split("/")
            for match, route, table in self.dynamic:
                params = match(path, parts)
                if params is not None:
                    handler = table.get(method)
                    if handler is not None:
                        return handler, params, table, route
                    break
        found = self.match(method, path)
        if self.frozen and found[0] is not None and found[3] == path and path in self.static:
            self._keep(method, path, found)
        return found

    def _keep(self, method: str, path: str, found: tuple) -> None:
        """Keep a static route's answer for ``lookup``.

        Why: the method is the client's: an ALL route matches any string, so only a method the table
        names or a standard one is kept (else every new method grew the table, unbounded)."""
        if len(self._hits) < 1024 and (method in found[2] or method in _KEPT_METHODS):
            self._hits.setdefault(path, {})[method] = (found[0], _NO_PARAMS, found[2], path)

    def match(self, method: str, path: str) -> tuple:
        """``(handler, params, table, route)``, ``route`` the path pattern that matched (None: no match).

        Trailing slashes are ignored: ``/a/``, ``/a//`` (and ``/a%2F``, decoded by the server) are ``/a``.
        """
        if len(path) > 1 and path[-1] == "/":
            path = path.rstrip("/") or "/"
        # PERF: static routes are one dict lookup.
        table = self.static.get(path)
        params = None
        route = path
        if table is None:
            parts = path.split("/")
            for match, route, t in self.dynamic:
                params = match(path, parts)
                if params is not None:
                    table = t
                    break
            else:
                return None, None, None, None
        handler = table.get(method)
        if handler is None:  # its ALL handler, else (HEAD) its GET one (PERF: inline, a code object fewer)
            handler = table.get("ALL")
            if handler is None and method == "HEAD":
                handler = table.get("GET")
            if handler is None and self.dynamic:
                from .context_extra import other_method  # PERF: loaded by the first request it serves

                return other_method(self, method, path, table, params, route)
        return handler, params if params is not None else {}, table, route


def allowed(table: dict) -> str:
    """The ``Allow`` header value for a route table entry."""
    if "ALL" in table:
        return ", ".join(METHODS)
    methods = set(table)
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join([*filter(methods.__contains__, METHODS), *sorted(methods.difference(METHODS))])


# --- controller routes ----------------------------------------------------------------------------


_CONVERTERS = {}


def _to_bool(value: "Any") -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


_DIGITS = "0123456789"
_FLOAT_CHARS = "0123456789+-.eE"


def _to_int(value: "Any") -> int:
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
    if not digits or digits.strip(_DIGITS):
        raise ValueError(value)
    return int(text)


def _to_float(value: "Any") -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if not isinstance(value, (int, float)):
        value = str(value)
        # Why: as for int: float() takes "1_0", spaces and non-ASCII digits; "inf"/"nan" fail here too.
        if not value or value.strip(_FLOAT_CHARS):
            raise ValueError(value)
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError(value)  # NaN/inf are not useful request values
    return result


def _to_str(value: "Any") -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(value)
    return value if isinstance(value, str) else str(value)


_CONVERTERS.update({int: _to_int, float: _to_float, bool: _to_bool, str: _to_str,
                    "int": _to_int, "float": _to_float, "bool": _to_bool, "str": _to_str})


def _converter(annotation: "Any") -> tuple:
    """``(convert_fn or None, type name)`` for an annotation (class or string, ``X | None`` allowed)."""
    if annotation is None:
        return None, ""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").strip("'\"")
        if text.startswith("Optional[") and text.endswith("]"):
            text = text[9:-1]
        parts = []
        for p in text.split("|"):
            if p not in ("None", ""):
                parts.append(p)
        text = parts[0] if len(parts) == 1 else text
        return _CONVERTERS.get(text), text
    conv = _CONVERTERS.get(annotation)
    return conv, getattr(annotation, "__name__", str(annotation))


def _get_path(ctx: "Context", key: str) -> "Any":
    return ctx.params.get(key, _MISSING)


def _get_query(ctx: "Context", key: str) -> "Any":
    return ctx.query.get(key, _MISSING)


def _get_body(ctx: "Context", key: str) -> "Any":
    body = ctx.request_body()
    if isinstance(body, dict):
        return body.get(key, _MISSING)
    return _MISSING


def _get_header(ctx: "Context", key: str) -> "Any":
    value = ctx.headers.get(key)
    return _MISSING if value is None else value


def _get_file(ctx: "Context", key: str) -> "Any":
    if key is None:
        files = ctx.request_file()
        return files if files else _MISSING
    value = ctx.request_file(key)  # one file: the last of a repeated field (ctx.request_files for all)
    return _MISSING if value is None else value


def _get_param(ctx: "Context", key: str) -> "Any":
    params = ctx.request_param()
    return params if key is None else params.get(key, _MISSING)


def _get_body_all(ctx: "Context", key: str) -> "Any":
    return ctx.request_body()


def __getattr__(name: str) -> "Any":
    """``Extractor`` (``_extractor``) and ``Pattern`` (``_matcher``), made by the first use (context_extra.routes_name:
    PERF, their 5 code objects are not in the code cache a cold start unmarshals); ``MARKERS`` and ``MarkerSource``,
    made by the first use, which names the registry's records.

    PERF: until then the records are tuples of the same fields, read by index (the record class cost ~0.12M
    instructions at every cold start)."""
    if name == "__path__":  # PERF: what each `from .routes import x` asks first (cold start -2k instructions each)
        raise AttributeError(name)
    if name in ("Pattern", "Extractor"):
        from .context_extra import routes_name

        return routes_name(name)
    if name not in ("MARKERS", "MarkerSource"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "MARKERS" not in globals():
        class MarkerSource(tuple):
            """One parameter source, a named record: ``source`` (the name markers carry, e.g. "query"),
            ``get(ctx, key)`` → the raw value or ``Param.MISSING``, ``where`` (how a 400 names it),
            ``keyed`` (the key defaults to the argument's name), ``converts`` (int/float/bool/str
            annotations convert the value)."""

            __slots__ = ()

            def __new__(cls, source: str, get: "Callable", where: str, keyed: bool = True, converts: bool = True):
                """Build the record (see the class docstring for the fields)."""
                return tuple.__new__(cls, (source, get, where, keyed, converts))

            source = property(operator.itemgetter(0), doc="the marker's source name")
            get = property(operator.itemgetter(1), doc="get(ctx, key) -> the raw value or Param.MISSING")
            where = property(operator.itemgetter(2), doc="how a 400 names the value, e.g. 'query parameter'")
            keyed = property(operator.itemgetter(3), doc="True: a marker without a name reads the argument's name")
            converts = property(operator.itemgetter(4), doc="True: int/float/bool/str annotations convert the value")

        MarkerSource.__qualname__ = "MarkerSource"
        made = globals().setdefault("MarkerSource", MarkerSource)  # why: threads asking at once get one class
        for source, record in list(_MARKERS.items()):
            _MARKERS[source] = made(*record)
        globals()["MARKERS"] = _MARKERS
    return globals()[name]


# The registry of parameter sources (MARKERS); a marker class with its own get() is its own record.
_MARKERS = {}


def register_marker(source: str, get: "Callable", where: str, *, keyed: bool = True,
                    converts: bool = True) -> "MarkerSource":
    """Add a parameter source: a ``Param`` subclass with ``source = <source>`` then reads its
    value with ``get(ctx, key)`` (return ``Param.MISSING`` when absent). Returns the record."""
    if not (isinstance(source, str) and source):
        raise ValueError("register_marker needs a source name")
    if not callable(get):
        raise TypeError(f"register_marker({source!r}): get must be callable get(ctx, key)")
    if source in _MARKERS:
        raise ValueError(f"parameter source {source!r} is already registered")
    record = _MARKERS[source] = __getattr__("MarkerSource")(source, get, str(where), bool(keyed), bool(converts))
    return record


# PERF: the built-in records without register_marker's checks (cold start -25k instructions)
for _r in (("path", _get_path, "path parameter"), ("query", _get_query, "query parameter"),
           ("body", _get_body, "body field"), ("header", _get_header, "header"),
           ("file", _get_file, "uploaded file", False, False), ("param", _get_param, "query/path parameter", False),
           ("body-all", _get_body_all, "request body", False, False)):
    _MARKERS[_r[0]] = (*_r, True, True)[:5]
del _r


def marker_source(marker: "Param") -> "MarkerSource":
    """The record a marker reads its value with: its class's own ``get`` or its source's registration."""
    cls = type(marker)
    get = getattr(marker, "get", None)
    if get is not None:  # a user's marker class: get(self, ctx, key), bound once here (at boot)
        return __getattr__("MarkerSource")(cls.source, get, getattr(cls, "where", None) or cls.source,
                        getattr(cls, "keyed", True), getattr(cls, "converts", True))
    record = _MARKERS.get(marker.source)
    if record is None:
        raise TypeError(f"parameter marker {cls.__name__} has source {marker.source!r}, which no getter reads: "
                        f"define get(self, ctx, key) on the class or call "
                        f"koatty_lite.register_marker({marker.source!r}, get, where)")
    return __getattr__("MARKERS")[marker.source]


def _extractor(arg: str, marker: "Param", annotation: "Any", kind: type = partial) -> "Any":
    """What reads one controller argument from the request and converts it, compiled once per route: a
    ``kind`` (functools.partial, or an Extractor) of ``_extract`` over its fields, which are also its attributes:
    ``arg``, ``getter``, ``key``, ``default``, ``convert``, ``type_name``, ``where``.

    PERF: not an object of a class of ours (the Extractor class at every cold start: cold v2 GET
    -0.04M instructions with the _tokens and _matcher folds)."""
    # PERF: a built-in source's record as it is (marker_source names the registry's records)
    record = (getattr(marker, "get", None) is None and _MARKERS.get(marker.source)
              or marker_source(marker))
    # PERF: the getter is bound here, at boot: a request calls one function, no registry lookup.
    key = marker.name
    if key is None and record[3]:
        key = arg
    convert, type_name = _converter(annotation) if record[4] else (None, "")
    where = f"{record[2]} {key!r}" if key is not None and record[0] != "body-all" else record[2]
    fields = arg, record[1], key, marker.default, convert, type_name, where
    made = partial.__new__(kind, _extract, *fields)
    made.__dict__.update(zip(("arg", "getter", "key", "default", "convert", "type_name", "where"), fields))
    return made


def _extract(arg: str, getter: "Callable", key: "Any", default: "Any", convert: "Any", type_name: str, where: str,
             ctx: "Context") -> "Any":
    """An argument's value (``_extractor``), or the 400 that names it."""
    value = getter(ctx, key)
    if value is _MISSING:
        if default is _MISSING:
            raise errors.HttpException(f"missing required parameter {arg!r} ({where})", 1, 400)
        return default
    if convert is not None:
        try:
            return convert(value)
        except (TypeError, ValueError, OverflowError):
            raise errors.HttpException(f"invalid parameter {arg!r} ({where}): expected {type_name}", 1, 400) from None
    return value


def _signature(fn: "Callable") -> list:
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


def _needs_validation(fn: "Callable", signature: list) -> bool:
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

    # PERF: no __slots__ (as Router: the class is made for less at every cold start; a request reads as fast)

    def __init__(self, app: "Koatty", cls: type, fn: "Callable", prepared: dict):
        self.app = app
        self.cls = cls
        self.new = cls.__new__
        self.fn = fn
        self.prepared = prepared
        self.label = f"{cls.__name__}.{fn.__name__}"
        _dec.refuse_async(fn, self.label)
        init_mode = 0
        if _dec.defines_init(cls):
            init = cls.__init__
            code = getattr(init, "__code__", None)
            # Koatty constructs controllers as `new Ctl(ctx)`; accept both __init__(self) and __init__(self, ctx).
            init_mode = 2 if code is not None and code.co_argcount >= 2 else 1
        self.init_mode = init_mode
        extractors = []
        signature = _signature(fn)
        for name, default, annotation in signature:
            if isinstance(default, Param):
                extractors.append((name, _extractor(name, default, annotation)))
            elif isinstance(default, type) and issubclass(default, Param):
                # why: `id: int = PathVariable` booted, then injected the class object itself
                raise TypeError(f"{self.label}: argument {name!r} uses {default.__name__} without parentheses: "
                                f"write {default.__name__}() or {default.__name__}({name!r})")
            elif default is _MISSING:
                raise TypeError(f"{self.label}: argument {name!r} needs a marker default "
                                f"(PathVariable, Get, Post, Header, RequestBody, File, RequestParam)")
        self.extractors = tuple(extractors)
        self.extract = None
        if _needs_validation(fn, signature):
            from .validation import compile_route

            self.extract = compile_route(self.label, fn, signature, self.extractors)
        declared = (cls.__dict__.get("__koatty_before_each__"), fn.__dict__.get("__koatty_before__"),
                    fn.__dict__.get("__koatty_after__"), cls.__dict__.get("__koatty_after_each__"))
        if any(declared):  # PERF: a route without @Before/@After/...Each loads (and ships) no aspects.py
            from .aspects import runs

            self.before, self.after = runs(app.container, self.label, declared)
        else:
            self.before = self.after = ()
        self.own_before = callable(getattr(cls, "_before", None))
        self.own_after = callable(getattr(cls, "_after", None))
        self.has_aspects = bool(self.before or self.after or self.own_before or self.own_after)
        self._plan(prepared)

    def _plan(self, prepared: dict) -> None:
        """What a request does, decided at boot: the controller's starting fields, the path arguments
        read without extractors, and ``bare`` (no __init__, argument or aspect: call the method as is)."""
        self.fields = {**prepared, "app": self.app}  # ctx is added per request
        self.plain = self.new is object.__new__  # no own __new__ (PERF: told once, not per request)
        # path_args: ((argument, key), ...) when every argument is a required ``PathVariable`` read as text (no
        # annotation, or ``str``): the router's match always holds its key (a route whose path lacks it fails the
        # boot), so the value needs neither a lookup with a default nor a conversion. Else None.
        self.path_args = None
        if self.extract is None:
            path_args = []
            for name, extractor in self.extractors:
                if (extractor.getter is not _get_path or extractor.default is not _MISSING
                        or extractor.convert not in (None, _to_str)):
                    break
                path_args.append((name, extractor.key))
            else:
                self.path_args = tuple(path_args)
        self.bare = not (self.init_mode or self.extractors or self.extract or self.has_aspects)
        # path_one: the key when the one argument is a required text path parameter, first after self
        # and nothing else runs (no __init__ or aspect): the method is called with it, positionally
        path_args, code = self.path_args, self.fn.__code__
        self.path_one = path_args[0][1] if (
            path_args and len(path_args) == 1 and not (self.init_mode or self.has_aspects)
            and code.co_argcount > 1 and code.co_varnames[1] == path_args[0][0]) else None

    def __call__(self, ctx: "Context") -> "Any":
        # PERF: no per-request resolution: injections were resolved at boot; __new__ (looked up at boot)
        # and a copy of the fields as the object's __dict__ (-0.5k instructions against __dict__.update)
        obj = self.new(self.cls)
        # why: an own __new__ may have set state the object keeps
        obj.__dict__ = d = self.fields.copy() if self.plain else {**obj.__dict__, **self.fields}
        d["ctx"] = ctx
        # PERF: bare (no __init__, argument or aspect): the method is called on the object as made;
        # path_one: with its one path parameter, no _call frame nor kwargs (GET /users/:id -2k instructions)
        if self.bare:
            result = self.fn(obj)
        else:
            key = self.path_one
            result = self._call(obj, ctx) if key is None else self.fn(obj, ctx.params[key])
        if type(result) is dict:  # PERF: the usual result: the body, no other test (GET /hello -1k instructions)
            ctx.body = result
            return result
        return self._result(ctx, result)

    def _call(self, obj: "Any", ctx: "Context") -> "Any":
        """The method called with its arguments (and aspects), after the controller's ``__init__``."""
        if self.init_mode:
            if self.init_mode == 2:
                obj.__init__(ctx)
            else:
                obj.__init__()
        path_args = self.path_args
        if path_args is not None:
            # PERF: arguments that are required text path parameters are read straight from the
            # router's match (present by construction); no extractor call (GET /users/:id -1.5k instructions)
            params = ctx.params
            kwargs = {}
            for name, key in path_args:
                kwargs[name] = params[key]
        elif self.extract is None:
            kwargs = {}
            for name, extractor in self.extractors:
                kwargs[name] = extractor(ctx)
        else:
            kwargs = self.extract(ctx)
        # PERF: a route without aspects calls the method straight away; the aspects' walk is a call of its own.
        if self.has_aspects:
            return self._with_aspects(obj, ctx, kwargs)
        return self.fn(obj, **kwargs)

    @staticmethod
    def _result(ctx: "Context", result: "Any") -> "Any":
        """What the method returned, applied: an exception raised, a response tuple unpacked, else the body."""
        if result is not None:
            if isinstance(result, BaseException):
                raise result  # Koatty: returning an Error throws it
            if type(result) is tuple:
                from .context_extra import unpack  # PERF: Flask-style tuples load their rules with the first

                if unpack(ctx, result):
                    return result
            ctx.body = result
        elif ctx.body is None and ctx._status is None:
            ctx._status = 204
        return result

    def _with_aspects(self, obj: "Any", ctx: "Context", kwargs: dict) -> "Any":
        """The method between its aspects: ``_before``, @BeforeEach/@Before, the call, @After/@AfterEach, ``_after``."""
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
        return result
