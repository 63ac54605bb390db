"""The benchmark compares like with like: koatty_lite's bench app answers every bench event as the floor does."""
from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import ROOT

sys.path += [os.path.join(ROOT, "bench"), os.path.join(ROOT, "bench", "apps")]  # appended: never shadow others

from run import KINDS, make_event, routes  # noqa: E402

EVENTS = [(kind, label, method, path, body) for kind in KINDS for (label, method, path, body) in routes()]


@pytest.mark.parametrize("kind,label,method,path,body", EVENTS, ids=[f"{e[0]} {e[1]}" for e in EVENTS])
def test_koatty_bench_app_answers_like_the_floor(kind, label, method, path, body):
    import floor
    import koatty_app

    event = make_event(kind, method, path, body)
    ours = koatty_app.HANDLERS[kind](dict(event), None)
    theirs = floor.HANDLERS[kind](dict(event), None)
    assert ours["statusCode"] == theirs["statusCode"] == 200
    assert json.loads(ours["body"]) == json.loads(theirs["body"])
    headers = ours.get("multiValueHeaders") or ours.get("headers")
    assert "X-Powered-By" in headers  # the middleware ran: the framework path was measured, not a shortcut


@pytest.mark.parametrize("kind", KINDS)
def test_koatty_dto_bench_app_validates_and_echoes_the_body(kind):
    """The validation bench measures a real check: the valid body comes back, a bad one is a 400."""
    import koatty_dto_app
    from run import DTO_BODY, dto_routes

    (_, method, path, body), = dto_routes()
    ok = koatty_dto_app.HANDLERS[kind](make_event(kind, method, path, body), None)
    assert ok["statusCode"] == 200 and json.loads(ok["body"]) == DTO_BODY
    bad = dict(DTO_BODY, age=-1, email="x", country="FR", tags=[1])
    res = koatty_dto_app.HANDLERS[kind](make_event(kind, method, path, json.dumps(bad)), None)
    assert res["statusCode"] == 400
    assert [e["loc"][1] for e in json.loads(res["body"])["data"]["errors"]] == ["email", "age", "tags", "country"]
