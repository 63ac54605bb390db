"""koatty_lite: Koatty-style apps (controllers, services, DI, onion middleware) on WSGI and serverless.

``handler`` (serverless entry, koatty_lite.entry) is imported lazily, as are validation (``Validated``, ``Valid``, Koatty's rules: koatty_lite.validation, koatty_lite.rules).
This module never imports the serverless package.
"""
import sys as _sys

# PERF: koatty_lite imports its own cold modules itself (_import, docs/architecture.md): the import
# system's finders, spec, lock and pyc checks cost ~0.33M instructions per submodule (callgrind, 3.11,
# 12 small modules), _import ~0.11M (the same module lock always: +0.03M); a meta-path finder for
# koatty_lite.* names measured 0.19M (0.25M with SourceFileLoader.get_code), the spec handed to
# importlib's _load 0.22M. A cold Lambda GET (coldstages.sh): 87.01M -> 85.12M instructions.
_B, _X = _sys.modules["_frozen_importlib"], _sys.modules["_frozen_importlib_external"]  # with _os, _io, _imp...
# why: what importlib does otherwise (-O: opt-N pycs; -v, -X importtime, PYTHONPROFILEIMPORTTIME: it reports
# each import; Windows: its separators)
_TAG = (not (_sys.flags.optimize or _sys.flags.verbose or "importtime" in _sys._xoptions
             or b"PYTHONPROFILEIMPORTTIME" in _X._os.environ) and _X.path_sep == "/" and _sys.implementation.cache_tag)


def _plain(pkg):
    """``pkg``'s one directory when the import system loaded it from a source file and reads pycs beside the
    sources, else None: a zip, sourceless, several directories, a pycache prefix."""
    path = getattr(pkg, "__path__", "")
    if len(path) == 1 and _TAG and not _sys.pycache_prefix and type(pkg.__spec__.loader) is _X.SourceFileLoader:
        return path[0]


def _stamp(src):
    return _X._os.stat(src)[6::2]  # (size, mtime in whole seconds), as a timestamp pyc's


def _cold_code():
    """``{source path: code}`` of the code cache ``_CACHE`` (the modules ``_SRCS``) when every source's size and
    mtime are those it recorded, as a timestamp pyc's, or it records none (unchecked, as `koatty_lite
    package` ships it and its pycs); else None: missing, stale, damaged, another Python's."""
    try:
        with _X._io.open_code(_CACHE) as fh:
            data = fh.read()
        if data[:4] == _X.MAGIC_NUMBER:
            stamps, code = _X.marshal.loads(memoryview(data)[4:])
            if not stamps or stamps == tuple(map(_stamp, _SRCS)):
                return dict(zip(_SRCS, code))
    except Exception:  # why: a cache that cannot be read is a missing one
        pass


def _find(pkg, tail, _inert=(_B.BuiltinImporter, _B.FrozenImporter), _paths=_X.PathFinder):
    """``(directory, file stem, code)`` of the submodule ``tail`` of ``pkg`` (a package: its directory and
    ``__init__``) from the code cache or when the import system would run its pyc as it is, else None: no
    pyc or a stale one, a checked hash, another Python, a package _plain refuses, an import hook answering
    for it or no PathFinder on sys.meta_path."""
    path = _plain(pkg)
    if path:
        # why: importlib asks a finder ahead of PathFinder on sys.meta_path (an import hook, a tracer's) first: so
        # does _find; the module it answers for goes to the import system (which asks it again). PERF: the
        # defaults (not globals): ~0.6k instructions a module less
        for hook in _sys.meta_path:
            if hook is _paths:
                break
            # why slice: a legacy finder (no find_spec) answers, for the import system to ask its find_module
            if hook not in _inert and getattr(hook, "find_spec", slice)(f"{pkg.__name__}.{tail}", pkg.__path__, None):
                return
        else:
            return
        pairs = (f"{path}/{tail}", "__init__"), (path, tail)  # FileFinder's order
        # PERF: the cache's modules before any stat: a module's failed stat of a package costs ~8k instructions
        # PERF: a module before a package (the cache holds no package beside a module of its name): one dict miss
        # less for 8 of the 9 (cold v2 GET -7k instructions)
        for where, stem in pairs[::-1]:
            code = _CODE and _CODE.pop(f"{where}/{stem}.py", None)
            if code:
                return where, stem, code
        for where, stem in pairs:
            try:
                st = _X._os.stat(f"{where}/{stem}.py")
            except OSError:
                continue
            try:
                with _X._io.open_code(f"{where}/__pycache__/{stem}.{_TAG}.pyc") as fh:
                    data = fh.read()
            except OSError:
                break
            # why: a timestamp pyc's header (no flags, the source's mtime and size, as importlib writes it), or an
            # unchecked hash (what `koatty_lite package` ships), which importlib runs as it is
            if data[:16] == _X.MAGIC_NUMBER + bytes(4) + _X._pack_uint32(st.st_mtime) + _X._pack_uint32(st.st_size) or (
                    data[:8] == _X.MAGIC_NUMBER + b"\1\0\0\0" and _X._imp.check_hash_based_pycs != "always"):
                return where, stem, _X.marshal.loads(memoryview(data)[16:])
            break


def _import(name):
    """The koatty_lite module ``name`` (a full name, its package imported) as the import system imports it
    (the module and its attributes, sys.modules, the package's attribute, the module lock), run from its
    pyc without the finders when _find allows."""
    mods = _sys.modules
    parent, _, tail = name.rpartition(".")
    # PERF: the import system's module lock only while other threads run (~0.03M a module)
    with _B._ModuleLockManager(name) if _B._thread._count() else _B._thread.allocate_lock():
        found = name not in mods and _find(mods.get(parent), tail)
        if found:
            where, stem, code = found
            _sys.audit("import", name, None, _sys.path, _sys.meta_path, _sys.path_hooks)  # PEP 578, as import.c
            src, pyc = f"{where}/{stem}.py", f"{where}/__pycache__/{stem}.{_TAG}.pyc"
            _X._imp._fix_co_filename(code, src)
            spec = _B.ModuleSpec(name, _X.SourceFileLoader(name, src), origin=src)
            # PERF: has_location and cached without their Python setters (cold v2 GET -17k instructions)
            spec._set_fileattr, spec._cached, spec._initializing = True, pyc, True
            module = type(_sys)(name)
            module.__loader__, module.__package__, module.__spec__ = spec.loader, parent, spec
            if stem != tail:  # a package
                spec.submodule_search_locations = module.__path__ = [where]
                module.__package__ = name
            module.__file__, module.__cached__ = src, pyc
            # why only now, as importlib: another thread's import must find the spec (_initializing: it waits)
            mods[name] = module
            try:
                exec(code, module.__dict__)
            except BaseException:
                mods.pop(name, None)
                raise
            finally:
                spec._initializing = False
            mods[name] = module = mods.pop(name)  # why: last in sys.modules, as importlib leaves it
            setattr(mods[parent], tail, module)
    if not found:
        __import__(name)
    return mods[name]


_CORE = ("log", "errors", "context", "decorators", "output", "routes", "app")  # dependency order
# PERF: the modules of a cold Lambda GET (but the cloud's) in one marshal blob: marshal shares the names and
# strings they repeat instead of making and interning each again (cold GET -0.8M instructions, see
# docs/architecture.md). The import system's pycs stay what it reads (-v, -X importtime, -O...).
_COLD = (*_CORE, "entry", "serverless/__init__")
# why not with --check-hash-based-pycs always: the cache may hold a hash-based pyc's code
_CODE, _CACHE = {}, _X._imp.check_hash_based_pycs != "always" and _plain(_sys.modules[__name__])
if _CACHE:
    _SRCS, _CACHE = [f"{_CACHE}/{m}.py" for m in _COLD], f"{_CACHE}/__pycache__/cold.{_TAG}.bin"
    _CODE = _cold_code()
for _name in _CORE:
    # why bound here too: this file imported again as the module koatty_lite.__init__ (importlib.import_module of
    # that name) reads the names below from its own namespace, not the package's
    globals()[_name] = _import(f"{__package__}.{_name}")
# why: written as the import system writes a pyc (where it may: not sys.dont_write_bytecode), when
# _cold_code found it missing or stale (None), from the pycs it left, with the sizes and mtimes read first (a
# source changed meanwhile is stale next time); not beside hash-based pycs (compileall, pip under SOURCE_DATE_EPOCH):
# the import system checks those by the source's bytes (or never), which a size and an mtime do not tell
if _CODE is None and not _sys.dont_write_bytecode and _X._os.access(_CACHE.rpartition("/")[0], 2):
    try:
        if __loader__.get_data(__cached__)[4:8] == bytes(4):  # this package's own pyc has a timestamp pyc's flags
            _X._write_atomic(_CACHE, _X.MAGIC_NUMBER + _X.marshal.dumps((tuple(map(_stamp, _SRCS)), [
                _X.SourceFileLoader(m, m).get_code(m) for m in _SRCS])))
    except Exception:
        pass
del _name

# PERF: the names read from the modules _import made this package's attributes: a `from .x import y` first asks x
# for __path__ (a failed lookup, ~8k instructions a statement); decorators' many names keep theirs (the source's size)
Koatty, create_application, run, Context = app.Koatty, app.create_application, app.run, context.Context
register_renderer, register_marker = output.register_renderer, routes.register_marker
from .decorators import (  # noqa: E402
    Aspect, Autowired, Bootstrap, Component, Controller, DeleteMapping, ExceptionHandler, GetMapping, HeadMapping,
    Middleware, OnEvent, OptionsMapping, Param, PatchMapping, Plugin, PostMapping, PutMapping, RequestMapping, Service,
)

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


# PERF: tuples, not frozensets: constants, nothing built at import (-11k instructions); read on first use only
_RULE_NAMES = (
    "Valid", "IsDefined", "IsNotEmpty", "IsEmail", "IsIP", "IsPhoneNumber", "IsUrl", "IsHash", "IsIn", "IsNotIn",
    "IsDate", "Equals", "NotEquals", "Contains", "Gt", "Gte", "Lt", "Lte", "Length", "Matches", "IsCnName",
    "IsIdNumber", "IsZipCode", "IsMobile", "IsPlateNumber", "CheckFunc", "Rule", "register_rule")
_VALIDATION_NAMES = ("Validated", "ValidationError", "validate")
# The parameter markers, AppEvent and Config: classes koatty_lite.decorators makes (or loads) when first asked
# for (PERF), and the exceptions koatty_lite.errors makes so; the aspect decorators and Scheduled, which it loads.
_CLASSES_MADE_ON_USE = ("PathVariable", "Get", "Post", "Header", "RequestBody", "File", "RequestParam", "AppEvent",
                        "KoattyException", "HttpException", "Config", "Before", "After", "BeforeEach", "AfterEach",
                        "Scheduled")


def __dir__():
    """The package's names, with those loaded or made on first use (``handler``, validation, the markers)."""
    return sorted({*globals(), *__all__, *_RULE_NAMES, *_VALIDATION_NAMES, "handler", "register_kind",
                   "UploadedFile"})


def __getattr__(name: str):
    """Lazy names: ``handler`` and ``register_kind`` (koatty_lite.entry), ``UploadedFile`` (payload),
    validation (koatty_lite.validation, koatty_lite.rules), the parameter markers, ``AppEvent`` and the exceptions (made on first use)."""
    # PERF: the names a cold start asks for first (an app's markers, handler), the 28 rules after them
    if name in _CLASSES_MADE_ON_USE:
        # why not `from . import`: decorators and errors are this package's attributes since __init__ loaded them
        value = globals()[name] = getattr(errors if "Exc" in name else decorators, name)  # made once, then here
        return value
    if name in ("handler", "register_kind"):
        return getattr(_import(__package__ + ".entry"), name)
    if name in _RULE_NAMES:
        from . import rules

        return getattr(rules, name)
    if name in _VALIDATION_NAMES:
        from . import validation

        return getattr(validation, name)
    if name == "UploadedFile":
        from .payload import UploadedFile

        return UploadedFile
    raise AttributeError(f"module 'koatty_lite' has no attribute {name!r}")
