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
