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
