"""A fake cloud "acme", registered from outside the package (tests/test_cli_registry.py).

Its HTTP format (serverless.register_format), its `event` kind (cli.event.register_event) and an
app; ``handle`` is the function entry a CLI command loads as ``tests.acme_cloud:handle``.
"""
from __future__ import annotations

import json

from koatty_lite import Controller, GetMapping, Koatty, handler, serverless
from koatty_lite.cli import event as cli_event
from koatty_lite.serverless import BadEvent
from koatty_lite.serverless.http import make_environ


def detect(event):
    return event.get("acme") == 1


def to_environ(event, context, strip_base_path=""):
    if not isinstance(event.get("verb"), str):
        raise BadEvent("verb must be a string")
    return make_environ(event["verb"], event.get("where", "/"), event.get("q", ""), [("Host", "acme.example")],
                        b"", "198.51.100.9", "https", event, context, "acme", "acme-http", event.get("id"))


def to_response(environ, status, headers, body):
    return {"code": int(status[:3]), "head": dict(headers), "text": body.decode()}


def bad_request(kind, message):
    return {"code": 400, "head": {}, "text": json.dumps({"kind": kind, "message": message})}


def build(req):
    """The CLI's acme event for an HttpRequest."""
    return {"acme": 1, "verb": req.method, "where": req.path, "q": req.raw_query, "id": "acme-req-1"}


def to_http(result):
    """start-api: an acme answer as HTTP."""
    return result["code"], list(result["head"].items()), result["text"].encode()


def register():
    """Register the cloud everywhere; returns a function that removes it again."""
    fmt = serverless.register_format("acme-http", "acme", detect, to_environ, to_response, bad_request)
    cli_event.register_event("acme-http", build, to_http=to_http)

    def unregister():
        cli_event.unregister_event("acme-http")
        serverless.FORMATS.remove(fmt)
        serverless._index()

    return unregister


@Controller("/")
class Where:
    @GetMapping("/where")
    def where(self):
        ctx = self.ctx
        return {"platform": ctx.platform, "kind": ctx.event_kind, "rid": ctx.request_id, "q": ctx.querystring}


class App(Koatty):
    components = [Where]


def handle(event, context=None):
    """The function entry (created per call: the fake cloud may be registered after this import)."""
    return handler(App)(event, context)
