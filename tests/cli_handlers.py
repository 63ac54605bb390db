"""Tiny handlers the CLI tests load by `module:attr` (they echo what they received)."""
from __future__ import annotations

import json


def echo(event, context):
    """Answer with the received event in the response shape of the platform that sent it."""
    raw = event
    if isinstance(event, (bytes, bytearray)):  # FC 3.0 hands the event over as bytes
        event = json.loads(event)
    body = json.dumps({
        "event": event,
        "event_was_bytes": isinstance(raw, (bytes, bytearray)),
        "request_id": getattr(context, "aws_request_id", None) or getattr(context, "request_id", None),
        "remaining_ms": context.get_remaining_time_in_millis(),
    })
    resp = {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Echo": "1"},
            "body": body, "isBase64Encoded": False}
    if event.get("version") == "2.0" and "rawPath" in event:  # HTTP API v2 / Function URL
        resp["cookies"] = ["a=1; Path=/", "b=2; Path=/"]
    elif "queryString" in event or "queryParameters" in event or "rawPath" in event:  # SCF / FC
        resp["headers"]["Set-Cookie"] = ["a=1; Path=/", "b=2; Path=/"]
    else:  # REST v1, ALB multi-value, Lattice
        resp["multiValueHeaders"] = {"Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]}
    return resp


def binary(event, context):
    """Return a base64-encoded binary body."""
    import base64

    return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\x01\xff").decode(), "isBase64Encoded": True}


def plain(event, context):
    """Return a bare dict without statusCode (HTTP API infers 200 JSON)."""
    return {"hello": "world"}


def boom(event, context):
    """Raise like a buggy handler."""
    raise ValueError("bad things\nsecond line")


NOT_CALLABLE = 42
