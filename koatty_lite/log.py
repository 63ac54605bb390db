"""The "koatty" logger facade: ``logging`` is imported only when a logger is asked for.

Each line carries the current request id. The id lives in a thread-local set by the request
pipeline (one attribute store per request); each worker thread of the listen() server has its
own value, and outside a request it is ``-``.

The level comes from ``AWS_LAMBDA_LOG_LEVEL``, else ``LOG_LEVEL``, else the app's ``log.level``,
else INFO: the Lambda runtime client leaves the root logger at WARNING, so without a level of its
own every INFO line of the "koatty" logger would vanish there. With ``AWS_LAMBDA_LOG_FORMAT=JSON``,
``KOATTY_LOG_FORMAT=json`` or the app's ``log.format: "json"`` every line is one JSON object
(koatty_lite.logjson, loaded only then). See docs/observability.md.
"""
import os
from _thread import RLock, _local
from itertools import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

    from .logsetup import Logger

FORMAT = "[%(asctime)s] [%(levelname)s] [%(request_id)s] %(message)s"

# Lambda's advanced logging controls use TRACE/WARN/FATAL; Python's names are accepted too.
LEVELS = {"TRACE": 10, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "FATAL": 50,
          "CRITICAL": 50}

_state = _local()
_logger = None
_lock = RLock()  # why: two threads asking for the first logger must not install two handlers
_keys = {}  # app.logger.append_keys(): keys on every line of the process
_format = ["text"]  # "text" or "json": what configure() last installed
_invocations = [0]  # invocations counted in this process (cold_start: the first; 0 while booting)
_counter = count(1)  # why: next() on it is atomic, two first requests on two threads cannot both be cold


def current_request_id() -> str:
    """The request id of the request this thread is serving, or ``"-"``."""
    return getattr(_state, "request_id", None) or "-"


def next_invocation() -> int:
    """Count one invocation; its number in this process (1: the cold start)."""
    n = _invocations[0] = next(_counter)
    return n


def level_from_env(environ: "Any" = None) -> "int | None":
    """The level named by ``AWS_LAMBDA_LOG_LEVEL``, else ``LOG_LEVEL`` (an unknown name is ignored)."""
    environ = os.environ if environ is None else environ
    for key in ("AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"):
        name = environ.get(key)
        if name:
            level = LEVELS.get(name.strip().upper())
            if level is not None:
                return level
    return None


def json_from_env(environ: "Any" = None) -> bool:
    """True when ``AWS_LAMBDA_LOG_FORMAT=JSON`` or ``KOATTY_LOG_FORMAT=json`` asks for JSON lines."""
    environ = os.environ if environ is None else environ
    return ((environ.get("AWS_LAMBDA_LOG_FORMAT") or "").strip().upper() == "JSON"
            or (environ.get("KOATTY_LOG_FORMAT") or "").strip().lower() == "json")


def is_json() -> bool:
    """True when the "koatty" logger writes JSON lines."""
    return _format[0] == "json"


def get_logger() -> "logging.Logger":
    """``logging.getLogger("koatty")``, set up once (under a lock): request-id filter, level, handler.

    Text (the default): a stderr handler only when root has none (the Lambda runtime installs one;
    ours would print every line twice). JSON: its own stdout handler, not propagated.
    """
    logger = _logger
    if logger is not None:
        return logger
    from .logsetup import configure  # PERF: the setup and Logger load with the first line logged

    return configure()


def printable(text: str) -> str:
    """``text`` made safe for one log line: every non-printable character (CR, LF, ESC, NUL, DEL, C1,
    U+2028, ...) written as its escape (``\\n``, ``\\x1b``), so a client cannot forge a line or drive
    a terminal through a path or header it sent."""
    text = str(text)
    if text.isprintable():  # PERF: one C scan for the usual text
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def __getattr__(name: str) -> "Any":
    """The logger's setup and ``Logger`` live in koatty_lite.logsetup, loaded with the first line
    logged (or ``configure``, ``Logger``, ``app_logger``, ``RequestIdFilter``, ``TextFormatter`` asked for)."""
    if name in ("enter", "leave"):  # a non-HTTP invocation's (koatty_lite.kinds, shipped with the events feature)
        from . import kinds

        return getattr(kinds, name)
    if name in _SETUP_NAMES:
        from . import logsetup

        value = getattr(logsetup, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'koatty_lite.log' has no attribute {name!r}")


_SETUP_NAMES = frozenset(("configure", "Logger", "app_logger", "RequestIdFilter", "TextFormatter"))
