"""koatty_lite: POST /orders with a 10-field DTO, validated by Koatty's rules (@Validated)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Annotated, Literal, Optional  # noqa: E402

import koatty_lite  # noqa: E402
from koatty_lite import (Controller, Gt, Gte, IsEmail, Koatty, Length, Lte, Matches, PostMapping,  # noqa: E402
                         RequestBody, Validated)


class Order:
    """The bench DTO: the same ten fields and constraints as bench/apps/powertools_dto_app.py."""

    name: Annotated[str, Length(1, 50)]
    email: Annotated[str, IsEmail()]
    age: Annotated[int, Gte(0), Lte(150)]
    score: Annotated[float, Gte(0)]
    active: bool
    tags: list[str]
    country: Literal["CN", "US", "DE"]
    zip: Annotated[str, Matches(r"^[0-9]{6}$")]
    quantity: Annotated[int, Gt(0)]
    note: Optional[str] = None


@Controller("/")
class OrderController:
    """POST /orders."""

    @Validated()
    @PostMapping("/orders")
    def create(self, order: Order = RequestBody()) -> Order:
        return order


class App(Koatty):
    """The DTO bench app."""

    components = [OrderController]


handler = koatty_lite.handler(App)
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
