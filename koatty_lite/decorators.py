"""Components: the class and method decorators and parameter markers (metadata only, no behaviour),
and the container that wires them (singletons created lazily, Autowired/Config injection, cycle
detection; formerly container.py, merged for the cold start: one module less to import).

Metadata (read from ``cls.__dict__`` so a subclass is not taken for its base):
class ``__koatty_type__``, ``__koatty_name__``, controllers ``__koatty_path__``; methods
``__koatty_routes__``, ``__koatty_before__``/``__koatty_after__``, ``__koatty_events__``,
``__koatty_scheduled__``; classes ``__koatty_before_each__``/``__koatty_after_each__``.
"""
import functools  # why: free, `re` and `enum` have loaded it already
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def _bare(decorator: str, value: "Any", fix: str) -> None:
    """Refuse a decorator factory used without its call: ``@Service`` instead of ``@Service()``.

    Why: the bare form replaces the class or method by the factory's inner function, so the class
    would later fail far from the cause ("components must be classes") or the route would vanish.
    """
    if isinstance(value, type) or (callable(value) and hasattr(value, "__code__")):
        raise TypeError(f"@{decorator} is used without parentheses on {getattr(value, '__qualname__', value)}: "
                        f"write {fix}")


def _class_decorator(kind: str, name: "str | None" = None, **extra: "Any") -> "Callable":
    if not extra:  # why: @Controller checks its path itself
        decorator = kind.title().replace("_", "")  # EXCEPTION_HANDLER -> ExceptionHandler
        _bare(decorator, name, f"@{decorator}()")

    def deco(cls):
        cls.__koatty_type__ = kind
        cls.__koatty_name__ = name or cls.__name__
        for key, value in extra.items():
            setattr(cls, key, value)
        return cls

    return deco


def Component(name: "str | None" = None) -> "Callable":
    """Mark a class as a singleton component (it may carry ``@OnEvent`` methods)."""
    return _class_decorator("COMPONENT", name)


def Service(name: "str | None" = None) -> "Callable":
    """Mark a class as a singleton service."""
    return _class_decorator("SERVICE", name)


def Controller(path: str = "", name: "str | None" = None) -> "Callable":
    """Mark a class as a controller mounted under ``path``; instantiated per request."""
    _bare("Controller", path, "@Controller() or @Controller(\"/prefix\")")
    return _class_decorator("CONTROLLER", name, __koatty_path__=path or "")


def Middleware(name: "str | None" = None) -> "Callable":
    """Mark a class whose ``run(self, options, app)`` returns an onion function ``fn(ctx, next)``."""
    return _class_decorator("MIDDLEWARE", name)


def Plugin(name: "str | None" = None) -> "Callable":
    """Mark a class whose ``run(self, options, app)`` runs at ``loadPlugin``."""
    return _class_decorator("PLUGIN", name)


def Aspect(name: "str | None" = None) -> "Callable":
    """Mark a class whose ``run(self, ctx, *args)`` runs before/after controller methods."""
    return _class_decorator("ASPECT", name)


def ExceptionHandler(name: "str | None" = None) -> "Callable":
    """Mark a class whose ``handle(self, ctx, exc)`` replaces the default error output."""
    return _class_decorator("EXCEPTION_HANDLER", name)


def Bootstrap(boot_func: "Callable | None" = None) -> "Callable":
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


def RequestMapping(path: str = "/", method: str = "ALL") -> "Callable":
    """Route ``method`` (or ``"ALL"``) requests on ``path`` (Koatty syntax ``/:id``) to this method."""
    _bare("RequestMapping", path, "@RequestMapping(\"/path\", method) (or @GetMapping(\"/path\"), ...)")
    methods = [method] if isinstance(method, str) else list(method)

    def deco(fn):
        routes = fn.__dict__.setdefault("__koatty_routes__", [])
        for m in methods:
            routes.append((m.upper(), path))
        return fn

    return deco


def _mapping(method: str, path: "Any") -> "Callable":
    """``RequestMapping(path, method)`` for ``@<Method>Mapping(path)``, refusing it used bare."""
    name = method.title() + "Mapping"
    _bare(name, path, f'@{name}() or @{name}("/path")')
    return RequestMapping(path, method)


def GetMapping(path: str = "/") -> "Callable":
    """Route GET (and HEAD) requests on ``path``."""
    return _mapping("GET", path)


def PostMapping(path: str = "/") -> "Callable":
    """Route POST requests on ``path``."""
    return _mapping("POST", path)


def PutMapping(path: str = "/") -> "Callable":
    """Route PUT requests on ``path``."""
    return _mapping("PUT", path)


def DeleteMapping(path: str = "/") -> "Callable":
    """Route DELETE requests on ``path``."""
    return _mapping("DELETE", path)


def PatchMapping(path: str = "/") -> "Callable":
    """Route PATCH requests on ``path``."""
    return _mapping("PATCH", path)


def OptionsMapping(path: str = "/") -> "Callable":
    """Route OPTIONS requests on ``path``."""
    return _mapping("OPTIONS", path)


def HeadMapping(path: str = "/") -> "Callable":
    """Route HEAD requests on ``path`` (otherwise HEAD is served by the GET route)."""
    return _mapping("HEAD", path)


# --- events (the aspect decorators are aspects.py's, @Scheduled schedule.py's: served by __getattr__) ----


def OnEvent(event: str) -> "Callable":
    """Call this singleton method ``(self, app)`` when the app emits ``event``."""
    _bare("OnEvent", event, "@OnEvent(\"appReady\") (an event name)")

    def deco(fn):
        fn.__dict__.setdefault("__koatty_events__", []).append(str(event))
        return fn

    return deco


# --- injection markers ------------------------------------------------------------------------


class Autowired:
    """Class attribute marker: inject the singleton named by the annotation or by ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: "Any" = None):
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


_MISSING = object()


# The injection marker classes made so far: ``Config`` (koatty_lite.config) joins when first asked for (PERF: a
# class less at a cold start of an app that injects no config).
_MARKS = (Autowired,)


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

    def __init__(self, name: "str | None" = None, default: "Any" = _MISSING):
        self.name = name
        self.default = default

    __repr__ = Autowired.__repr__  # PERF: one code object for both


# The built-in parameter markers, Param subclasses: name -> (source, docstring).
# PERF: each class is made when first asked for (``from koatty_lite import PathVariable``), by the module
# __getattr__ below: a class costs ~80k instructions to create, and an app imports the few markers it
# uses (the bench app 2 of 7: -0.4M instructions per cold start). AppEvent likewise.
MARKER_CLASSES = {
    "PathVariable": ("path", "The path parameter ``name`` (``/:id``)."),
    "Get": ("query", "The query string parameter ``name``."),
    "Post": ("body", "The body field ``name`` (JSON object, form or multipart field)."),
    "Header": ("header", "The request header ``name`` (case-insensitive)."),
    "RequestBody": ("body-all", "The whole parsed request body."),
    "File": ("file", "The uploaded file ``name`` (or all files when no name)."),
    "RequestParam": ("param", "The query ∪ path parameter ``name`` (path wins), or the whole dict when no name."),
}
# The lifecycle events in the order a boot emits them (app.EVENTS); AppEvent.<name> == name.
EVENTS = ("appBoot", "loadConfigure", "loadComponent", "loadPlugin", "loadMiddleware", "loadService",
          "loadController", "loadRouter", "loadServe", "appReady", "appStart", "appStop")


# Decorators defined in the module of their feature: name -> that module (relative to koatty_lite).
_MOVED = {"Before": "aspects", "After": "aspects", "BeforeEach": "aspects", "AfterEach": "aspects",
          "Scheduled": "schedule"}


def __getattr__(name: str) -> "Any":
    """The built-in marker classes (``PathVariable``, ``Get``, ...), ``AppEvent`` and ``InjectionError``, made on
    first use; ``Config`` (koatty_lite.config), the aspect decorators (koatty_lite.aspects) and ``Scheduled``
    (koatty_lite.schedule), loaded on first use."""
    if name in MARKER_CLASSES:
        source, doc = MARKER_CLASSES[name]
        made = type(name, (Param,), {"__slots__": (), "source": source, "__doc__": doc, "__module__": __name__})
    elif name in _MOVED:  # PERF: their code is off the cold start's code cache
        made = getattr(__import__(_MOVED[name], globals(), None, [name], 1), name)
    elif name == "Config":
        global _MARKS
        from .config import Config as made

        _MARKS = (Autowired, made)
    elif name == "InjectionError":
        made = type(name, (RuntimeError,), {"__doc__": "A missing or circular dependency (create_application).",
                                            "__module__": __name__})
    elif name == "AppEvent":
        made = type(name, (), {**dict(zip(EVENTS, EVENTS)), "__doc__": "Lifecycle event names as constants.",
                               "__module__": __name__})
    else:
        # PERF: import.c's __path__ probe of `from <this module> import x`: no message (-2.6k instructions)
        raise AttributeError(name if name == "__path__" else
                             f"module 'koatty_lite.decorators' has no attribute {name!r}")
    return globals().setdefault(name, made)  # why: threads asking at once all get the one that landed


def __dir__() -> "list":
    """The module's names, with the classes made on first use (help(), completion and dir() list them)."""
    return sorted({*globals(), *MARKER_CLASSES, *_MOVED, "AppEvent", "InjectionError", "Config"})


# --- the container (was container.py) ---------------------------------------------------------

SINGLETON_TYPES = ("COMPONENT", "SERVICE", "MIDDLEWARE", "PLUGIN", "ASPECT", "EXCEPTION_HANDLER")


def _injection_error(message: str, chain: "list | None" = None) -> "Exception":
    """``InjectionError(message)``: a missing or circular dependency, raised by ``create_application``, never at
    request time; ``chain``: the dependency path shown at ``{}`` in ``message``, a class's attribute in place of the
    class (``Svc.repo -> Repo``). PERF: the class is made by its first use (module __getattr__): a boot that fails
    none makes none; the path is made here (no helper of its own: a code object fewer at every cold start)."""
    if chain is not None:
        path = []
        for item in chain:
            if not path or path[-1].split(".")[0] != item.split(".")[0] or "." not in item:
                path.append(item)
            else:
                path[-1] = item
        message = message.format(" -> ".join(path))
    return (globals().get("InjectionError") or __getattr__("InjectionError"))(message)


def koatty_type(cls: type) -> "str | None":
    """The class's own ``__koatty_type__`` (not inherited)."""
    return cls.__dict__.get("__koatty_type__")


def koatty_name(cls: type) -> str:
    """The class's registered identifier (its own ``__koatty_name__`` or its name)."""
    return cls.__dict__.get("__koatty_name__") or cls.__name__


def defines_init(cls: type) -> bool:
    """Whether a class (not object) defines ``__init__`` somewhere in its MRO."""
    return cls.__init__ is not object.__init__


class Container:
    """Registered classes by name, and the singletons built from them."""

    def __init__(self, app: "Any"):
        self.app = app
        self.classes = {}  # name -> cls
        self.instances = {}  # name -> singleton
        self._by_class = {}  # cls -> name
        self._stack = []  # names being created (cycle detection)
        self._prepared = {}  # cls -> injection dict
        self._kinds = None  # __koatty_type__ -> [classes], rebuilt after a registration (of_type)
        self._members = {}  # cls -> members(cls) (a boot reads each class two or three times)

    def register(self, cls: type, name: "str | None" = None) -> type:
        """Register a decorated class under its identifier."""
        if not isinstance(cls, type):
            raise TypeError(f"components must be classes, got {cls!r}")
        if koatty_type(cls) is None:
            raise TypeError(f"{cls.__qualname__} is not decorated (@Service(), @Component(), @Controller(), ...)")
        name = name or koatty_name(cls)
        other = self.classes.get(name)
        if other is not None and other is not cls:
            raise _injection_error(f"two components named {name!r}: {other.__qualname__} and {cls.__qualname__}")
        self.classes[name] = cls
        self._kinds = None
        self._by_class[cls] = name
        return cls

    def of_type(self, kind: str) -> list:
        """Registered classes of one ``__koatty_type__``, in registration order."""
        kinds = self._kinds
        if kinds is None:  # PERF: grouped once per registration, not walked by each of a boot's dozen asks
            kinds = self._kinds = {}
            for c in self.classes.values():
                kinds.setdefault(c.__dict__.get("__koatty_type__"), []).append(c)
        return list(kinds.get(kind, ()))

    def members(self, cls: type) -> tuple:
        """``({attribute: Autowired|Config}, {name: function})`` declared on the class or its bases, subclass
        definitions winning (a plain value overrides a marker), read once; one walk for both (PERF: boot -0.6k
        bytecodes)."""
        found = self._members.get(cls)
        if found is not None:
            return found
        markers, methods = found = {}, {}
        for klass in reversed(cls.__mro__[:-1]):  # PERF: not object: its ~25 slots hold neither
            for key, value in klass.__dict__.items():
                if isinstance(value, _MARKS):
                    markers[key] = value
                    continue
                if hasattr(value, "__code__") and callable(value) and not isinstance(value, (staticmethod,
                                                                                         classmethod)):
                    methods[key] = value
                elif value is Autowired or value is _MARKS[-1]:
                    # why: `svc = Autowired` (no parentheses) left the class object in place of the service
                    hint = "Autowired()" if value is Autowired else "Config(\"key\", default)"
                    raise TypeError(f"{klass.__qualname__}.{key} uses {value.__name__} without parentheses: "
                                    f"write {hint}")
                markers.pop(key, None)
        self._members[cls] = found  # why last: a class refused above stays refused
        return found

    def name_of(self, target: "Any", owner: "type | None" = None) -> "str | None":
        """Resolve a class, a registered name, or an annotation string to a registered name."""
        if isinstance(target, type):
            name = self._by_class.get(target)
            if name is None:
                for cls, n in self._by_class.items():
                    if issubclass(cls, target):
                        return n
            return name
        if isinstance(target, str):
            text = target.strip().strip("'\"")
            if text in self.classes:
                return text
            if owner is not None:
                module = sys.modules.get(owner.__module__)
                if module is not None:
                    try:
                        value = eval(text, dict(vars(module)), {})  # annotation string in the owner's module
                    except Exception:
                        value = None
                    if isinstance(value, type):
                        return self.name_of(value)
            if "." in text:
                tail = text.rsplit(".", 1)[1]
                if tail in self.classes:
                    return tail
        return None

    def get(self, target: "Any") -> "Any":
        """The singleton for a class or name, created (with its dependencies) on first use."""
        name = target if isinstance(target, str) and target in self.classes else self.name_of(target)
        if name is None:
            # PERF: the label written out, here and below (no helper: a code object fewer at every cold start)
            label = target.__name__ if isinstance(target, type) else str(target)
            raise _injection_error(f"missing dependency: {label} is not registered")
        obj = self.instances.get(name)
        if obj is not None:
            return obj
        cls = self.classes[name]
        if koatty_type(cls) == "CONTROLLER":
            raise _injection_error(f"{name} is a controller (created per request) and cannot be injected")
        if name in self._stack:
            chain = self._stack[self._stack.index(name):] + [name]
            raise _injection_error("circular dependency: " + " -> ".join(chain))
        self._stack.append(name)
        try:
            values = self.prepare(cls)
            obj = cls.__new__(cls)
            obj.__dict__.update(values)
            if "app" not in values:
                obj.app = self.app
            if defines_init(cls):
                obj.__init__()
        finally:
            self._stack.pop()
        self.instances[name] = obj
        return obj

    def prepare(self, cls: type) -> dict:
        """Resolve a class's injections once: ``{attribute: value}`` (singletons created as needed)."""
        cached = self._prepared.get(cls)
        if cached is not None:
            return cached
        values = {}
        annotations = None
        owner = koatty_name(cls)
        for attr, marker in self.members(cls)[0].items():
            if annotations is None:
                # Why: walk the MRO by hand; no typing.get_type_hints (typing costs ~12 ms to import).
                annotations = {}
                for klass in reversed(cls.__mro__):
                    ann = klass.__dict__.get("__annotations__")
                    if ann is None:
                        try:  # 3.14's lazy form
                            ann = klass.__annotations__ if "__annotate__" in klass.__dict__ else None
                        except Exception:
                            ann = None
                    if ann:
                        annotations.update(ann)
            if not isinstance(marker, Autowired):  # a Config
                from .config import config_value  # PERF: loaded (and shipped: the config feature) by a Config marker

                values[attr] = config_value(self.app, owner, attr, marker, annotations.get(attr))
                continue
            target = marker.name
            if target is None:
                target = annotations.get(attr)
                if target is None:
                    raise _injection_error(
                        f"cannot inject {owner}.{attr}: Autowired() needs a type annotation or a name")
            name = self.name_of(target, cls)
            if name is None:
                label = target.__name__ if isinstance(target, type) else str(target)
                raise _injection_error("missing dependency: {} (not registered: add it to App.components)",
                                       self._stack + [f"{owner}.{attr}", label])
            if name in self._stack:
                chain = self._stack[self._stack.index(name):] + [name]
                raise _injection_error("circular dependency: " + " -> ".join(chain))
            values[attr] = self.get(name)
        self._prepared[cls] = values
        return values


# --- callables the core calls (was compose.py) --------------------------------------------------

_CO_COROUTINE = 0x80 | 0x100  # CO_COROUTINE | CO_ITERABLE_COROUTINE (inspect's flags, without importing it)
_CO_ASYNC_GENERATOR = 0x200


def refuse_async(fn: "Any", label: str, hint: str = "use a plain def") -> None:
    """Raise TypeError when ``fn`` (a function, bound method or object with ``__call__``) is
    ``async def`` or an async generator: the core is synchronous, and a coroutine nobody awaits
    would silently do nothing. A ``functools.partial`` is looked through."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    code = getattr(fn, "__code__", None)
    if code is None:
        code = getattr(getattr(type(fn), "__call__", None), "__code__", None)
    flags = getattr(code, "co_flags", 0)
    if flags & _CO_ASYNC_GENERATOR:
        raise TypeError(f"{label} is an async generator: the core is synchronous (WSGI); {hint}")
    if flags & _CO_COROUTINE:
        raise TypeError(f"{label} is async: the core is synchronous (WSGI); {hint}")
