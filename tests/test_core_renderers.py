"""Output renderers by type: a controller may return dataclasses, Decimal, datetimes, UUIDs, sets,
bytes and enums (each was a 500 before), and an app teaches the output its own types."""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import subprocess
import sys
import uuid

import pytest

from conftest import ROOT
from core_support import client as make_client
from koatty_lite import Controller, GetMapping, Koatty, register_renderer


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date
    tags: frozenset = frozenset()


class Money:
    def __init__(self, cents):
        self.cents = cents


class Opaque:
    pass


@Controller("/r")
class Renders:
    @GetMapping("/all")
    def all(self):
        return {
            "price": decimal.Decimal("19.990"),
            "at": datetime.datetime(2026, 11, 25, 19, 30, 5, tzinfo=datetime.timezone.utc),
            "day": datetime.date(2026, 11, 25),
            "time": datetime.time(7, 5),
            "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "set": {3},
            "raw": b"\x00\xffhi",
            "colour": Colour.RED,
            "point": Point(1, datetime.date(2026, 1, 2), frozenset({"a"})),
        }

    @GetMapping("/point")
    def point(self):
        return Point(2, datetime.date(2026, 3, 4))

    @GetMapping("/money")
    def money(self):
        return {"total": Money(1234)}

    @GetMapping("/opaque")
    def opaque(self):
        return {"o": Opaque()}


class App(Koatty):
    components = [Renders]


@pytest.fixture(scope="module")
def c():
    return make_client(App)[0]


def test_default_renderers(c):
    assert c.get("/r/all").json == {
        "price": "19.990", "at": "2026-11-25T19:30:05+00:00", "day": "2026-11-25", "time": "07:05:00",
        "id": "12345678-1234-5678-1234-567812345678", "set": [3], "raw": "AP9oaQ==", "colour": "red",
        "point": {"x": 1, "when": "2026-01-02", "tags": ["a"]},
    }


def test_a_returned_dataclass_is_the_body(c):
    res = c.get("/r/point")
    assert res.json == {"x": 2, "when": "2026-03-04", "tags": []}
    assert res.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_registered_renderer_and_an_unknown_type(c):
    register_renderer(Money, lambda m: {"amount": decimal.Decimal(m.cents) / 100, "currency": "EUR"})
    try:
        assert c.get("/r/money").json == {"total": {"amount": "12.34", "currency": "EUR"}}
    finally:
        from koatty_lite import output

        output._RENDERERS.pop(Money)
    res = c.get("/r/opaque", status=500, expect_errors=True)
    assert "register_renderer(Opaque" in res.errors


def test_register_renderer_checks_its_arguments():
    with pytest.raises(TypeError):
        register_renderer("Money", str)
    with pytest.raises(TypeError):
        register_renderer(Money, None)


def test_the_defaults_import_nothing_until_used():
    code = ("import sys; sys.path.insert(0, %r); import koatty_lite; "
            "print([m for m in ('decimal', 'uuid', 'dataclasses', 'datetime', 'binascii') "
            "if m in sys.modules and m not in before])" % ROOT)
    code = "import sys; before = set(sys.modules); " + code
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
