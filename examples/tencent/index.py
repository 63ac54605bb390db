"""Tencent SCF event-function entry: `index.main_handler` (API Gateway / function URL / timer triggers).

From the repository root the same module is `examples.tencent.index`.
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

main_handler = koatty_lite.handler(App, event_handlers={"scheduled": on_schedule})
