"""Serverless adapters: cloud HTTP events ⇄ PEP 3333, for any WSGI application.

Imports nothing from the koatty_lite core but the leaf errors.py (the one error shape). See
docs/triggers.md; new formats are registrations (register_format), not edits here.
"""
import json
import sys as _sys
from operator import itemgetter as _itemgetter
from os import environ as _environ
from time import perf_counter

from ..errors import status_line
from .http import BadEvent, UnknownEventError, clean_headers

__all__ = [
    "ServerlessAdapter", "AwsLambdaAdapter", "AliCloudFcAdapter", "TencentScfAdapter",
    "serve_http", "detect_http", "detect_event_source", "UnknownEventError", "unclaimed_error",
    "run_wsgi", "DETECTORS", "KIND_PLATFORM", "decode_awslogs", "decode_clslogs", "MalformedEventError",
    "FORMATS", "HttpFormat", "register_format", "platforms", "formats_for", "running_on", "load_platforms",
    "server",
]


class HttpFormat(tuple):
    """One HTTP event format, a named record: ``kind``, ``platform``, ``detect(event) -> bool``,
    ``to_environ(event, context, strip_base_path) -> environ``,
    ``to_response(request, status, headers, body) -> platform response`` (``request``: what
    ``to_request`` made, else the environ), ``bad_request(kind, message[, event, context]) -> platform
    response`` (a 400 in the platform's shape, see bad_answer), ``to_request(event, context, strip_base_path) -> Request`` or None,
    ``answer(request, status, headers, body, ctype) -> platform response`` or None.

    A koatty_lite app reads the ``Request`` (serverless/request.py) directly; a format without
    ``to_request`` serves it the environ instead. ``answer`` shapes a koatty_lite app's plain answer
    (``output.WsgiApp.koatty_answer``: int status, distinct header pairs, no Set-Cookie or
    Content-Encoding, the content type lower-cased) straight into the response, and a foreign WSGI
    app's plain answer under handler()'s guard too (its ``request`` is then the environ, as for
    ``to_response``); without it (or for any other answer) ``to_response`` does. A tuple subclass:
    cheap to build and iterate, read by name.
    """

    __slots__ = ()

    def __new__(cls, kind, platform, detect, to_environ, to_response, bad_request, to_request=None, answer=None):
        """Build the record (see the class docstring for the fields)."""
        return tuple.__new__(cls, (kind, platform, detect, to_environ, to_response, bad_request, to_request,
                                   answer))

    kind = property(_itemgetter(0), doc="the event kind, e.g. 'apigw-v1' (ctx.event_kind)")
    platform = property(_itemgetter(1), doc="the cloud, e.g. 'aws' (ctx.platform, handler(platform=...))")
    detect = property(_itemgetter(2), doc="detect(event) -> True when this format claims the event")
    to_environ = property(_itemgetter(3), doc="to_environ(event, context, strip_base_path) -> PEP 3333 environ")
    to_response = property(_itemgetter(4), doc="to_response(request or environ, status, headers, body) -> response")
    bad_request = property(_itemgetter(5), doc="bad_request(kind, message[, event, context]) -> a 400 in the "
                                               "platform's shape (see bad_answer)")
    to_request = property(_itemgetter(6), doc="to_request(event, context, strip_base_path) -> Request, or None")
    answer = property(_itemgetter(7), doc="answer(request, status, headers, body, ctype) -> response, or None")


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
    env = _environ if environ is None else environ
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
    for name in [p for p in (names or BUILTIN_PLATFORMS) if p in _PENDING]:
        _PENDING.remove(name)
        full = __name__ + "." + name
        try:
            __import__(full)  # PERF: not importlib.import_module: the importlib package is not loaded yet
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise  # why: a broken import inside a present module is a bug to show, not a slim build
            _SKIPPED[name] = str(exc)
            continue
        _register_module(_sys.modules[full])
        done.append(name)
    return tuple(done)


def _left_out_here():
    """Why the formats of the cloud this process runs on are absent (its module is not in this slim
    package: the message names the ``--platform`` to rebuild with), else None."""
    here = running_on()
    return _SKIPPED.get(here) if here else None


def _load_auto():
    # Why: "auto" on a detected cloud is that cloud's formats only; elsewhere every built-in cloud's.
    if _PENDING:
        here = running_on()
        load_platforms(*((here,) if here else BUILTIN_PLATFORMS))


def register_format(kind, platform, detect, to_environ, to_response, bad_request, before=None, to_request=None,
                    answer=None):
    """Add an HTTP event format (a new cloud or trigger) and return its ``HttpFormat``.

    ``before``: the kind whose detector this one must run ahead of (default: last). The platform
    becomes valid for ``handler(platform=...)`` and ``ServerlessAdapter.platform``. ``to_request``
    (optional): the event as a ``serverless.request.Request`` for koatty_lite apps; without it they
    are served the environ ``to_environ`` builds. ``to_environ`` may be None when ``to_request`` is
    given: the Request's own environ then serves foreign WSGI apps (one set of rules for both).
    ``answer`` (optional, with ``to_request``): a koatty_lite app's plain answer shaped directly (see
    ``HttpFormat``); ``to_response`` shapes the rest.
    """
    if not (isinstance(kind, str) and kind and isinstance(platform, str) and platform and platform != "auto"):
        raise ValueError("register_format needs a kind and a platform name (not 'auto')")
    if to_environ is None and callable(to_request):
        to_environ = _environ_via(to_request)
    _check_functions(kind, detect=detect, to_environ=to_environ, to_response=to_response, bad_request=bad_request)
    _check_functions(kind, True, to_request=to_request, answer=answer)
    if kind in _KIND_PLATFORM:
        raise ValueError(f"HTTP format {kind!r} is already registered")
    fmt = HttpFormat(kind, platform, detect, to_environ, to_response, bad_request, to_request, answer)
    at = _slot(platform)
    if before is not None:
        at = next((i for i, f in enumerate(_FORMATS) if f[0] == before), None)
        if at is None:
            raise ValueError(f"register_format({kind!r}, before={before!r}): no such kind")
    _FORMATS.insert(at, fmt)
    _index()
    return fmt


def _environ_via(to_request):
    """``to_environ`` for a format whose ``Request`` builds the environ (``Request.environ``)."""
    def to_environ(event, context, strip_base_path=""):
        return to_request(event, context, strip_base_path).environ
    return to_environ


def _slot(platform):
    # Why: a built-in cloud loaded late (handler(platform=...) first, "auto" later) keeps the built-in
    # detection order: its formats go ahead of a later built-in cloud's; any other format goes last.
    if platform in BUILTIN_PLATFORMS:
        later = BUILTIN_PLATFORMS[BUILTIN_PLATFORMS.index(platform) + 1:]
        return next((i for i, f in enumerate(_FORMATS) if f[1] in later), len(_FORMATS))
    return len(_FORMATS)


def _check_functions(kind, optional=False, **functions):
    """TypeError naming the first of ``functions`` that is not callable (nor None when ``optional``)."""
    for name, fn in functions.items():
        if not callable(fn) and not (optional and fn is None):
            raise TypeError(f"register_format({kind!r}): {name} must be callable" + (" or None" if optional else ""))


def _index():
    """Rebuild the tables derived from FORMATS (in place: importers hold the same objects)."""
    _KIND_PLATFORM.clear()
    _KIND_PLATFORM.update((f[0], f[1]) for f in _FORMATS)
    _BY_PLATFORM.clear()
    _BY_PLATFORM["auto"] = _FORMATS
    for f in _FORMATS:
        _BY_PLATFORM.setdefault(f[1], []).append(f)


def platforms():
    """The platform names ``handler(platform=...)`` accepts: "auto" and every registered cloud (the
    built-in clouds loaded too, except one whose module is not in the package)."""
    load_platforms()
    return tuple(_BY_PLATFORM)


def formats_for(platform):
    """The formats a handler for ``platform`` detects, in order (ValueError naming the valid ones).

    Loads what it needs first: "auto" as _load_auto says, a built-in cloud its own module only."""
    if _PENDING:
        if platform == "auto":
            _load_auto()
        elif platform in _PENDING:
            load_platforms(platform)
    try:
        return _BY_PLATFORM[platform]
    except (KeyError, TypeError):
        names = ", ".join(repr(p) for p in platforms())
        raise ValueError(f"platform must be one of {names}, not {platform!r}") from None


def _register_module(module):
    # Why: each platform module lists (kind, platform, detect, to_environ, to_response[, to_request[,
    # answer]]) rows and one bad_request(kind, message) for its kinds.
    for kind, platform, detect, to_environ, to_response, *more in module.DETECTORS:
        more += [None, None]
        register_format(kind, platform, detect, to_environ, to_response, module.bad_request,
                        to_request=more[0], answer=more[1])



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


def serve_http(wsgi_app, event, context, platform="auto", strip_base_path=""):
    """Run wsgi_app for an HTTP event; return the platform response dict, or None if unclaimed.

    strip_base_path: a custom-domain base path (e.g. "/v1") removed from PATH_INFO and
    added to SCRIPT_NAME, so the app sees the same paths behind any mapping.
    """
    event = _load(event)
    fmt = _claim(event, platform)
    if fmt is None:
        return None
    return _serve(fmt, wsgi_app, event, context, strip_base_path.rstrip("/"))


def _serve(fmt, wsgi_app, event, context, strip_base_path):
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
        if body and (request["REQUEST_METHOD"] == "HEAD" or status[:3] in _NO_BODY):
            body = b""  # why: as a server would, whatever the app wrote (RFC 9110 §9.3.2, §15.3.5, §15.4.5)
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
        return answer(request, fmt[7], _shaper(fmt[4]))
    status, headers, body = respond(request)  # PERF: no start_response round trip
    return fmt[4](request, status, clean_headers(headers, True), body)  # a koatty_lite app's values are text


_SHAPERS = {}  # to_response -> the same with the core's headers cleaned first
# The status codes of a foreign app's answer sent without a body (a koatty_lite app's: output._NO_BODY).
_NO_BODY = frozenset(("204", "304", *map(str, range(100, 200))))


def _shaper(to_response):
    """``to_response`` taking a koatty_lite app's header pairs (text values) through clean_headers."""
    shape = _SHAPERS.get(to_response)
    if shape is None:
        def shape(request, status, headers, body):
            return to_response(request, status, clean_headers(headers, True), body)

        _SHAPERS[to_response] = shape
    return shape


def server(fmt, wsgi_app, strip_base_path=""):
    """``serve(event, context) -> platform response`` for events of ``fmt`` (already detected), as
    ``serve_http`` answers them, with what can be decided once (the app's kind, the shapers) decided
    now: ``handler()`` builds one per format when it boots (PERF: REST v1 GET -0.3 µs)."""
    run = getattr(wsgi_app, "koatty_run", None)
    if run is not None:
        return _wsgi_server(fmt, run, strip_base_path)
    answer_app = getattr(wsgi_app, "koatty_answer", None)
    to_request = fmt[6]
    if answer_app is None or to_request is None or getattr(wsgi_app, "koatty_timed", False):
        def serve(event, context):
            return _serve(fmt, wsgi_app, event, context, strip_base_path)

        return serve
    answer, shape = fmt[7], _shaper(fmt[4])

    def serve_request(event, context):
        try:
            request = to_request(event, context, strip_base_path)
        except BadEvent as exc:
            return bad_answer(fmt, exc, event, context)
        return answer_app(request, answer, shape)

    return serve_request


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


def bad_answer(fmt, exc, event, context):
    """The format's 400 for a malformed ``event`` (``exc``: the BadEvent): a ``bad_request`` taking
    ``(kind, message, event, context)``, as the built-in ones do, names the request id and answers
    in the event's own shape; one taking ``(kind, message)`` keeps working."""
    bad = fmt[5]
    code = getattr(bad, "__code__", None)
    if code is not None and code.co_argcount >= 4:
        return bad(fmt[0], str(exc), event, context)
    return bad(fmt[0], str(exc))


def _canonical(status, seen):
    """The code of a WSGI status line when it is the line ``status_line`` writes for it ("200 OK"),
    remembered in ``seen`` (bounded: apps choose their reason phrases); else 0."""
    code = int(status[:3])
    if status != status_line(code):
        return 0
    if len(seen) < 64:
        seen[status] = code
    return code


def unclaimed_error(event):
    """The ValueError raised for an event no adapter claims, naming its top-level keys."""
    if type(event) is dict:
        keys = ", ".join(sorted(map(str, event))) or "(none)"
        return ValueError("unrecognised event: no adapter claims an event with top-level keys: " + keys)
    return ValueError("unrecognised event of type %s" % type(event).__name__)


class ServerlessAdapter:
    """Protocol: an object with `name` (str) and `create_handler(app) -> handler(event, context)`."""

    name = "custom"
    platform = "auto"

    def __init__(self, strip_base_path=""):
        """strip_base_path: a custom-domain base path removed from PATH_INFO (see docs/triggers.md)."""
        base = strip_base_path.rstrip("/")
        if base and not base.startswith("/"):
            raise ValueError("strip_base_path must start with '/'")
        self.strip_base_path = base

    def create_handler(self, app):
        """Return handler(event, context) serving the WSGI app for this platform's HTTP kinds."""
        formats_for(self.platform)  # why: an unknown platform fails here, not on the first event
        base = self.strip_base_path

        def handler(event, context=None):
            event = _load(event)
            fmt = _claim(event, self.platform) if type(event) is dict else None
            if fmt is None:
                raise unclaimed_error(event)
            return _serve(fmt, app, event, context, base)

        handler.adapter = self
        return handler


class AwsLambdaAdapter(ServerlessAdapter):
    """AWS Lambda: API Gateway REST/HTTP, Function URL, ALB, VPC Lattice."""

    name = "aws"
    platform = "aws"


class AliCloudFcAdapter(ServerlessAdapter):
    """Alibaba Cloud Function Compute: FC 3.0 HTTP trigger, API Gateway → FC."""

    name = "alicloud"
    platform = "alicloud"


class TencentScfAdapter(ServerlessAdapter):
    """Tencent Cloud SCF: API Gateway trigger, function URL, CLB trigger."""

    name = "tencent"
    platform = "tencent"


def __getattr__(name):
    # PERF: events.py is only needed for non-HTTP routing, wsgi.py only for foreign WSGI apps
    if name in ("FORMATS", "DETECTORS", "KIND_PLATFORM"):  # DETECTORS: the table's name before named records
        _load_auto()
        return _KIND_PLATFORM if name == "KIND_PLATFORM" else _FORMATS
    if name in BUILTIN_PLATFORMS:  # `serverless.aws` before anything loaded it
        load_platforms(name)
        module = _sys.modules.get(__name__ + "." + name)
        if module is not None:
            return module
    if name == "detect_event_source":
        from .events import detect_event_source
        return detect_event_source
    if name in ("decode_awslogs", "decode_clslogs", "MalformedEventError"):
        from . import decode
        return getattr(decode, name)
    if name == "run_wsgi":
        from .wsgi import run_wsgi
        return run_wsgi
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
