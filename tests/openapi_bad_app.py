"""An app whose DTO names an unknown rule: booting it (the openapi CLI does) is a one-line error."""
from __future__ import annotations

from koatty_lite import Controller, Koatty, PostMapping, RequestBody, Valid, Validated


class BadDto:
    name: str = Valid("IsNope")


@Controller("/")
class BadController:
    @Validated()
    @PostMapping("/x")
    def x(self, body: BadDto = RequestBody()):
        return None


class App(Koatty):
    components = [BadController]


@Controller("/")
class NoMarkerController:
    @PostMapping("/y")
    def y(self, n):  # an argument without a marker default: a declaration mistake
        return None


class NoMarkerApp(Koatty):
    components = [NoMarkerController]


class Unregistered:
    pass


@Controller("/")
class MissingDependencyController:
    svc: Unregistered = __import__("koatty_lite").Autowired()


class MissingDependencyApp(Koatty):
    components = [MissingDependencyController]


class BrokenInitApp(Koatty):
    components = []

    def init(self):
        raise ZeroDivisionError("the app's own bug")
