"""The explicit component registry: singletons created lazily, Autowired/Config injection, cycle detection."""
from __future__ import annotations

import sys

from .decorators import Autowired, Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SINGLETON_TYPES = ("COMPONENT", "SERVICE", "MIDDLEWARE", "PLUGIN", "ASPECT", "EXCEPTION_HANDLER")


class InjectionError(RuntimeError):
    """A missing or circular dependency; raised by ``create_application``, never at request time."""


def koatty_type(cls: type) -> str | None:
    """The class's own ``__koatty_type__`` (not inherited)."""
    return cls.__dict__.get("__koatty_type__")


def koatty_name(cls: type) -> str:
    """The class's registered identifier (its own ``__koatty_name__`` or its name)."""
    return cls.__dict__.get("__koatty_name__") or cls.__name__


def _annotations(cls: type) -> dict:
    # Why: walk the MRO by hand; no typing.get_type_hints (typing costs ~12 ms to import).
    out = {}
    for klass in reversed(cls.__mro__):
        ann = klass.__dict__.get("__annotations__")
        if ann is None:
            try:
                ann = klass.__annotations__ if "__annotate__" in klass.__dict__ else None  # 3.14 lazy form
            except Exception:
                ann = None
        if ann:
            out.update(ann)
    return out


def _markers(cls: type) -> dict:
    """``{attribute: Autowired|Config}`` declared on the class or its bases."""
    out = {}
    for klass in reversed(cls.__mro__):
        for key, value in klass.__dict__.items():
            if isinstance(value, (Autowired, Config)):
                out[key] = value
            elif value is Autowired or value is Config:
                # why: `svc = Autowired` (no parentheses) left the class object in place of the service
                hint = "Autowired()" if value is Autowired else "Config(\"key\", default)"
                raise TypeError(f"{klass.__qualname__}.{key} uses {value.__name__} without parentheses: write {hint}")
            elif key in out:
                del out[key]  # a subclass overrode the marker with a plain value
    return out


def defines_init(cls: type) -> bool:
    """Whether a class (not object) defines ``__init__`` somewhere in its MRO."""
    return cls.__init__ is not object.__init__


class Container:
    """Registered classes by name, and the singletons built from them."""

    def __init__(self, app: Any):
        self.app = app
        self.classes = {}  # name -> cls
        self.instances = {}  # name -> singleton
        self._by_class = {}  # cls -> name
        self._stack = []  # names being created (cycle detection)
        self._prepared = {}  # cls -> injection dict

    def register(self, cls: type, name: str | None = None) -> type:
        """Register a decorated class under its identifier."""
        if not isinstance(cls, type):
            raise TypeError(f"components must be classes, got {cls!r}")
        if koatty_type(cls) is None:
            raise TypeError(f"{cls.__qualname__} is not decorated (@Service(), @Component(), @Controller(), ...)")
        name = name or koatty_name(cls)
        other = self.classes.get(name)
        if other is not None and other is not cls:
            raise InjectionError(f"two components named {name!r}: {other.__qualname__} and {cls.__qualname__}")
        self.classes[name] = cls
        self._by_class[cls] = name
        return cls

    def of_type(self, kind: str) -> list:
        """Registered classes of one ``__koatty_type__``, in registration order."""
        return [c for c in self.classes.values() if koatty_type(c) == kind]

    def name_of(self, target: Any, owner: type | None = None) -> str | None:
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

    def get(self, target: Any) -> Any:
        """The singleton for a class or name, created (with its dependencies) on first use."""
        name = target if isinstance(target, str) and target in self.classes else self.name_of(target)
        if name is None:
            raise InjectionError(f"missing dependency: {_label(target)} is not registered")
        obj = self.instances.get(name)
        if obj is None:
            obj = self._create(name)
        return obj

    def _create(self, name: str) -> Any:
        cls = self.classes[name]
        if koatty_type(cls) == "CONTROLLER":
            raise InjectionError(f"{name} is a controller (created per request) and cannot be injected")
        if name in self._stack:
            chain = self._stack[self._stack.index(name):] + [name]
            raise InjectionError("circular dependency: " + " -> ".join(chain))
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
        for attr, marker in _markers(cls).items():
            if annotations is None:
                annotations = _annotations(cls)
            if isinstance(marker, Config):
                values[attr] = _config_value(self.app, owner, attr, marker, annotations.get(attr))
                continue
            target = marker.name
            if target is None:
                target = annotations.get(attr)
                if target is None:
                    raise InjectionError(
                        f"cannot inject {owner}.{attr}: Autowired() needs a type annotation or a name")
            name = self.name_of(target, cls)
            if name is None:
                chain = self._stack + [f"{owner}.{attr}", _label(target)]
                raise InjectionError(
                    "missing dependency: " + " -> ".join(_dedupe(chain))
                    + " (not registered: add it to App.components)")
            if name in self._stack:
                chain = self._stack[self._stack.index(name):] + [name]
                raise InjectionError("circular dependency: " + " -> ".join(chain))
            values[attr] = self.get(name)
        self._prepared[cls] = values
        return values


def _config_value(app: Any, owner: str, attr: str, marker: Config, annotation: Any) -> Any:
    """The config value for ``owner.attr = Config(key)``, converted to the attribute's annotation as
    controller parameters are (``int``, ``float``, ``bool``, ``str``; others as they are); an absent
    key without a default stays None. A value that cannot be converted is a boot error."""
    value = app.get_config(marker.key, marker.default)
    if value is None or annotation is None:
        return value
    from .routes import _converter, _to_str  # the same conversions as controller parameters

    convert, type_name = _converter(annotation)
    if convert is None:
        return value
    if value == "" and convert is not _to_str and marker.default is not None:
        value = marker.default  # why: "${VAR}" with VAR unset is "": the marker's default applies
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):
        raise InjectionError(f"cannot inject {owner}.{attr}: config {marker.key!r} is {value!r}, "
                             f"expected {type_name}") from None


def _label(target: Any) -> str:
    if isinstance(target, type):
        return target.__name__
    return str(target)


def _dedupe(chain: list) -> list:
    out = []
    for item in chain:
        if not out or out[-1].split(".")[0] != item.split(".")[0] or "." not in item:
            out.append(item)
        else:
            out[-1] = item
    return out
