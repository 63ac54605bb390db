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
from __future__ import annotations

import os
from _thread import RLock, _local
from itertools import count

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

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


def enter(request_id: Any) -> Any:
    """Start a non-HTTP invocation on this thread: its request id on each line, counted for
    ``cold_start``; returns what ``leave`` restores."""
    state = _state
    previous = getattr(state, "request_id", None), getattr(state, "fields", None)
    state.request_id = request_id
    fields = state.fields = {"cold_start": next_invocation() == 1}
    if _format[0] == "json":
        xray = os.environ.get("_X_AMZN_TRACE_ID")  # the Lambda runtime's, per invocation
        if xray:
            from .tracing import parse_xray, xray_to_w3c

            parsed = parse_xray(xray)
            if parsed is not None:
                fields["traceId"] = xray_to_w3c(parsed["root"])
    return previous


def next_invocation() -> int:
    """Count one invocation; its number in this process (1: the cold start)."""
    n = _invocations[0] = next(_counter)
    return n


def leave(previous: Any) -> None:
    """End the invocation ``enter`` started."""
    _state.request_id, _state.fields = previous


def level_from_env(environ: Any = None) -> int | None:
    """The level named by ``AWS_LAMBDA_LOG_LEVEL``, else ``LOG_LEVEL`` (an unknown name is ignored)."""
    environ = os.environ if environ is None else environ
    for key in ("AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"):
        name = environ.get(key)
        if name:
            level = LEVELS.get(name.strip().upper())
            if level is not None:
                return level
    return None


def json_from_env(environ: Any = None) -> bool:
    """True when ``AWS_LAMBDA_LOG_FORMAT=JSON`` or ``KOATTY_LOG_FORMAT=json`` asks for JSON lines."""
    environ = os.environ if environ is None else environ
    return ((environ.get("AWS_LAMBDA_LOG_FORMAT") or "").strip().upper() == "JSON"
            or (environ.get("KOATTY_LOG_FORMAT") or "").strip().lower() == "json")


def is_json() -> bool:
    """True when the "koatty" logger writes JSON lines."""
    return _format[0] == "json"


def get_logger() -> logging.Logger:
    """``logging.getLogger("koatty")``, set up once (under a lock): request-id filter, level, handler.

    Text (the default): a stderr handler only when root has none (the Lambda runtime installs one;
    ours would print every line twice). JSON: its own stdout handler, not propagated.
    """
    logger = _logger
    if logger is not None:
        return logger
    return configure()


def configure(fmt: str | None = None, level: Any = None) -> logging.Logger:
    """(Re)configure the "koatty" logger: ``fmt`` "text" or "json", ``level`` a name or number.

    The environment wins over both arguments (``AWS_LAMBDA_LOG_FORMAT``/``KOATTY_LOG_FORMAT`` for
    JSON, ``AWS_LAMBDA_LOG_LEVEL``/``LOG_LEVEL`` for the level); idempotent and thread-safe.
    """
    global _logger
    with _lock:
        import logging

        logger = logging.getLogger("koatty")
        if not any(type(f).__name__ == "RequestIdFilter" for f in logger.filters):
            logger.addFilter(__getattr__("RequestIdFilter")())
        want_json = json_from_env() or (fmt or _format[0]).lower() == "json"
        _set_level(logger, level)
        own = [h for h in logger.handlers if getattr(h, "koatty_own", False)]
        if want_json:
            _use_json(logger, own)
        else:
            _use_text(logger, own)
        _logger = logger
        return logger


def _set_level(logger: logging.Logger, level: Any) -> None:
    """The environment's level, else ``level`` (a name or number), else INFO when unset."""
    env_level = level_from_env()
    if env_level is not None:
        logger.setLevel(env_level)
    elif level is not None:
        if not isinstance(level, int) or isinstance(level, bool):
            if str(level).strip().upper() not in LEVELS:
                raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
            level = LEVELS[str(level).strip().upper()]
        logger.setLevel(level)
    elif logger.level == 0:  # logging.NOTSET
        logger.setLevel(20)  # INFO. Why: the Lambda runtime client's root is at WARNING


def _use_json(logger: logging.Logger, own: list) -> None:
    """JSON lines: our own stdout handler, not propagated."""
    if not any(getattr(h, "koatty_json", False) for h in own):
        from .logjson import JsonHandler

        for h in own:
            logger.removeHandler(h)
        logger.addHandler(JsonHandler())
    # Why: one object per line; the root's handler (the runtime's) would write it again.
    logger.propagate = False
    _format[0] = "json"


def _use_text(logger: logging.Logger, own: list) -> None:
    """Text lines: a stderr handler only when neither root nor the logger has one."""
    import logging

    for h in own:
        if getattr(h, "koatty_json", False):
            logger.removeHandler(h)
            logger.propagate = True
    if not logging.getLogger().handlers and not any(
            getattr(h, "koatty_own", False) for h in logger.handlers) and not logger.handlers:
        handler = logging.StreamHandler()
        handler.koatty_own = True
        handler.setFormatter(__getattr__("TextFormatter")(FORMAT))
        logger.addHandler(handler)
    _format[0] = "text"


def _filter_class() -> type:
    import logging

    class RequestIdFilter(logging.Filter):
        """Adds ``record.request_id``."""

        def filter(self, record: logging.LogRecord) -> bool:
            if not hasattr(record, "request_id"):
                record.request_id = current_request_id()
            return True

    return RequestIdFilter


def _text_formatter_class() -> type:
    import logging

    class TextFormatter(logging.Formatter):
        """The text line, plus `` key=value`` for the keys an app added (``append_keys``, ``extra``)."""

        def format(self, record: logging.LogRecord) -> str:
            line = super().format(record)
            keys = getattr(record, "koatty_keys", None)
            if _keys or keys:
                merged = {**_keys, **(keys or {})}
                extra = " ".join(f"{k}={v}" for k, v in merged.items())
                head, sep, tail = line.partition("\n")  # why: keys on the message line, above a traceback
                line = f"{head} {extra}{sep}{tail}"
            return line

    return TextFormatter


def __getattr__(name: str) -> Any:
    """``RequestIdFilter`` and ``TextFormatter`` subclass logging's classes: built on first use."""
    if name in globals():
        return globals()[name]
    if name == "RequestIdFilter":
        cls = _filter_class()
    elif name == "TextFormatter":
        cls = _text_formatter_class()
    else:
        raise AttributeError(f"module 'koatty_lite.log' has no attribute {name!r}")
    globals()[name] = cls
    return cls


class Logger:
    """The "koatty" logger with keys, as ``app.logger`` and ``ctx.logger`` (Powertools-style).

    ``logger.info("paid", extra={"order": 7})`` or ``logger.info("paid", order=7)`` add keys to one
    line; ``append_keys(user="ann")`` adds them to every later line of this logger (``app.logger``:
    every line of the process; ``ctx.logger``: this request's lines); ``remove_keys("user")``.
    Text lines show the keys as ``key=value``; JSON lines as members of the object.
    """

    __slots__ = ("keys", "request_id")

    def __init__(self, keys: dict | None = None, request_id: Any = None):
        self.keys = keys  # None: process-wide keys (app.logger); a dict: this logger's own
        # ctx.logger: its request's id, so a line written from a thread the app started names it too
        # (the thread-local id is the serving thread's only).
        self.request_id = request_id

    def append_keys(self, **keys: Any) -> None:
        """Add keys to every later line written through this logger."""
        (_keys if self.keys is None else self.keys).update(keys)

    def remove_keys(self, *names: str) -> None:
        """Remove keys added by ``append_keys``."""
        target = _keys if self.keys is None else self.keys
        for name in names:
            target.pop(name, None)

    def _log(self, level: int, msg: Any, args: tuple, exc_info: Any, extra: dict | None, keys: dict,
             stacklevel: int = 3) -> None:
        logger = _logger or get_logger()
        if not logger.isEnabledFor(level):
            return
        merged = dict(self.keys) if self.keys else {}
        if extra:
            merged.update(extra)
        if keys:
            merged.update(keys)
        extra = {"koatty_keys": merged} if merged else None
        if self.request_id:
            extra = extra or {}
            extra["request_id"] = self.request_id
        logger.log(level, msg, *args, exc_info=exc_info, extra=extra, stacklevel=stacklevel)

    def debug(self, msg: Any, *args: Any, exc_info: Any = None, extra: dict | None = None, **keys: Any) -> None:
        """Write a DEBUG line."""
        self._log(10, msg, args, exc_info, extra, keys)

    def info(self, msg: Any, *args: Any, exc_info: Any = None, extra: dict | None = None, **keys: Any) -> None:
        """Write an INFO line."""
        self._log(20, msg, args, exc_info, extra, keys)

    def warning(self, msg: Any, *args: Any, exc_info: Any = None, extra: dict | None = None, **keys: Any) -> None:
        """Write a WARNING line."""
        self._log(30, msg, args, exc_info, extra, keys)

    def error(self, msg: Any, *args: Any, exc_info: Any = None, extra: dict | None = None, **keys: Any) -> None:
        """Write an ERROR line."""
        self._log(40, msg, args, exc_info, extra, keys)

    def exception(self, msg: Any, *args: Any, extra: dict | None = None, **keys: Any) -> None:
        """Write an ERROR line with the current exception's traceback."""
        self._log(40, msg, args, True, extra, keys)

    def critical(self, msg: Any, *args: Any, exc_info: Any = None, extra: dict | None = None, **keys: Any) -> None:
        """Write a CRITICAL line."""
        self._log(50, msg, args, exc_info, extra, keys)

    def is_enabled_for(self, level: int) -> bool:
        """True when a line of ``level`` would be written."""
        return (_logger or get_logger()).isEnabledFor(level)


app_logger = Logger()  # ``app.logger``: its keys are the process-wide ones


def printable(text: str) -> str:
    """``text`` made safe for one log line: every non-printable character (CR, LF, ESC, NUL, DEL, C1,
    U+2028, ...) written as its escape (``\\n``, ``\\x1b``), so a client cannot forge a line or drive
    a terminal through a path or header it sent."""
    text = str(text)
    if text.isprintable():  # PERF: one C scan for the usual text
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class AppLoggerAttribute:
    """``app.logger``: the ``Logger`` whose keys are on every line of the process.

    A non-data descriptor, so an app that sets its own ``self.logger`` (in ``init``) keeps it.
    """

    def __get__(self, obj: Any, cls: Any = None) -> Logger:
        return app_logger
