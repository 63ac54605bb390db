"""CORS as a middleware, with @koa/cors options; loaded only by apps that use it.

Enable it by name, first in the onion (a middleware before it could refuse a preflight)::

    config = {"middleware": {"list": ["Cors", ...],
                             "config": {"Cors": {"origin": ["https://app.example.com"], "credentials": True}}}}

or ``app.use(cors({...}))`` in ``init``. Options (@koa/cors names; snake_case spellings work too):

- ``origin``: ``"*"`` (default: any origin, never with credentials), an origin, a list of origins
  (a string with commas is a list: ``"${CORS_ORIGINS}"``), or ``fn(ctx)`` returning the origin to
  allow (``True``: the request's own) or a false value (no CORS headers).
- ``allowMethods`` (default ``GET,HEAD,PUT,POST,DELETE,PATCH``), ``allowHeaders`` (default: the
  preflight's ``Access-Control-Request-Headers``), ``exposeHeaders``: a list or a comma string.
- ``credentials``: ``Access-Control-Allow-Credentials: true`` (a bool or ``fn(ctx)``); with origin
  ``"*"`` it is a boot error: a browser refuses credentials with ``*``, and reflecting every
  origin instead would let any site act for your users.
- ``maxAge``: seconds a preflight may be cached; ``secureContext``: COOP/COEP headers;
  ``privateNetworkAccess``: answer Private Network Access preflights; ``keepHeadersOnError``
  (default True): CORS headers stay on error answers, so the browser shows the error.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) from an allowed
origin is answered 204 here, before routing: on any path, whatever methods its route has. Every
answer gets ``Vary: Origin``. See docs/core.md "CORS".
"""
from __future__ import annotations

from .decorators import Middleware

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["Cors", "cors", "CORS_OPTIONS"]

DEFAULT_METHODS = "GET,HEAD,PUT,POST,DELETE,PATCH"
# The options, by @koa/cors name; the snake_case spelling of each is accepted too.
CORS_OPTIONS = ("origin", "allowMethods", "allowHeaders", "exposeHeaders", "credentials", "maxAge",
                "secureContext", "privateNetworkAccess", "keepHeadersOnError", "enabled")
_SNAKE = {"allow_methods": "allowMethods", "allow_headers": "allowHeaders", "expose_headers": "exposeHeaders",
          "max_age": "maxAge", "secure_context": "secureContext", "private_network_access": "privateNetworkAccess",
          "keep_headers_on_error": "keepHeadersOnError"}


def _names(value: Any, option: str) -> str | None:
    """A header value from a list or a comma string (None when empty)."""
    if value is None:
        return None
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = value
    else:
        raise ValueError(f"cors option {option} must be a list of strings or a comma-separated string, got {value!r}")
    items = [v.strip() for v in items if v.strip()]
    return ",".join(items) or None


def _plain(value: str) -> bool:
    """A request header value safe to send back (printable ASCII: no CR/LF, no NUL)."""
    return value.isascii() and value.isprintable()


def _options(options: dict | None) -> dict:
    out = {}
    for key, value in (options or {}).items():
        name = _SNAKE.get(key, key)
        if name not in CORS_OPTIONS:
            raise ValueError(f"unknown cors option {key!r}; the options are: {', '.join(CORS_OPTIONS)}")
        out[name] = value
    return out


def cors(options: dict | None = None) -> Callable:
    """The CORS middleware ``fn(ctx, next)`` for @koa/cors-style ``options`` (checked now: a bad
    option fails the boot, not a request)."""
    opts = _options(options)
    origin_fn, any_origin, allowed = _origins(opts.get("origin", "*"))
    credentials = opts.get("credentials", False)
    if not isinstance(credentials, bool) and not callable(credentials):
        raise ValueError(f"cors option credentials must be true/false or fn(ctx), got {credentials!r}")
    if credentials is True and any_origin:
        raise ValueError("cors: credentials need an explicit list of origins, not '*' (a browser refuses "
                         "credentials with '*'; reflecting every origin would let any site act for your users)")
    methods = _names(opts.get("allowMethods", DEFAULT_METHODS), "allowMethods")
    allow_headers = _names(opts.get("allowHeaders"), "allowHeaders")
    expose = _names(opts.get("exposeHeaders"), "exposeHeaders")
    max_age = _max_age(opts)
    secure = bool(opts.get("secureContext", False))
    private_network = bool(opts.get("privateNetworkAccess", False))
    keep_on_error = opts.get("keepHeadersOnError", True) is not False

    def allow_origin(ctx: Any, request_origin: str) -> str | None:
        """The Access-Control-Allow-Origin value for this request, or None (not allowed)."""
        if origin_fn is not None:
            value = origin_fn(ctx)
            if value is True:
                value = request_origin
            if not value or not isinstance(value, str) or not _plain(value):
                return None
            return value
        if request_origin in allowed:
            return request_origin
        return "*" if any_origin else None

    for name, value in (("allowMethods", methods), ("allowHeaders", allow_headers), ("exposeHeaders", expose),
                        *(("origin", o) for o in allowed)):
        if value is not None and not _plain(value):
            raise ValueError(f"cors option {name} holds a character a header cannot carry: {value!r}")

    def middleware(ctx: Any, next: Callable) -> Any:
        out = ctx._out
        ctx._special = True  # why: appended pairs may repeat a name the app sets: the shapers' general path
        # PERF: the pairs are appended straight to the response headers (values checked at boot, the
        # request's own by _plain) instead of ctx.set's check and replace scan: a GET from an allowed
        # origin 10.1 → 5.7 µs (timeit, the app without CORS: 4.8-5.6 µs).
        if not out:
            out.append(("Vary", "Origin"))
        else:
            vary = ctx.response_header("Vary")
            if vary is None:
                out.append(("Vary", "Origin"))
            elif "origin" not in vary.lower():
                ctx.set("Vary", vary + ", Origin")
        request_origin = ctx.headers.get("origin")  # PERF: no environ is built for a serverless Request
        if not request_origin:
            return next()  # not a cross-origin request
        headers = ctx.headers
        value = allow_origin(ctx, request_origin)
        if value is None:
            return next()  # an origin not allowed gets no CORS headers: the browser blocks the read
        with_credentials = credentials(ctx) is True if callable(credentials) else credentials
        if value == "*":
            with_credentials = False  # never credentials with "*"
        if ctx.method == "OPTIONS" and headers.get("access-control-request-method"):
            return preflight(ctx, out, headers, value, with_credentials)
        added = [("Access-Control-Allow-Origin", value)]
        if with_credentials:
            added.append(("Access-Control-Allow-Credentials", "true"))
        if expose:
            added.append(("Access-Control-Expose-Headers", expose))
        out.extend(added)
        if secure:
            _secure(ctx)
        if keep_on_error:
            return next()
        return _removed_on_error(ctx, next, added)

    def preflight(ctx: Any, out: list, headers: Any, value: str, with_credentials: bool) -> None:
        """A preflight: answered here for every path, before routing (no 404/405 for it)."""
        out.append(("Access-Control-Allow-Origin", value))
        if with_credentials:
            out.append(("Access-Control-Allow-Credentials", "true"))
        if max_age is not None:
            out.append(("Access-Control-Max-Age", max_age))
        if private_network and headers.get("access-control-request-private-network"):
            out.append(("Access-Control-Allow-Private-Network", "true"))
        if methods:
            out.append(("Access-Control-Allow-Methods", methods))
        requested = allow_headers
        if requested is None:
            requested = headers.get("access-control-request-headers")
            if requested and not _plain(requested):
                requested = None
        if requested:
            out.append(("Access-Control-Allow-Headers", requested))
        if secure:
            _secure(ctx)
        ctx.body = None
        ctx.status = 204
        return None

    return middleware


def _origins(origin: Any) -> tuple:
    """``(origin_fn, any_origin, allowed)`` from the ``origin`` option (checked at boot)."""
    if callable(origin):
        return origin, False, frozenset()
    if isinstance(origin, str):
        origin = origin.split(",")
    if not isinstance(origin, (list, tuple, set, frozenset)) or not all(isinstance(o, str) for o in origin):
        raise ValueError(f"cors option origin must be '*', an origin, a list of origins or fn(ctx), got {origin!r}")
    # Why: "https://a.com/" in a config is meant as the origin "https://a.com" a browser sends.
    entries = {o.strip().rstrip("/") for o in origin if o.strip()}
    if not entries:
        raise ValueError("cors option origin is empty: give '*', an origin or a list of origins")
    return None, "*" in entries, frozenset(entries - {"*"})


def _max_age(opts: dict) -> str | None:
    """The ``maxAge`` option as the header value, or None."""
    max_age = opts.get("maxAge")
    if max_age is None:
        return None
    try:
        max_age = int(max_age)
        if max_age < 0 or isinstance(opts["maxAge"], bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"cors option maxAge must be a number of seconds, got {opts['maxAge']!r}") from None
    return str(max_age)


def _removed_on_error(ctx: Any, next: Callable, added: list) -> Any:
    """``keepHeadersOnError: false``: the CORS headers are taken off an answer that raised."""
    try:
        return next()
    except Exception:
        for name, _ in added:
            ctx.remove(name)
        raise


def _secure(ctx: Any) -> None:
    ctx.set("Cross-Origin-Opener-Policy", "same-origin")
    ctx.set("Cross-Origin-Embedder-Policy", "require-corp")


@Middleware("Cors")
class Cors:
    """The CORS middleware by name: ``"Cors"`` in ``config["middleware"]["list"]``, options from
    ``config["middleware"]["config"]["Cors"]`` (see ``cors``)."""

    def run(self, options: dict, app: Any) -> Callable:
        """Build the middleware from the options (a bad option fails the boot)."""
        return cors({k: v for k, v in (options or {}).items() if k != "enabled"})
