"""The "koatty" logger's setup and ``Logger``: loaded with the first line logged (koatty_lite.log
holds the per-invocation state every request touches and loads this module on demand).

``configure`` installs the request-id filter, the level and the text or JSON handler, once under
the lock of koatty_lite.log; ``Logger`` is ``app.logger`` / ``ctx.logger``. See docs/observability.md.
"""
from __future__ import annotations

import os

from . import log as _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any


def configure(fmt: str | None = None, level: Any = None) -> logging.Logger:
    """(Re)configure the "koatty" logger: ``fmt`` "text" or "json", ``level`` a name or number.

    The environment wins over both arguments (``AWS_LAMBDA_LOG_FORMAT``/``KOATTY_LOG_FORMAT`` for
    JSON, ``AWS_LAMBDA_LOG_LEVEL``/``LOG_LEVEL`` for the level); idempotent and thread-safe.
    """
    with _log._lock:
        import logging

        logger = logging.getLogger("koatty")
        if not any(type(f).__name__ == "RequestIdFilter" for f in logger.filters):
            logger.addFilter(__getattr__("RequestIdFilter")())
        want_json = _log.json_from_env() or (fmt or _log._format[0]).lower() == "json"
        _set_level(logger, level)
        own = [h for h in logger.handlers if getattr(h, "koatty_own", False)]
        if want_json:
            _use_json(logger, own)
        else:
            _use_text(logger, own)
        _log._logger = logger
        return logger


def _set_level(logger: logging.Logger, level: Any) -> None:
    """The environment's level, else ``level`` (a name or number), else INFO when unset."""
    env_level = level_from_env()
    if env_level is not None:
        logger.setLevel(env_level)
    elif level is not None:
        if not isinstance(level, int) or isinstance(level, bool):
            name = str(level).strip().upper()
            if name not in _log.LEVELS:
                raise ValueError(f"log level must be one of {', '.join(_log.LEVELS)}, not {level!r}")
            level = _log.LEVELS[name]
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
    _log._format[0] = "json"


def _use_text(logger: logging.Logger, own: list) -> None:
    """Text lines: a stderr handler only when neither root nor the logger has one."""
    import logging

    for h in own:
        if getattr(h, "koatty_json", False):
            logger.removeHandler(h)
            logger.propagate = True
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.koatty_own = True
        handler.setFormatter(__getattr__("TextFormatter")(_log.FORMAT))
        logger.addHandler(handler)
    _log._format[0] = "text"


def __getattr__(name: str) -> Any:
    """``RequestIdFilter`` and ``TextFormatter`` subclass logging's classes: built on first use (both at once)."""
    if name not in ("RequestIdFilter", "TextFormatter"):
        raise AttributeError(f"module 'koatty_lite.logsetup' has no attribute {name!r}")
    import logging

    class RequestIdFilter(logging.Filter):
        """Adds ``record.request_id``."""

        def filter(self, record: logging.LogRecord) -> bool:
            if not hasattr(record, "request_id"):
                record.request_id = current_request_id()
            return True

    class TextFormatter(logging.Formatter):
        """The text line, plus `` key=value`` for the keys an app added (``append_keys``, ``extra``)."""

        def format(self, record: logging.LogRecord) -> str:
            line = super().format(record)
            keys = getattr(record, "koatty_keys", None)
            if _log._keys or keys:
                merged = {**_log._keys, **(keys or {})}
                extra = " ".join(f"{k}={v}" for k, v in merged.items())
                head, sep, tail = line.partition("\n")  # why: keys on the message line, above a traceback
                line = f"{head} {extra}{sep}{tail}"
            return line

    g = globals()
    g.setdefault("RequestIdFilter", RequestIdFilter)  # why setdefault: a class made first stays the one
    g.setdefault("TextFormatter", TextFormatter)
    return g[name]


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
        (_log._keys if self.keys is None else self.keys).update(keys)

    def remove_keys(self, *names: str) -> None:
        """Remove keys added by ``append_keys``."""
        target = _log._keys if self.keys is None else self.keys
        for name in names:
            target.pop(name, None)

    def _log(self, level: int, msg: Any, args: tuple, exc_info: Any, extra: dict | None, keys: dict,
             stacklevel: int = 3) -> None:
        logger = _log._logger or configure()
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
        return (_log._logger or configure()).isEnabledFor(level)


app_logger = Logger()  # ``app.logger``: its keys are the process-wide ones


# --- koatty_lite.log's functions no cold GET calls (log.__getattr__ serves them from here) ---------------


def current_request_id() -> str:
    """The request id of the request this thread is serving, or ``"-"``."""
    return getattr(_log._state, "request_id", None) or "-"


def next_invocation() -> int:
    """Count one invocation; its number in this process (1: the cold start)."""
    n = _log._invocations[0] = next(_log._counter)
    return n


def level_from_env(environ: Any = None) -> int | None:
    """The level named by ``AWS_LAMBDA_LOG_LEVEL``, else ``LOG_LEVEL`` (an unknown name is ignored)."""
    environ = os.environ if environ is None else environ
    for key in ("AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"):
        name = environ.get(key)
        if name:
            level = _log.LEVELS.get(name.strip().upper())
            if level is not None:
                return level
    return None


def is_json() -> bool:
    """True when the "koatty" logger writes JSON lines."""
    return _log._format[0] == "json"


def printable(text: str) -> str:
    """``text`` made safe for one log line: every non-printable character (CR, LF, ESC, NUL, DEL, C1,
    U+2028, ...) written as its escape (``\\n``, ``\\x1b``), so a client cannot forge a line or drive
    a terminal through a path or header it sent."""
    text = str(text)
    if text.isprintable():  # PERF: one C scan for the usual text
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
