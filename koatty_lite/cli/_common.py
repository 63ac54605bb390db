"""Shared CLI helpers: load `module:attr`, fake platform context objects, one-line errors."""
from __future__ import annotations

import sys
import time
import uuid

__all__ = [
    "CliError", "make_parser", "load_target", "load_app", "load_handler", "fake_context", "platform_of_event", "run_cli",
    "AwsContext", "FcContext", "ScfContext", "FakeContext", "register_context", "platforms", "import_plugins",
    "add_import_option",
]


class CliError(Exception):
    """A user mistake the CLI reports as one line on stderr with a non-zero exit."""


def make_parser(prog: str, description: str | None = None):
    """An argparse parser whose usage mistakes are a CliError: one line and exit 2, like every other mistake.

    Why: argparse's own error() prints the usage block and the message (two or more lines).
    """
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            raise CliError(f"{message} (see {self.prog} --help)")

    return _Parser(prog=prog, description=description)


def port_number(text: str) -> int:
    """argparse type of `--port`: a TCP port, 0 (any free one) to 65535."""
    import argparse

    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected a number from 0 to 65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: expected 0 to 65535 (0 picks a free one)")
    return port


def load_target(spec: str, default_attr: str = "handler"):
    """Import `module:attr` (or AWS-style `module.attr`) and return the attribute."""
    import importlib

    if ":" in spec:
        modname, _, attr = spec.partition(":")
    elif "." in spec:
        # Why: accept the AWS handler string form too (`examples.aws.handler.handler`).
        modname, _, attr = spec.rpartition(".")
    else:
        modname, attr = spec, default_attr
    modname = modname.replace("/", ".")
    if not modname or not attr:
        raise CliError(f"expected MODULE:ATTRIBUTE (e.g. examples.aws.handler:handler), got {spec!r}")
    # Why: `python -m` already puts the cwd on sys.path, but an entry point script would not.
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name and (modname == exc.name or modname.startswith(exc.name + ".")):
            raise CliError(
                f"cannot import module {modname!r} (no module named {exc.name!r}): "
                "run from the project root or add its folder to PYTHONPATH"
            ) from None
        raise CliError(f"importing {modname!r} failed: ModuleNotFoundError: {exc}") from None
    except SyntaxError as exc:
        raise CliError(f"importing {modname!r} failed: SyntaxError: {exc}") from None
    except Exception as exc:  # the user's module raised at import time
        raise CliError(f"importing {modname!r} failed: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        import types

        # Why: list what a user could mean (functions, classes, objects), not imported modules.
        names = ", ".join(n for n, v in sorted(vars(module).items()) if not n.startswith("_")
                          and not isinstance(v, types.ModuleType) and n != "annotations")[:200]
        raise CliError(f"module {modname!r} has no attribute {attr!r} (it has: {names or 'nothing public'})") from None


def load_app(spec: str):
    """Load the Koatty app class (or created app) named by `module[:App]`; App is the default attribute."""
    if ":" not in spec:
        spec += ":App"
    target = load_target(spec, "App")
    from koatty_lite.app import Koatty

    if not (isinstance(target, Koatty) or (isinstance(target, type) and issubclass(target, Koatty))):
        raise CliError(f"{spec} is not a Koatty app class (got {target!r}); "
                       "name a class App(Koatty) with components = [...]")
    return target


def load_handler(spec: str):
    """Load the platform handler named by `module:attr`; anything that cannot take (event, context) is a CliError.

    Why: called with the wrong thing, a handler fails with a TypeError per request (`invoke` exit 1,
    `start-api` a 502 for everything); naming the mistake before the first call is kinder.
    """
    target = load_target(spec)
    from koatty_lite.app import Koatty

    if isinstance(target, Koatty) or (isinstance(target, type) and issubclass(target, Koatty)):
        what = "a Koatty app" + (" class" if isinstance(target, type) else "")
        raise CliError(f"{spec} is {what}, not a handler: name the entry module's "
                       "`handler = koatty_lite.handler(App)`, or run the app with `python -m koatty_lite serve`")
    if not callable(target):
        raise CliError(f"{spec} is a {type(target).__name__}, not a callable handler")
    import inspect

    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return target
    try:
        sig.bind(None, None)
    except TypeError:
        raise CliError(f"{spec} takes {sig}, not (event, context): name the platform handler, "
                       "e.g. `handler = koatty_lite.handler(App)`") from None
    return target


class AwsContext:
    """Behaves like awslambdaric's LambdaContext (the attributes handlers actually read)."""

    def __init__(self, function_name: str = "koatty-lite-local", timeout_s: float = 30.0, memory: int = 128):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = str(memory)  # Why: the real runtime passes the env string, not an int
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.client_context = None
        self.identity = None
        self.tenant_id = None
        self._deadline = time.time() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) invocation deadline."""
        return max(0, int((self._deadline - time.time()) * 1000))

    def log(self, msg: str) -> None:
        """Write a log line like LambdaContext.log."""
        sys.stderr.write(str(msg))


class _Obj:
    """A plain attribute bag (FC context sub-objects)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class FcContext:
    """Behaves like Alibaba Cloud FC's FCContext."""

    def __init__(self, function_name: str = "koatty-lite-local", timeout_s: float = 30.0, memory: int = 128):
        self.request_id = str(uuid.uuid4())
        self.credentials = _Obj(access_key_id="", access_key_secret="", security_token="")
        self.function = _Obj(name=function_name, handler="index.handler", memory=memory, timeout=int(timeout_s))
        self.service = _Obj(name="koatty-lite", log_project="", log_store="", qualifier="LATEST", version_id="")
        self.region = "cn-hangzhou"
        self.account_id = "1234567890"
        self._deadline = time.time() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) invocation deadline."""
        return max(0, int((self._deadline - time.time()) * 1000))


class ScfContext:
    """Behaves like Tencent SCF's context (the documented fields)."""

    def __init__(self, function_name: str = "koatty-lite-local", timeout_s: float = 30.0, memory: int = 128):
        self.request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory
        self.time_limit_in_ms = int(timeout_s * 1000)
        self.namespace = "default"
        self.tencentcloud_region = "ap-guangzhou"
        self.tencentcloud_appid = "1250000000"
        self.tencentcloud_uin = "100000000001"
        self._deadline = time.time() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) invocation deadline."""
        return max(0, int((self._deadline - time.time()) * 1000))


class FakeContext:
    """The context of a cloud registered without a fake context of its own: a request id, a function
    name and the remaining time (what handlers read on every platform)."""

    def __init__(self, function_name: str = "koatty-lite-local", timeout_s: float = 30.0, memory: int = 128):
        self.request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.memory_limit_in_mb = memory
        self._deadline = time.time() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (fake) invocation deadline."""
        return max(0, int((self._deadline - time.time()) * 1000))


# platform -> context factory; the platform names themselves come from the serverless registry.
_CONTEXTS = {"aws": AwsContext, "alicloud": FcContext, "tencent": ScfContext}


def register_context(platform: str, factory) -> None:
    """Give a registered cloud its own fake context class (`factory(function_name=, timeout_s=, memory=)`)."""
    if not callable(factory):
        raise TypeError(f"register_context({platform!r}): factory must be callable")
    _CONTEXTS[platform] = factory


def platforms() -> tuple:
    """The clouds `invoke --platform` accepts: every platform of koatty_lite.serverless's registry."""
    from koatty_lite import serverless

    return tuple(p for p in serverless.platforms() if p != "auto")


def __getattr__(name):
    if name == "PLATFORMS":  # why: derived on each read, so a cloud registered later is listed
        return platforms()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fake_context(platform: str = "aws", **kw):
    """A new context object like the given platform's (`aws`, `alicloud`, `tencent`, or a registered cloud)."""
    factory = _CONTEXTS.get(platform)
    if factory is None:
        if platform not in platforms():
            raise CliError(f"unknown platform {platform!r}; choose one of: {', '.join(platforms())}")
        factory = FakeContext
    return factory(**kw)


def platform_of_event(event) -> str:
    """Guess which cloud sends an event of this shape (defaults to aws).

    HTTP events: the platform of the format that claims it (koatty_lite.serverless's registry);
    timers: by their fields.
    """
    if not isinstance(event, dict):
        return "aws"
    from koatty_lite import serverless

    serverless.load_platforms()  # why: a developer's shell may carry a cloud's variables; the CLI knows every cloud
    try:
        kind = serverless.detect_http(event)
    except Exception:  # a malformed event is the handler's to refuse; guess from its timers below
        kind = None
    if kind is not None:
        return serverless.KIND_PLATFORM[kind]
    if "triggerTime" in event and "triggerName" in event:
        return "alicloud"  # FC timer
    if event.get("Type") == "Timer":
        return "tencent"
    return "aws"


def platform_event(event, platform: str):
    """The event as the platform hands it over: FC 3.0 passes the JSON as bytes, the others a dict."""
    if platform == "alicloud":
        import json

        return json.dumps(event).encode("utf-8")
    return event


def import_plugins(argv) -> None:
    """Import each `--import MODULE` of `argv` before the parser is built: a module that registers a
    cloud (serverless.register_format, cli.event.register_event) then adds its kinds and platform
    to the choices the command offers."""
    import importlib

    argv = list(argv)
    for i, arg in enumerate(argv):
        if arg == "--import" and i + 1 < len(argv):
            name = argv[i + 1]
        elif arg.startswith("--import="):
            name = arg.partition("=")[2]
        else:
            continue
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise CliError(f"--import {name}: {type(exc).__name__}: {exc}") from None


def add_import_option(parser) -> None:
    """The `--import MODULE` option (read by import_plugins before parsing)."""
    parser.add_argument("--import", action="append", default=[], metavar="MODULE", dest="imports",
                        help="import MODULE first (one that registers a cloud of your own); repeatable")


def run_cli(fn, argv) -> int:
    """Run `fn(argv)`; turn a CliError into one stderr line and exit status 2."""
    try:
        return fn(argv) or 0
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
