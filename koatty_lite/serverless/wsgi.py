"""run_wsgi(): the one place a WSGI application runs (PEP 3333); serve_http() and the adapters, which
serve any WSGI app outside handler() (the "wsgi" feature of a slim package: loaded on first use)."""
from __future__ import annotations

from ..errors import check_status
from . import formats_for
from .http import _claim, _load, _serve

__all__ = ["run_wsgi", "serve_http", "unclaimed_error", "ServerlessAdapter", "AwsLambdaAdapter",
           "AliCloudFcAdapter", "TencentScfAdapter"]


def run_wsgi(app, environ):
    """Run a PEP 3333 app over environ; return (status_line, header_pairs, body_bytes)."""
    state = []  # [status, headers] once start_response was called
    chunks = []
    sent = [False]  # True once body bytes exist: headers count as "sent" (PEP 3333 exc_info rule)

    def write(data):
        if not state:
            raise AssertionError("write() before start_response()")
        if data:
            sent[0] = True
            chunks.append(bytes(data))

    def start_response(status, headers, exc_info=None):
        if exc_info:
            try:
                if sent[0]:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # why: break the traceback cycle (PEP 3333)
        elif state:
            raise AssertionError("start_response() called twice without exc_info")
        check_status(status)
        state[:] = [status, list(headers)]
        return write

    result = app(environ, start_response)
    try:
        for data in result:
            if data:
                if not state:
                    raise AssertionError("body yielded before start_response()")
                sent[0] = True
                chunks.append(data)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not state:
        raise AssertionError("the WSGI app did not call start_response()")
    return state[0], state[1], b"".join(chunks)


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
