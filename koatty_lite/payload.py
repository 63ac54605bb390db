"""Request body reading and parsing (json, urlencoded, text, multipart) with a size limit."""
from __future__ import annotations

MAX_PARTS = 1000
_CHUNK = 65536


class PayloadError(ValueError):
    """A bad request body; `.status` is 400, 413 or 415."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class UploadedFile:
    """One uploaded file part of a multipart/form-data body, held in memory.

    ``filename`` is a safe base name (no directory, no control character; ``""`` when nothing safe
    is left); ``raw_filename`` is the client's text as sent (``filename*`` decoded), for display only.
    """

    __slots__ = ("name", "filename", "raw_filename", "content_type", "headers", "value", "_pos")

    def __init__(self, name, filename, content_type, headers, value, raw_filename=None):
        self.name = name
        self.raw_filename = filename if raw_filename is None else raw_filename
        self.filename = safe_filename(filename)
        self.content_type = content_type
        self.headers = headers
        self.value = value
        self._pos = 0

    @property
    def size(self):
        """Size of the content in bytes."""
        return len(self.value)

    def read(self, size=-1):
        """Read up to `size` bytes (all when negative) from the current position."""
        end = len(self.value) if size is None or size < 0 else min(len(self.value), self._pos + size)
        data = self.value[self._pos:end]
        self._pos = end
        return data

    def save(self, dest):
        """Write the content; returns where it went.

        ``dest`` a directory: the file is written there under ``filename`` and never outside it
        (no safe name, or a final path that resolves elsewhere, e.g. through a symlink: ValueError).
        ``dest`` a file path the app chose, or an open binary file: written there.
        """
        if hasattr(dest, "write"):
            dest.write(self.value)
            return dest
        import os

        dest = os.fspath(dest)
        if not os.path.isdir(dest):
            with open(dest, "wb") as f:
                f.write(self.value)
            return dest
        name = self.filename
        if not name:
            raise ValueError(f"no safe file name in {self.raw_filename!r}: pass a file path to save()")
        folder = os.path.realpath(dest)
        path = os.path.join(folder, name)
        if os.path.dirname(os.path.realpath(path)) != folder:
            raise ValueError(f"{self.raw_filename!r} would be written outside {dest!r}")
        # Why: O_NOFOLLOW: a symlink planted between the check and the open is not followed.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0), 0o666)
        with open(fd, "wb") as f:
            f.write(self.value)
        return path

    def __repr__(self):
        return f"<UploadedFile {self.name!r} filename={self.filename!r} size={self.size}>"


MAX_NAME_BYTES = 255  # a file name's limit on Linux, macOS and Windows file systems


def safe_filename(name):
    """The base name of a client's file name: text after the last ``/`` or ``\\``, control and other
    non-printable characters removed, at most 255 UTF-8 bytes (the extension kept); ``""`` for
    nothing, ``.`` or ``..`` (Django's rule)."""
    if name is None:
        return None
    name = name.rpartition("/")[2].rpartition("\\")[2]
    if not name.isprintable():
        name = "".join(c for c in name if c.isprintable())
    if len(name) > MAX_NAME_BYTES // 4 and len(name.encode("utf-8")) > MAX_NAME_BYTES:
        # why: a longer name makes save(folder) fail with ENAMETOOLONG: a 500 a client chose
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and stem and len(ext.encode("utf-8")) <= 16 else ""
        stem = name[:len(name) - len(ext)].encode("utf-8")[:MAX_NAME_BYTES - len(ext.encode("utf-8"))]
        name = stem.decode("utf-8", "ignore") + ext
    name = name.strip()
    return "" if name in (".", "..") else name


def read_body(environ, limit):
    """Read exactly CONTENT_LENGTH bytes from wsgi.input, enforcing `limit`."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return b""
    # int() would accept "+5", "5_0" or " 5"; only plain digits are a valid length.
    if not (raw.isascii() and raw.isdigit()):
        raise PayloadError(400, "Invalid Content-Length")
    length = int(raw)
    if length > limit:
        raise PayloadError(413, "Request body too large")
    if length == 0:
        return b""
    stream = environ.get("wsgi.input")
    if stream is None:
        raise PayloadError(400, "Incomplete request body")
    parts, got = [], 0
    # A single read() may return less than asked on sockets; loop until done or EOF.
    while got < length:
        chunk = stream.read(min(_CHUNK, length - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    if got < length:
        raise PayloadError(400, "Incomplete request body")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _params(header):
    """Split 'type; a=b; c="d"' into (lower-case type, {param: value})."""
    if ";" not in header:  # PERF: the common bare type needs no character-by-character parse
        return header.strip().lower(), {}
    value, params = _split_params(header)
    return value.strip().lower(), params


def _split_params(header):
    """Parse a header value with ;-separated params, honouring quoted strings."""
    items, cur, quoted, i, n = [], [], False, 0, len(header)
    while i < n:
        c = header[i]
        if quoted and c == "\\" and i + 1 < n:  # quoted-pair: keep the escaped char only
            cur.append(header[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
            cur.append(c)
        elif c == ";" and not quoted:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    items.append("".join(cur))
    params = {}
    for item in items[1:]:
        key, eq, val = item.partition("=")
        if not eq:
            continue
        key, val = key.strip().lower(), val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]  # escapes were already resolved by the scan above
        params[key] = val
    return items[0], params


# Text charsets a body may be decoded with (codecs.lookup names). Why an allow-list: Python's codec
# registry also holds transforms with super-linear decoders (punycode: 18 s for 200 KB) and binary
# codecs (base64, zlib); no request body should reach them. Anything else is a 415.
TEXT_CHARSETS = frozenset(
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
     "gbk", "gb2312", "gb18030", "big5", "big5hkscs", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949",
     "koi8-r", "koi8-u", "tis-620", "iso2022_jp"]
    + [f"iso8859-{n}" for n in range(1, 17) if n != 12] + [f"cp{n}" for n in range(1250, 1259)])
_charsets = {}  # charset parameter as sent -> codec name (None: refused); bounded below


def text_codec(charset):
    """The codec name for a ``charset`` parameter (utf-8 when empty), or None when it is not a text charset."""
    if not charset:
        return "utf-8"
    codec = _charsets.get(charset)
    if codec is None and charset not in _charsets:
        import codecs

        try:
            name = codecs.lookup(charset).name if len(charset) <= 40 and charset.isascii() else ""
        except LookupError:
            name = ""
        codec = name if name in TEXT_CHARSETS else None
        if len(_charsets) < 256 and len(charset) <= 40:  # why: bounded in size too: the client's text
            _charsets[charset] = codec
    return codec


def _inflate(body, encoding, limit):
    import zlib

    # gzip: wbits 31, every member (RFC 1952 §2.2: a gzip file is a series of members). deflate: zlib
    # (wbits 15), raw deflate (no header, -15) tried as a fallback.
    if encoding in ("gzip", "x-gzip"):
        try:
            return _inflate_with(zlib, body, 31, limit)
        except zlib.error:
            raise PayloadError(400, "Invalid compressed body") from None
    try:
        return _inflate_with(zlib, body, 15, limit)
    except zlib.error:
        try:
            return _inflate_with(zlib, body, -15, limit)
        except zlib.error:
            raise PayloadError(400, "Invalid compressed body") from None


def _inflate_with(zlib, body, wbits, limit):
    """Inflate every member of ``body`` (only gzip has several) within ``limit``; trailing bytes that
    start no member, or a truncated stream, raise ``zlib.error``."""
    view = memoryview(body)
    out, total, members, pos, n = [], 0, 1, 0, len(body)
    d = zlib.decompressobj(wbits)
    piece = b""
    while True:
        if not piece:
            if pos >= n:
                break
            # PERF: fed in 64 KiB slices: unused_data (a copy of the rest of the input at each member's
            # end) stays small, so many small members cost linear time, not quadratic.
            piece = view[pos:pos + _CHUNK]
            pos += len(piece)
        if d.eof:
            if wbits != 31:
                raise zlib.error("data after the end of the deflate stream")
            members += 1
            if members > MAX_PARTS:
                raise PayloadError(413, "Too many gzip members")
            d = zlib.decompressobj(wbits)  # garbage that is no gzip header fails in decompress()
        # Bounded max_length keeps a zip bomb from allocating more than limit+1 bytes.
        chunk = d.decompress(piece, limit - total + 1)
        total += len(chunk)
        if total > limit or d.unconsumed_tail:
            raise PayloadError(413, "Request body too large")
        out.append(chunk)
        piece = d.unused_data if d.eof else b""
    if not d.eof:
        raise zlib.error("truncated")
    return b"".join(out)


def _add(target, key, value):
    if key in target:
        old = target[key]
        if isinstance(old, list):
            old.append(value)
        else:
            target[key] = [old, value]
    else:
        target[key] = value


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text):
    value = float(text)
    if value - value:  # inf - inf is NaN, and NaN is not 0: the number overflowed
        raise ValueError(f"{text} is out of range")
    return value


def parse_body(body, content_type, content_encoding="", limit=6 * 1024 * 1024):
    """Parse `body` by content type; returns (data, files) or raises PayloadError."""
    if content_encoding:  # PERF: most bodies carry none: no call, no strip/lower
        body = _decoded(body, content_encoding, limit)
    ctype, params = _params(content_type or "")
    if ctype == "application/json" or ctype.endswith("+json"):
        return _json(body), {}
    if ctype == "application/x-www-form-urlencoded":
        return _form(body), {}
    if ctype.startswith("text/"):
        return _text(body, params.get("charset")), {}
    if ctype == "multipart/form-data":
        return _multipart(body, params.get("boundary", ""))
    return body, {}


def _decoded(body, content_encoding, limit):
    """The body with its Content-Encoding (gzip, deflate) undone, under ``limit``."""
    enc = (content_encoding or "").strip().lower()
    if enc in ("gzip", "x-gzip", "deflate"):
        if body:
            body = _inflate(body, enc, limit)
    elif enc not in ("", "identity"):
        raise PayloadError(415, "Unsupported Content-Encoding")
    return body


def _json(body):
    if not body.strip():
        return None
    import json

    try:
        # RFC 8259: NaN, Infinity and numbers out of the float range (1e400) are not JSON.
        return json.loads(body.decode("utf-8-sig"), parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise PayloadError(400, "Invalid JSON body") from None


def _form(body):
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          encoding="utf-8", errors="strict", max_num_fields=MAX_PARTS)
    except UnicodeDecodeError:
        raise PayloadError(400, "Invalid form body") from None
    except ValueError:
        raise PayloadError(413, "Too many form fields") from None
    data = {}
    for k, v in pairs:
        _add(data, k, v)
    return data


def _text(body, charset):
    codec = text_codec(charset)
    if codec is None:
        raise PayloadError(415, "Unsupported charset")
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        raise PayloadError(400, "Invalid text body") from None


def _multipart(body, boundary):
    if not boundary or len(boundary) > 200:
        raise PayloadError(400, "Invalid multipart boundary")
    try:
        delim = b"--" + boundary.encode("latin-1")
    except UnicodeEncodeError:
        raise PayloadError(400, "Invalid multipart boundary") from None
    bad = PayloadError(400, "Malformed multipart body")
    pos = _after_first_delimiter(body, delim, bad)
    sep = b"\r\n" + delim
    data, files, count = {}, {}, 0
    while True:
        if body.startswith(b"--", pos):
            return data, files  # closing delimiter; epilogue ignored
        # PERF: bytes.find keeps the scan linear; transport padding after the delimiter is skipped.
        eol = body.find(b"\r\n", pos)
        if eol < 0 or body[pos:eol].strip(b" \t"):
            raise bad
        hend = body.find(b"\r\n\r\n", eol)
        if hend == eol:  # no headers at all
            raise bad
        end = body.find(sep, eol if hend < 0 else hend + 4)
        if hend < 0 or end < 0:
            raise bad
        count += 1
        if count > MAX_PARTS:
            raise PayloadError(413, "Too many multipart parts")
        headers = _part_headers(body[eol + 2:hend], bad)
        disp, dparams = _params(headers.get("content-disposition", ""))
        name = dparams.get("name")
        if disp != "form-data" or not name:
            raise bad
        value = body[hend + 4:end]
        _add_part(data, files, name, dparams, headers, value, bad)
        pos = end + len(sep)


def _after_first_delimiter(body, delim, bad):
    """Where the first part starts: a preamble may precede the first delimiter, which must start a line."""
    if body.startswith(delim):
        return len(delim)
    i = body.find(b"\r\n" + delim)
    if i < 0:
        raise bad
    return i + 2 + len(delim)


def _part_headers(block, bad):
    """A part's header lines as {lower-case name: value}."""
    headers = {}
    for line in block.split(b"\r\n"):
        k, colon, v = line.partition(b":")
        if not colon:
            raise bad
        headers[k.strip().decode("latin-1").lower()] = v.strip().decode("utf-8", "replace")
    return headers


def _add_part(data, files, name, dparams, headers, value, bad):
    """A part as an UploadedFile (it has a file name) or a field's text."""
    fname, raw = _part_filename(dparams)
    if fname is not None:
        ctype = headers.get("content-type", "application/octet-stream")
        _add(files, name, UploadedFile(name, fname, ctype, headers, value, raw))
    else:
        _add(data, name, _field_text(value, headers.get("content-type"), bad))


def _part_filename(dparams):
    """``(filename or None, raw filename* or None)`` of a part's Content-Disposition parameters."""
    fname = dparams.get("filename")
    star = dparams.get("filename*")
    raw = None
    if star:
        decoded = _ext_value(star, None)
        if decoded is not None:
            fname = decoded
        elif fname is None:  # why: still a file part; its name is in a charset we do not read
            fname, raw = "", star
    return fname, raw


def _field_text(value, ctype, bad):
    """A multipart field's text: UTF-8, or the part's own ``charset`` when it names an allowed text
    charset (``text_codec``); any other charset is a 415, as for a text body."""
    codec = "utf-8"
    if ctype and "charset" in ctype.lower():
        codec = text_codec(_params(ctype)[1].get("charset"))
        if codec is None:
            raise PayloadError(415, "Unsupported charset")
    try:
        return value.decode(codec)
    except UnicodeDecodeError:
        raise bad from None


def _ext_value(value, fallback):
    """An RFC 5987 ext-value (``charset'lang'pct-encoded``, charset UTF-8 or ISO-8859-1) decoded;
    ``fallback`` for any other charset or shape."""
    charset, q1, rest = value.partition("'")
    _, q2, encoded = rest.partition("'")
    charset = charset.strip().lower()
    if not (q1 and q2) or charset not in ("utf-8", "iso-8859-1"):
        return fallback
    from urllib.parse import unquote

    return unquote(encoded, "utf-8" if charset == "utf-8" else "latin-1", "replace")
