"""Request DTOs of the demo: plain classes with typed fields and Koatty's rules (docs/validation.md).

The rules are attached with the default-value form (``Valid(...)``), which needs no ``typing``
import; ``typing.Annotated[str, Length(1, 40)]`` works the same.
"""
from __future__ import annotations

from koatty_lite import IsEmail, IsNotEmpty, Length, Valid


class CreateUser:
    """A new user."""

    name: str = Valid([IsNotEmpty(), Length(1, 40)], "name must be 1 to 40 characters, not blank")
    email: str | None = Valid(IsEmail(), default=None)
