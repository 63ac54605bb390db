"""An app using every observability feature, loaded by the observability tests (also under awslambdaric).

Its config comes from the OBS_CONFIG environment variable (JSON), so one module serves every case.
"""
from __future__ import annotations

import json
import os

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty, Middleware, PathVariable


@Middleware()
class Stamp:
    """An onion layer (a span of its own when spans are on)."""

    def run(self, options, app):
        def stamp(ctx, next):
            next()
            ctx.set("X-Stamp", "1")
        return stamp


@Controller("/")
class ObsController:
    """Routes that log, count and fail."""

    @GetMapping("/users/:id")
    def user(self, id: int = PathVariable("id")):
        self.ctx.logger.append_keys(user=id)
        self.ctx.logger.info("looked up", extra={"source": "db"})
        self.app.logger.info("app line", tier="gold")
        self.ctx.metrics.add("Lookups", 1, "Count")
        return {"id": id, "outgoing": self.ctx.trace.headers()}

    @GetMapping("/quiet")
    def quiet(self):
        return {"ok": True}

    @GetMapping("/boom")
    def boom(self):
        raise ValueError("boom on purpose")


class App(Koatty):
    components = [Stamp, ObsController]
    config = {"middleware": {"list": ["Stamp"]}, **json.loads(os.environ.get("OBS_CONFIG") or "{}")}


handler = koatty_lite.handler(App)
