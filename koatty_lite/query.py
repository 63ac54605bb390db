"""A query string's pairs, as ``urllib.parse.parse_qsl`` gives them, without importing urllib.parse.

PERF: urllib.parse imports ipaddress and warnings: ~12M instructions (~1.6 ms) of the cold start of a GET
whose app reads its query (ctx.query, ctx.query_list, a query parameter marker): an FC API Gateway GET
reading ``ctx.query`` 95.17M -> 81.6M instructions (callgrind). context.py reads the query through
``parse_qsl`` here, and through urllib.parse's when a package left this module out (the feature ``query``
of cli/slim.py: shipped when the app's source reads a query); tests/test_query_encoding.py holds both to the
same output.
"""

_HEX = frozenset(b"0123456789ABCDEFabcdef")  # a %XX escape's digits, as bytes


def unquote_plus(text, errors="replace"):
    """``urllib.parse.unquote_plus(text, errors=errors)`` for text without a lone surrogate (a query
    ``context.py`` hands over is ASCII or decoded UTF-8): ``+`` a space, each ``%XX`` its byte, the bytes
    read as UTF-8; a ``%`` without two hex digits stays as it is."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text  # PERF: the usual name or value
    bits = text.encode().split(b"%")
    for i in range(1, len(bits)):  # why a loop over the split: linear in the text, as urllib's
        bit = bits[i]
        bits[i] = bytes((int(bit[:2], 16),)) + bit[2:] if _HEX.issuperset(bit[:2]) and len(bit) > 1 else b"%" + bit
    return b"".join(bits).decode("utf-8", errors)


def parse_qsl(qs, keep_blank_values=False, errors="replace"):
    """``urllib.parse.parse_qsl(qs, keep_blank_values, errors=errors)`` (separator ``&``, UTF-8) for text
    without a lone surrogate: the (name, value) pairs in order; an empty field skipped, a field without
    ``=`` a blank value."""
    pairs = []
    for field in qs.split("&"):
        if field:
            name, _, value = field.partition("=")
            if value or keep_blank_values:
                pairs.append((unquote_plus(name, errors), unquote_plus(value, errors)))
    return pairs
