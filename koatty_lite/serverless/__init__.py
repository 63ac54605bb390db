"""Serverless adapters: cloud HTTP events as a Request (or a PEP 3333 environ), for any WSGI application.

What every HTTP cold start needs, in one module (PERF: a module costs ~0.3M instructions to import):
the format registry's tables (records, load_platforms()), server() and the Request model. The rest loads
on first use (_LAZY, HttpFormat.source): http.py (HttpFormat, formats_for(), load_format(), register_format,
the general serving path, the environ rules), wsgi.py, the clouds' modules. Imports nothing from the koatty_lite core but the leaf errors.py (the one error shape). See
docs/triggers.md; new formats are registrations (register_format), not edits here.
"""
# PERF: `import x`, not `from x import y` of a module (which first asks it for __path__: a failed lookup, ~7k
# instructions a statement)
import _thread
import functools
import os as _os
import sys as _sys

from .. import _import

__all__ = [
    "ServerlessAdapter", "AwsLambdaAdapter", "AliCloudFcAdapter", "TencentScfAdapter",
    "serve_http", "detect_http", "detect_event_source", "UnknownEventError", "unclaimed_error",
    "run_wsgi", "DETECTORS", "KIND_PLATFORM", "decode_awslogs", "decode_clslogs", "MalformedEventError",
    "FORMATS", "HttpFormat", "register_format", "platforms", "formats_for", "running_on", "load_platforms",
    "server", "load_format", "BadEvent", "Request", "HeaderView",
]


# The registry: every HTTP format in detection order. The detectors exclude each other (tests prove
# every fixture is claimed by exactly one); the platforms, KIND_PLATFORM and the per-platform tables
# are derived from it by _index() whenever a format is registered. FORMATS, DETECTORS and
# KIND_PLATFORM are read through __getattr__ below, which loads the built-in clouds first.
_FORMATS = []
_KIND_PLATFORM = {}
_BY_PLATFORM = {"auto": _FORMATS}

# The built-in clouds' format modules (serverless/<name>.py), in detection order, and the environment
# variable that names each cloud's runtime. Pay for what you use: a process on a detected cloud loads
# only that cloud's module; elsewhere (local, tests, CLI) "auto" loads them all. handler(platform=...)
# loads only that platform's. A module absent from the package (a slim build for one cloud) is skipped.
BUILTIN_PLATFORMS = ("aws", "alicloud", "tencent")
_PENDING = list(BUILTIN_PLATFORMS)  # not imported yet
_SKIPPED = {}  # built-in cloud -> why its module is absent (a slim package built for another cloud)


def running_on(environ=None):
    """The cloud whose function runtime this process runs in, from its environment: ``"aws"``
    (AWS_LAMBDA_FUNCTION_NAME, or AWS_EXECUTION_ENV ``AWS_Lambda_*``), ``"alicloud"`` (FC_FUNCTION_NAME),
    ``"tencent"`` (SCF_FUNCTIONNAME, or TENCENTCLOUD_RUNENV ``SCF``), asked in that order; else None."""
    env = _os.environ if environ is None else environ
    # PERF: the first variable found answers (one os.environ read on Lambda, ~5 µs each at cold start)
    if env.get("AWS_LAMBDA_FUNCTION_NAME") or env.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_"):
        return "aws"
    if env.get("FC_FUNCTION_NAME"):
        return "alicloud"
    if env.get("SCF_FUNCTIONNAME") or env.get("TENCENTCLOUD_RUNENV") == "SCF":
        return "tencent"
    return None


def load_platforms(*names):
    """Import and register the named built-in clouds' formats (every built-in one when none are named)
    that are not loaded yet; a module missing from the package is skipped. Returns the platforms loaded."""
    done = []
    for name in names or BUILTIN_PLATFORMS:
        if name not in _PENDING:
            continue
        with _LOAD_LOCK:  # why: a second thread must not see the cloud as loaded before it is registered
            if name not in _PENDING:
                continue
            full = __name__ + "." + name
            try:
                _import(full)  # PERF: the package's own loader, not the finders (koatty_lite/__init__.py)
            except ModuleNotFoundError as exc:
                if exc.name != full:
                    raise  # why: a broken import inside a present module is a bug to show, not a slim build
                _SKIPPED[name] = str(exc)
            else:
                _register_module(_sys.modules[full])
                done.append(name)
            finally:
                _PENDING.remove(name)  # why last: a thread waiting on the lock then finds the cloud registered
    return tuple(done)


_LOAD_LOCK = _thread.RLock()


def _stand_in(namespace, module, name, *args):
    """A ``_later`` stand-in's call: import ``module``, put its function ``name`` in ``namespace`` in the
    stand-in's place, call it."""
    fn = namespace[name] = getattr(_import(module), name)  # PERF: the package's own loader
    return fn(*args)


# _later(namespace, module, name): a stand-in for the function ``name`` of ``module``: its first call imports the
# module and puts the function in ``namespace`` (a module's globals) in its place, so later calls go straight to it.
# PERF: a fast path's rare branches (a query string, a malformed event, an answer that is not plain text) keep
# their module off the cold start, and cost nothing once loaded (a function-level import costs ~0.75 µs per
# call); a partial of _stand_in: one object per stand-in, no closure with its cells, and no code object of its own
_later = functools.partial(functools.partial, _stand_in)


# BadEvent(message), the class loaded with serverless/http.py by the first malformed event, which puts it here in
# the stand-in's place (http._bad_event: the name it is bound to here). PERF: a class costs ~0.07M instructions to
# make at import.
_bad_event = _later(globals(), __name__ + ".http", "_bad_event")


def _slot(platform):
    # Why: a built-in cloud loaded late (handler(platform=...) first, "auto" later) keeps the built-in
    # detection order: its formats go ahead of a later built-in cloud's; any other format goes last.
    if platform in BUILTIN_PLATFORMS:
        later = BUILTIN_PLATFORMS[BUILTIN_PLATFORMS.index(platform) + 1:]
        for i, f in enumerate(_FORMATS):
            if f[1] in later:
                return i
    return len(_FORMATS)


def _index():
    """Rebuild the tables derived from FORMATS (in place: importers hold the same objects)."""
    _KIND_PLATFORM.clear()
    _BY_PLATFORM.clear()
    _BY_PLATFORM["auto"] = _FORMATS
    for f in _FORMATS:
        _KIND_PLATFORM[f[0]] = f[1]
        _BY_PLATFORM.setdefault(f[1], []).append(f)


def _formats(platform):
    """formats_for() without making HttpFormat (entry.py's: its records are read by index)."""
    if _PENDING:
        if platform == "auto":  # why: on a detected cloud that cloud's formats only; elsewhere every built-in cloud's
            here = running_on()
            load_platforms(*((here,) if here else BUILTIN_PLATFORMS))
        elif platform in _PENDING:
            load_platforms(platform)
    try:
        return _BY_PLATFORM[platform]
    except (KeyError, TypeError):
        from .http import unknown_platform

        raise unknown_platform(platform) from None


def _register_module(module):
    """Register a built-in cloud's module: its ``DETECTORS`` rows (kind, platform, detect, to_environ,
    to_response[, to_request[, answer]]), in detection order, with its one ``bad_request(kind, message)``.
    A row's ``to_environ`` is None only beside a named ``to_request`` (the Request's environ, made on load).

    Its ``SOURCE`` (optional) is the module where the functions the rows name (strings) are (see
    HttpFormat.source); then a module without bad_request names SOURCE's. PERF: the rows become records
    inserted and indexed at once, without register_format's checks (tests/test_serverless_registry.py
    runs them on every built-in row): the 6 AWS formats' registration 0.43M -> ~0.1M instructions.
    """
    source = getattr(module, "SOURCE", None)
    bad_request = getattr(module, "bad_request", "bad_request" if source else None)
    records = []
    made = globals().get("HttpFormat")  # once made, the registry holds HttpFormat records only (serverless/http.py)
    for kind, platform, detect, to_environ, to_response, *more in module.DETECTORS:
        to_request, answer, *_ = *more, None, None
        named = source if str in (type(to_environ), type(to_response), type(bad_request), type(to_request),
                                  type(answer)) else None
        record = kind, platform, detect, to_environ, to_response, bad_request, to_request, answer, named
        records.append(tuple.__new__(made, record) if made else record)
    if records:
        at = _slot(records[0][1])
        _FORMATS[at:at] = records
        _index()


_SHAPERS = {}  # to_response (or a record naming it) -> the same with the core's headers cleaned first


def _shaper(fmt):
    """``fmt``'s ``to_response`` taking a koatty_lite app's header pairs (text values) through clean_headers.

    PERF: serverless/http.py and the format's ``source`` are imported by the first answer that needs them
    (a plain answer goes through ``answer``: the cold start of a GET loads neither).
    """
    key = fmt[4] if type(fmt[4]) is not str else fmt  # PERF: a function hashes by id; a named one by the record
    shape = _SHAPERS.get(key)
    if shape is None:
        to_response = clean = None

        def shape(request, status, headers, body):
            nonlocal to_response, clean
            if clean is None:  # why: set last, so a second thread never sees to_response unset
                from .http import clean_headers, load_format

                to_response = load_format(fmt)[4]
                clean = clean_headers
            return to_response(request, status, clean(headers, True), body)

        _SHAPERS[key] = shape
    return shape


def server(fmt, wsgi_app, strip_base_path=""):
    """``serve(event, context) -> platform response`` for events of ``fmt`` (already detected), as
    ``serve_http`` answers them, with what can be decided once (the app's kind, the shapers) decided
    now: ``handler()`` builds one per format when it boots (PERF: REST v1 GET -0.3 µs)."""
    run = getattr(wsgi_app, "koatty_run", None)
    if run is not None:
        from .http import _wsgi_server, load_format

        return _wsgi_server(load_format(fmt), run, strip_base_path)  # why: every event needs to_environ
    answer_app = getattr(wsgi_app, "koatty_answer", None)
    to_request = fmt[6]
    if type(to_request) is str or type(fmt[7]) is str:  # a format naming them: the first event loads them
        serve = None

        def serve_named(event, context):
            nonlocal serve
            if serve is None:
                from .http import load_format

                serve = server(load_format(fmt), wsgi_app, strip_base_path)
            return serve(event, context)

        return serve_named
    if answer_app is None or to_request is None or getattr(wsgi_app, "koatty_timed", False):
        from .http import _server  # PERF: its closure's code is there, not in the code cache

        return _server(fmt, wsgi_app, strip_base_path)
    answer, shape = fmt[7], _shaper(fmt)

    def serve_request(event, context):
        try:
            request = to_request(event, context, strip_base_path)
        except ValueError as exc:  # a BadEvent (serverless/http.py: a malformed event is rare)
            from .http import BadEvent, bad_answer, load_format

            if not isinstance(exc, BadEvent):
                raise
            return bad_answer(load_format(fmt), exc, event, context)
        return answer_app(request, answer, shape)

    return serve_request


# The names of the modules loaded on first use (PERF: off the HTTP cold start): name -> module.
_LAZY = dict.fromkeys((
    "HttpFormat", "formats_for", "load_format", "BadEvent", "UnknownEventError", "register_format", "platforms", "detect_http", "_serve", "_load", "_claim",
    "_left_out_here", "bad_answer"), "http")
_LAZY.update(dict.fromkeys(("serve_http", "unclaimed_error", "run_wsgi", "ServerlessAdapter", "AwsLambdaAdapter",
                            "AliCloudFcAdapter", "TencentScfAdapter"), "wsgi"))
_LAZY.update(dict.fromkeys(("decode_awslogs", "decode_clslogs", "MalformedEventError"), "decode"))
_LAZY["detect_event_source"] = "events"
_LAZY["HeaderView"] = "request_extra"


# ---------------------------------------------------------------- the request model
# PERF: one module with the registry (serverless/request.py before): every HTTP event of a built-in
# format needs both, and a module costs ~0.3M instructions of each cold start.
XFF = object()  # remote_addr marker: the last X-Forwarded-For entry, read when first asked (ALB, Lattice)


# The header names (as sent) that are their own view key (request_extra._VIEW_KEYS); X-Request-Id's from the start
# (ctx.request_id's, read by Request.header)
_SELF_KEYS = {"x-request-id"}
_EXTRA = __name__ + ".request_extra"  # the module of Request's header half


def _header_of(headers, multi, key):
    """Request.header's pass over a header map: the values of the names that are ``key`` lower-cased, joined as the
    view joins them (None for none); the names that are their own view key are learnt on the way."""
    found = None
    for name, values in headers.items():
        if not name.isascii() or "_" in name:
            continue  # a name the view drops
        low = name.lower()
        if low == name and len(name) <= 64 and len(_SELF_KEYS) < 1024 and name != "content-length":
            _SELF_KEYS.add(name)  # its own view key (request_extra._view_key's rule; bounded)
        if low == key and values is not None:
            for value in (values if multi and type(values) is not str else (values,)):
                found = value if found is None else found + ("; " if key == "cookie" else ",") + value
    return found


class Request:
    """One HTTP request from a platform event, as the core reads it.

    Fields: ``method``, ``path`` (PATH_INFO, a PEP 3333 native string), ``script_name``, ``query``
    (the raw query string), ``pairs`` (the event's header pairs, validated), ``headers`` (a
    ``HeaderView``), ``body`` (bytes, decoded on first use), ``remote_addr``, ``scheme`` (before
    X-Forwarded-Proto), ``event``, ``context``, ``platform``, ``kind``, ``request_id``, ``trace_id``,
    ``authorizer``, ``alb_multi``, ``t0``; ``environ`` builds the PEP 3333 environ once. ``pairs``, ``headers``,
    ``server_name`` and ``trace_id`` are serverless/request_extra.py's, ``environ`` serverless/http.py's (stand-ins).
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
    def script_name(self):
        """SCRIPT_NAME: the REST v1 ``stage`` when the Host is an execute-api domain, plus any stripped base path."""
        stage = self.stage
        if stage and ".execute-api." in (self.headers.get("host") or ""):  # the environ's HTTP_HOST
            return "/" + stage + self._script
        return self._script

    @script_name.setter
    def script_name(self, value):
        self.stage = None
        self._script = value

    # The members defined in another module: stand-ins (_later) until the first read of one imports it, which puts
    # them on the class in their place (once, under the module lock). Why not ``Request.__getattr__``: a class with
    # one loses the interpreter's specialised attribute reads on every ``req.x`` (3.11+): REST v1, HTTP v2 GET -1k
    # instructions per request, ALB GET -1.4k; no code object more.
    pairs = property(_later({}, _EXTRA, "pairs"))
    headers = property(_later({}, _EXTRA, "headers"))
    server_name = property(_later({}, _EXTRA, "server_name"))
    trace_id = property(_later({}, _EXTRA, "trace_id"))
    environ = property(_later({}, __name__ + ".http", "_request_environ"))

    def header(self, key):
        """``headers.get(key)`` read from the event's own map when ``key`` is an ASCII lower-case name (not host or
        content-length), without the view: one get when every name of a single-value map is already its own view
        key (sent lower-case: the view would be a copy of it), else one pass joining the values of the names that
        are ``key`` lower-cased, as the view joins them. PERF: ctx.request_id's X-Request-Id (an event without an
        id) loads no header view (serverless/request_extra.py: cold ALB GET)."""
        source = self._pairs
        # a key the view keeps as it is (PERF: a known one told by one set lookup: ALB GET's X-Request-Id -1k)
        if type(source) is tuple and not source[3] and key != "host" and (key in _SELF_KEYS or (
                key.isascii() and key.islower() and "_" not in key and key != "content-length")):
            headers, multi = source[0], source[1]
            if not headers:
                return None
            if not multi and _SELF_KEYS.issuperset(headers):
                return headers.get(key)
            return _header_of(headers, multi, key)
        return self.headers.get(key)

    @property
    def body(self):
        """The body bytes (a text body is encoded on first use)."""
        body = self._body
        if type(body) is not bytes:
            body = self._body = utf8(body)
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

    def __repr__(self):
        return f"<Request {self.kind} {self.method} {self.path}>"


def utf8(text):
    """The UTF-8 bytes of an event's text body (None: b""); a lone surrogate (a JSON "\\ud800" escape) has none:
    the event's fault, a BadEvent (the 400)."""
    try:
        return text.encode() if text else b""
    except UnicodeEncodeError:
        raise _bad_event("body must be UTF-8 text (a lone surrogate is not)") from None


def body_source(body, is_b64):
    """The event's body as ``Request`` keeps it: a text body as it is (encoded on first use), else bytes.

    A base64 body is decoded now, so a malformed one is the platform's 400 before the app runs.
    """
    if body is None or (type(body) is str and not is_b64):
        return body
    from .http import decode_body  # PERF: a base64 or non-str body only

    return decode_body(body, is_b64)


def check_single(headers, what):
    """Validate a single-value map as ``http.header_items`` does (BadEvent), without copying it."""
    if headers is None:
        return None
    if type(headers) is not dict:
        raise _bad_event(what + " must be an object")
    for value in headers.values():  # PERF: __class__, not type(): no call (8 headers -0.5k instructions)
        if value.__class__ is not str and value is not None:
            raise _bad_event(what + " values must be strings")
    return headers


def check_multi(headers, what):
    """Validate a ``{name: [values]}`` map as ``aws._array_items`` does (BadEvent), without copying it."""
    if headers is None:
        return None
    if type(headers) is not dict:
        raise _bad_event(what + " must be an object")
    for values in headers.values():
        if values.__class__ is list and len(values) == 1 and values[0].__class__ is str:
            continue  # PERF: the usual one-value list in one test, no type() calls (8 headers: 9.0k -> 6.2k)
        if type(values) is list:
            for value in values:
                if type(value) is not str:
                    raise _bad_event(what + " values must be lists of strings")
        elif type(values) is not str and values is not None:
            raise _bad_event(what + " values must be lists of strings")
    return headers


def strip_request_base(req, base):
    """Move a configured base path from ``req.path`` to ``req.script_name`` (``http.strip_base``)."""
    path = req.path
    if base and (path == base or path.startswith(base + "/")):
        req.path = path[len(base):] or "/"
        req._script += base
    return req


# RFC 9110 token characters: a response header name made of others is dropped (http.clean_headers) or not
# plain (entry._with_id).
_TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # PERF: not a set (context.py)
# The common text types (lower-case), told by one dict lookup: an ASCII body of one is its own text. PERF: a
# bare WSGI app's "application/json" answer without the body_text call (koatty_bare REST v1 GET -2.4k instructions);
# a dict of strings, not a set: the gc never traverses it (context.py)
PLAIN_TYPES = dict.fromkeys(("application/json; charset=utf-8", "application/json", "text/plain",
                             "text/plain; charset=utf-8", "text/html", "text/html; charset=utf-8"))


def path_info(raw):
    """Percent-decode a URL path once into a PEP 3333 latin-1 native string."""
    if "%" not in raw and (raw.isascii() or max(raw) <= "\xff"):
        return raw  # PERF: the common case (ASCII) and any latin-1 path need no decoding
    from urllib.parse import unquote_to_bytes  # PERF: ~1.7 ms; only a %-escaped path needs it

    return unquote_to_bytes(raw).decode("latin-1")


def request_id_of(event, context, attr="request_id"):
    """The invocation's request id: the context's ``attr`` (``aws_request_id`` on Lambda, ``request_id``
    on FC and SCF), else the event's ``requestContext.requestId`` (top-level ``requestId`` when the
    event has no requestContext); None when neither has one."""
    if context is not None:
        rid = getattr(context, attr, None)
        if rid:
            return rid
    rc = event.get("requestContext")
    if type(rc) is dict:
        return rc.get("requestId") or None
    return event.get("requestId") or None


def context_request_id(context):
    """The invocation's id from the platform's context (``aws_request_id``, else ``request_id``), or None."""
    if context is None:
        return None
    return getattr(context, "aws_request_id", None) or getattr(context, "request_id", None)


def aws_only(event):
    """True when the event has a key only AWS's payload 1.0 carries.

    ``multiValueHeaders``, ``multiValueQueryStringParameters``, ``resource`` or ``version: "1.0"``:
    the REST v1 detector requires one, the Alibaba and Tencent detectors refuse them, so an AWS event
    is never served by another cloud's adapter (with its query and headers silently dropped).
    """
    return ("resource" in event or "multiValueHeaders" in event or event.get("version") == "1.0"
            or "multiValueQueryStringParameters" in event)


def __getattr__(name):
    """FORMATS, the clouds' modules and the names of the modules in _LAZY, loaded on first use."""
    if name in ("FORMATS", "DETECTORS", "KIND_PLATFORM"):  # DETECTORS: the table's name before named records
        _formats("auto")
        if name == "KIND_PLATFORM":
            return _KIND_PLATFORM
        load_format = _import(__name__ + ".http").load_format  # why: HttpFormat records (PERF: own loader)
        for fmt in list(_FORMATS):  # why: read by name, the registry's records have their functions
            load_format(fmt)
        return _FORMATS
    if name in BUILTIN_PLATFORMS:  # `serverless.aws` before anything loaded it
        load_platforms(name)
        module = _sys.modules.get(__name__ + "." + name)
        if module is not None:
            return module
    module = _LAZY.get(name)
    if module is not None:
        return getattr(_import(__name__ + "." + module), name)  # PERF: the package's own loader
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
