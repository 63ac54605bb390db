"""Non-HTTP event detection: name the trigger kind of a platform event (pure, no state)."""
from __future__ import annotations

from .http import UnknownEventError  # why there: the entry point catches it without loading this module

__all__ = ["detect_event_source", "UnknownEventError"]

# Records[0].eventSource / EventSource value -> kind (SNS spells the key with a capital E).
_RECORD_SOURCES = {
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:s3": "s3",
    "aws:dynamodb": "dynamodb",
    "aws:kinesis": "kinesis",
}


def _is_http(event: dict) -> bool:
    # Lazy import: serverless/__init__ re-exports this module, so a top-level import would cycle.
    try:
        from koatty_lite.serverless import detect_http
    except ImportError:  # adapters not installed yet / partial tree
        return False
    try:
        return bool(detect_http(event))
    except Exception:  # a detector must never turn a non-HTTP event into a crash
        return False


def detect_event_source(event) -> str:
    """Return the event's kind: "http", "scheduled", "sqs", ..., or raise UnknownEventError."""
    if not isinstance(event, dict):
        raise UnknownEventError("event is not a JSON object (got %s)" % type(event).__name__)
    # Scheduled triggers first: they carry no HTTP fields and must never be routed as HTTP.
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return "scheduled"
    if "triggerTime" in event and "triggerName" in event:  # Alibaba FC timer (camelCase)
        return "scheduled"
    if event.get("Type") == "Timer":  # Tencent SCF timer
        return "scheduled"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        src = first.get("eventSource") or first.get("EventSource")
        if isinstance(src, str) and src in _RECORD_SOURCES:
            return _RECORD_SOURCES[src]
        if "cf" in first:  # Lambda@Edge: CloudFront request/response
            return "cloudfront"
        inner = first.get("event")
        if isinstance(inner, dict) and inner.get("eventSource") == "qcs::cos":
            return "cos"
        if "CMQ" in first:
            return "cmq"
    events = event.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        if events[0].get("eventSource") == "acs:oss":
            return "oss"
    if "methodArn" in event and event.get("type") in ("TOKEN", "REQUEST"):
        return "authorizer"  # an API Gateway Lambda authorizer's input (REST or WebSocket)
    rc = event.get("requestContext")
    if isinstance(rc, dict) and "connectionId" in rc and "eventType" in rc:
        return "websocket"  # API Gateway WebSocket $connect / MESSAGE / $disconnect
    if _is_http(event):
        return "http"
    if "detail-type" in event and "source" in event:
        return "eventbridge"
    trigger = event.get("triggerType")
    if isinstance(trigger, str) and trigger:
        return trigger
    keys = ", ".join(sorted(str(k) for k in event)[:20]) or "(none)"
    raise UnknownEventError("unknown event kind; top-level keys: " + keys)
