"""Alibaba Cloud FC entry module: `index.handler` in the package, `examples.alicloud.index` from the repo root.

One function object serves both FC forms:
- FC 3.0 event function (HTTP trigger or timer trigger): `handler(event: bytes, context)`;
- FC 2.0 HTTP function (WSGI): `handler(environ, start_response)`.
`handler.initialize` / `handler.pre_stop` are FC's lifecycle hooks (`index.initialize`, `index.pre_stop`).
"""
from __future__ import annotations

try:
    from demo.app import App  # the package puts demo/ at the top level
except ModuleNotFoundError as exc:
    if exc.name not in ("demo", "demo.app"):  # Why: never hide an import error inside the app
        raise
    from examples.demo.app import App  # running from the repository root

import koatty_lite


def on_schedule(event, context, app):
    """A schedule trigger fired: do periodic work here (the platform ignores the return value)."""
    return {"handled": "scheduled"}

handler = koatty_lite.handler(App, event_handlers={"scheduled": on_schedule})
initialize = getattr(handler, "initialize", None)
pre_stop = getattr(handler, "pre_stop", None)
