"""The HTTP path off the cold start (serverless/__init__.py's other half, loaded on first use): the format
registry's API (register_format() and its checks, platforms(), the loading of a format's named functions,
detect_http(), UnknownEventError), the general serving path (_serve) and a foreign WSGI app's server, and
the shared helpers of the formats: bodies, header lists, the environ (make_environ), make_request.

PERF: a Lambda function's HTTP cold start (a koatty_lite app's GET) loads none of it (~0.6M instructions).
"""
import json
import sys
from io import BytesIO
from time import perf_counter

from ..errors import status_line
from . import (_BY_PLATFORM, _FORMATS, _KIND_PLATFORM, _LOADED, _SKIPPED, BadEvent, HttpFormat, Request, _index,
               aws_only, check_single, path_info, request_id_of,
               _shaper, _slot, formats_for, load_format, load_platforms, running_on, server)

__all__ = [
    "BadEvent", "UnknownEventError", "decode_body", "encode_body", "make_environ", "clean_headers",
    "join_headers", "multi_headers", "single_headers", "error_body", "path_info", "aws_only", "request_id_of",
    "facts", "env_headers", "environ_of", "environ_base", "body_text",
]

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "image/svg+xml", "application/ld+json",
               "application/problem+json", "application/vnd.api+json", "application/graphql")
_IDENTITY = ("", "identity")
_JSON = "application/json; charset=utf-8"  # the core's JSON type: told as text without the prefix scan


def decode_body(body, is_b64):
    """Return the request body as bytes, decoding base64 strictly when flagged."""
    if body is None:
        return b""
    if is_b64:
        if isinstance(body, str):
            try:
                body = body.encode("ascii")
            except UnicodeEncodeError:
                raise BadEvent("body is marked base64 but is not valid base64") from None
        elif not isinstance(body, bytes):
            raise BadEvent("body must be a string")
        # why: a2b_base64 silently skips foreign characters (strict_mode is 3.11+ only)
        if body.translate(None, _B64_ALPHABET):
            raise BadEvent("body is marked base64 but is not valid base64")
        import binascii  # PERF: a C extension (~0.2 ms to load); only base64 bodies need it

        try:
            return binascii.a2b_base64(body)
        except binascii.Error:
            raise BadEvent("body is marked base64 but is not valid base64") from None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    raise BadEvent("body must be a string")


def facts(headers):
    """A header list's ``koatty_facts`` when the core's render() attached them, else None.

    ``(content_type, content_encoding, set_cookie_values, distinct_names, all_ascii)``, the first two
    lower-cased ("" when absent): what the shapers below would otherwise find by lower-casing every
    name (PERF: REST v1 GET, clean + shape 2.0 -> 1.0 µs).
    """
    return None if type(headers) is list else getattr(headers, "koatty_facts", None)


def encode_body(headers, body):
    """Return (text, is_base64) for a response body, text only for text-like uncompressed types."""
    if not body:
        return "", False
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    if known is not None:
        ctype, cenc = known[0], known[1]
    else:
        ctype = cenc = ""
        for name, value in headers:
            low = name.lower()
            if low == "content-type":
                ctype = value.lower()
            elif low == "content-encoding":
                cenc = value.strip().lower()
    if cenc not in _IDENTITY:
        import binascii

        return binascii.b2a_base64(body, newline=False).decode("ascii"), True
    return body_text(body, ctype)


def body_text(body, ctype):
    """(text, is_base64) for an uncompressed body of content type ``ctype`` (lower-cased): text for
    text-like types whose bytes are UTF-8, else base64."""
    if body and (ctype == _JSON or ctype.startswith(_TEXT_TYPES) or ctype.endswith(("+json", "+xml"))
                 or (";" in ctype and ctype.split(";", 1)[0].strip().endswith(("+json", "+xml")))):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # why: mislabelled binary must not crash the response (apig-wsgi does)
    elif not body:
        return "", False
    import binascii

    return binascii.b2a_base64(body, newline=False).decode("ascii"), True


_urllib_parse = None


def _parse():
    """urllib.parse, imported on first use: it costs ~1.7 ms of every cold start (ipaddress included)."""
    global _urllib_parse
    if _urllib_parse is None:
        import urllib.parse

        _urllib_parse = urllib.parse
    return _urllib_parse


def quote(text, safe=""):
    """``urllib.parse.quote`` (imported lazily)."""
    return _parse().quote(text, safe)


def unquote(text):
    """``urllib.parse.unquote`` (imported lazily)."""
    return _parse().unquote(text)


def unquote_plus(text):
    """``urllib.parse.unquote_plus`` (imported lazily): a query component as a browser encodes it."""
    return _parse().unquote_plus(text)


def strip_base(environ, base):
    """Move a configured base path from PATH_INFO to SCRIPT_NAME when PATH_INFO starts with it."""
    path = environ["PATH_INFO"]
    if base and (path == base or path.startswith(base + "/")):
        environ["PATH_INFO"] = path[len(base):] or "/"
        environ["SCRIPT_NAME"] += base
    return environ


def encode_query(pairs):
    """Re-encode decoded (key, value) pairs as a query string."""
    if not pairs:
        return ""
    return "&".join(
        quote(k, safe="") if v is None else quote(k, safe="") + "=" + quote(v, safe="")
        for k, v in pairs
    )


def error_body(message, request_id=None):
    """The JSON error body of an adapter's 400, in the one error shape (koatty_lite.errors)."""
    from ..errors import error_body as shape  # why: a leaf module; the one error shape has one author

    return shape(1, message, None, request_id).decode("utf-8")


def clean_headers(headers, text=False):
    """Response header pairs as the platform's JSON wants them.

    Drops, with a warning naming it, a header the platform would reject or a client misread: a name
    that is no RFC 9110 token, a value holding a control character other than HTAB (CR, LF, NUL, ESC,
    DEL...), a name or value that is not a string; a non-ASCII
    value, a PEP 3333 latin-1 native string, becomes the text its bytes spell in UTF-8 (the platform
    sends JSON strings as UTF-8), or stays as it is when those bytes are not UTF-8. ``text``: the
    values are text already (a koatty_lite app's ``koatty_respond``) and are sent as they are.
    """
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    if known is not None and known[4]:
        return headers  # PERF: render() checked every value when it was set: nothing to drop
    for name, value in headers:
        if (type(value) is not str or type(name) is not str or name not in _TOKENS
                or not value.isprintable()  # PERF: one C scan; HTAB, obs-text: the slow path keeps them
                or (not text and not value.isascii())):
            break
    else:
        return headers  # PERF: the common case has nothing to drop: no copy
    return _cleaned(headers, text)


def _cleaned(headers, text=False):
    """The pairs clean_headers keeps, converted (the rare path: something to drop or to convert)."""
    out = []
    for name, value in headers:
        if type(value) is not str:
            value = str(value)
        # why: a CR/LF in a header value would smuggle extra headers, a NUL or another control character
        # makes the platform's answer a 502 (API Gateway, ALB), a name with a space or a colon is read
        # as another header: never echo one. Dropped, not a 500: the app's status and body still reach
        # the client (its CR/LF/NUL headers were always dropped); the warning shows the app's mistake.
        why = _bad_header(name, value)
        if why:
            import logging  # PERF: only an answer with a bad header loads it; the "koatty" logger as set up, if it is

            logging.getLogger("koatty").warning("dropped the response header %s: %s", ascii(name)[:80], why)
            continue
        if not text and not value.isascii():
            value = _native_to_text(value)
        out.append((name, value))
    return out


def _bad_header(name, value):
    """Why a response header cannot go out (see clean_headers), or "" when it can; remembers good names."""
    if type(name) is not str:
        return "its name is not a string"
    if name not in _TOKENS:
        if not name or not _TCHARS.issuperset(name):
            return "its name is not an RFC 9110 token"
        if len(_TOKENS) < 1024 and len(name) <= 64:  # why: bounded: an app may echo names a client chose
            _TOKENS.add(name)
    if not value.isprintable() and not _CTLS.isdisjoint(value):
        return "its value holds a control character"
    return ""


_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# field-value (RFC 9110 §5.5): no control character but HTAB; obs-text (0x80-0xFF) and Unicode text are kept.
_CTLS = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))
# Header names known to be tokens (PERF: one set lookup per header in clean_headers' scan).
_TOKENS = {"Content-Type", "Content-Length", "X-Request-Id", "Set-Cookie", "Cache-Control", "Location", "Vary",
           "ETag", "Last-Modified", "Content-Encoding", "Content-Disposition", "Access-Control-Allow-Origin"}


def _native_to_text(value):
    """The text a PEP 3333 native string's bytes spell in UTF-8 ("SÃ£o" → "São"); else the value."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # why: an app that set "São" itself, or non-latin-1 text: keep it
        return value


def multi_headers(headers):
    """Group header pairs case-insensitively into {name: [values]} (first spelling wins)."""
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    out = {}
    if known is not None and known[3]:
        for name, value in headers:  # PERF: a loop, not a comprehension: no frame of its own
            out[name] = [value]
        return out
    seen = {}
    for name, value in headers:
        low = name.lower()
        key = seen.get(low)
        if key is None:
            seen[low] = name
            out[name] = [value]
        else:
            out[key].append(value)
    return out


def join_headers(headers, skip_cookies=False):
    """Fold header pairs into {name: value}, repeated names comma-joined."""
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    if known is not None and known[3] and not (skip_cookies and known[2]):
        return dict(headers)
    out = {}
    seen = {}
    for name, value in headers:
        low = name.lower()
        if skip_cookies and low == "set-cookie":
            continue
        key = seen.get(low)
        if key is None:
            seen[low] = name
            out[name] = value
        else:
            out[key] = out[key] + ", " + value
    return out


def _case_variants(name):
    """Yield distinct casings of a header name (used to carry several Set-Cookie in a flat map)."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    n = len(letters)
    for mask in range(1 << n):
        chars = list(name.lower())
        for bit, pos in enumerate(letters):
            if mask >> bit & 1:
                chars[pos] = chars[pos].upper()
        yield "".join(chars)


def single_headers(headers):
    """Fold header pairs into a flat {name: value} map for formats without multi-value headers.

    Repeated headers are comma-joined, except Set-Cookie (commas are legal inside a cookie's
    Expires): the first keeps its name, each further one gets a distinct letter casing.
    """
    out = join_headers(headers, skip_cookies=True)
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    cookies = known[2] if known is not None else [v for n, v in headers if n.lower() == "set-cookie"]
    if cookies:
        out["Set-Cookie"] = cookies[0]
        if len(cookies) > 1:
            variants = _case_variants("set-cookie")
            for value in cookies[1:]:
                for name in variants:
                    if name not in out and name != "Set-Cookie":
                        out[name] = value
                        break
    return out


_ENV_KEYS = {"content-type": "CONTENT_TYPE", "content-length": None}  # lower-case header name -> environ key
_SCHEMES = {"https": "443", "http": "80"}


def _env_key(name):
    """The environ key of a header name (``HTTP_X_FOO``), cached; None for a name to drop.

    Dropped: Content-Length (``CONTENT_LENGTH`` always describes the bytes handed over) and any name
    that is not ASCII or holds ``_``: ``x_amzn_lattice_identity``, a dotless ``ı`` or ``Hoſt`` would
    otherwise land on the key of the platform's own header (gunicorn and nginx drop them too).
    """
    if not name.isascii() or "_" in name:
        return None  # why: never cached, so a client cannot fill the cache with such names
    low = name.lower()
    key = _ENV_KEYS.get(low, 0)
    # why: bounded as listen mode's cache is (1024 names of <= 64 bytes); header names are client-chosen
    keep = len(_ENV_KEYS) < 1024 and len(name) <= 64
    if key == 0:
        key = "HTTP_" + low.upper().replace("-", "_")
        if keep:
            _ENV_KEYS[low] = key
    if key is not None and name is not low and keep:
        _ENV_KEYS[name] = key  # the spelling the platform sends, for the fast lookup
    return key


def _address(env, scheme):
    """``(wsgi.url_scheme, SERVER_NAME, SERVER_PORT)`` from the Host, X-Forwarded-Proto and -Port keys
    of ``env`` (an environ, or env_headers' map); a comma-repeated Host (FC 3.0's "h,h") is cut to its
    first value in ``env`` too."""
    get = env.get
    proto = get("HTTP_X_FORWARDED_PROTO")
    if proto:
        # PERF: "https" as API Gateway sends it needs no split/strip/lower
        scheme = proto if proto in _SCHEMES else (proto.split(",", 1)[0].strip().lower() or scheme)
    port = get("HTTP_X_FORWARDED_PORT")
    if port:
        port = port.split(",", 1)[0].strip()
    host = get("HTTP_HOST")
    if not host:
        name = "localhost"  # why: ALB health checks carry no Host
    else:
        if "," in host:
            host = env["HTTP_HOST"] = host.split(",", 1)[0].strip()
        name = host
        if ":" in host:
            hname, _, hport = host.rpartition(":")
            if hport.isdigit() and "]" not in hport:
                name = hname
                port = port or hport
    return scheme, name, port if port and port.isdigit() else _SCHEMES.get(scheme, "80")


def _server_address(environ, scheme):
    """``wsgi.url_scheme``, ``SERVER_NAME`` and ``SERVER_PORT`` from Host and X-Forwarded-Proto/-Port."""
    environ["wsgi.url_scheme"], environ["SERVER_NAME"], environ["SERVER_PORT"] = _address(environ, scheme)


def env_headers(headers, multi=False):
    """The ``HTTP_*`` and ``CONTENT_TYPE`` keys of an event's header map, made in one C-level pass; None
    when the map needs make_environ's general rules.

    The pass applies when every name is in the key cache and has a key of its own (no repeats to join,
    no dropped spelling), each has one str value (``multi``: a one-element list or a one-character string) and every value is
    ASCII: what API Gateway, Function URLs and ALB send for a plain request. Content-Length is dropped,
    as make_environ drops it. PERF: 8 headers, a Python loop over pairs ~1.0 µs -> ~0.35 µs.
    """
    if type(headers) is not dict:
        return None
    keys = _ENV_KEYS
    try:
        if multi:
            # PERF: no type(v) is list per value (REST v1 GET -1.2k instructions): a one-key object's v[0] is a
            # KeyError (its keys are strings), a one-character string is its own value, so JSON's
            # malformed maps still reach make_environ's 400
            found = {keys[n]: v[0] for n, v in headers.items() if len(v) == 1}
        else:
            found = {keys[n]: v for n, v in headers.items()}
        if len(found) != len(headers) or not "".join(found.values()).isascii():
            return None
    except (KeyError, TypeError):  # a name not cached yet (the general path caches it), a non-str value
        return None
    if None in found:
        del found[None]
    return found


def environ_base(platform, kind):
    """The constant part of a format's environ, copied by environ_of for each request.

    PERF: a dict copy is one memcpy, and the copy has room for the header keys (sized here: ten keys
    added and removed), so no insert resizes it: 8 headers, the environ's dict 13.8k -> 9.8k
    instructions (callgrind).
    """
    base = {
        "REQUEST_METHOD": "", "SCRIPT_NAME": "", "PATH_INFO": "", "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "", "CONTENT_LENGTH": "0",
        "wsgi.version": (1, 0), "wsgi.input": None, "wsgi.errors": None,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "koatty.event": None, "koatty.context": None, "koatty.platform": platform, "koatty.event_kind": kind,
        "wsgi.url_scheme": "", "SERVER_NAME": "", "SERVER_PORT": "",
    }
    spare = [" %d" % i for i in range(10)]
    base.update(dict.fromkeys(spare))
    for key in spare:
        del base[key]
    return base


_FAST_PROTO = {None: None, "https": "https", "http": "http"}  # X-Forwarded-Proto as sent -> wsgi.url_scheme


def environ_of(base, method, path, query, found, body, remote_addr, scheme, event, context, request_id,
               default_host=None):
    """make_environ for header keys env_headers made, on a copy of ``base`` (environ_base): the same
    environ, with no loop and no call per header.

    ``path``: the raw path (percent-decoded here); ``remote_addr``: "" when unknown; ``request_id``: the
    id already looked up (no context fallback here); ``default_host``: the Host to add when the headers
    have none.
    PERF: REST v1 GET with 8 headers, event -> environ 46.8k -> ~22k instructions (with env_headers).
    """
    if "HTTP_HOST" not in found and type(default_host) is str and default_host:
        found["HTTP_HOST"] = default_host
    host = found.get("HTTP_HOST")
    proto = found.get("HTTP_X_FORWARDED_PROTO")
    if host and proto in _FAST_PROTO and "HTTP_X_FORWARDED_PORT" not in found and "," not in host and ":" not in host:
        scheme = _FAST_PROTO[proto] or scheme  # PERF: the common Host and proto, without _address's call
        name, port = host, _SCHEMES[scheme]
    else:
        scheme, name, port = _address(found, scheme)
    environ = base.copy()
    environ.update(found)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = path if path.isascii() and "%" not in path else path_info(path)
    environ["QUERY_STRING"] = query
    environ["REMOTE_ADDR"] = remote_addr  # why: "" when unknown, never 127.0.0.1, which an app may trust
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    environ["koatty.event"] = event
    environ["koatty.context"] = context
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_NAME"] = name
    environ["SERVER_PORT"] = port
    if request_id is not None:
        environ["koatty.request_id"] = request_id if type(request_id) is str else str(request_id)
    trace = found.get("HTTP_X_AMZN_TRACE_ID")
    if trace:
        environ["koatty.trace_id"] = trace
    return environ


def _add_plain(environ, headers):
    """Add the HTTP_ keys in one C-level pass when every name is a known, distinct, kept one and every
    value ASCII (the common case: 8 headers 1.0 -> 0.5 µs); False, adding nothing, otherwise."""
    keys = _ENV_KEYS
    try:
        found = {keys[name]: value for name, value in headers}
    except KeyError:  # a name not seen before: the loop caches it
        return False
    if len(found) != len(headers) or None in found or not "".join(found.values()).isascii():
        return False
    environ.update(found)
    return True


def _add_headers(environ, headers):
    """Add the HTTP_ keys of header pairs: names dropped or joined, values as native strings."""
    get = environ.get
    for name, value in headers:
        # PERF: cached name -> key; CONTENT_LENGTH always describes the bytes we hand over.
        key = _ENV_KEYS.get(name) or _env_key(name)
        if key is None:
            continue
        if not value.isascii():
            # why: PEP 3333 native string = latin-1 of the bytes; the event holds the decoded text
            value = value.encode("utf-8", "replace").decode("latin-1")
        old = get(key)
        if old is None:
            environ[key] = value
        else:
            environ[key] = old + ("; " if key == "HTTP_COOKIE" else ",") + value


def make_environ(method, path, query, headers, body, remote_addr, scheme, event, context,
                 platform, kind, request_id):
    """Build a PEP 3333 environ; headers is an iterable of (name, value) str pairs."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr or "",  # why: never 127.0.0.1, which an app may trust
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "koatty.event": event,
        "koatty.context": context,
        "koatty.platform": platform,
        "koatty.event_kind": kind,
    }
    if not (type(headers) is list and _add_plain(environ, headers)):
        _add_headers(environ, headers)
    # PERF: a call of its own (complexity 25 → 12) costs ~50 ns of make_environ's ~2.1 µs (timeit, 8
    # headers); a koatty_lite app reads the Request and builds no environ at all.
    _server_address(environ, scheme)
    if request_id is None and context is not None:
        request_id = getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)
    if request_id is not None:
        environ["koatty.request_id"] = request_id if type(request_id) is str else str(request_id)
    trace = environ.get("HTTP_X_AMZN_TRACE_ID")
    if trace:
        environ["koatty.trace_id"] = trace
    return environ


def bad_request_headers(event, context, attr="request_id"):
    """``(request id or None, header pairs)`` of a 400 for a malformed ``event``: the id ``request_id_of``
    finds (the context's, else the event's), as ``requestId`` and ``X-Request-Id``; an id that is not
    printable ASCII of at most 200 characters is left out (a malformed event's may be anything)."""
    rid = request_id_of(event, context, attr) if type(event) is dict else None
    if type(rid) is not str or not (len(rid) <= 200 and rid.isascii() and rid.isprintable()):
        return None, [("Content-Type", "application/json")]
    return rid, [("Content-Type", "application/json"), ("X-Request-Id", rid)]


def header_items(headers, what="headers"):
    """Validate a single-value header map and return its items (None → no headers)."""
    if check_single(headers, what) is None:
        return ()
    return [(k, v) for k, v in headers.items() if v is not None]


# Tencent SCF function-URL hosts: <appid>-<id>-<region>.scf.tencentcs.com (cloud.tencent.com) and
# <appid>-<id>.<region>.tencentscf.com (intl.cloud.tencent.com), public and intranet alike.
_SCF_URL_DOMAINS = (".scf.tencentcs.com", ".tencentscf.com")


def scf_url_host(event):
    """True when the event's Host header is a Tencent SCF function-URL domain.

    An SCF function-URL event has no requestContext and, when the request has no query, maybe no
    queryString either: then only its Host tells it from an Alibaba API Gateway → FC event.
    """
    headers = event.get("headers")
    if type(headers) is not dict:
        return False
    host = headers.get("host") or headers.get("Host")
    return type(host) is str and host.split(":", 1)[0].lower().endswith(_SCF_URL_DOMAINS)


def require_str(event, key):
    """Return event[key] if it is a non-empty string, else raise BadEvent."""
    value = event.get(key)
    if type(value) is not str or not value:
        raise BadEvent(key + " must be a non-empty string")
    return value


# ---------------------------------------------------------------- the registry's API, the general serving path
class UnknownEventError(ValueError):
    """Raised when an event matches no known HTTP or non-HTTP trigger shape."""


def _left_out_here():
    """Why the formats of the cloud this process runs on are absent (its module is not in this slim
    package: the message names the ``--platform`` to rebuild with), else None."""
    here = running_on()
    return _SKIPPED.get(here) if here else None


def register_format(kind, platform, detect, to_environ, to_response, bad_request, before=None, to_request=None,
                    answer=None, source=None):
    """Add an HTTP event format (a new cloud or trigger) and return its ``HttpFormat``.

    ``before``: the kind whose detector this one must run ahead of (default: last). The platform
    becomes valid for ``handler(platform=...)`` and ``ServerlessAdapter.platform``. ``to_request``
    (optional): the event as a ``serverless.request.Request`` for koatty_lite apps; without it they
    are served the environ ``to_environ`` builds. ``to_environ`` may be None when ``to_request`` is
    given: the Request's own environ then serves foreign WSGI apps (one set of rules for both).
    ``answer`` (optional, with ``to_request``): a koatty_lite app's plain answer shaped directly (see
    ``HttpFormat``); ``to_response`` shapes the rest. ``source`` (optional): a module name; then each
    function but ``detect`` may be the name (a string) of one of its functions, imported when first
    needed (see ``HttpFormat``).
    """
    if to_environ is None and callable(to_request):
        to_environ = _environ_via(to_request)
    _check_record(kind, platform, detect, to_environ, to_response, bad_request, to_request, answer, source)
    if not any(type(f) is str for f in (to_environ, to_response, bad_request, to_request, answer)):
        source = None  # every function is here: nothing to load
    fmt = HttpFormat(kind, platform, detect, to_environ, to_response, bad_request, to_request, answer, source)
    at = _slot(platform)
    if before is not None:
        at = next((i for i, f in enumerate(_FORMATS) if f[0] == before), None)
        if at is None:
            raise ValueError(f"register_format({kind!r}, before={before!r}): no such kind")
    _FORMATS.insert(at, fmt)
    _index()
    return fmt


def _load_source(fmt):
    """load_format's work, under its lock."""
    __import__(fmt[8])  # PERF: not importlib.import_module: the importlib package is not loaded yet
    module = sys.modules[fmt[8]]
    fields = list(fmt[:8])
    for i in (3, 4, 5, 6, 7):
        if type(fields[i]) is str:
            fields[i] = getattr(module, fields[i])
    if fields[3] is None and callable(fields[6]):
        fields[3] = _environ_via(fields[6])
    kind = fmt[0]
    _check_functions(kind, to_environ=fields[3], to_response=fields[4], bad_request=fields[5])
    _check_functions(kind, True, to_request=fields[6], answer=fields[7])
    loaded = HttpFormat(*fields)
    for i, f in enumerate(_FORMATS):
        if f is fmt:
            _FORMATS[i] = loaded
            _index()
            break
    _LOADED[id(fmt)] = fmt, loaded
    return loaded


def _environ_via(to_request):
    """``to_environ`` for a format whose ``Request`` builds the environ (``Request.environ``)."""
    def to_environ(event, context, strip_base_path=""):
        return to_request(event, context, strip_base_path).environ
    return to_environ


def _check_record(kind, platform, detect, to_environ, to_response, bad_request, to_request, answer, source):
    """register_format's arguments checked: ValueError / TypeError naming the first mistake."""
    if not (isinstance(kind, str) and kind and isinstance(platform, str) and platform and platform != "auto"):
        raise ValueError("register_format needs a kind and a platform name (not 'auto')")
    if source is not None and not (isinstance(source, str) and source):
        raise TypeError(f"register_format({kind!r}): source must be a module name")
    named = source is not None
    _check_functions(kind, detect=detect)
    if to_environ is None and named and type(to_request) is str:
        to_environ = to_request  # why: loaded, the named to_request's Request gives the environ (_environ_via)
    _check_functions(kind, named=named, to_environ=to_environ, to_response=to_response, bad_request=bad_request)
    _check_functions(kind, True, named, to_request=to_request, answer=answer)
    if kind in _KIND_PLATFORM:
        raise ValueError(f"HTTP format {kind!r} is already registered")


def _check_functions(kind, optional=False, named=False, **functions):
    """TypeError naming the first of ``functions`` that is not callable (nor None when ``optional``, nor a
    name when ``named``: a function of the format's ``source``)."""
    for name, fn in functions.items():
        if not callable(fn) and not (optional and fn is None) and not (named and type(fn) is str and fn):
            raise TypeError(f"register_format({kind!r}): {name} must be callable"
                            + (" or None" if optional else " or the name of a function in source" if named else ""))


def unknown_platform(platform):
    """The ValueError for a platform no format is registered for, naming the valid ones."""
    names = ", ".join(repr(p) for p in platforms())
    return ValueError(f"platform must be one of {names}, not {platform!r}")


def platforms():
    """The platform names ``handler(platform=...)`` accepts: "auto" and every registered cloud (the
    built-in clouds loaded too, except one whose module is not in the package)."""
    load_platforms()
    return tuple(_BY_PLATFORM)


def _load(event):
    """Accept the event as a dict or as JSON bytes/str (FC 3.0 delivers bytes)."""
    if type(event) is dict:
        return event
    if isinstance(event, (bytes, bytearray, str)):
        try:
            event = json.loads(event)
        except ValueError as exc:
            raise ValueError("event is not valid JSON: %s" % exc) from None
        except RecursionError:
            raise ValueError("event is not valid JSON: nested too deeply") from None
    return event


def _claim(event, platform):
    """The format that claims ``event`` among ``platform``'s, or None."""
    table = formats_for(platform)
    if type(event) is not dict:
        return None
    for fmt in table:
        if fmt.detect(event):
            return fmt
    return None


def detect_http(event, platform="auto"):
    """Return the HTTP event kind (e.g. 'apigw-v1'), or None when no HTTP adapter claims it."""
    fmt = _claim(_load(event), platform)
    return fmt.kind if fmt else None


def _serve(fmt, wsgi_app, event, context, strip_base_path):
    if fmt[8] is not None:
        fmt = load_format(fmt)  # why: the generic path may need any of its functions
    respond = getattr(wsgi_app, "koatty_respond", None)
    # Why: an app reporting Server-Timing counts the event's translation as the adapter's time.
    t0 = perf_counter() if respond is not None and getattr(wsgi_app, "koatty_timed", False) else None
    try:
        if respond is not None and fmt[6] is not None:
            # PERF: a koatty_lite app reads the Request directly: no environ is built (REST v1 GET: -2 µs)
            request = fmt[6](event, context, strip_base_path)
        else:
            request = fmt[3](event, context, strip_base_path)
    except BadEvent as exc:
        return bad_answer(fmt, exc, event, context)
    if respond is None:
        run = getattr(wsgi_app, "koatty_run", None)
        if run is not None:  # PERF: handler()'s guard runs the app in one frame (entry._guard)
            status, headers, body, _ = run(request)
        else:
            from .wsgi import run_wsgi  # PERF: only foreign WSGI apps need it; kept off the cold path

            status, headers, body = run_wsgi(wsgi_app, request)
        body = _sent_body(request, status, body)

        # why: a foreign app's values are PEP 3333 native strings
        return fmt[4](request, status, clean_headers(headers), body)
    if t0 is not None:
        if type(request) is dict:
            request["koatty.t0"] = t0
        else:
            request.t0 = t0
    answer = getattr(wsgi_app, "koatty_answer", None)
    if answer is not None and type(request) is not dict:
        # PERF: the app's answer goes straight into the platform's response (see HttpFormat.answer)
        return answer(request, fmt[7], _shaper(fmt))
    status, headers, body = respond(request)  # PERF: no start_response round trip
    return _shaper(fmt)(request, status, headers, body)  # a koatty_lite app's values are text


def _wsgi_server(fmt, run, strip_base_path):
    """``server()`` for a foreign WSGI app run by handler()'s guard (``koatty_run``): the environ, the
    run, and plain header pairs (the guard tells their content type) with a canonical status line
    shaped by the format's ``answer``, as a koatty_lite app's plain answer is (PERF: REST v1 GET of a
    bare WSGI app -5k instructions); anything else by ``to_response``."""
    to_environ, to_response, answer = fmt[3], fmt[4], fmt[7]
    canonical = {}  # status line -> its code, for the lines status_line() writes (PERF: no call per request)

    def serve_wsgi(event, context):
        try:
            environ = to_environ(event, context, strip_base_path)
        except BadEvent as exc:
            return bad_answer(fmt, exc, event, context)
        status, headers, body, plain = run(environ)
        if body and (environ["REQUEST_METHOD"] == "HEAD" or status[:3] in _NO_BODY):
            body = b""  # why: as a server would, whatever the app wrote (RFC 9110 §9.3.2, §15.3.5, §15.4.5)
        if plain is not None and answer is not None:
            code = canonical.get(status) or _canonical(status, canonical)
            if code:
                return answer(environ, code, headers, body, plain)
        return to_response(environ, status, clean_headers(headers), body)  # values: PEP 3333 native strings

    return serve_wsgi


def _sent_body(environ, status, body):
    """A foreign app's body as a server sends it: none on HEAD, 1xx, 204, 304 (RFC 9110 §9.3.2, §15.3.5, §15.4.5)."""
    return b"" if body and (environ["REQUEST_METHOD"] == "HEAD" or status[:3] in _NO_BODY) else body


def bad_answer(fmt, exc, event, context):
    """The format's 400 for a malformed ``event`` (``exc``: the BadEvent): a ``bad_request`` taking
    ``(kind, message, event, context)``, as the built-in ones do, names the request id and answers
    in the event's own shape; one taking ``(kind, message)`` keeps working."""
    bad = fmt[5]
    code = getattr(bad, "__code__", None)
    if code is not None and code.co_argcount >= 4:
        return bad(fmt[0], str(exc), event, context)
    return bad(fmt[0], str(exc))


# The status codes of a foreign app's answer sent without a body (a koatty_lite app's: output._NO_BODY).
_NO_BODY = frozenset(("204", "304", *map(str, range(100, 200))))


def _canonical(status, seen):
    """The code of a WSGI status line when it is the line ``status_line`` writes for it ("200 OK"),
    remembered in ``seen`` (bounded: apps choose their reason phrases); else 0."""
    code = int(status[:3])
    if status != status_line(code):
        return 0
    if len(seen) < 64:
        seen[status] = code
    return code


# ---------------------------------------------------------------- requests built by the general rules
def make_request(method, path, query, pairs, body, remote_addr, scheme, event, context, platform, kind,
                 request_id):
    """A ``Request``; the arguments are ``make_environ``'s (``body`` may be text: see ``body_source``)."""
    if request_id is None and context is not None:
        request_id = getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)
    if request_id is not None and type(request_id) is not str:
        request_id = str(request_id)
    return Request(method, path, query, pairs, body, remote_addr, scheme, event, context, platform, kind,
                   request_id)


def lazy_pairs(headers, multi=False, default_host=None, cookies=None):
    """A ``Request``'s header source, flattened into pairs only when something reads them.

    ``headers``: the event's validated map (``check_single`` / ``check_multi``); ``default_host``:
    the Host to add when the map has none (requestContext.domainName); ``cookies``: HTTP API 2.0's
    ``cookies`` array, which replaces any Cookie header (Function URLs repeat them there).
    """
    return (headers, multi, default_host, cookies)
