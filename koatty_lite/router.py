"""Route table: static routes by dict, dynamic ``/:param`` routes by compiled regex, 405 with Allow."""
from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# PERF: patterns, not compiled objects: re compiles (and caches) them on first use, so an app
# without dynamic routes never pays the compile at cold start.
_PARAM = r":([A-Za-z_][A-Za-z0-9_]*)|\*"
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def join_path(*parts: str) -> str:
    """Join path pieces, collapse repeated slashes, strip a trailing slash (except for ``/``)."""
    path = "/" + "/".join(p for p in parts if p)
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def _compile(path: str) -> tuple:
    """``/users/:id`` → (regex, names); ``*`` matches the rest of the path as param ``"*"``... named ``wildcard``."""
    pattern = []
    names = []
    pos = 0
    for m in re.finditer(_PARAM, path):
        pattern.append(re.escape(path[pos:m.start()]))
        if m.group(0) == "*":
            names.append("wildcard")
            pattern.append("(?P<wildcard>.*)")
        else:
            name = m.group(1)
            if name in names:
                raise ValueError(f"duplicate path parameter {name!r} in {path!r}")
            names.append(name)
            pattern.append(f"(?P<{name}>[^/]+)")
        pos = m.end()
    pattern.append(re.escape(path[pos:]))
    return re.compile("".join(pattern)), names


class Router:
    """The route table. ``add()`` while building; ``find()`` per request."""

    __slots__ = ("static", "dynamic", "_dynamic_index", "frozen")

    def __init__(self):
        self.static = {}  # path -> {METHOD: handler}
        self.dynamic = []  # [(regex, path, {METHOD: handler})]
        self._dynamic_index = {}
        self.frozen = False

    def add(self, method: str, path: str, handler: Any) -> None:
        """Register ``handler`` for ``method`` (or ``"ALL"``) on ``path``."""
        if self.frozen:
            raise RuntimeError("routes cannot be added after the app is ready")
        method = method.upper()
        path = join_path(path)
        if (":" in path or "*" in path) and re.search(_PARAM, path):
            entry = self._dynamic_index.get(path)
            if entry is None:
                regex, _ = _compile(path)
                entry = self._dynamic_index[path] = {}
                self.dynamic.append((regex, path, entry))
            table = entry
        else:
            table = self.static.setdefault(path, {})
        if method in table:
            raise ValueError(f"duplicate route {method} {path}")
        table[method] = handler

    def routes(self) -> list:
        """Every ``(METHOD, path)`` registered, sorted."""
        out = [(m, p) for p, t in self.static.items() for m in t]
        out += [(m, p) for _, p, t in self.dynamic for m in t]
        return sorted(out, key=lambda r: (r[1], r[0]))

    def find(self, method: str, path: str) -> tuple:
        """``(handler, params, table)``: handler None when the method is not allowed; table None when no path matches."""
        if len(path) > 1 and path[-1] == "/":
            path = path.rstrip("/") or "/"
        # PERF: static routes are one dict lookup.
        table = self.static.get(path)
        params = None
        if table is None:
            for regex, _, t in self.dynamic:
                m = regex.fullmatch(path)
                if m is not None:
                    table = t
                    params = m.groupdict()
                    break
            else:
                return None, None, None
        handler = table.get(method)
        if handler is None:
            handler = table.get("ALL")
            if handler is None and method == "HEAD":
                handler = table.get("GET")
        return handler, params if params is not None else {}, table


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
