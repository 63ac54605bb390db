"""Trace context: the X-Ray header and W3C ``traceparent`` parsed and passed on; OpenTelemetry spans.

Loaded on first use of ``ctx.trace`` or when the app turns ``trace.spans`` on. The parsers are pure
functions over strings: a malformed header is ignored (never an error for the client), and each
one is read in linear time with a length cap. ``Spans`` uses the ``opentelemetry`` API only, and
only when the user installed it. See docs/observability.md.
"""
from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HEX = frozenset("0123456789abcdef")
MAX_HEADER = 2048  # a longer trace header is ignored (X-Ray's own limit is far below)
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and _HEX.issuperset(text)


def parse_traceparent(value: Any) -> tuple | None:
    """``(trace_id, parent_id, flags)`` of a W3C ``traceparent`` (lower-case hex, int), or None when invalid."""
    if not isinstance(value, str) or len(value) > 512:
        return None
    parts = value.strip().split("-")
    if len(parts) < 4:
        return None
    version, trace_id, parent_id, flags = parts[:4]
    if (not _is_hex(version, 2) or version == "ff" or (version == "00" and len(parts) != 4) or not _is_hex(flags, 2)
            or not _is_hex(trace_id, 32) or trace_id == _ZERO_TRACE or not _is_hex(parent_id, 16)
            or parent_id == _ZERO_SPAN):
        return None
    return trace_id, parent_id, int(flags, 16)


def parse_xray(value: Any) -> dict | None:
    """``{"root", "parent", "sampled"}`` of an ``X-Amzn-Trace-Id`` value, or None without a valid Root.

    ``root`` is ``1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy``; ``parent`` 16 hex digits or None; ``sampled``
    ``"1"``, ``"0"``, ``"?"`` or None. Other fields (``Self``, ``Lineage``) are ignored.
    """
    if not isinstance(value, str) or len(value) > MAX_HEADER:
        return None
    root = parent = sampled = None
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if not sep:
            continue
        key = key.strip().lower()
        val = val.strip().lower()
        if key == "root":
            if _is_xray_root(val):
                root = val
        elif key == "parent":
            if _is_hex(val, 16):
                parent = val
        elif key == "sampled" and val in ("0", "1", "?"):
            sampled = val
    if root is None:
        return None
    return {"root": root, "parent": parent, "sampled": sampled}


def _is_xray_root(val: str) -> bool:
    """``1-`` 8 hex digits ``-`` 24 hex digits (an X-Ray trace id)."""
    return len(val) == 35 and val[:2] == "1-" and val[10:11] == "-" and _is_hex(val[2:10], 8) \
        and _is_hex(val[11:], 24)


def xray_to_w3c(root: str) -> str:
    """``1-5759e988-bd862e3fe1be46a994272793`` → ``5759e988bd862e3fe1be46a994272793``."""
    return root[2:10] + root[11:]


def w3c_to_xray(trace_id: str) -> str:
    """``5759e988bd862e3fe1be46a994272793`` → ``1-5759e988-bd862e3fe1be46a994272793``."""
    return "1-" + trace_id[:8] + "-" + trace_id[8:]


def new_trace_id() -> str:
    """A new 32-hex trace id whose first 8 digits are the epoch seconds, so X-Ray accepts it too."""
    return "%08x" % (int(time.time()) & 0xFFFFFFFF) + os.urandom(12).hex()


def new_span_id() -> str:
    """A new non-zero 16-hex span id."""
    span = os.urandom(8).hex()
    return span if span != _ZERO_SPAN else "0000000000000001"


class TraceContext:
    """The trace an invocation belongs to, and the headers that pass it on (``ctx.trace``).

    ``trace_id`` (32 hex, W3C form), ``xray_root`` (the same id in X-Ray form), ``parent_id`` (the
    caller's span, or None), ``sampled`` (True, False or None when the caller did not say),
    ``source`` (``"traceparent"``, ``"xray"`` or ``"new"``), ``span_id`` (this service's span: the
    current OpenTelemetry span when spans are on, else the caller's parent, passed on unchanged).
    """

    __slots__ = ("trace_id", "parent_id", "sampled", "source", "span_id")

    def __init__(self, trace_id: str, parent_id: str | None = None, sampled: bool | None = None,
                 source: str = "new"):
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.sampled = sampled
        self.source = source
        self.span_id = None

    @property
    def xray_root(self) -> str:
        """The trace id in X-Ray form, ``1-xxxxxxxx-yyyy…``."""
        return w3c_to_xray(self.trace_id)

    def _outgoing_parent(self) -> str:
        span = self.span_id or self.parent_id
        if span is None:
            span = self.span_id = new_span_id()
        return span

    def xray_header(self) -> str:
        """The ``X-Amzn-Trace-Id`` value to send downstream."""
        sampled = "" if self.sampled is None else ";Sampled=" + ("1" if self.sampled else "0")
        return f"Root={self.xray_root};Parent={self._outgoing_parent()}{sampled}"

    def traceparent(self) -> str:
        """The W3C ``traceparent`` value to send downstream."""
        return f"00-{self.trace_id}-{self._outgoing_parent()}-{'00' if self.sampled is False else '01'}"

    def headers(self) -> dict:
        """``{"traceparent": ..., "X-Amzn-Trace-Id": ...}`` for an outgoing HTTP request."""
        return {"traceparent": self.traceparent(), "X-Amzn-Trace-Id": self.xray_header()}

    def __repr__(self) -> str:
        return f"<TraceContext {self.trace_id} parent={self.parent_id} source={self.source}>"


def from_environ(environ: dict, process_env: Any = None) -> TraceContext:
    """The trace of a request: a valid ``traceparent`` header wins, then the X-Ray id (the
    adapter's ``koatty.trace_id`` / ``X-Amzn-Trace-Id`` header, then Lambda's ``_X_AMZN_TRACE_ID``);
    without either, a new trace."""
    parsed = parse_traceparent(environ.get("HTTP_TRACEPARENT"))
    if parsed is not None:
        trace_id, parent_id, flags = parsed
        return TraceContext(trace_id, parent_id, bool(flags & 1), "traceparent")
    process_env = os.environ if process_env is None else process_env
    for value in (environ.get("koatty.trace_id"), environ.get("HTTP_X_AMZN_TRACE_ID"),
                  process_env.get("_X_AMZN_TRACE_ID")):
        xray = parse_xray(value)
        if xray is not None:
            sampled = {"1": True, "0": False}.get(xray["sampled"])
            return TraceContext(xray_to_w3c(xray["root"]), xray["parent"], sampled, "xray")
    return TraceContext(new_trace_id(), None, None, "new")


# --- OpenTelemetry spans (the API package, installed by the user) ---------------------------------

# OpenTelemetry's faas.trigger of each non-HTTP kind ("other" for the rest).
TRIGGERS = {"scheduled": "timer", **dict.fromkeys(
    ("sqs", "sns", "eventbridge", "kafka", "mq", "mns", "cmq", "ckafka", "cloudevents"), "pubsub"), **dict.fromkeys(
    ("s3", "dynamodb", "kinesis", "oss", "cos", "tablestore", "logs", "cls", "sls", "firehose"), "datasource")}


class Spans:
    """Spans through the ``opentelemetry`` API: one per invocation, children for middleware and controller.

    Raises ImportError when the package is not installed (the caller then runs without spans).
    """

    def __init__(self, version: str = "0.1.0"):
        from opentelemetry import trace  # noqa: the user's package; ImportError tells the caller it is absent

        self.api = trace
        self.tracer = trace.get_tracer("koatty_lite", version)
        self.server = trace.SpanKind.SERVER
        self.internal = trace.SpanKind.INTERNAL

    def parent_context(self, tc: TraceContext) -> Any:
        """The context to start the invocation span in: the span already current (an instrumented
        handler), else the caller's trace from the headers, else None (a new root)."""
        api = self.api
        current = api.get_current_span().get_span_context()
        if getattr(current, "is_valid", False):
            return None
        if tc.parent_id is None:
            return None
        remote = api.SpanContext(trace_id=int(tc.trace_id, 16), span_id=int(tc.parent_id, 16), is_remote=True,
                                 trace_flags=api.TraceFlags(0 if tc.sampled is False else 1))
        return api.set_span_in_context(api.NonRecordingSpan(remote))

    def invocation(self, name: str, tc: TraceContext | None, attributes: dict) -> Any:
        """A context manager: the SERVER span of one invocation (made current)."""
        context = self.parent_context(tc) if tc is not None else None
        return self.tracer.start_as_current_span(name, context=context, kind=self.server, attributes=attributes)

    def event(self, kind: str, request_id: str | None, cold: bool) -> Any:
        """A context manager: the SERVER span of a non-HTTP invocation (named by its kind), under
        Lambda's X-Ray trace when the runtime gave one."""
        attributes = {"faas.trigger": TRIGGERS.get(kind, "other"), "faas.coldstart": cold, "koatty.event_kind": kind}
        if request_id:
            attributes["faas.invocation_id"] = request_id
        # why from_environ: Lambda's _X_AMZN_TRACE_ID, else a new trace, whose parent is none (a new root)
        return self.invocation(kind, from_environ({}), attributes)

    def child(self, name: str, attributes: dict | None = None) -> Any:
        """A context manager: an INTERNAL child span of the current one."""
        return self.tracer.start_as_current_span(name, kind=self.internal, attributes=attributes)

    def span_id(self, span: Any) -> str | None:
        """The 16-hex id of ``span``, or None when it has no valid context."""
        sc = span.get_span_context()
        return "%016x" % sc.span_id if getattr(sc, "is_valid", False) else None

    def trace_id(self, span: Any) -> str | None:
        """The 32-hex trace id of ``span``, or None when it has no valid context."""
        sc = span.get_span_context()
        return "%032x" % sc.trace_id if getattr(sc, "is_valid", False) else None

    def set_error(self, span: Any, description: str) -> None:
        """Mark ``span`` as failed."""
        api = self.api
        span.set_status(api.Status(api.StatusCode.ERROR, description))
