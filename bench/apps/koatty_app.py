"""koatty_lite: the bench routes written the Koatty way (a controller, a service, a middleware)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import koatty_lite  # noqa: E402
from koatty_lite import (Autowired, Controller, GetMapping, Koatty, Middleware, PathVariable,  # noqa: E402
                         PostMapping, RequestBody, Service)


@Service()
class GreetingService:
    """The one service: what /hello says."""

    def hello(self):
        return {"hello": "world"}


@Middleware()
class PoweredBy:
    """The one middleware: an onion layer that sets a response header after the route ran."""

    def run(self, options, app):
        def powered_by(ctx, next):
            next()
            ctx.set("X-Powered-By", "koatty_lite")
        return powered_by


@Controller("/")
class BenchController:
    """GET /hello, GET /users/:id, POST /echo."""

    greetings: GreetingService = Autowired()

    @GetMapping("/hello")
    def hello(self):
        return self.greetings.hello()

    @GetMapping("/users/:id")
    def user(self, id: str = PathVariable("id")):
        return {"id": id}

    @PostMapping("/echo")
    def echo(self, body=RequestBody()):
        return body


class App(Koatty):
    """The bench app."""

    components = [GreetingService, PoweredBy, BenchController]
    config = {"middleware": {"list": ["PoweredBy"]}}


handler = koatty_lite.handler(App)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
