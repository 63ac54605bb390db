"""Defects found by the audit of the cold-start work (issue 14, helper audit3): each test fails on the code before
its fix (the commit that fixed it says so)."""
from __future__ import annotations

import copy
import json
import os

import pytest

from conftest import FIXTURES
from koatty_lite import Controller, DeleteMapping, Koatty, handler


@Controller("/")
class _Orders:
    @DeleteMapping("/orders")
    def delete(self):
        return {"headers": dict(self.ctx.headers), "ip": self.ctx.ip}


class _App(Koatty):
    components = [_Orders]


def _wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ.get("HTTP_HOST", "-").encode()]


@pytest.mark.parametrize("target", [_App, _wsgi], ids=["koatty-app", "foreign-wsgi"])
@pytest.mark.parametrize("headers", [None, "absent"])
def test_a_vpc_lattice_v1_event_without_headers_is_served(target, headers):
    """A VPC Lattice v1 event whose ``headers`` is null or absent is a request without headers, as on every other
    format (Lattice v2, REST v1, FC, SCF). Fails on the old code: ``http.header_items`` gave ``()`` for no map and
    the Request read it as a header source: an IndexError (a Koatty app) or a TypeError (a foreign WSGI app)
    raised out of the handler, a traceback instead of an answer."""
    with open(os.path.join(FIXTURES, "aws", "lattice-v1.json"), encoding="utf-8") as fh:
        event = json.load(fh)
    event = copy.deepcopy(event)
    if headers == "absent":
        del event["headers"]
    else:
        event["headers"] = headers
    answer = handler(target)(event, None)
    assert answer["statusCode"] == 200, answer
    if target is _App:
        assert json.loads(answer["body"]) == {"headers": {"content-length": "0"}, "ip": ""}
    else:
        assert answer["body"] == "-"
