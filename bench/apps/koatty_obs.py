"""koatty_lite's bench app with one observability feature on, chosen by the environment (bench/obs.py).

OBS_CONFIG: the app's config overlay (JSON); OBS_METRIC=1: /hello adds one metric;
OBS_TRACE=1: /hello builds the outgoing trace headers.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import koatty_lite  # noqa: E402
from koatty_lite import Controller, GetMapping, Koatty, Middleware, PathVariable  # noqa: E402

_METRIC = os.environ.get("OBS_METRIC") == "1"
_TRACE = os.environ.get("OBS_TRACE") == "1"


@Middleware()
class PoweredBy:
    """The bench app's one middleware."""

    def run(self, options, app):
        def powered_by(ctx, next):
            next()
            ctx.set("X-Powered-By", "koatty_lite")
        return powered_by


@Controller("/")
class BenchController:
    """GET /hello, GET /users/:id."""

    @GetMapping("/hello")
    def hello(self):
        if _METRIC:
            self.ctx.metrics.add("Hellos", 1)
        if _TRACE:
            self.ctx.trace.headers()
        return {"hello": "world"}

    @GetMapping("/users/:id")
    def user(self, id: str = PathVariable("id")):
        return {"id": id}


class App(Koatty):
    """The bench app."""

    components = [PoweredBy, BenchController]
    config = {"middleware": {"list": ["PoweredBy"]}, **json.loads(os.environ.get("OBS_CONFIG") or "{}")}


handler = koatty_lite.handler(App)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
