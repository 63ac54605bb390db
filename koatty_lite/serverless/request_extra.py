"""The serverless ``Request``'s header half (serverless/__init__.py's Request): its header view (``HeaderView``),
the header pairs, SERVER_NAME and the trace id. Importing it puts ``pairs``, ``headers``, ``server_name`` and
``trace_id`` on ``Request`` (its ``environ``: serverless/http.py's), whose stand-ins import it at the first read
of one (once, under the import lock: a second thread's first read waits for it). ``Request.header`` reads one
header without it when it can.

PERF: a cold GET that reads no header (nor the environ) loads none of it: the code cache (serverless/__init__.py)
holds ~20 code objects fewer (cold Lambda v2 GET 81.98M -> 81.81M instructions, coldstages.sh; FC 3.0 -0.16M,
SCF -0.15M to -0.28M, coldclouds.sh); the first header read pays its import (~0.1M).
"""
from . import _SELF_KEYS, Request

_new = object.__new__


_LOOKUP_KEYS = {}  # a name asked for -> the view key it finds


_VIEW_KEYS = {"content-length": None}


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
    """The view's map straight from a header source (Request.pairs) when every name is a known, distinct, kept
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
        keys = _VIEW_KEYS
        out = {}
        try:  # PERF: a loop, not comprehensions in a helper (code objects fewer at every cold start)
            for n, v in headers.items():
                out[keys[n]] = (v[0] if len(v) == 1 else None) if multi else v
        except (KeyError, TypeError):  # a name not seen before, a None value list
            return None
        if len(out) != len(headers) or None in out or None in out.values():
            return None  # two spellings of one name, a dropped name, a skipped or repeated value
    if default_host and "host" not in out:
        out["host"] = default_host
    return out


class HeaderView:
    """Case-insensitive read-only request headers over the event's header pairs.

    Built on first use: repeated names joined with ``,`` (``Cookie`` with ``; ``), names with ``_`` or
    non-ASCII characters dropped, ``content-length`` the decoded body's length, a comma-repeated Host
    (FC 3.0's ``h,h``) cut to its first value: what ``ctx.headers`` reads from an environ, as text.
    """

    # Made by Request.headers, which sets the fields (no __init__: PERF, a frame fewer): ``_map`` (built on first
    # read), ``_req``, ``raw_host`` (the Host value(s) as joined, before a repeated one is cut to the first).
    __slots__ = ("_map", "_req", "raw_host")

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
                if len(_LOOKUP_KEYS) < 256 and len(name) <= 64:  # PERF: cached (bounded: any str may come)
                    _LOOKUP_KEYS[name] = key
            value = None if key == name else m.get(key)
            if value is None:
                # why: CONTENT_LENGTH always describes the bytes handed over
                return str(len(self._req.body)) if key == "content-length" else default
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
        names = ["content-length"]
        for k, v in m.items():  # PERF: loops, not comprehensions (code objects fewer at every cold start)
            if v or k != "content-type":
                names.append(k)
        return names

    def items(self):
        """``(name, value)`` pairs, names lower-case."""
        names = self.keys()
        return list(zip(names, map(self.get, names)))

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return f"Headers({dict(self.items())!r})"


def _amend(pairs, headers, default_host, cookies):
    """Request.pairs' ``pairs`` with ``cookies`` in place of any Cookie pair, and ``default_host`` added when
    ``headers`` give no Host."""
    if cookies:
        kept = []
        for pair in pairs:
            if pair[0].lower() != "cookie":
                kept.append(pair)
        kept.append(("cookie", "; ".join(cookies)))
        pairs = kept
    # PERF: a Host sent as "host" or "Host" is told without lower-casing every name
    if default_host and not (headers and (type(headers.get("host")) is str or type(headers.get("Host")) is str)):
        for name, _ in pairs:
            if name.lower() == "host":
                break
        else:
            pairs.append(("Host", default_host))
    return pairs


def pairs(self):
    """The event's header pairs, in order, flattened on first use from the header source a format gave:
    ``(map, multi, default_host, cookies)``: the event's validated single- or multi-value map, the Host to
    add when it has none (requestContext.domainName), HTTP API 2.0's ``cookies`` (they replace any Cookie
    header: Function URLs repeat them there); None values skipped. PERF: loops, not helpers and comprehensions
    (code objects fewer at every cold start)."""
    if type(self._pairs) is list:
        return self._pairs
    headers, multi, default_host, cookies = self._pairs
    if not headers:
        pairs = []
    elif multi or None in headers.values():
        pairs = []
        for name, values in headers.items():
            if values is not None:
                for value in (values if multi and type(values) is not str else (values,)):
                    pairs.append((name, value))
    else:
        pairs = list(headers.items())  # PERF: the common case, in C
    if cookies or default_host:
        pairs = _amend(pairs, headers, default_host, cookies)
    self._pairs = pairs
    return pairs

def headers(self):
    """The request headers (``HeaderView``)."""
    h = self._headers
    if h is None:
        # PERF: HeaderView's fields set here, without an __init__ frame (-1.5k instructions)
        h = self._headers = _new(HeaderView)
        h._map = h.raw_host = None
        h._req = self
    return h

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

def trace_id(self):
    """The X-Amzn-Trace-Id header, or None."""
    return self.headers.get("x-amzn-trace-id") or None


for _name in ("pairs", "headers", "server_name", "trace_id"):  # in the place of Request's stand-ins (serverless/__init__.py)
    setattr(Request, _name, property(globals()[_name]))
