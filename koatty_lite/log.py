"""The "koatty" logger facade: ``logging`` is imported only when a logger is asked for.

Each line carries the current request id. The id lives in a thread-local set by the request
pipeline (one attribute store per request); under wsgiref's thread-per-request server every
thread has its own value, and outside a request it is ``-``.
"""
from __future__ import annotations

from _thread import _local

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

FORMAT = "[%(asctime)s] [%(levelname)s] [%(request_id)s] %(message)s"

_state = _local()
_logger = None


def current_request_id() -> str:
    """The request id of the request this thread is serving, or ``"-"``."""
    return getattr(_state, "request_id", None) or "-"


def get_logger() -> logging.Logger:
    """``logging.getLogger("koatty")`` with a request-id filter; a stderr handler only when root has none."""
    global _logger
    if _logger is not None:
        return _logger
    import logging

    logger = logging.getLogger("koatty")

    class RequestIdFilter(logging.Filter):
        """Adds ``record.request_id``."""

        def filter(self, record: logging.LogRecord) -> bool:
            if not hasattr(record, "request_id"):
                record.request_id = current_request_id()
            return True

    if not any(type(f).__name__ == "RequestIdFilter" for f in logger.filters):
        logger.addFilter(RequestIdFilter())
    # Why: the Lambda runtime installs a root handler; adding ours would print every line twice.
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    _logger = logger
    return logger
