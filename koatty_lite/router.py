"""Route table: static routes by dict, dynamic ``/:param`` routes matched segment by segment, 405 with Allow."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
# A parameter name is an ASCII identifier after ``:`` (``/users/:id``); ``*`` matches the rest of the path.
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")


def join_path(*parts: str) -> str:
    """Join path pieces, collapse repeated slashes, strip a trailing slash (except for ``/``)."""
    path = "/" + "/".join(p for p in parts if p)
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def _name_at(path: str, i: int) -> str:
    """The parameter name starting at ``path[i]`` ("" when there is none)."""
    j = i
    if j < len(path) and path[j] in _NAME_START:
        j += 1
        while j < len(path) and path[j] in _NAME_CHARS:
            j += 1
    return path[i:j]


def _tokens(path: str) -> list:
    """Split a route path into literal text and parameters: ``[("text", "/users/"), ("param", "id")]``."""
    out = []
    text = []
    i = 0
    while i < len(path):
        c = path[i]
        name = _name_at(path, i + 1) if c == ":" else ""
        if name or c == "*":
            if text:
                out.append(("text", "".join(text)))
                text = []
            out.append(("param", name or "wildcard"))
            i += 1 + len(name)
        else:
            text.append(c)
            i += 1
    if text:
        out.append(("text", "".join(text)))
    return out


def _shape(path: str) -> tuple:
    """A route path with its parameter names blanked: two paths of one shape match the same URLs."""
    return tuple((k, v if k == "text" else v == "wildcard") for k, v in _tokens(path))


def path_params(path: str) -> list:
    """The parameter names of a route path (``*`` is ``wildcard``): ``/users/:id/*`` → ``["id", "wildcard"]``."""
    if ":" not in path and "*" not in path:
        return []
    return [value for kind, value in _tokens(path) if kind == "param"]


def _simple_segments(path: str) -> tuple:
    """``(segments, rest)``: each segment as ``(literal, None)`` or ``(None, name)`` and whether the
    last one is ``*``; ``(None, False)`` when a segment mixes text and parameters or ``*`` is mid-path."""
    segs = path.split("/")[1:]
    simple, rest = [], False
    for pos, seg in enumerate(segs):
        toks = _tokens(seg)
        if seg == "*" and pos == len(segs) - 1:
            rest = True
        elif len(toks) == 1 and toks[0][0] == "param" and seg != "*":
            simple.append((None, toks[0][1]))
        elif all(kind == "text" for kind, _ in toks):
            simple.append((seg, None))
        else:
            return None, False
    return simple, rest


class Pattern:
    """A dynamic route path, matched against a request path without regular expressions.

    The common shape (every segment literal, ``:name`` or a final ``*``) is compared segment by
    segment; any other shape (``/v:ver``, ``/a/*/b``) is matched by a small backtracking matcher
    over its tokens. Either way: a parameter matches one or more characters other than ``/``,
    ``*`` (named ``wildcard``) any characters, and the whole path must match.

    The token matcher gives up after ``MAX_STEPS`` steps and answers "no match" (a 404): only a
    hostile path against a route with several parameters in one segment gets near it (the regex
    this replaced took seconds on such a path).
    """

    MAX_STEPS = 20000
    __slots__ = ("path", "names", "segments", "rest", "tokens", "count", "literals", "params", "slashes")

    def __init__(self, path: str):
        """Parse ``path``; a parameter named twice raises ValueError."""
        self.path = path
        self.tokens = _tokens(path)
        self.names = [v for k, v in self.tokens if k == "param"]
        for name in self.names:
            if self.names.count(name) > 1:
                raise ValueError(f"duplicate path parameter {name!r} in {path!r}")
        # Why: parameters never span a ``/``, so without ``*`` a path must have exactly this many.
        self.slashes = -1 if "wildcard" in self.names else path.count("/")
        # segments: [(literal or None, name or None)] for the common shape, else None; rest: a final ``*``
        self.segments, self.rest = _simple_segments(path)
        simple = self.segments
        if simple is None:
            return  # why: text and a parameter in one segment, or ``*`` mid-path: token matcher
        # PERF: what match() checks, precomputed: the part count, then (index, text), then (index, name).
        self.count = len(simple) + 1
        self.literals = tuple((i + 1, lit) for i, (lit, _) in enumerate(simple) if lit is not None)
        self.params = tuple((i + 1, name) for i, (_, name) in enumerate(simple) if name is not None)

    def match(self, path: str) -> dict | None:
        """The parameters when ``path`` matches, else None."""
        if self.segments is None:
            if self.slashes != -1 and path.count("/") != self.slashes:
                return None
            return self._match_tokens(path, 0, 0, {}, [self.MAX_STEPS])
        parts = path.split("/")
        count = self.count
        if (len(parts) <= count) if self.rest else (len(parts) != count):
            return None
        for i, literal in self.literals:
            if parts[i] != literal:
                return None
        params = {}
        for i, name in self.params:
            part = parts[i]
            if not part:
                return None
            params[name] = part
        if self.rest:
            params["wildcard"] = "/".join(parts[count:])
        return params

    def _match_tokens(self, path: str, i: int, t: int, params: dict, budget: list) -> dict | None:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        tokens = self.tokens
        if t == len(tokens):
            return params if i == len(path) else None
        kind, value = tokens[t]
        if kind == "text":
            if path.startswith(value, i):
                return self._match_tokens(path, i + len(value), t + 1, params, budget)
            return None
        if value == "wildcard":
            end, lowest = len(path), i  # why: ``*`` matches anything, the empty string included
        else:
            end, lowest = path.find("/", i), i + 1  # a parameter: one or more characters, no ``/``
            if end == -1:
                end = len(path)
        if t + 1 == len(tokens):  # the last token must take the rest of the path
            return {**params, value: path[i:]} if lowest <= len(path) == end else None
        following = tokens[t + 1]
        stop = end
        while stop >= lowest:  # longest first, as a greedy regex would
            if following[0] == "text":
                # PERF: only where the text that follows starts (keeps /:name.:ext linear).
                stop = path.rfind(following[1], lowest, stop + len(following[1]))
                if stop == -1:
                    return None
            found = self._match_tokens(path, stop, t + 1, {**params, value: path[i:stop]}, budget)
            if found is not None:
                return found
            if budget[0] < 0:
                return None
            stop -= 1
        return None


class Router:
    """The route table. ``add()`` while building; ``find()`` per request."""

    __slots__ = ("static", "dynamic", "_dynamic_index", "_shapes", "frozen")

    def __init__(self):
        self.static = {}  # path -> {METHOD: handler}
        self.dynamic = []  # [(Pattern, path, {METHOD: handler})], tried in the order they were added
        self._dynamic_index = {}
        self._shapes = {}  # _shape(path) -> [path, ...]: finds routes differing only in parameter names
        self.frozen = False

    def add(self, method: str, path: str, handler: Any) -> None:
        """Register ``handler`` for ``method`` (or ``"ALL"``) on ``path``."""
        if self.frozen:
            raise RuntimeError("routes cannot be added after the app is ready")
        method = method.upper()
        path = join_path(path)
        if (":" in path or "*" in path) and any(k == "param" for k, _ in _tokens(path)):
            entry = self._dynamic_index.get(path)
            self._same_shape(method, path, handler)
            if entry is None:
                pattern = Pattern(path)
                entry = self._dynamic_index[path] = {}
                self.dynamic.append((pattern, path, entry))
            table = entry
        else:
            table = self.static.setdefault(path, {})
        if method in table:
            both = ""
            if hasattr(table[method], "label") and hasattr(handler, "label"):
                both = f": {table[method].label} and {handler.label}"
            raise ValueError(f"duplicate route {method} {path}{both}")
        table[method] = handler

    def _same_shape(self, method: str, path: str, handler: Any) -> None:
        """Refuse a dynamic route that differs from one already added only in its parameter names
        (``GET /x/:id`` and ``GET /x/:nid``): the second could never be reached."""
        paths = self._shapes.setdefault(_shape(path), [])
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

    def routes(self) -> list:
        """Every ``(METHOD, path)`` registered, sorted."""
        out = [(m, p) for p, t in self.static.items() for m in t]
        out += [(m, p) for _, p, t in self.dynamic for m in t]
        return sorted(out, key=lambda r: (r[1], r[0]))

    def find(self, method: str, path: str) -> tuple:
        """``(handler, params, table)``: handler None when the method is not allowed; table None when no path matches."""
        return self.match(method, path)[:3]

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
            for pattern, route, t in self.dynamic:
                params = pattern.match(path)
                if params is not None:
                    table = t
                    break
            else:
                return None, None, None, None
        handler = _pick(table, method)
        if handler is None and self.dynamic:
            return self._other_method(method, path, table, params, route)
        return handler, params if params is not None else {}, table, route

    def _other_method(self, method: str, path: str, table: dict, params: dict | None, route: str) -> tuple:
        """The first path that matched has no ``method``: as koa-router does, a later route whose path
        matches too and has the method serves it (``GET /x/:id`` beside ``DELETE /x/:nid``, or a static
        ``GET /x/me`` beside ``DELETE /x/:id``). Without one it is a 405 whose table joins every matching
        route's methods (its ``Allow``)."""
        merged = None
        for pattern, r, t in self.dynamic:
            if t is table:
                continue
            p = pattern.match(path)
            if p is None:
                continue
            handler = _pick(t, method)
            if handler is not None:
                return handler, p, t, r
            if merged is None:
                merged = dict(table)
            for m, h in t.items():
                merged.setdefault(m, h)
        return None, params if params is not None else {}, merged or table, route


def _pick(table: dict, method: str) -> Any:
    """The handler of ``table`` for ``method``: its own, else ``ALL``, else (HEAD) the GET one."""
    handler = table.get(method)
    if handler is None:
        handler = table.get("ALL")
        if handler is None and method == "HEAD":
            handler = table.get("GET")
    return handler


def allowed(table: dict) -> str:
    """The ``Allow`` header value for a route table entry."""
    if "ALL" in table:
        return ", ".join(METHODS)
    methods = set(table)
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(m for m in METHODS if m in methods) + "".join(
        ", " + m for m in sorted(methods) if m not in METHODS)
