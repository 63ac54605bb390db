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
    """One uploaded file part of a multipart/form-data body, held in memory."""

    __slots__ = ("name", "filename", "content_type", "headers", "value", "_pos")

    def __init__(self, name, filename, content_type, headers, value):
        self.name = name
        self.filename = filename
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

    def save(self, path):
        """Write the content to `path`."""
        with open(path, "wb") as f:
            f.write(self.value)

    def __repr__(self):
        return f"<UploadedFile {self.name!r} filename={self.filename!r} size={self.size}>"


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


def _inflate(body, encoding, limit):
    import zlib

    # wbits 47 auto-detects gzip or zlib headers; raw deflate (no header) is tried as a fallback.
    wbits = [31] if encoding in ("gzip", "x-gzip") else [15, -15]
    for i, wb in enumerate(wbits):
        d = zlib.decompressobj(wb)
        try:
            # Bounded max_length keeps a zip bomb from allocating more than limit+1 bytes.
            out = d.decompress(body, limit + 1)
            if len(out) > limit or d.unconsumed_tail:
                raise PayloadError(413, "Request body too large")
            out += d.flush()
            if len(out) > limit:
                raise PayloadError(413, "Request body too large")
            if not d.eof:
                raise zlib.error("truncated")
            return out
        except zlib.error:
            if i == len(wbits) - 1:
                raise PayloadError(400, "Invalid compressed body") from None
    raise AssertionError("unreachable")


def _add(target, key, value):
    if key in target:
        old = target[key]
        if isinstance(old, list):
            old.append(value)
        else:
            target[key] = [old, value]
    else:
        target[key] = value


def parse_body(body, content_type, content_encoding="", limit=6 * 1024 * 1024):
    """Parse `body` by content type; returns (data, files) or raises PayloadError."""
    enc = (content_encoding or "").strip().lower()
    if enc in ("gzip", "x-gzip", "deflate"):
        if body:
            body = _inflate(body, enc, limit)
    elif enc not in ("", "identity"):
        raise PayloadError(415, "Unsupported Content-Encoding")
    ctype, params = _params(content_type or "")
    if ctype == "application/json" or ctype.endswith("+json"):
        if not body.strip():
            return None, {}
        import json

        try:
            return json.loads(body.decode("utf-8-sig")), {}
        except (ValueError, RecursionError):
            raise PayloadError(400, "Invalid JSON body") from None
    if ctype == "application/x-www-form-urlencoded":
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
        return data, {}
    if ctype.startswith("text/"):
        try:
            return body.decode(params.get("charset") or "utf-8"), {}
        except (LookupError, UnicodeDecodeError):
            raise PayloadError(400, "Invalid text body") from None
    if ctype == "multipart/form-data":
        return _multipart(body, params.get("boundary", ""))
    return body, {}


def _multipart(body, boundary):
    if not boundary or len(boundary) > 200:
        raise PayloadError(400, "Invalid multipart boundary")
    try:
        delim = b"--" + boundary.encode("latin-1")
    except UnicodeEncodeError:
        raise PayloadError(400, "Invalid multipart boundary") from None
    bad = PayloadError(400, "Malformed multipart body")
    # Preamble may precede the first delimiter; it must start a line.
    if body.startswith(delim):
        pos = len(delim)
    else:
        i = body.find(b"\r\n" + delim)
        if i < 0:
            raise bad
        pos = i + 2 + len(delim)
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
        headers = {}
        for line in body[eol + 2:hend].split(b"\r\n"):
            k, colon, v = line.partition(b":")
            if not colon:
                raise bad
            headers[k.strip().decode("latin-1").lower()] = v.strip().decode("utf-8", "replace")
        disp, dparams = _params(headers.get("content-disposition", ""))
        name = dparams.get("name")
        if disp != "form-data" or not name:
            raise bad
        value = body[hend + 4:end]
        fname = dparams.get("filename")
        star = dparams.get("filename*")
        if star and star.lower().startswith("utf-8''"):
            from urllib.parse import unquote

            fname = unquote(star[7:], "utf-8", "replace")
        if fname is not None:
            ctype = headers.get("content-type", "application/octet-stream")
            _add(files, name, UploadedFile(name, fname, ctype, headers, value))
        else:
            try:
                _add(data, name, value.decode("utf-8"))
            except UnicodeDecodeError:
                raise bad from None
        pos = end + len(sep)
