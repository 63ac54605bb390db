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
import _thread
import itertools
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

    from .logsetup import Logger

FORMAT = "[%(asctime)s] [%(levelname)s] [%(request_id)s] %(message)s"

# Lambda's advanced logging controls use TRACE/WARN/FATAL; Python's names are accepted too.
LEVELS = {"TRACE": 10, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "FATAL": 50,
          "CRITICAL": 50}

_state = _thread._local()
_logger = None
_lock = _thread.RLock()  # why: two threads asking for the first logger must not install two handlers
_keys = {}  # app.logger.append_keys(): keys on every line of the process
_format = ["text"]  # "text" or "json": what configure() last installed
_invocations = [0]  # invocations counted in this process (cold_start: the first; 0 while booting)
_counter = itertools.count(1)  # why: next() on it is atomic, two first requests on two threads cannot both be cold


def json_from_env(environ: "Any" = None) -> bool:
    """True when ``AWS_LAMBDA_LOG_FORMAT=JSON`` or ``KOATTY_LOG_FORMAT=json`` asks for JSON lines."""
    environ = os.environ if environ is None else environ
    return ((environ.get("AWS_LAMBDA_LOG_FORMAT") or "").strip().upper() == "JSON"
            or (environ.get("KOATTY_LOG_FORMAT") or "").strip().lower() == "json")


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


def __getattr__(name: str) -> "Any":
    """The logger's setup and ``Logger`` live in koatty_lite.logsetup, loaded with the first line
    logged (or one of ``_SETUP_NAMES`` asked for)."""
    if name in ("enter", "leave"):  # a non-HTTP invocation's (koatty_lite.kinds, shipped with the events feature)
        from . import kinds

        return getattr(kinds, name)
    if name in _SETUP_NAMES:
        from . import logsetup

        value = getattr(logsetup, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'koatty_lite.log' has no attribute {name!r}")


# PERF: printable, is_json, level_from_env, current_request_id and next_invocation, which no cold GET calls, live
# there too (six code objects out of every cold start's code cache).
_SETUP_NAMES = ("configure", "Logger", "app_logger", "RequestIdFilter", "TextFormatter", "printable",
                "is_json", "level_from_env", "current_request_id", "next_invocation")
