"""CBOR (RFC 8949) decoding, for the one trigger that sends it: Alibaba Tablestore.

A Tablestore trigger hands the function its rows CBOR-encoded (FC docs, "Tablestore触发器"), not as
JSON. Loaded only when an event's bytes are not JSON and start like a CBOR map.
"""
from __future__ import annotations

__all__ = ["loads", "looks_like_map"]

MAX_DEPTH = 64  # why: Tablestore rows nest 4 deep; a hostile payload must not exhaust the stack
_SIMPLE = {20: False, 21: True, 22: None, 23: None}  # false, true, null, undefined (as None)
_BREAK = object()


def looks_like_map(data) -> bool:
    """True when bytes start with a CBOR map header (major type 5), as a Tablestore event does."""
    return isinstance(data, (bytes, bytearray)) and len(data) > 0 and 0xA0 <= data[0] <= 0xBF


def loads(data):
    """Decode one CBOR item filling all of ``data``; ValueError on anything malformed.

    Integers, floats (half, single, double), byte and text strings (definite or chunked), arrays,
    maps, tags (the tagged value is returned) and simple values. Work is linear in the input: every
    item consumes at least one byte and declared lengths are checked against what is left.
    """
    import struct

    data = bytes(data)
    end = len(data)
    pos = 0

    def argument(info):
        nonlocal pos
        if info < 24:
            return info
        size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
        if size is None:
            raise ValueError("CBOR: reserved additional information %d" % info)
        if pos + size > end:
            raise ValueError("CBOR: truncated")
        value = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        return value

    def take(length):
        nonlocal pos
        if length > end - pos:
            raise ValueError("CBOR: a length runs past the end")
        chunk = data[pos:pos + length]
        pos += length
        return chunk

    def simple(info):
        """Major type 7: a simple value, a float, or the break code."""
        if info == 31:
            return _BREAK
        if info in _SIMPLE:
            return _SIMPLE[info]
        if info in (25, 26, 27):
            size = {25: 2, 26: 4, 27: 8}[info]
            return struct.unpack({2: ">e", 4: ">f", 8: ">d"}[size], take(size))[0]
        if info < 24:
            return info  # an unassigned simple value: its number
        if info == 24:
            return take(1)[0]
        raise ValueError("CBOR: reserved simple value")

    def indefinite(major, depth):
        """An indefinite-length string, array or map: items up to the break code."""
        if major in (2, 3):
            parts = []
            while True:
                part = item(depth + 1)
                if part is _BREAK:
                    break
                if type(part) is not (bytes if major == 2 else str):
                    raise ValueError("CBOR: a chunk of another type inside a string")
                parts.append(part)
            return (b"" if major == 2 else "").join(parts)
        if major == 4:
            out = []
            while True:
                value = item(depth + 1)
                if value is _BREAK:
                    return out
                out.append(value)
        if major == 5:
            out = {}
            while True:
                key = item(depth + 1)
                if key is _BREAK:
                    return out
                out[_key(key)] = _value(item(depth + 1))
        raise ValueError("CBOR: indefinite length on major type %d" % major)

    def mapping(count, depth):
        """A definite-length map of ``count`` pairs."""
        if count > (end - pos) // 2:
            raise ValueError("CBOR: a map longer than the data")
        out = {}
        for _ in range(count):
            key = _key(item(depth + 1))
            out[key] = _value(item(depth + 1))
        return out

    def item(depth):
        nonlocal pos
        if depth > MAX_DEPTH:
            raise ValueError("CBOR: nested too deeply")
        if pos >= end:
            raise ValueError("CBOR: truncated")
        initial = data[pos]
        pos += 1
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return simple(info)
        if info == 31:  # indefinite length
            return indefinite(major, depth)
        arg = argument(info)
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2:
            return take(arg)
        if major == 3:
            try:
                return take(arg).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("CBOR: a text string that is not UTF-8") from None
        if major == 4:
            if arg > end - pos:
                raise ValueError("CBOR: an array longer than the data")
            return [_value(item(depth + 1)) for _ in range(arg)]
        if major == 5:
            return mapping(arg, depth)
        return _value(item(depth + 1))  # major 6: a tag; the tagged value stands for itself

    value = _value(item(0))
    if pos != end:
        raise ValueError("CBOR: trailing bytes after the first item")
    return value


def _value(value):
    if value is _BREAK:
        raise ValueError("CBOR: a break outside an indefinite-length item")
    return value


def _key(key):
    key = _value(key)
    if isinstance(key, (list, dict)):
        raise ValueError("CBOR: a map key that is an array or a map")
    return key
