"""The HTTP path off the cold start (serverless/__init__.py's other half, loaded on first use): the format
registry's API (register_format() and its checks, platforms(), the loading of a format's named functions,
detect_http(), UnknownEventError), the general serving path (_serve) and a foreign WSGI app's server, and
the shared helpers of the formats: bodies, header lists, the environ (make_environ), make_request; and the
AWS formats' rare half (aws.SOURCE, last below).

PERF: a Lambda function's HTTP cold start (a koatty_lite app's GET) loads none of it (~2.6M instructions).
"""
import json
import sys
from functools import partial
from io import BytesIO
from time import perf_counter

from ..errors import error_body as _shape, status_line
from . import (_BY_PLATFORM, _FORMATS, _KIND_PLATFORM, _LOAD_LOCK, _SKIPPED, _TCHARS, XFF, Request, _formats, _index,
               body_source, check_single, context_request_id, path_info, request_id_of, strip_request_base, utf8,
               _shaper, _slot, load_platforms, running_on)

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
# (image/svg+xml, application/ld+json, problem+json, vnd.api+json: body_text's +xml / +json suffix rule)
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/graphql")
_IDENTITY = ("", "identity")
_JSON = "application/json; charset=utf-8"  # the core's JSON type: told as text without the prefix scan


def decode_body(body, is_b64):
    """Return the request body as bytes, decoding base64 strictly when flagged."""
    if body is None:
        return b""
    if not isinstance(body, (str, bytes)):
        raise BadEvent("body must be a string")
    if not is_b64:
        return utf8(body) if isinstance(body, str) else body
    import binascii  # PERF: a C extension (~0.2 ms to load); only base64 bodies need it

    try:  # UnicodeEncodeError (a non-ASCII text) and binascii.Error are ValueErrors
        if isinstance(body, str):
            body = body.encode("ascii")
        # why: a2b_base64 silently skips foreign characters (strict_mode is 3.11+ only)
        if body.translate(None, _B64_ALPHABET):
            raise ValueError
        return binascii.a2b_base64(body)
    except ValueError:
        raise BadEvent("body is marked base64 but is not valid base64") from None


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
    return body_text(body, ctype if cenc in _IDENTITY else "")  # why "": a compressed body is base64


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


# RFC 3986's unreserved characters: what urllib.parse.quote(text, safe="") keeps as they are.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote(text):
    """``urllib.parse.quote(text, safe="")``, the same output (UTF-8 bytes as upper-case ``%XX``; a lone
    surrogate raises UnicodeEncodeError), without urllib.parse (alicloud.py and tencent.py have its twin;
    tests/test_query_encoding.py holds each to urllib's output). PERF: importing urllib.parse (ipaddress,
    warnings...) cost a cold GET with a query map ~12M instructions (REST v1 98.21M -> 85.78M, callgrind)."""
    if _UNRESERVED.issuperset(text):
        return text  # PERF: the usual key or value needs no work
    return "".join([c if c in _UNRESERVED else "%%%02X" % ord(c) for c in text.encode().decode("latin-1")])


def strip_base(environ, base):
    """Move a configured base path from PATH_INFO to SCRIPT_NAME when PATH_INFO starts with it."""
    path = environ["PATH_INFO"]
    if base and (path == base or path.startswith(base + "/")):
        environ["PATH_INFO"] = path[len(base):] or "/"
        environ["SCRIPT_NAME"] += base
    return environ


def encode_query(pairs, what="queryStringParameters"):
    """Re-encode decoded (key, value) pairs (strings: the formats' item readers skip a None value) as a query
    string, "" for none; BadEvent naming ``what`` (the event's map) for a key or value without UTF-8."""
    try:
        return "&".join([quote(k) + "=" + quote(v) for k, v in pairs])
    except UnicodeEncodeError:  # a lone surrogate (a JSON "\\ud800" escape): a 400, as FC's and SCF's maps
        raise BadEvent(what + " must be text (a lone surrogate is not)") from None


def error_body(message, request_id=None):
    """The JSON error body of an adapter's 400, in the one error shape (koatty_lite.errors)."""
    return _shape(1, message, None, request_id).decode("utf-8")  # why: the one error shape has one author


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
            try:  # the text a PEP 3333 native string's bytes spell in UTF-8 ("SÃ£o" → "São")
                value = value.encode("latin-1").decode("utf-8")
            except UnicodeError:  # why: an app that set "São" itself, or non-latin-1 text: keep it
                pass
        out.append((name, value))
    return out


def _bad_header(name, value):
    """Why a response header cannot go out (see clean_headers), or "" when it can; remembers good names."""
    if type(name) is not str:
        return "its name is not a string"
    if name not in _TOKENS:
        if not name or name.strip(_TCHARS):
            return "its name is not an RFC 9110 token"
        if len(_TOKENS) < 1024 and len(name) <= 64:  # why: bounded: an app may echo names a client chose
            _TOKENS.add(name)
    if not value.isprintable() and not _CTLS.isdisjoint(value):
        return "its value holds a control character"
    return ""


# field-value (RFC 9110 §5.5): no control character but HTAB; obs-text (0x80-0xFF) and Unicode text are kept.
_CTLS = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))
_TOKENS = set()  # header names known to be tokens, learnt by _bad_header (PERF: one set lookup per header)


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
        masks = iter(range(512))  # each a distinct letter casing of set-cookie (bit i: its i-th letter upper-case)
        for value in cookies[1:]:
            for mask in masks:
                name = "".join([c.upper() if mask >> i & 1 else c for i, c in enumerate("setcookie")])
                name = name[:3] + "-" + name[3:]
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


def env_headers(base, headers, multi=False):
    """A copy of ``base`` (environ_base) with the ``HTTP_*`` and ``CONTENT_TYPE`` keys of an event's header
    map, stored in one pass; None when the map needs make_environ's general rules.

    The pass applies when every name is in the key cache and has a key of its own (no repeats to join,
    no dropped spelling), each has one str value (``multi``: a one-element list or a one-character string) and every value is
    ASCII: what API Gateway, Function URLs and ALB send for a plain request. Content-Length is dropped,
    as make_environ drops it. PERF: the keys go straight into the environ's copy, no map of their own to
    merge (REST v1 POST with 9 headers -5k instructions).
    """
    if type(headers) is not dict:
        return None
    keys = _ENV_KEYS
    environ = base.copy()
    try:
        if multi:
            text = ""
            for name, value in headers.items():
                # PERF: no len(v) == 1 or type(v) per value (REST v1 POST -0.6k instructions): the unpacking is
                # a ValueError unless v holds one item, v[0] of a one-key object a KeyError (its keys are
                # strings), so JSON's malformed maps still reach make_environ's 400
                (one,) = value
                environ[keys[name]] = value[0]
                text += one
        else:
            for name, value in headers.items():
                environ[keys[name]] = value
            text = "".join(headers.values())
        if len(environ) != len(base) + len(headers) or not text.isascii():
            return None
    except (KeyError, TypeError, ValueError):  # a name not cached yet (the general path caches it), a non-str value
        return None
    if None in environ:
        del environ[None]
    return environ


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


def environ_of(environ, method, path, query, body, remote_addr, scheme, event, context, request_id,
               default_host=None):
    """make_environ for an environ env_headers made (a copy of environ_base's with the header keys): the
    same environ, with no loop and no call per header.

    ``path``: the raw path (percent-decoded here); ``remote_addr``: "" when unknown; ``request_id``: the
    id already looked up (no context fallback here); ``default_host``: the Host to add when the headers
    have none.
    PERF: REST v1 GET with 8 headers, event -> environ 46.8k -> ~22k instructions (with env_headers).
    """
    host = environ.get("HTTP_HOST")
    if host is None and type(default_host) is str and default_host:
        host = environ["HTTP_HOST"] = default_host
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if host and proto in _FAST_PROTO and "HTTP_X_FORWARDED_PORT" not in environ and "," not in host and ":" not in host:
        scheme = _FAST_PROTO[proto] or scheme  # PERF: the common Host and proto, without _address's call
        environ["SERVER_NAME"], environ["SERVER_PORT"] = host, _SCHEMES.get(scheme, "80")
    else:
        scheme, environ["SERVER_NAME"], environ["SERVER_PORT"] = _address(environ, scheme)
    environ["wsgi.url_scheme"] = scheme
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = path if path.isascii() and "%" not in path else path_info(path)
    environ["QUERY_STRING"] = query
    environ["REMOTE_ADDR"] = remote_addr  # why: "" when unknown, never 127.0.0.1, which an app may trust
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    environ["koatty.event"] = event
    environ["koatty.context"] = context
    if request_id is not None:
        environ["koatty.request_id"] = request_id if type(request_id) is str else str(request_id)
    trace = environ.get("HTTP_X_AMZN_TRACE_ID")
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
    environ = environ_base(platform, kind)
    if not (type(headers) is list and _add_plain(environ, headers)):
        _add_headers(environ, headers)
    environ_of(environ, method, "", query, body, remote_addr or "", scheme, event, context,  # why "": never 127.0.0.1
               context_request_id(context) if request_id is None else request_id)
    environ["PATH_INFO"] = path  # decoded already
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
        return []  # why a list: a Request reads any other pairs as a header source (VPC Lattice v1)
    return [(k, v) for k, v in headers.items() if v is not None]


def require_str(event, key):
    """Return event[key] if it is a non-empty string, else raise BadEvent."""
    value = event.get(key)
    if type(value) is not str or not value:
        raise BadEvent(key + " must be a non-empty string")
    return value


# ---------------------------------------------------------------- the registry's API, the general serving path
# PERF: the exceptions of the rare paths are defined here, off the cold start (a class costs ~0.07M instructions
# to make); serverless.BadEvent and entry.HealthCheckError / UnknownEventError load this module on first use.
class BadEvent(ValueError):
    """A malformed HTTP event of a known kind; answered with a 400 in the platform's shape."""


_bad_event = BadEvent  # the name serverless._bad_event's stand-in binds (serverless/__init__.py)


class UnknownEventError(ValueError):
    """Raised when an event matches no known HTTP or non-HTTP trigger shape."""


class HealthCheckError(RuntimeError):
    """``health_check(app)`` failed before a non-HTTP event: raised so the platform retries it (entry.py)."""


def _left_out_here():
    """Why the formats of the cloud this process runs on are absent (its module is not in this slim
    package: the message names the ``--platform`` to rebuild with), else None."""
    here = running_on()
    return _SKIPPED.get(here) if here else None


_FIELDS = "kind platform detect to_environ to_response bad_request to_request answer source".split()


class HttpFormat(tuple):
    """One HTTP event format, a named record: ``kind``, ``platform``, ``detect(event) -> bool``,
    ``to_environ(event, context, strip_base_path) -> environ``,
    ``to_response(request, status, headers, body) -> platform response`` (``request``: what
    ``to_request`` made, else the environ), ``bad_request(kind, message) -> platform response`` (a
    400 in the platform's shape: ``bad_request(kind, message, event, context)`` names the request id,
    see bad_answer), ``to_request(event, context, strip_base_path) -> Request`` or None,
    ``answer(request, status, headers, body, ctype) -> platform response`` or None, ``source``.

    A koatty_lite app reads the ``Request`` directly; a format without ``to_request`` serves it the
    environ instead. ``answer`` shapes a koatty_lite app's plain answer (``output.WsgiApp.koatty_answer``:
    int status, distinct header pairs, no Set-Cookie or Content-Encoding, the content type lower-cased)
    straight into the response, and a foreign WSGI app's plain answer under handler()'s guard too (its
    ``request`` is then the environ, as for ``to_response``); without it (or for any other answer)
    ``to_response`` does. A tuple subclass: cheap to build and iterate, read by name.

    ``source``: None, or the module that defines the functions the record names (strings in place of
    ``to_environ``, ``to_response``, ``bad_request``, ``to_request`` or ``answer``): it is imported
    when the format first needs one of them (``load_format``), so a cold start loads only what its
    first event's format uses. Reading such a field by name gives the function, loading it. A loaded
    record's ``source`` is None (cli/slim.py's CLOUD_MODULES ships a built-in cloud's with it).

    Made with this module (``serverless.HttpFormat`` loads it): until then the registry's records are tuples
    of the same fields, read by index. PERF: a cold start of built-in formats makes no record class (-0.1M
    instructions), and the code cache (serverless/__init__.py) holds none of its code nor load_format's and
    formats_for's (7 code objects: cold Lambda GET 82.45M -> 82.40M, coldstages.sh).
    """

    __slots__ = ()

    def __new__(cls, kind, platform, detect, to_environ, to_response, bad_request, to_request=None,
                answer=None, source=None):
        """Build the record (see the class docstring for the fields)."""
        return tuple.__new__(cls, (kind, platform, detect, to_environ, to_response, bad_request,
                                   to_request, answer, source))

    def __getattr__(self, name):
        """A field by name (see the class docstring): a named function is imported first
        (load_format). PERF: one method, not nine properties (cold Lambda GET -55k instructions,
        coldstages.sh); the serving paths read records by index."""
        if name not in _FIELDS:
            return tuple.__getattribute__(self, name)  # the usual AttributeError
        i = _FIELDS.index(name)
        return self[i] if i < 3 or i == 8 or self[8] is None else load_format(self)[i]


with _LOAD_LOCK:  # why: a cloud registered meanwhile (serverless._register_module) is converted or made so
    _FORMATS[:] = [tuple.__new__(HttpFormat, f) for f in _FORMATS]
    _index()
    sys.modules[__package__].HttpFormat = HttpFormat  # why: the package's name (_register_module reads it there)

_LOADED = {}  # id(a record with named functions) -> (that record, the same with them imported)


def load_format(fmt):
    """``fmt`` with its named functions imported from its ``source`` (``fmt`` itself when it names none).

    The first call imports the module and puts the loaded record in the registry in the named one's
    place (handlers built before keep working: their records load through here). Thread-safe: two
    first events at once import once and install one record.
    """
    if fmt[8] is None:
        return fmt
    # why: by identity (the record is kept alive with it): an equal record registered again loads again
    loaded = _LOADED.get(id(fmt))
    if loaded is None or loaded[0] is not fmt:
        with _LOAD_LOCK:
            loaded = _LOADED.get(id(fmt))
            if loaded is None or loaded[0] is not fmt:
                loaded = fmt, _load_source(fmt)
    return loaded[1]


def formats_for(platform):
    """The formats a handler for ``platform`` detects, in order (ValueError naming the valid ones).

    Loads what it needs first: "auto" as serverless._formats says, a built-in cloud its own module only."""
    return _formats(platform)


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
        if fmt[2](event):  # PERF: by index, as every serving path (a name is HttpFormat.__getattr__: ~0.5 us)
            return fmt
    return None


def detect_http(event, platform="auto"):
    """Return the HTTP event kind (e.g. 'apigw-v1'), or None when no HTTP adapter claims it."""
    fmt = _claim(_load(event), platform)
    return fmt.kind if fmt else None


def _server(fmt, wsgi_app, strip_base_path):
    """serverless.server()'s ``serve`` for an app that needs the general path (a foreign WSGI app, Server-Timing,
    a format without ``to_request``)."""
    def serve(event, context):
        return _serve(fmt, wsgi_app, event, context, strip_base_path)
    return serve


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
    if request_id is None:
        request_id = context_request_id(context)
    if request_id is not None and type(request_id) is not str:
        request_id = str(request_id)
    return Request(method, path, query, pairs, body, remote_addr, scheme, event, context, platform, kind,
                   request_id)


def _request_environ(self):
    """``Request.environ``: the PEP 3333 environ of this request, built on first use (PERF: here, where
    make_environ is: a foreign WSGI app or ctx.environ only)."""
    env = self._environ
    if env is None:
        # PERF: the slots themselves where they are ready (the properties cost 0.1 µs each)
        pairs = self._pairs
        body = self._body
        remote = self._remote
        env = make_environ(self.method, self.path, self.query, pairs if type(pairs) is list else self.pairs,
                           body if type(body) is bytes else self.body,
                           (self.remote_addr or None) if remote is XFF else remote,
                           self.scheme, self.event, self.context, self.platform, self.kind, self.request_id)
        stage = self.stage
        if stage and ".execute-api." in env.get("HTTP_HOST", ""):  # PERF: the environ's Host, no view
            env["SCRIPT_NAME"] = "/" + stage + self._script
        else:
            env["SCRIPT_NAME"] = self._script
        if self.authorizer is not None:
            env["koatty.authorizer"] = self.authorizer
        if self.alb_multi is not None:
            env["koatty.alb_multi"] = self.alb_multi
        if self.t0 is not None:
            env["koatty.t0"] = self.t0
        self._environ = env
    return env


Request.environ = property(_request_environ)  # why here: serverless.Request's stand-in imports this module


# ---------------------------------------------------------------- AWS: the rare half of serverless/aws.py's formats
# aws.py keeps what a koatty_lite app's event needs (detection, to_request, answer); the rest of an AWS
# format (a foreign WSGI app's environ, the general response shaping, the 400s, query strings, VPC Lattice's
# requests) is here, the module aws.py's records name (aws.SOURCE), loaded on first use. PERF: a Lambda HTTP
# GET's cold start loads neither this module nor urllib.parse; in a module of its own this half cost
# ~0.8 KB more of the shipped zip (issue 14's 60 KB: each module's zip entry and lost compression context).
_AWS = "aws"


def _multi_items(multi, single, what):
    """Pairs from a multi-value map, falling back to the single-value map (callers skip an event with neither)."""
    if multi is not None:
        return _array_items(multi, "multiValue" + what)
    return header_items(single, what[0].lower() + what[1:])


def _array_items(mapping, what):
    """Pairs from a {name: [values]} map (a lone string is one value; None values skipped)."""
    if mapping is None:
        return []
    if type(mapping) is not dict:
        raise BadEvent(what + " must be an object")
    out = []
    for name, values in mapping.items():
        if values is None:
            continue
        if type(values) is str:
            values = [values]  # why: be lenient; some published samples use plain strings
        elif type(values) is not list:
            raise BadEvent(what + " values must be lists of strings")
        for value in values:
            if type(value) is not str:
                raise BadEvent(what + " values must be lists of strings")
            out.append((name, value))
    return out


def _source_ip(event):
    """A payload 1.0 event's requestContext.http.sourceIp, or None (its callers read identity.sourceIp first)."""
    http = (event.get("requestContext") or {}).get("http")
    return http["sourceIp"] if type(http) is dict and type(http.get("sourceIp")) is str else None


def _query_v1(get):
    """The query string of a payload 1.0 / ALB event (multi-value map first), "" without one."""
    pairs = _multi_items(get("multiValueQueryStringParameters"), get("queryStringParameters"), "QueryStringParameters")
    return encode_query(pairs) if pairs else ""


def _bad_line(method, method_key, path, path_key):
    """BadEvent naming the first of the request line's fields that is not a non-empty string."""
    for value, key in ((method, method_key), (path, path_key)):
        if type(value) is not str or not value:
            raise BadEvent(key + " must be a non-empty string")


def to_response_apigw_v1(environ, status, headers, body):
    """REST v1 response: multiValueHeaders carries every header, repeats included."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "multiValueHeaders": multi_headers(headers),
            "body": text, "isBase64Encoded": b64}


def _v2_line(event, http):
    """(method, rawPath, rawQueryString) of a payload 2.0 event, checked (BadEvent)."""
    if type(http) is not dict:
        raise BadEvent("requestContext.http must be an object")
    method = http.get("method")
    if type(method) is not str or not method:
        raise BadEvent("requestContext.http.method must be a non-empty string")
    raw_path = event.get("rawPath")
    if type(raw_path) is not str:
        raise BadEvent("rawPath must be a string")
    query = event.get("rawQueryString") or ""
    if type(query) is not str:
        raise BadEvent("rawQueryString must be a string")
    return method, raw_path, query


def to_response_v2(environ, status, headers, body):
    """HTTP API 2.0 / Function URL response: Set-Cookie in `cookies`, others comma-joined."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "headers": join_headers(headers, skip_cookies=True),
            "cookies": _cookies(headers),
            "body": text, "isBase64Encoded": b64}


def _cookies(headers):
    known = None if type(headers) is list else getattr(headers, "koatty_facts", None)
    if known is not None:
        return list(known[2])
    return [v for n, v in headers if n.lower() == "set-cookie"]


# ---------------------------------------------------------------- the environ of a foreign WSGI app
# PERF: the common event's environ is built straight from the event, as apig-wsgi does (env_headers +
# environ_of: one dict, no per-header loop); any other event's (BadEvents included) is the Request's,
# built by the general rules (make_environ). tests/test_wsgi_fast_path.py checks both give the same.
_V1_BASE = environ_base(_AWS, "apigw-v1")
_V2_BASE = environ_base(_AWS, "apigw-v2")
_URL_BASE = environ_base(_AWS, "function-url")
_ALB_BASE = environ_base(_AWS, "alb")


def _rest(environ, rc, strip_base_path, in_path):
    """The environ's stage SCRIPT_NAME on an execute-api host (``in_path``: payload 2.0's path starts with it,
    moved from PATH_INFO; REST v1's does not), base path and authorizer."""
    stage = rc.get("stage")
    if type(stage) is str and stage and stage != "$default" and ".execute-api." in environ.get("HTTP_HOST", ""):
        prefix, pi = "/" + stage, environ["PATH_INFO"]
        if not in_path:
            environ["SCRIPT_NAME"] = prefix
        elif pi == prefix or pi.startswith(prefix + "/"):
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = pi[len(prefix):] or "/"
    if strip_base_path:
        strip_base(environ, strip_base_path)
    auth = rc.get("authorizer")
    if auth is not None:
        environ["koatty.authorizer"] = auth
    return environ


_TEXT_BODY = (str, type(None))


def _environ_rid(event, context):
    """The request id as make_environ finds it when there is a context."""
    return request_id_of(event, context, "aws_request_id") or context_request_id(context)


def to_environ_apigw_v1(event, context, strip_base_path=""):
    """Environ for an API Gateway REST (payload 1.0) event."""
    get = event.get
    method, path, rc, body = get("httpMethod"), get("path"), get("requestContext"), get("body")
    multi = get("multiValueHeaders")
    environ = env_headers(_V1_BASE, get("headers") if multi is None else multi, multi is not None)
    if (environ is None or type(rc) is not dict or not type(method) is type(path) is str or "" in (method, path)
            or get("isBase64Encoded") or type(body) not in _TEXT_BODY):
        from .aws import to_request_apigw_v1  # the general rules (rare)

        return to_request_apigw_v1(event, context, strip_base_path).environ
    # PERF: no query (both maps None: a chained `is`) is the common case, without _query_v1's call
    query = "" if get("multiValueQueryStringParameters") is None is get("queryStringParameters") else _query_v1(get)
    ident = rc.get("identity")
    remote = ident.get("sourceIp") if type(ident) is dict else None
    environ_of(environ, method, path, query, utf8(body),
               remote if type(remote) is str else (_source_ip(event) or ""), "https", event, context,
               (rc.get("requestId") or None) if context is None else _environ_rid(event, context), rc.get("domainName"))
    return _rest(environ, rc, strip_base_path, False)


def _environ_v2(kind, event, context, strip_base_path=""):
    """Environ for an HTTP API payload 2.0 event of ``kind`` (to_environ_apigw_v2, to_environ_function_url)."""
    rc = event["requestContext"]
    http = rc.get("http")
    method, raw_path, query = _v2_line(event, http)
    get = event.get
    environ = env_headers(_URL_BASE if kind == "function-url" else _V2_BASE, get("headers"))
    cookies, body = get("cookies"), get("body")
    if cookies and environ is not None:
        environ = _with_cookies(environ, cookies)
    if environ is None or get("isBase64Encoded") or type(body) not in _TEXT_BODY:
        from .aws import _to_request_v2  # the general rules (rare)

        return _to_request_v2(kind, event, context, strip_base_path).environ
    environ_of(environ, method, raw_path, query, utf8(body), http.get("sourceIp") or "", "https",
               event, context, (rc.get("requestId") or None) if context is None else _environ_rid(event, context),
               rc.get("domainName"))
    return _rest(environ, rc, strip_base_path, True)


def _with_cookies(found, cookies):
    """env_headers' environ with HTTP API 2.0's ``cookies`` as the Cookie header; None for the general path."""
    if type(cookies) is not list or not all(type(c) is str for c in cookies):
        return None  # the general path names the mistake
    joined = "; ".join(cookies)
    if not joined.isascii():
        return None
    # why: Function URLs repeat the cookies in headers.cookie; one source only, last (as Request.pairs)
    found.pop("HTTP_COOKIE", None)
    found["HTTP_COOKIE"] = joined
    return found


to_environ_apigw_v2 = partial(_environ_v2, "apigw-v2")  # Environ for an HTTP API payload 2.0 event
to_environ_function_url = partial(_environ_v2, "function-url")  # Environ for a Lambda Function URL event


def _alb_query(event):
    """The query string of an ALB event: decoded once as a WSGI server would (`+` a space, `%2B` a
    plus), then re-encoded canonically (ALB passes the query on as sent)."""
    query = _multi_items(event.get("multiValueQueryStringParameters"),
                         event.get("queryStringParameters"), "QueryStringParameters")
    if not query:
        return ""
    from urllib.parse import unquote_plus  # PERF: ~12M instructions (ipaddress...); only an ALB query needs it

    return encode_query([(unquote_plus(k), unquote_plus(v)) for k, v in query])


def to_environ_alb(event, context, strip_base_path=""):
    """Environ for an ALB target event (single- or multi-value mode)."""
    get = event.get
    method, path, body, rc = get("httpMethod"), get("path"), get("body"), get("requestContext")
    is_multi = "multiValueHeaders" in event
    environ = env_headers(_ALB_BASE, get("multiValueHeaders" if is_multi else "headers"), is_multi)
    if (environ is None or type(rc) is not dict or not type(method) is type(path) is str or "" in (method, path)
            or get("isBase64Encoded") or type(body) not in _TEXT_BODY):
        from .aws import to_request_alb  # the general rules (rare)

        return to_request_alb(event, context, strip_base_path).environ
    remote = environ.get("HTTP_X_FORWARDED_FOR", "")
    if remote:
        remote = remote.rsplit(",", 1)[-1].strip()  # the last entry: the one the balancer appended
    query = _alb_query(event) if get("multiValueQueryStringParameters") is not None or get(
        "queryStringParameters") not in (None, {}) else ""
    environ_of(environ, method, path, query, utf8(body), remote, "http", event, context,
               (rc.get("requestId") or None) if context is None else _environ_rid(event, context))
    if strip_base_path:
        strip_base(environ, strip_base_path)
    environ["koatty.alb_multi"] = is_multi
    return environ


def to_response_alb(environ, status, headers, body):
    """ALB response in the mode the request came in (``environ`` or the ``Request``), with statusDescription."""
    text, b64 = encode_body(headers, body)
    out = {"statusCode": int(status[:3]), "statusDescription": _status_line(status)}
    if (environ.get("koatty.alb_multi") if type(environ) is dict else environ.alb_multi):
        out["multiValueHeaders"] = multi_headers(headers)
    else:
        out["headers"] = single_headers(headers)
    out["body"] = text
    out["isBase64Encoded"] = b64
    return out


def _status_line(status):
    """'200 OK' from a WSGI status line (reason phrase filled in when the app gave none)."""
    code, _, reason = status.partition(" ")
    if not reason.strip():
        from http import HTTPStatus  # why: rare; apps normally send a reason phrase
        try:
            reason = HTTPStatus(int(code)).phrase
        except ValueError:
            reason = "Unknown"
    return code + " " + reason.strip()


# ---------------------------------------------------------------- VPC Lattice
def _lattice(kind, path_key, query_key, b64_key, items, event, context, strip_base_path=""):
    """Request for a VPC Lattice event: ``path_key`` may carry the query, else ``query_key``'s map (read, as
    the headers, by ``items``: v1's single values, v2's arrays)."""
    method = require_str(event, "method")
    path, _, query = require_str(event, path_key).partition("?")
    pairs = items(event.get("headers"), "headers")
    if not query:
        query = encode_query(items(event.get(query_key), query_key), query_key)
    req = make_request(method, path_info(path), query, pairs, body_source(event.get("body"), event.get(b64_key)),
                       XFF, "https", event, context, _AWS, kind, request_id_of(event, context, "aws_request_id"))
    return strip_request_base(req, strip_base_path)


# Request for a VPC Lattice v1 (snake_case) event; for a v2 event (array values; path may carry the query)
to_request_lattice_v1 = partial(_lattice, "lattice-v1", "raw_path", "query_string_parameters", "is_base64_encoded",
                                header_items)
to_request_lattice_v2 = partial(_lattice, "lattice-v2", "path", "queryStringParameters", "isBase64Encoded",
                                _array_items)


def to_response_lattice(environ, status, headers, body):
    """VPC Lattice response: ALB-like, headers comma-joined into one value each."""
    text, b64 = encode_body(headers, body)
    return {"statusCode": int(status[:3]), "statusDescription": _status_line(status),
            "headers": single_headers(headers), "body": text, "isBase64Encoded": b64}


def bad_request_aws(kind, message, event=None, context=None):
    """A 400 in the AWS shape of the kind, naming the invocation's request id (see bad_request_headers);
    ALB's in the one header map the request used (the target group's multi-value setting)."""
    rid, hdrs = bad_request_headers(event, context, "aws_request_id")
    body = error_body(message, rid).encode()
    if kind == "apigw-v1":
        return to_response_apigw_v1({}, "400 Bad Request", hdrs, body)
    if kind in ("apigw-v2", "function-url"):
        return to_response_v2({}, "400 Bad Request", hdrs, body)
    if kind == "alb":
        multi = type(event) is dict and "multiValueHeaders" in event
        return to_response_alb({"koatty.alb_multi": multi}, "400 Bad Request", hdrs, body)
    return to_response_lattice({}, "400 Bad Request", hdrs, body)
