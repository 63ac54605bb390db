"""Decoders for non-HTTP payloads the platforms compress: CloudWatch Logs and Tencent CLS.

Loaded only when an app calls one of them (``koatty_lite.serverless.decode_awslogs``).
"""
from __future__ import annotations

__all__ = ["MalformedEventError", "decode_awslogs", "decode_clslogs"]

# why: a subscription batch is at most 1 MB compressed (CloudWatch Logs' limit) but gzip can
# inflate ~1000x; decompress no further than this, so hostile data costs bounded memory.
MAX_DECODED = 64 * 1024 * 1024
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"


class MalformedEventError(ValueError):
    """A non-HTTP event of a known kind whose payload cannot be decoded (bad base64, gzip or JSON)."""


def _decode(event, key, what):
    if type(event) is not dict:
        raise MalformedEventError("%s event must be a JSON object, not %s" % (what, type(event).__name__))
    box = event.get(key)
    data = box.get("data") if type(box) is dict else None
    if type(data) is not str:
        raise MalformedEventError("%s event has no %s.data string" % (what, key))
    import binascii
    import json
    import zlib

    try:
        data = data.encode("ascii")
        if data.translate(None, _B64_ALPHABET):  # why: a2b_base64 skips foreign bytes (strict_mode is 3.11+)
            raise binascii.Error
        raw = binascii.a2b_base64(data)
    except (UnicodeEncodeError, binascii.Error):
        raise MalformedEventError("%s.data is not valid base64" % key) from None
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: gzip or zlib header, detected
    try:
        text = inflater.decompress(raw, MAX_DECODED)
    except zlib.error:
        raise MalformedEventError("%s.data is not gzip-compressed data" % key) from None
    if inflater.unconsumed_tail:
        raise MalformedEventError("%s.data inflates beyond %d bytes" % (key, MAX_DECODED))
    if not inflater.eof:
        raise MalformedEventError("%s.data is truncated gzip data" % key)
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise MalformedEventError("%s.data does not hold a JSON document" % key) from None
    if type(decoded) is not dict:
        raise MalformedEventError("%s.data does not hold a JSON object" % key)
    return decoded


def decode_awslogs(event) -> dict:
    """The CloudWatch Logs subscription payload of a ``logs`` event, decoded (base64, gzip, JSON).

    Returns e.g. ``{"messageType": "DATA_MESSAGE", "logGroup": ..., "logEvents": [...]}``;
    raises ``MalformedEventError`` (a ``ValueError``) when ``awslogs.data`` cannot be decoded.
    """
    return _decode(event, "awslogs", "CloudWatch Logs")


def decode_clslogs(event) -> dict:
    """The Tencent CLS payload of a ``cls`` event, decoded (base64, gzip, JSON).

    Returns ``{"topic_id": ..., "topic_name": ..., "records": [...]}``; raises
    ``MalformedEventError`` when ``clslogs.data`` cannot be decoded.
    """
    return _decode(event, "clslogs", "CLS")
