"""A timing middleware: adds ``X-Response-Time`` (ms) to every response."""
from __future__ import annotations

import time

from koatty_lite import Middleware


@Middleware()
class TimingMiddleware:
    """Onion middleware: measures the time spent inside ``next()``."""

    def run(self, options: dict, app):
        header = options.get("header", "X-Response-Time")

        def timing(ctx, next):
            start = time.perf_counter()
            try:
                return next()
            finally:
                ctx.set(header, f"{(time.perf_counter() - start) * 1000:.2f}ms")

        return timing
