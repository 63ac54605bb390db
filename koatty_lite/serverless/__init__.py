"""Serverless adapters: cloud HTTP events ⇄ PEP 3333, for any WSGI application.

Imports nothing from the koatty_lite core. See docs/triggers.md.
"""
from __future__ import annotations

import json

from . import aws
from .http import BadEvent, UnknownEventError, clean_headers

__all__ = [
    "ServerlessAdapter", "AwsLambdaAdapter", "AliCloudFcAdapter", "TencentScfAdapter",
    "serve_http", "detect_http", "detect_event_source", "UnknownEventError", "unclaimed_error",
    "run_wsgi", "DETECTORS", "KIND_PLATFORM", "decode_awslogs", "decode_clslogs", "MalformedEventError",
]

# One ordered table: (kind, platform, detect, to_environ, to_response, bad_request).
# The detectors exclude each other (tests prove every fixture is claimed by exactly one).
DETECTORS = [
    ("apigw-v1", "aws", aws.detect_apigw_v1, aws.to_environ_apigw_v1, aws.to_response_apigw_v1),
    ("apigw-v2", "aws", aws.detect_apigw_v2, aws.to_environ_apigw_v2, aws.to_response_v2),
    ("function-url", "aws", aws.detect_function_url, aws.to_environ_function_url, aws.to_response_v2),
    ("alb", "aws", aws.detect_alb, aws.to_environ_alb, aws.to_response_alb),
    ("lattice-v1", "aws", aws.detect_lattice_v1, aws.to_environ_lattice_v1, aws.to_response_lattice),
    ("lattice-v2", "aws", aws.detect_lattice_v2, aws.to_environ_lattice_v2, aws.to_response_lattice),
]
_BAD = {"aws": aws.bad_request}

try:  # why: platform modules land incrementally; the table grows with them
    from . import alicloud, tencent
except ImportError:  # pragma: no cover
    alicloud = tencent = None
else:
    DETECTORS += alicloud.DETECTORS + tencent.DETECTORS
    _BAD["alicloud"] = alicloud.bad_request
    _BAD["tencent"] = tencent.bad_request

KIND_PLATFORM = {row[0]: row[1] for row in DETECTORS}
_BY_PLATFORM = {p: [r for r in DETECTORS if r[1] == p] for p in ("aws", "alicloud", "tencent")}
_BY_PLATFORM["auto"] = DETECTORS


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


def _row(event, platform):
    try:
        table = _BY_PLATFORM[platform]
    except KeyError:
        raise ValueError("platform must be 'auto', 'aws', 'alicloud' or 'tencent', not %r"
                         % (platform,)) from None
    if type(event) is not dict:
        return None
    for row in table:
        if row[2](event):
            return row
    return None


def detect_http(event, platform="auto"):
    """Return the HTTP event kind (e.g. 'apigw-v1'), or None when no HTTP adapter claims it."""
    row = _row(_load(event), platform)
    return row[0] if row else None


def serve_http(wsgi_app, event, context, platform="auto", strip_base_path=""):
    """Run wsgi_app for an HTTP event; return the platform response dict, or None if unclaimed.

    strip_base_path: a custom-domain base path (e.g. "/v1") removed from PATH_INFO and
    added to SCRIPT_NAME, so the app sees the same paths behind any mapping.
    """
    event = _load(event)
    row = _row(event, platform)
    if row is None:
        return None
    return _serve(row, wsgi_app, event, context, strip_base_path.rstrip("/"))


def _serve(row, wsgi_app, event, context, strip_base_path):
    kind = row[0]
    try:
        environ = row[3](event, context, strip_base_path)
    except BadEvent as exc:
        return _BAD[row[1]](kind, str(exc))
    respond = getattr(wsgi_app, "koatty_respond", None)
    if respond is not None:  # PERF: a koatty_lite app answers without the start_response round trip
        status, headers, body = respond(environ)
    else:
        from .wsgi import run_wsgi  # PERF: only foreign WSGI apps need it; kept off the cold path

        status, headers, body = run_wsgi(wsgi_app, environ)
    return row[4](environ, status, clean_headers(headers), body)


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
        table = _BY_PLATFORM[self.platform]
        base = self.strip_base_path

        def handler(event, context=None):
            event = _load(event)
            row = None
            if type(event) is dict:
                for r in table:
                    if r[2](event):
                        row = r
                        break
            if row is None:
                raise unclaimed_error(event)
            return _serve(row, app, event, context, base)

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
