"""AWS Lambda entry module: `Handler: handler.handler` in the zip, `examples.aws.handler.handler` from the repo root.

The app boots during Lambda's Init phase (module import), so the first request only runs the onion.
"""
from __future__ import annotations

try:
    from demo.app import App  # the deployed zip puts demo/ at the top level
except ModuleNotFoundError as exc:
    # Why: only fall back when `demo` itself is missing, never hide an import error inside the app.
    if exc.name not in ("demo", "demo.app"):
        raise
    from examples.demo.app import App  # running from the repository root (tests, invoke, start-api)

import koatty_lite


def on_schedule(event, context, app):
    """A schedule trigger fired: do periodic work here (the platform ignores the return value)."""
    return {"handled": "scheduled"}

handler = koatty_lite.handler(App, event_handlers={"scheduled": on_schedule})
