"""Which of koatty_lite's runtime modules a function zip ships: the core, one cloud's formats, the features the app uses.

`package` (cli/package.py) asks `select()`: the features the app uses are found three ways, and a
feature any of them names ships:
- a scan of the app's and the entries' source (never run): koatty_lite names it imports or reads
  (``Valid``, ``Scheduled``, ``koatty_lite.run``, ``.listen(``), config words (``"Cors"``,
  ``"openapi"``, ``"metrics"``), the ``event_handlers=`` of ``handler()``, an ``scf_bootstrap`` entry;
- a probe: a subprocess imports the entry modules as the platform's init phase would (``handler()``
  boots the app there) and reports the koatty_lite modules loaded and what each ``handler()`` was given
  (platform, event handlers, a foreign WSGI app); ``run()``/``listen()`` is stopped before it serves;
- ``--with FEATURE`` from the user.
Every runtime module has one place (``placement()``): listed in ``CORE`` (always ships), a feature's
module (``register_feature``) or a cloud's (``platform_modules()``: the module registering its formats,
plus ``CLOUD_MODULES`` for what those load later). A module in none of them ships as core, so nothing
is ever missing, and tests/test_package_slim.py fails naming it and these registries until it is placed.
The modules an environment variable can switch on at run time (JSON logs, observability, trace ids:
``AWS_LAMBDA_LOG_FORMAT=JSON``) are core for that reason.

A module left out is not silent: `left_out_hook()` is appended to the shipped ``koatty_lite/__init__.py``
(after its last line, so line numbers hold) and turns importing it into one ImportError naming
the module, what it is for and the option that ships it.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

from koatty_lite.cli._common import CliError

__all__ = ["Feature", "FEATURES", "CORE", "CLOUD_MODULES", "register_feature", "platform_modules", "placement",
           "unplaced", "scan", "scan_clouds", "probe", "select", "owner", "left_out_hook", "platform_from_template",
           "template_features"]

# The modules every package ships, on purpose (paths under koatty_lite/): what serves an HTTP event of
# any format, and what the platform can switch on without a new zip (JSON logs, observability, trace ids).
CORE = ("__init__.py", "app.py", "context.py", "context_extra.py", "decorators.py", "entry.py", "errors.py",
        "log.py", "logjson.py", "logsetup.py", "observe.py", "output.py", "payload.py", "routes.py",
        "tracing.py", "serverless/__init__.py", "serverless/http.py",
        "serverless/request_extra.py")

# cloud -> the modules its formats load on first use, beside the one that registers them (platform_modules()).
CLOUD_MODULES = {"aws": (), "alicloud": (), "tencent": ()}


class Feature(tuple):
    """A named, optional part of the runtime: ``name``, ``modules`` (paths under koatty_lite/),
    ``what`` (for messages), ``needs`` (features it imports)."""

    __slots__ = ()

    def __new__(cls, name, modules, what, needs=()):
        """Build the record (see the class docstring)."""
        return tuple.__new__(cls, (name, tuple(modules), what, tuple(needs)))

    name = property(lambda self: self[0], doc="the name `--with` takes")
    modules = property(lambda self: self[1], doc="its files, relative to koatty_lite/")
    what = property(lambda self: self[2], doc="what it is for, as the messages say it")
    needs = property(lambda self: self[3], doc="the features it imports")


FEATURES = {}


def register_feature(name, modules, what, needs=()):
    """Add a feature (its modules then leave the core); returns the ``Feature``."""
    FEATURES[name] = feature = Feature(name, modules, what, needs)
    return feature


register_feature("validation", ["validation.py", "rules.py"],
                 "validation (Valid, Validated, DTOs and their rules)")
register_feature("openapi", ["openapi.py"], "the OpenAPI document (config openapi, app.openapi())", ["validation"])
register_feature("environ", ["environ.py"],
                 "the PEP 3333 environ view of a Koatty app called as a WSGI app (FC 2.0, app.callback(), "
                 "app.get_request_handler(), a WSGI server or adapter of your own)")
register_feature("listen", ["server.py", "exchange.py", "http11.py"],
                 "the listen server (koatty_lite.run, app.listen(): web functions, custom runtimes)", ["environ"])
register_feature("cors", ["cors.py"], "the Cors middleware (\"Cors\" in middleware.list)")
register_feature("events", ["kinds.py", "serverless/events.py", "serverless/decode.py", "serverless/cbor.py"],
                 "non-HTTP events (handler(event_handlers=...), @Scheduled, timers, queues, logs)")
register_feature("schedule", ["schedule.py"], "@Scheduled tasks", ["events"])
register_feature("metrics", ["metrics.py"], "metrics (config metrics, ctx.metrics, koatty_lite.metrics)")
register_feature("aspects", ["aspects.py"], "route aspects (@Before, @After, @BeforeEach, @AfterEach)")
register_feature("config", ["config.py"], "Config(key) injection into components")
register_feature("foreign", ["foreign.py"], "a foreign WSGI app (Flask, Django: any WSGI callable) given to handler()")
register_feature("query", ["query.py"],
                 "koatty_lite's own query-string decoder (ctx.query, ctx.query_list, the Get / RequestParam markers; "
                 "without it they use urllib.parse, ~1.6 ms more of a cold start)")
register_feature("wsgi", ["serverless/wsgi.py"],
                 "a foreign WSGI app served outside handler() (serve_http, run_wsgi, the adapters)", ["environ"])

# cloud -> the features its formats need: FC 2.0's HTTP trigger calls handler(environ, start_response).
CLOUD_FEATURES = {"alicloud": ("environ",)}

# koatty_lite names an app may import or read -> the feature that defines them.
NAMES = {"Scheduled": "schedule", "run": "listen", "listen": "listen", "start_server": "listen",
         "openapi": "openapi", "metrics": "metrics", "event_handlers": "events", "detect_event_source": "events",
         "decode_awslogs": "events", "decode_clslogs": "events", "MalformedEventError": "events", "register_kind": "events",
         "UnhandledEventError": "events", "BatchResultError": "events", "Cors": "cors",
         "Validated": "validation", "Valid": "validation", "ValidationError": "validation", "validate": "validation",
         "register_rule": "validation", "Rule": "validation", "CheckFunc": "validation", "serve_http": "wsgi",
         "run_wsgi": "wsgi", "ServerlessAdapter": "wsgi", "AwsLambdaAdapter": "wsgi", "AliCloudFcAdapter": "wsgi",
         "TencentScfAdapter": "wsgi", "EnvironRequest": "environ", "Headers": "environ", "WsgiApp": "environ", "Before": "aspects",
         "After": "aspects", "BeforeEach": "aspects", "AfterEach": "aspects", "Config": "config", "Get": "query",
         "RequestParam": "query"}
# Strings in the app (config keys, middleware names) -> the feature they turn on.
WORDS = {"Cors": "cors", "openapi": "openapi", "metrics": "metrics"}
# Attribute names that mean a feature on whatever object (`app.listen()`, `ctx.metrics`).
ATTRS = {"listen": "listen", "metrics": "metrics", "openapi": "openapi", "event_handlers": "events",
         "callback": "environ", "get_request_handler": "environ", "query": "query", "query_list": "query"}


def _rule_names():
    """Koatty's rule decorators (IsEmail, Length, ...): the names koatty_lite loads from rules.py."""
    import koatty_lite

    return frozenset(koatty_lite._RULE_NAMES + koatty_lite._VALIDATION_NAMES)


def platform_modules() -> dict:
    """cloud -> its HTTP formats' modules (``("serverless/aws.py", ...)``): the module of each registered
    format's ``detect``, then ``CLOUD_MODULES[cloud]``."""
    from koatty_lite import serverless

    out = {}
    for fmt in serverless.FORMATS:
        module = getattr(fmt.detect, "__module__", "") or ""
        if module.startswith("koatty_lite."):
            rel = module[len("koatty_lite."):].replace(".", "/") + ".py"
            if rel not in CORE and rel not in out.setdefault(fmt.platform, []):  # why: a shared helper stays core
                out[fmt.platform].append(rel)
    for cloud, modules in CLOUD_MODULES.items():
        out.setdefault(cloud, []).extend(m for m in modules if m not in out[cloud])
    return {cloud: tuple(modules) for cloud, modules in out.items()}


def placement() -> dict:
    """Runtime module (path under koatty_lite/) -> ('core', None), ('feature', name) or ('cloud', name)."""
    out = {m: ("core", None) for m in CORE}
    out.update((m, ("feature", f.name)) for f in FEATURES.values() for m in f.modules)
    out.update((m, ("cloud", cloud)) for cloud, modules in platform_modules().items() for m in modules)
    return out


def unplaced(runtime_files: list) -> list:
    """The runtime files in no registry (they ship as core), each with the one line that says where to put it."""
    placed = placement()
    return [f"koatty_lite/{rel} is in no registry of koatty_lite/cli/slim.py, so every function package ships it: "
            "add it to CORE (always shipped), to a feature's modules (register_feature: shipped when the app uses "
            "it) or to CLOUD_MODULES[cloud] (shipped with that cloud's formats)"
            for rel in (f.replace(os.sep, "/") for f in runtime_files) if rel not in placed]


def _module_feature() -> dict:
    """koatty_lite module name (``koatty_lite.server``) -> feature name."""
    return {"koatty_lite." + m[:-3].replace("/", "."): f.name for f in FEATURES.values() for m in f.modules}


# --- the source scan ------------------------------------------------------------------------------------
def _star_names(module: str) -> list:
    """The names ``from module import *`` binds: its ``__all__`` (some loaded on first use by its
    ``__getattr__``, so the import itself may need a feature's module)."""
    import importlib

    try:
        return list(getattr(importlib.import_module(module), "__all__", ()))
    except ImportError:
        return []


def _is_module(name: str) -> bool:
    """True when ``name`` is a module (or subpackage) of koatty_lite's runtime (``output``, ``serverless``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return name.isidentifier() and (os.path.isfile(os.path.join(root, name + ".py"))
                                    or os.path.isfile(os.path.join(root, name, "__init__.py")))


def _scan_tree(tree: ast.AST, found: dict, where: str) -> None:
    """Add to ``found`` (feature -> reason) what one module's syntax tree uses."""
    by_module = _module_feature()
    rules = _rule_names()
    aliases = set()  # names bound to the koatty_lite package (`import koatty_lite as kl`)

    def note(feature, why):
        found.setdefault(feature, f"{where}: {why}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in by_module:
                    note(by_module[a.name], f"import {a.name}")
                if a.name == "koatty_lite" or a.name.startswith("koatty_lite."):
                    aliases.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "koatty_lite":
            names = node.names
            if [a.name for a in names] == ["*"]:  # why: every name of its __all__ may be used, unseen
                names = names + [ast.alias(name=n) for n in _star_names(node.module)]
            for a in names:
                if node.module == "koatty_lite" and _is_module(a.name):
                    # why: `from koatty_lite import output` then `output.WsgiApp`: a name read on the module
                    aliases.add(a.asname or a.name)
                full = f"{node.module}.{a.name}"
                if full in by_module:
                    note(by_module[full], f"from {node.module} import {a.name}")
                elif node.module in by_module:
                    note(by_module[node.module], f"from {node.module} import {a.name}")
                elif a.name in NAMES:
                    note(NAMES[a.name], f"from {node.module} import {a.name}")
                elif a.name in rules:
                    note("validation", f"from {node.module} import {a.name}")
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if base in aliases and (node.attr in NAMES or node.attr in rules):
                note(NAMES.get(node.attr, "validation"), f"koatty_lite.{node.attr}")
            elif node.attr in ATTRS:
                note(ATTRS[node.attr], f".{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg in ATTRS:
            note(ATTRS[node.arg], f"{node.arg}=")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "create_handler":
            # why: an adapter of your own (handler(adapter=...)) is served through koatty_lite.kinds
            note("events", "def create_handler (an adapter of your own)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in WORDS:
                note(WORDS[node.value], repr(node.value))
            elif node.value in by_module:
                note(by_module[node.value], repr(node.value))


def _tree(path: str):
    """The syntax tree of one of the app's .py files, or None when it cannot be read or parsed (why: package
    reports a syntax error of the app itself when it compiles)."""
    try:
        with open(path, "rb") as fh:
            return ast.parse(fh.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


def scan_clouds(paths: list) -> dict:
    """cloud -> reason, from the source of ``paths``: a cloud's formats module imported or named
    (``from koatty_lite.serverless.aws import ...``), or ``platform="tencent"`` given to a call
    (``handler(App, platform=...)``): that cloud ships too, whatever ``--platform`` says."""
    modules = {"koatty_lite." + m[:-3].replace("/", "."): cloud
               for cloud, ms in platform_modules().items() for m in ms}
    found = {}
    for path in paths:
        base = os.path.basename(path)
        tree = _tree(path) if base.endswith(".py") else None
        if tree is None:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("koatty_lite"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value]
            elif (isinstance(node, ast.keyword) and node.arg == "platform" and isinstance(node.value, ast.Constant)
                  and node.value.value in {m for m in modules.values()}):
                found.setdefault(node.value.value, f"{base}: platform={node.value.value!r}")
            for name in names:
                if name in modules:
                    found.setdefault(modules[name], f"{base}: {name}")
    return found


def _scan_json(path: str, found: dict, where: str) -> None:
    """Add to ``found`` the config words (``WORDS``) a JSON file holds as a key or a string value: an app
    may read its config (``"openapi"``, ``"Cors"``) from one."""
    try:
        if os.path.getsize(path) > 1 << 20:  # a data file, not a config: not worth parsing
            return
        with open(path, encoding="utf-8") as fh:
            todo = [json.load(fh)]
    except (OSError, ValueError, RecursionError):
        return
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            for key in value:
                if key in WORDS:
                    found.setdefault(WORDS[key], f"{where}: {key!r}")
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, str) and value in WORDS:
            found.setdefault(WORDS[value], f"{where}: {value!r}")


def scan(paths: list) -> dict:
    """feature -> reason, from the source of ``paths`` (.py files are parsed, .json ones read for config
    words; an ``scf_bootstrap`` entry is a web function: the listen server)."""
    found = {}
    for path in paths:
        base = os.path.basename(path)
        if base == "scf_bootstrap":
            found.setdefault("listen", f"{base}: an SCF web function serves HTTP itself")
            continue
        if base.endswith(".json"):
            _scan_json(path, found, base)
            continue
        tree = _tree(path) if base.endswith(".py") else None
        if tree is not None:
            _scan_tree(tree, found, base)
    return found


# --- the probe --------------------------------------------------------------------------------------------
_PROBE = r"""
import importlib, json, os, sys
root, entries = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, root)
os.chdir(root)
asked = []
class _Asked:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("koatty_lite."):
            asked.append(name)  # why: a koatty_lite module no file provides (a slim build's left-out one)
        return None
sys.meta_path.append(_Asked())
class _Listen(BaseException):
    pass
def _start_server(*args, **kwargs):
    raise _Listen()
try:
    import koatty_lite.server as _server
except ImportError:  # a slim build without the listen server: run() at import fails naming it
    pass
else:
    _server.start_server = _start_server  # why: app.listen()/run() at import must not serve (and block) here
import socket as _socket
class _Serves(BaseException):
    pass
def _no_listen(self, *args):
    raise _Serves()
_socket.socket.listen = _no_listen  # why: another server at import (Flask's app.run()) must not block here
del asked[:]  # why: only what the app's import asks for counts
out = {"listen": False, "handlers": [], "openapi": False, "error": None}
try:
    for name in entries:
        try:
            module = importlib.import_module(name)
        except _Listen:
            out["listen"] = True
            continue
        except _Serves:
            raise RuntimeError("importing %s starts a server (socket.listen): a function's init phase would "
                               "never finish; start it under if __name__ == '__main__'" % name) from None
        from koatty_lite.entry import _Handler
        if not any(isinstance(v, _Handler) for v in vars(module).values()):
            out.setdefault("bare", []).append(name)  # why: served by something else (a WSGI adapter?)
        for value in vars(module).values():
            if isinstance(value, _Handler):
                app = value.app
                config = getattr(app, "config", None) or {}
                out["handlers"].append({
                    "platform": value.platform, "is_app": value.is_app,
                    "events": bool(value.event_handlers or value.fallback),
                    "custom": getattr(value, "custom", None) is not None,
                    "scheduled": bool(getattr(app, "scheduled_tasks", None)),
                    "openapi": bool(isinstance(config, dict) and config.get("openapi"))})
except BaseException as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
    out["missing"] = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
mods = sorted(m for m in sys.modules if m == "koatty_lite" or m.startswith("koatty_lite."))
serverless = sys.modules.get("koatty_lite.serverless")
try:
    out["platforms"] = list(serverless.platforms()) if serverless is not None else None
except Exception:
    out["platforms"] = None
print("\nKOATTY-PROBE " + json.dumps(dict(out, modules=mods, asked=asked)))
"""


# Why: Lambda gives a function's init phase 10 s (then retries it inside the first invoke), so an import
# slower than this is a fault of its own; the margin is for a first import of big dependencies here.
PROBE_TIMEOUT = 30


def probe(root: str, entries: list, timeout: float | None = None) -> dict:
    """Import each entry module (by name) from ``root`` in a fresh ``python -I -B``; return what it
    saw: ``modules`` (koatty_lite modules loaded), ``handlers`` [{platform, is_app, events, custom,
    scheduled, openapi}], ``listen``, ``asked`` (koatty_lite modules imported that no file provides), ``platforms``
    (the clouds the serverless package registered, None when not loaded), ``error`` (why the probe
    failed, else None) and ``missing`` (the module an ImportError named). ``timeout``: PROBE_TIMEOUT s."""
    timeout = PROBE_TIMEOUT if timeout is None else timeout
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        p = subprocess.run([sys.executable, "-I", "-B", "-c", _PROBE, root, json.dumps(entries)],
                           capture_output=True, text=True, env=env, cwd=root, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"error": f"the entry did not finish importing within {timeout:.0f} s (a server or a loop started "
                         "at import? a function's init phase would not finish either)"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("KOATTY-PROBE "):
            seen = json.loads(line[len("KOATTY-PROBE "):])
            if seen.get("error"):  # why: the staging folder is gone when the line is read: name the zip's path
                seen["error"] = seen["error"].replace(os.path.join(root, ""), "")
            return seen
    err = [ln for ln in p.stderr.splitlines() if ln.strip()]
    return {"error": (err[-1] if err else f"exit status {p.returncode}")[:300]}


def _probe_features(seen: dict) -> dict:
    """feature -> reason from what ``probe`` saw."""
    found = {}
    by_module = _module_feature()
    # Why: the probe loads the listen server itself (to stop it serving); only a call counts.
    listen_modules = {"koatty_lite." + m[:-3].replace("/", ".") for m in FEATURES["listen"].modules}
    for module in seen.get("modules") or ():
        if module in by_module and module not in listen_modules:
            found.setdefault(by_module[module], f"booting the app loads {module}")
    if seen.get("listen"):
        found["listen"] = "importing the entry calls run()/listen()"
    for h in seen.get("handlers") or ():
        if h.get("events"):
            found.setdefault("events", "handler() is given event_handlers")
        if h.get("custom"):
            # why: every event a custom adapter serves goes through koatty_lite.kinds (its route())
            found.setdefault("events", "handler() is given an adapter of your own")
        if h.get("scheduled"):
            found.setdefault("schedule", "the app has @Scheduled tasks")
        if h.get("openapi"):
            found.setdefault("openapi", "the app's config has openapi")
        if h.get("is_app") is False:
            found.setdefault("wsgi", "handler() is given a WSGI app")
            found.setdefault("foreign", "handler() is given a WSGI app")
    for name in seen.get("bare") or ():
        found.setdefault("environ", f"{name}.py defines no koatty_lite.handler() (the app may be called as a WSGI app)")
    return found


def _entries_without_handler(paths: list) -> list:
    """The .py entries whose source calls no ``handler(...)`` (``koatty_lite.handler``): without the probe,
    such an entry may serve the app some other way (a WSGI adapter calls it with an environ)."""
    out = []
    for path in paths:
        if not path.endswith(".py"):
            continue
        try:
            with open(path, "rb") as fh:
                tree = ast.parse(fh.read(), path)
        except (OSError, SyntaxError, ValueError):
            out.append(path)
            continue
        if not any(isinstance(n, ast.Call) and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) == "handler"
                   for n in ast.walk(tree)):
            out.append(path)
    return out


# --- the choice ---------------------------------------------------------------------------------------------
def platform_from_template(path: str) -> str | None:
    """The cloud a deployment template is for: a SAM template or an AWS serverless.yml -> aws, a
    Serverless Devs s.yaml (component fc/fc3) -> alicloud, a Tencent serverless.yml (component scf) ->
    tencent; None when it says nothing recognisable."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    words = {}
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        key, _, value = stripped.partition(":")
        value = value.strip().strip("'\"").lower()
        if key.strip() in ("component", "name", "Transform", "AWSTemplateFormatVersion", "provider"):
            words.setdefault(key.strip(), []).append(value)
    if "Transform" in words or "AWSTemplateFormatVersion" in words or "aws" in words.get("name", ()):
        return "aws"
    for value in words.get("component", ()):
        name = value.rsplit("/", 1)[-1].split("@")[0]
        if name.startswith("fc"):
            return "alicloud"
        if name in ("scf", "tencent-scf", "multi-scf"):
            return "tencent"
    if "tencent" in words.get("name", ()):
        return "tencent"
    return None


def template_features(path: str) -> dict:
    """feature -> reason from a deployment template: the listen server for a function that runs its own
    HTTP server (FC `runtime: custom...`, an SCF `type: web` function, AWS Lambda Web Adapter)."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = [line.split("#", 1)[0] for line in fh.read().splitlines()]
    except (OSError, UnicodeDecodeError):
        return {}
    base = os.path.basename(path)
    for line in lines:
        key, _, value = line.strip().lstrip("- ").partition(":")
        key, value = key.strip().lower(), value.strip().strip("'\"").lower()
        if key == "runtime" and value.startswith("custom"):
            return {"listen": f"{base}: runtime {value} (the function runs its own HTTP server)"}
        if key == "type" and value == "web":
            return {"listen": f"{base}: a web function (it runs its own HTTP server)"}
        if "lambdaadapterlayer" in line.lower() or "aws_lwa_" in line.lower():
            return {"listen": f"{base}: AWS Lambda Web Adapter (the function runs its own HTTP server)"}
    return {}


def _close(features: dict) -> dict:
    """Add what each chosen feature needs."""
    todo = list(features)
    while todo:
        name = todo.pop()
        for need in FEATURES[name].needs:
            if need not in features:
                features[need] = f"{name} needs it"
                todo.append(need)
    return features


def select(runtime_files: list, platform: str, *, with_features=(), source_paths=(), seen=None,
           clouds_needed=(), template=None, entries=()) -> tuple:
    """(shipped files, left-out files, {feature: reason}) for ``platform`` ('all': every cloud).

    ``runtime_files``: koatty_lite's runtime files (relative); ``source_paths``: the app's and the
    entries' files for the scan; ``seen``: what ``probe`` reported (None: no probe); ``clouds_needed``:
    other clouds whose module ships too (the runtime imports it whatever the platform); ``template``:
    the deployment template (``template_features``); ``entries``: the entry files (without a probe, one
    that calls no ``handler()`` ships ``environ``)."""
    unknown = [f for f in with_features if f not in FEATURES]
    if unknown:
        raise CliError(f"unknown --with {unknown[0]!r}: choose from {', '.join(sorted(FEATURES))}")
    clouds = platform_modules()
    if platform != "all" and platform not in clouds:
        raise CliError(f"unknown --platform {platform!r}: choose from {', '.join(sorted(clouds))} or all")
    chosen = dict.fromkeys(with_features, "--with")
    for name, why in scan(source_paths).items():
        chosen.setdefault(name, why)
    for name, why in (template_features(template) if template else {}).items():
        chosen.setdefault(name, why)
    for name, why in _probe_features(seen or {}).items():
        chosen.setdefault(name, why)
    if seen is None or seen.get("error") or seen.get("skipped"):
        chosen.setdefault("foreign", "no probe: handler() may be given a WSGI app")  # why: the source cannot tell
        for path in _entries_without_handler(list(entries)):
            chosen.setdefault("environ", f"{os.path.basename(path)} calls no handler() (the app may be called as "
                                         "a WSGI app)")
    for cloud in (clouds if platform == "all" else [platform, *clouds_needed]):
        for name in CLOUD_FEATURES.get(cloud, ()):
            chosen.setdefault(name, f"platform {cloud}" if cloud == platform else f"cloud {cloud}")
    _close(chosen)
    out = {m: f.name for f in FEATURES.values() if f.name not in chosen for m in f.modules}
    if platform != "all":
        keep = {m for cloud, modules in clouds.items() if cloud == platform or cloud in clouds_needed for m in modules}
        out.update((m, "platform " + cloud) for cloud, modules in clouds.items()
                   if cloud != platform and cloud not in clouds_needed for m in modules if m not in keep)
    shipped = [f for f in runtime_files if f.replace(os.sep, "/") not in out]
    left = [f for f in runtime_files if f.replace(os.sep, "/") in out]
    return shipped, left, chosen


def owner(module: str):
    """('feature', name) or ('cloud', name) for a koatty_lite module name, else None."""
    rel = module[len("koatty_lite."):].replace(".", "/") + ".py" if module.startswith("koatty_lite.") else ""
    for f in FEATURES.values():
        if rel in f.modules:
            return "feature", f.name
    for cloud, modules in platform_modules().items():
        if rel in modules:
            return "cloud", cloud
    return None


def left_out_hook(left: list, platform: str) -> str:
    """Python source appended to the shipped koatty_lite/__init__.py: importing a left-out module
    raises one ImportError (a cloud's: ModuleNotFoundError) naming it and the `package` option that ships it."""
    by_file = {m: f for f in FEATURES.values() for m in f.modules}
    clouds = {m: cloud for cloud, modules in platform_modules().items() for m in modules}
    table = {}
    for rel in left:
        rel = rel.replace(os.sep, "/")
        name = "koatty_lite." + rel[:-3].replace("/", ".")
        if rel in by_file:
            table[name] = by_file[rel].name
        elif rel in clouds:
            table[name] = "-" + clouds[rel]
    # Why: a finder at the end of sys.meta_path is asked only after every real one failed: it costs
    # nothing on the cold path, and an absent module's import names the fix instead of a bare
    # "No module named". A feature's is an ImportError, not ModuleNotFoundError: `from . import x`
    # swallows the latter and says "cannot import name 'x'" instead. A cloud's stays a
    # ModuleNotFoundError of that name: the serverless package skips an absent cloud's formats.
    return ("\n\nclass _LeftOut:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        part = _LEFT_OUT.get(name)\n"
            "        if part is None:\n"
            "            return None\n"
            "        head = name + ' is not in this function package: '\n"
            "        if part[0] == '-':\n"
            f"            raise ModuleNotFoundError(head + 'it was built for --platform {platform}: rebuild with "
            "--platform ' + part[1:] + ' (or --platform all)', name=name)\n"
            "        raise ImportError(head + '`python -m koatty_lite package` left out ' + part + "
            "', which the app did not seem to use: rebuild with --with ' + part + ' (or --all-modules)', name=name)\n\n\n"
            f"_LEFT_OUT = {json.dumps(table, sort_keys=True)}\n"
            "__import__('sys').meta_path.append(_LeftOut())\n")
