"""koatty_lite: Koatty-style apps (controllers, services, DI, onion middleware) on WSGI and serverless.

``handler`` (serverless entry, koatty_lite.entry) and ``run`` (listen and block) are imported lazily,
as are validation (``Validated``, ``Valid``, Koatty's rules: koatty_lite.validation, koatty_lite.rules).
This module never imports the serverless package.
"""
from .app import Koatty, create_application
from .context import Context
from .decorators import (
    After, AfterEach, Aspect, Autowired, Before, BeforeEach, Bootstrap, Component, Config, Controller,
    DeleteMapping, ExceptionHandler, GetMapping, HeadMapping, Middleware, OnEvent, OptionsMapping, Param,
    PatchMapping, Plugin, PostMapping, PutMapping, RequestMapping, Scheduled, Service,
)
from .errors import HttpException, KoattyException
from .output import register_renderer
from .routes import register_marker

__version__ = "0.1.0"

# `handler`, `UploadedFile` and the validation names stay out of __all__: `import *` must not load them.
__all__ = [
    "Koatty", "create_application", "Bootstrap",
    "Component", "Service", "Controller", "Middleware", "Plugin", "Aspect",
    "Autowired", "Config",
    "GetMapping", "PostMapping", "PutMapping", "DeleteMapping", "PatchMapping",
    "OptionsMapping", "HeadMapping", "RequestMapping",
    "PathVariable", "Get", "Post", "Header", "RequestBody", "File", "RequestParam", "Param",
    "Before", "After", "BeforeEach", "AfterEach", "OnEvent", "ExceptionHandler",
    "KoattyException", "HttpException", "Context",
    "Scheduled", "AppEvent", "run", "register_renderer", "register_marker",
]


_RULE_NAMES = frozenset((
    "Valid", "IsDefined", "IsNotEmpty", "IsEmail", "IsIP", "IsPhoneNumber", "IsUrl", "IsHash", "IsIn", "IsNotIn",
    "IsDate", "Equals", "NotEquals", "Contains", "Gt", "Gte", "Lt", "Lte", "Length", "Matches", "IsCnName",
    "IsIdNumber", "IsZipCode", "IsMobile", "IsPlateNumber", "CheckFunc", "Rule", "register_rule"))
_VALIDATION_NAMES = frozenset(("Validated", "ValidationError", "validate"))
# The parameter markers and AppEvent: classes koatty_lite.decorators makes when first asked for (PERF).
_CLASSES_MADE_ON_USE = frozenset(("PathVariable", "Get", "Post", "Header", "RequestBody", "File", "RequestParam",
                                  "AppEvent"))


def __dir__():
    """The package's names, with those loaded or made on first use (``handler``, validation, the markers)."""
    return sorted({*globals(), *__all__, *_CLASSES_MADE_ON_USE, *_RULE_NAMES, *_VALIDATION_NAMES, "handler",
                   "register_kind", "UploadedFile"})


def __getattr__(name: str):
    """Lazy names: ``handler`` and ``register_kind`` (koatty_lite.entry), ``run`` (koatty_lite.app), ``UploadedFile`` (payload),
    validation (koatty_lite.validation, koatty_lite.rules), the parameter markers and ``AppEvent`` (made on first use)."""
    if name in _RULE_NAMES:
        from . import rules

        return getattr(rules, name)
    if name in _VALIDATION_NAMES:
        from . import validation

        return getattr(validation, name)
    if name in ("handler", "register_kind"):
        from . import entry

        return getattr(entry, name)
    if name == "run":
        from .app import run

        return run
    if name in _CLASSES_MADE_ON_USE:
        from . import decorators

        value = globals()[name] = getattr(decorators, name)  # made once, then a plain attribute here
        return value
    if name == "UploadedFile":
        from .payload import UploadedFile

        return UploadedFile
    raise AttributeError(f"module 'koatty_lite' has no attribute {name!r}")
