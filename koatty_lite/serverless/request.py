"""Request: one HTTP event as a small object the core reads directly (no WSGI environ).

Each built-in HTTP format turns its event into a ``Request`` (``to_request``); a koatty_lite app
reads it through ``Context``, and its answer goes straight into the platform's response. The PEP 3333
environ is built from the request only when something asks for it (``request.environ``): a foreign
WSGI app, or app code reading ``ctx.environ``. Both views follow the same rules (docs/triggers.md):
the environ is made by ``http.make_environ`` from the same fields, and tests run every fixture
through both.
"""
from .http import BadEvent, decode_body, make_environ

__all__ = ["Request", "HeaderView", "make_request", "strip_request_base", "XFF", "lazy_pairs", "body_source"]

XFF = object()  # remote_addr marker: the last X-Forwarded-For entry, read when first asked (ALB, Lattice)

_LOOKUP_KEYS = {}  # a name asked for -> the view key it finds
_VIEW_KEYS = {"content-length": None}
_SELF_KEYS = set()  # the names of _VIEW_KEYS that are their own key  # header name as sent -> lower-case view key (None: dropped)


def _view_key(name):
    """The view key of a header name (lower-case), cached; None for a name the environ drops too.

    Dropped, as ``http._env_key`` drops them: Content-Length (the view gives the body's length) and
    any name that is not ASCII or holds ``_``.
    """
    if not name.isascii() or "_" in name:
        return None  # why: never cached, so a client cannot fill the cache with such names
    low = name.lower()
    key = None if low == "content-length" else low
    if len(_VIEW_KEYS) < 1024 and len(name) <= 64:  # why: bounded (as listen mode's); names are client-chosen
        _VIEW_KEYS[name] = key
        if key == name:
            _SELF_KEYS.add(name)
    return key


def _fast_map(source):
    """The view's map straight from a lazy_pairs source when every name is a known, distinct, kept
    one with one value; else None (the caller walks the pairs)."""
    headers, multi, default_host, _ = source
    if not headers:
        return None
    if not multi and _SELF_KEYS.issuperset(headers):
        # PERF: every name already its own key (sent lower-case): one C copy, not a dict built item by
        # item (ALB, 8 headers: 12k -> 2k instructions); distinct kept names by construction
        if None in headers.values():
            return None  # a skipped value
        out = headers.copy()
    else:
        out = _built_map(headers, multi)
        if out is None:
            return None
    if default_host and "host" not in out:
        out["host"] = default_host
    return out


def _built_map(headers, multi):
    """_fast_map's map built name by name (names not all their own keys, or a multi-value map)."""
    keys = _VIEW_KEYS
    try:
        if multi:
            out = {keys[n]: (v[0] if len(v) == 1 else None) for n, v in headers.items()}
        else:
            out = {keys[n]: v for n, v in headers.items()}
    except (KeyError, TypeError):  # a name not seen before, a None value list
        return None
    if len(out) != len(headers) or None in out or None in out.values():
        return None  # two spellings of one name, a dropped name, a skipped or repeated value
    return out


_new = object.__new__


class HeaderView:
    """Case-insensitive read-only request headers over the event's header pairs.

    Built on first use: repeated names joined with ``,`` (``Cookie`` with ``; ``), names with ``_`` or
    non-ASCII characters dropped, ``content-length`` the decoded body's length, a comma-repeated Host
    (FC 3.0's ``h,h``) cut to its first value: what ``ctx.headers`` reads from an environ, as text.
    """

    __slots__ = ("_map", "_req", "raw_host")

    def __init__(self, req):
        self._map = None
        self._req = req
        self.raw_host = None  # the Host value(s) as joined, before a repeated one is cut to the first

    def _build(self):
        source = self._req._pairs
        out = None
        if type(source) is tuple and not source[3]:
            out = _fast_map(source)  # PERF: from the event's own map, no pairs (8 headers: 1.4 -> 0.5 µs)
        if out is None:
            out = {}
            get = out.get
            keys = _VIEW_KEYS
            for name, value in self._req.pairs:
                key = keys.get(name, 0)
                if key == 0:
                    key = _view_key(name)
                if key is None:
                    continue
                old = get(key)
                if old is None:
                    out[key] = value
                else:
                    out[key] = old + ("; " if key == "cookie" else ",") + value
        host = self.raw_host = out.get("host")
        if host and "," in host:
            out["host"] = host.split(",", 1)[0].strip()
        self._map = out
        return out

    def _length(self):
        return str(len(self._req.body))

    def get(self, name, default=None):
        """The header value (str) or ``default``; ``x_api_key`` finds ``X-Api-Key`` as the environ does."""
        m = self._map
        if m is None:
            m = self._build()
        value = m.get(name)
        if value is None:
            if type(name) is not str:
                return default
            # why: upper() then lower() finds what the environ's HTTP_ key finds ("hoſt" is HTTP_HOST there)
            key = _LOOKUP_KEYS.get(name)
            if key is None:
                key = name.upper().replace("_", "-").lower()
                if len(_LOOKUP_KEYS) < 256 and len(name) <= 64:  # PERF: names asked for, cached (bounded: any str may come)
                    _LOOKUP_KEYS[name] = key
            value = None if key == name else m.get(key)
            if value is None:
                # why: CONTENT_LENGTH always describes the bytes handed over
                return self._length() if key == "content-length" else default
        return value

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return isinstance(name, str) and self.get(name) is not None

    def keys(self):
        """Header names, lower-case with dashes (a blank Content-Type is left out, as from an environ)."""
        m = self._map
        if m is None:
            m = self._build()
        return ["content-length"] + [k for k, v in m.items() if v or k != "content-type"]

    def items(self):
        """``(name, value)`` pairs, names lower-case."""
        return [(k, self.get(k)) for k in self.keys()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return f"Headers({dict(self.items())!r})"


class Request:
    """One HTTP request from a platform event, as the core reads it.

    Fields: ``method``, ``path`` (PATH_INFO, a PEP 3333 native string), ``script_name``, ``query``
    (the raw query string), ``pairs`` (the event's header pairs, validated), ``headers`` (a
    ``HeaderView``), ``body`` (bytes, decoded on first use), ``remote_addr``, ``scheme`` (before
    X-Forwarded-Proto), ``event``, ``context``, ``platform``, ``kind``, ``request_id``, ``trace_id``,
    ``authorizer``, ``alb_multi``, ``t0``; ``environ`` builds the PEP 3333 environ once.
    """

    # PERF: the fields only some requests set (a base path, Server-Timing's t0, the environ) are class
    # defaults, stored in the instance __dict__ when set: 3 stores fewer per request.
    __slots__ = ("method", "path", "query", "_pairs", "_body", "_remote", "scheme", "event", "context",
                 "platform", "kind", "request_id", "stage", "authorizer", "alb_multi", "_headers", "__dict__")
    _script = ""
    t0 = _environ = None

    def __init__(self, method, path, query, pairs, body, remote_addr, scheme, event, context, platform,
                 kind, request_id):
        self.method = method
        self.path = path
        self.query = query
        self._pairs = pairs
        self._body = body
        self._remote = remote_addr
        self.scheme = scheme
        self.event = event
        self.context = context
        self.platform = platform
        self.kind = kind
        self.request_id = request_id
        self.stage = None
        self.authorizer = None
        self.alb_multi = None
        self._headers = None

    @property
    def pairs(self):
        """The event's header pairs, in order (flattened from its maps on first use: ``lazy_pairs``)."""
        pairs = self._pairs
        if type(pairs) is not list:
            pairs = self._pairs = _flatten(*pairs)
        return pairs

    @property
    def script_name(self):
        """SCRIPT_NAME: the REST v1 ``stage`` when the Host is an execute-api domain, plus any stripped base path."""
        stage = self.stage
        if stage and ".execute-api." in self.host_header():
            return "/" + stage + self._script
        return self._script

    @script_name.setter
    def script_name(self, value):
        self.stage = None
        self._script = value

    @property
    def headers(self):
        """The request headers (``HeaderView``)."""
        h = self._headers
        if h is None:
            # PERF: HeaderView's fields set here, without an __init__ frame (-1.5k instructions)
            h = self._headers = _new(HeaderView)
            h._map = h.raw_host = None
            h._req = self
        return h

    def header(self, key):
        """``headers.get(key)``, read straight from the event's single-value map when ``key`` is an
        ASCII lower-case name (not host or content-length) and every name in the map is already its
        own view key (sent lower-case: the view would be a copy of it), without building the view."""
        source = self._pairs
        if (type(source) is tuple and not source[1] and not source[3] and key.isascii() and key.islower()
                and "_" not in key and key != "host" and key != "content-length"):  # a key the view keeps as it is
            headers = source[0]
            if not headers:
                return None
            if _SELF_KEYS.issuperset(headers):
                return headers.get(key)
        return self.headers.get(key)

    @property
    def body(self):
        """The body bytes (a text body is encoded on first use)."""
        body = self._body
        if type(body) is not bytes:
            body = self._body = body.encode("utf-8") if body else b""
        return body

    def has_body(self):
        """True when the body is not empty."""
        return bool(self._body)

    @property
    def remote_addr(self):
        """The client address the adapter trusts ("" when none)."""
        remote = self._remote
        if remote is XFF:
            remote = None
            for name, value in self.pairs:
                if name.lower() == "x-forwarded-for":
                    remote = value.rsplit(",", 1)[-1].strip()
            self._remote = remote
        return remote or ""

    @property
    def server_name(self):
        """SERVER_NAME as ``make_environ`` sets it: the Host without its port, "localhost" without a Host."""
        headers = self.headers
        host = headers.get("host")
        if not headers.raw_host:
            return "localhost"  # why: ALB health checks carry no Host
        if ":" in host:
            name, _, port = host.rpartition(":")
            if port.isdigit() and "]" not in port:
                return name
        return host

    @property
    def trace_id(self):
        """The X-Amzn-Trace-Id header, or None."""
        return self.headers.get("x-amzn-trace-id") or None

    def host_header(self):
        """The Host header as the environ's HTTP_HOST (first of a repeated one), or ""."""
        return self.headers.get("host") or ""

    @property
    def environ(self):
        """The PEP 3333 environ of this request, built on first use."""
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

    def __repr__(self):
        return f"<Request {self.kind} {self.method} {self.path}>"


def body_source(body, is_b64):
    """The event's body as ``Request`` keeps it: a text body as it is (encoded on first use), else bytes.

    A base64 body is decoded now, so a malformed one is the platform's 400 before the app runs.
    """
    if body is None or (type(body) is str and not is_b64):
        return body
    return decode_body(body, is_b64)


def make_request(method, path, query, pairs, body, remote_addr, scheme, event, context, platform, kind,
                 request_id):
    """A ``Request``; the arguments are ``make_environ``'s (``body`` may be text: see ``body_source``)."""
    if request_id is None and context is not None:
        request_id = getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)
    if request_id is not None and type(request_id) is not str:
        request_id = str(request_id)
    return Request(method, path, query, pairs, body, remote_addr, scheme, event, context, platform, kind,
                   request_id)


def check_single(headers, what):
    """Validate a single-value map as ``http.header_items`` does (BadEvent), without copying it."""
    if headers is None:
        return None
    if type(headers) is not dict:
        raise BadEvent(what + " must be an object")
    for value in headers.values():
        if type(value) is not str and value is not None:
            raise BadEvent(what + " values must be strings")
    return headers


def check_multi(headers, what):
    """Validate a ``{name: [values]}`` map as ``aws._array_items`` does (BadEvent), without copying it."""
    if headers is None:
        return None
    if type(headers) is not dict:
        raise BadEvent(what + " must be an object")
    for values in headers.values():
        if type(values) is list and len(values) == 1 and type(values[0]) is str:
            continue  # PERF: the usual one-value list in one test (8 headers: 9.0k -> 7.8k instructions)
        if type(values) is list:
            for value in values:
                if type(value) is not str:
                    raise BadEvent(what + " values must be lists of strings")
        elif type(values) is not str and values is not None:
            raise BadEvent(what + " values must be lists of strings")
    return headers


def lazy_pairs(headers, multi=False, default_host=None, cookies=None):
    """A ``Request``'s header source, flattened into pairs only when something reads them.

    ``headers``: the event's validated map (``check_single`` / ``check_multi``); ``default_host``:
    the Host to add when the map has none (requestContext.domainName); ``cookies``: HTTP API 2.0's
    ``cookies`` array, which replaces any Cookie header (Function URLs repeat them there).
    """
    return (headers, multi, default_host, cookies)


def _pairs_of(headers, multi):
    """The (name, value) pairs of a validated single- or multi-value map (None values skipped)."""
    if not headers:
        return []
    if multi:
        return [(name, value) for name, values in headers.items() if values is not None
                for value in ((values,) if type(values) is str else values)]
    if None in headers.values():
        return [(name, value) for name, value in headers.items() if value is not None]
    return list(headers.items())  # PERF: the common case, in C


def _flatten(headers, multi, default_host, cookies):
    pairs = _pairs_of(headers, multi)
    if cookies:
        pairs = [p for p in pairs if p[0].lower() != "cookie"]
        pairs.append(("cookie", "; ".join(cookies)))
    if default_host and not _has_host(headers) and not any(name.lower() == "host" for name, _ in pairs):
        pairs.append(("Host", default_host))
    return pairs


def _has_host(headers):
    """True when the map surely gives a Host pair (PERF: skips lower-casing every name)."""
    if not headers:
        return False
    for name in ("host", "Host"):
        value = headers.get(name)
        if type(value) is str or (type(value) is list and value):
            return True
    return False


def strip_request_base(req, base):
    """Move a configured base path from ``req.path`` to ``req.script_name`` (``http.strip_base``)."""
    path = req.path
    if base and (path == base or path.startswith(base + "/")):
        req.path = path[len(base):] or "/"
        req._script += base
    return req

