"""JSON log lines: one object per line on stdout (loaded only when JSON logs are asked for).

Members: ``time`` (ISO 8601 UTC, ms), ``level``, ``message``, ``logger``, ``requestId``, ``traceId``,
``functionName``, ``functionVersion``, ``cold_start``, ``route`` (when known), the keys the app
added (``append_keys``, ``extra=``, keywords), and for an exception ``exception`` (the whole
traceback, one string) and ``exceptionType``. Members that would be null are left out.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time

from . import log as _log

# Attributes every LogRecord has: whatever else a record carries came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "request_id", "koatty_keys", "taskName"}
_BASE = ("time", "level", "message", "logger", "requestId", "traceId", "functionName", "functionVersion",
         "cold_start", "route")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

# Function identity from the platform's environment (AWS Lambda, Alibaba FC, Tencent SCF).
_FUNCTION = [None]


def function_identity() -> dict:
    """``{"functionName", "functionVersion"}`` from the environment, read once."""
    ident = _FUNCTION[0]
    if ident is None:
        env = os.environ
        name = env.get("AWS_LAMBDA_FUNCTION_NAME") or env.get("FC_FUNCTION_NAME") or env.get("SCF_FUNCTIONNAME")
        version = (env.get("AWS_LAMBDA_FUNCTION_VERSION") or env.get("FC_FUNCTION_VERSION")
                   or env.get("FC_QUALIFIER") or env.get("SCF_FUNCTIONVERSION"))
        ident = _FUNCTION[0] = {k: v for k, v in (("functionName", name), ("functionVersion", version)) if v}
    return ident


def set_function_identity(name: str | None, version: str | None) -> None:
    """Fill the function identity from the platform context when the environment had none."""
    ident = function_identity()
    if name and "functionName" not in ident:
        ident["functionName"] = str(name)
    if version and "functionVersion" not in ident:
        ident["functionVersion"] = str(version)


def _iso(created: float) -> str:
    seconds = int(created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%03dZ" % int((created - seconds) * 1000)


def to_dict(record: logging.LogRecord) -> dict:
    """The JSON object for one record."""
    state = _log._state
    out = {"time": _iso(record.created), "level": record.levelname, "message": record.getMessage(),
           "logger": record.name}
    rid = getattr(record, "request_id", None) or getattr(state, "request_id", None)
    if rid and rid != "-":
        out["requestId"] = rid
    fields = getattr(state, "fields", None)
    if fields:
        for key, value in fields.items():
            if value is not None:
                out[key] = value
    else:
        out["cold_start"] = _log._invocations[0] == 0  # boot lines belong to the cold start
    out.update(function_identity())
    for key, value in _app_keys(record).items():
        if key not in _BASE:  # why: an app key must not forge the request id or the level
            out[key] = value
    if record.exc_info and record.exc_info[0] is not None:
        out["exceptionType"] = record.exc_info[0].__name__
        out["exception"] = logging.Formatter().formatException(record.exc_info)
    elif record.exc_text:
        out["exception"] = record.exc_text
    if record.stack_info:
        out["stack"] = record.stack_info
    return out


def _app_keys(record: logging.LogRecord) -> dict:
    """The keys an app added: ``append_keys``, then ``extra=`` (record attributes), then ``koatty_keys``."""
    extra = dict(_log._keys) if _log._keys else {}
    for key, value in record.__dict__.items():
        if key not in _STANDARD:
            extra[key] = value
    keys = getattr(record, "koatty_keys", None)
    if keys:
        extra.update(keys)
    return extra


def dumps(obj: dict) -> str:
    """One compact JSON line (values that JSON cannot hold become their ``str``)."""
    try:
        return _encode(obj)
    except Exception:
        # A circular or too deep value, a dict keyed by tuples, a __str__ that raises: keep the line,
        # write each such member as its repr (or its type's name when even that fails).
        return _encode({str(k): v if isinstance(v, (str, int, float, bool)) or v is None else _safe_repr(v)
                        for k, v in obj.items()})


def _safe_repr(value: object) -> str:
    try:
        return repr(value)[:1000]
    except Exception:
        return "<unprintable %s>" % type(value).__name__


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object (see the module docstring for its members)."""

    def format(self, record: logging.LogRecord) -> str:
        return dumps(to_dict(record))


class JsonHandler(logging.Handler):
    """Writes each record as one line to the current ``sys.stdout`` (as Powertools' Logger does).

    Why the current one: the Lambda runtime client replaces ``sys.stdout`` after import, and so do
    test runners; a stream captured at set-up would write to a stale object.
    """

    koatty_own = True
    koatty_json = True

    def __init__(self, level: int = logging.NOTSET):
        super().__init__(level)
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stdout
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # a broken stdout must not break the request
            self.handleError(record)
