"""Class and method decorators and parameter markers: they attach metadata only, no behaviour.

Metadata (read from ``cls.__dict__`` so a subclass is not taken for its base):
class ``__koatty_type__``, ``__koatty_name__``, controllers ``__koatty_path__``; methods
``__koatty_routes__``, ``__koatty_before__``/``__koatty_after__``, ``__koatty_events__``,
``__koatty_scheduled__``; classes ``__koatty_before_each__``/``__koatty_after_each__``.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def _bare(decorator: str, value: Any, fix: str) -> None:
    """Refuse a decorator factory used without its call: ``@Service`` instead of ``@Service()``.

    Why: the bare form replaces the class or method by the factory's inner function, so the class
    would later fail far from the cause ("components must be classes") or the route would vanish.
    """
    if isinstance(value, type) or (callable(value) and hasattr(value, "__code__")):
        raise TypeError(f"@{decorator} is used without parentheses on {getattr(value, '__qualname__', value)}: "
                        f"write {fix}")


def _aspect(decorator: str, aspect: Any) -> None:
    """Refuse what cannot be an aspect: a function (``@Before`` used bare on a method) or a class
    that is not an ``@Aspect()`` (``@BeforeEach`` used bare on a controller class)."""
    if isinstance(aspect, type):
        if aspect.__dict__.get("__koatty_type__") != "ASPECT":
            raise TypeError(f"@{decorator}({aspect.__qualname__}): {aspect.__qualname__} is not an @Aspect() class "
                            f"(@{decorator} used without parentheses?): write @{decorator}(AspectClass)")
        return
    _bare(decorator, aspect, f"@{decorator}(AspectClass)")


def _class_decorator(kind: str, name: str | None = None, **extra: Any) -> Callable:
    def deco(cls):
        cls.__koatty_type__ = kind
        cls.__koatty_name__ = name or cls.__name__
        for key, value in extra.items():
            setattr(cls, key, value)
        return cls

    return deco


def Component(name: str | None = None) -> Callable:
    """Mark a class as a singleton component (it may carry ``@OnEvent`` methods)."""
    _bare("Component", name, "@Component()")
    return _class_decorator("COMPONENT", name)


def Service(name: str | None = None) -> Callable:
    """Mark a class as a singleton service."""
    _bare("Service", name, "@Service()")
    return _class_decorator("SERVICE", name)


def Controller(path: str = "", name: str | None = None) -> Callable:
    """Mark a class as a controller mounted under ``path``; instantiated per request."""
    _bare("Controller", path, "@Controller() or @Controller(\"/prefix\")")
    return _class_decorator("CONTROLLER", name, __koatty_path__=path or "")


def Middleware(name: str | None = None) -> Callable:
    """Mark a class whose ``run(self, options, app)`` returns an onion function ``fn(ctx, next)``."""
    _bare("Middleware", name, "@Middleware()")
    return _class_decorator("MIDDLEWARE", name)


def Plugin(name: str | None = None) -> Callable:
    """Mark a class whose ``run(self, options, app)`` runs at ``loadPlugin``."""
    _bare("Plugin", name, "@Plugin()")
    return _class_decorator("PLUGIN", name)


def Aspect(name: str | None = None) -> Callable:
    """Mark a class whose ``run(self, ctx, *args)`` runs before/after controller methods."""
    _bare("Aspect", name, "@Aspect()")
    return _class_decorator("ASPECT", name)


def ExceptionHandler(name: str | None = None) -> Callable:
    """Mark a class whose ``handle(self, ctx, exc)`` replaces the default error output."""
    _bare("ExceptionHandler", name, "@ExceptionHandler()")
    return _class_decorator("EXCEPTION_HANDLER", name)


def Bootstrap(boot_func: Callable | None = None) -> Callable:
    """Record ``boot_func`` on the App class; ``koatty_lite.run(App)`` then creates and listens.

    Unlike Koatty, decorating does not boot: importing a module must never open a socket.
    """
    if isinstance(boot_func, type):
        _bare("Bootstrap", boot_func, "@Bootstrap() or @Bootstrap(boot_func)")

    def deco(cls):
        cls.__koatty_boot_func__ = boot_func
        return cls

    return deco


# --- routes -----------------------------------------------------------------------------------


def RequestMapping(path: str = "/", method: str = "ALL") -> Callable:
    """Route ``method`` (or ``"ALL"``) requests on ``path`` (Koatty syntax ``/:id``) to this method."""
    _bare("RequestMapping", path, "@RequestMapping(\"/path\", method) (or @GetMapping(\"/path\"), ...)")
    methods = [method] if isinstance(method, str) else list(method)

    def deco(fn):
        routes = fn.__dict__.setdefault("__koatty_routes__", [])
        for m in methods:
            routes.append((m.upper(), path))
        return fn

    return deco


def GetMapping(path: str = "/") -> Callable:
    """Route GET (and HEAD) requests on ``path``."""
    _bare("GetMapping", path, "@GetMapping() or @GetMapping(\"/path\")")
    return RequestMapping(path, "GET")


def PostMapping(path: str = "/") -> Callable:
    """Route POST requests on ``path``."""
    _bare("PostMapping", path, "@PostMapping() or @PostMapping(\"/path\")")
    return RequestMapping(path, "POST")


def PutMapping(path: str = "/") -> Callable:
    """Route PUT requests on ``path``."""
    _bare("PutMapping", path, "@PutMapping() or @PutMapping(\"/path\")")
    return RequestMapping(path, "PUT")


def DeleteMapping(path: str = "/") -> Callable:
    """Route DELETE requests on ``path``."""
    _bare("DeleteMapping", path, "@DeleteMapping() or @DeleteMapping(\"/path\")")
    return RequestMapping(path, "DELETE")


def PatchMapping(path: str = "/") -> Callable:
    """Route PATCH requests on ``path``."""
    _bare("PatchMapping", path, "@PatchMapping() or @PatchMapping(\"/path\")")
    return RequestMapping(path, "PATCH")


def OptionsMapping(path: str = "/") -> Callable:
    """Route OPTIONS requests on ``path``."""
    _bare("OptionsMapping", path, "@OptionsMapping() or @OptionsMapping(\"/path\")")
    return RequestMapping(path, "OPTIONS")


def HeadMapping(path: str = "/") -> Callable:
    """Route HEAD requests on ``path`` (otherwise HEAD is served by the GET route)."""
    _bare("HeadMapping", path, "@HeadMapping() or @HeadMapping(\"/path\")")
    return RequestMapping(path, "HEAD")


# --- aspects and events -----------------------------------------------------------------------


def Before(aspect: Any) -> Callable:
    """Run aspect ``aspect`` (class or registered name) before this controller method."""
    _aspect("Before", aspect)

    def deco(fn):
        if isinstance(fn, type):  # why: a class's __dict__ is read-only (an AttributeError that named nothing)
            raise TypeError(f"@Before goes on a controller method; on the class {fn.__qualname__} write "
                            f"@BeforeEach({getattr(aspect, '__name__', aspect)})")
        fn.__dict__.setdefault("__koatty_before__", []).append(aspect)
        return fn

    return deco


def After(aspect: Any) -> Callable:
    """Run aspect ``aspect`` (class or registered name) after this controller method."""
    _aspect("After", aspect)

    def deco(fn):
        if isinstance(fn, type):  # why: a class's __dict__ is read-only (an AttributeError that named nothing)
            raise TypeError(f"@After goes on a controller method; on the class {fn.__qualname__} write "
                            f"@AfterEach({getattr(aspect, '__name__', aspect)})")
        fn.__dict__.setdefault("__koatty_after__", []).append(aspect)
        return fn

    return deco


def BeforeEach(aspect: Any) -> Callable:
    """Run aspect ``aspect`` before every route method of this controller class."""
    _aspect("BeforeEach", aspect)

    def deco(cls):
        cls.__koatty_before_each__ = list(cls.__dict__.get("__koatty_before_each__", ())) + [aspect]
        return cls

    return deco


def AfterEach(aspect: Any) -> Callable:
    """Run aspect ``aspect`` after every route method of this controller class."""
    _aspect("AfterEach", aspect)

    def deco(cls):
        cls.__koatty_after_each__ = list(cls.__dict__.get("__koatty_after_each__", ())) + [aspect]
        return cls

    return deco


def OnEvent(event: str) -> Callable:
    """Call this singleton method ``(self, app)`` when the app emits ``event``."""
    _bare("OnEvent", event, "@OnEvent(\"appReady\") (an event name)")

    def deco(fn):
        fn.__dict__.setdefault("__koatty_events__", []).append(str(event))
        return fn

    return deco


def Scheduled(expression: str, name: str | None = None) -> Callable:
    """Run this singleton method on a schedule (``rate(...)``/``cron(...)``, see schedule.py)."""
    _bare("Scheduled", expression, "@Scheduled(\"rate(5 minutes)\") (an expression)")

    def deco(fn):
        fn.__koatty_scheduled__ = (expression, name)
        return fn

    return deco


# --- injection markers ------------------------------------------------------------------------


class Autowired:
    """Class attribute marker: inject the singleton named by the annotation or by ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: Any = None):
        self.name = name

    def __repr__(self) -> str:
        return f"Autowired({self.name!r})"


_MISSING = object()


class Config:
    """Class attribute marker: inject ``app.get_config(key, default)`` (dot path)."""

    __slots__ = ("key", "default")

    def __init__(self, key: str, default: Any = None):
        self.key = key
        self.default = default

    def __repr__(self) -> str:
        return f"Config({self.key!r})"


# --- parameter markers ------------------------------------------------------------------------


class Param:
    """Base parameter marker used as a default value: where to look (``source``) and the name.

    A marker is a class. A built-in ``source`` ("path", "query", "body", "header", "body-all",
    "file", "param") or one added by ``koatty_lite.routes.register_marker`` has its getter in
    routes.py's ``MARKERS`` registry. A user's marker may instead read its own value: a subclass
    with ``source`` (the name validation and OpenAPI use, e.g. ``"cookie"``), ``where`` (how a 400
    names it) and ``get(self, ctx, key)`` returning the value or ``self.MISSING`` (docs/core.md).
    """

    __slots__ = ("name", "default")
    source = "param"
    MISSING = _MISSING  # what get(self, ctx, key) returns when the request has no value

    def __init__(self, name: str | None = None, default: Any = _MISSING):
        self.name = name
        self.default = default

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class PathVariable(Param):
    """The path parameter ``name`` (``/:id``)."""

    __slots__ = ()
    source = "path"


class Get(Param):
    """The query string parameter ``name``."""

    __slots__ = ()
    source = "query"


class Post(Param):
    """The body field ``name`` (JSON object, form or multipart field)."""

    __slots__ = ()
    source = "body"


class Header(Param):
    """The request header ``name`` (case-insensitive)."""

    __slots__ = ()
    source = "header"


class RequestBody(Param):
    """The whole parsed request body."""

    __slots__ = ()
    source = "body-all"


class File(Param):
    """The uploaded file ``name`` (or all files when no name)."""

    __slots__ = ()
    source = "file"


class RequestParam(Param):
    """The query ∪ path parameter ``name`` (path wins), or the whole dict when no name."""

    __slots__ = ()
    source = "param"


class AppEvent:
    """Lifecycle event names as constants (``AppEvent.appReady == "appReady"``)."""

    appBoot = "appBoot"
    loadConfigure = "loadConfigure"
    loadComponent = "loadComponent"
    loadPlugin = "loadPlugin"
    loadMiddleware = "loadMiddleware"
    loadService = "loadService"
    loadController = "loadController"
    loadRouter = "loadRouter"
    loadServe = "loadServe"
    appReady = "appReady"
    appStart = "appStart"
    appStop = "appStop"
