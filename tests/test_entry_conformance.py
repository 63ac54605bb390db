"""Every real event in ../shared/events through koatty_lite.handler(App): an HTTP answer or a named kind, never a crash.

Skipped when ../shared/events is absent (a fresh clone of this repository alone).
"""
from __future__ import annotations

import glob
import json
import os

import pytest

from conftest import SHARED_EVENTS
from koatty_lite.cli._common import fake_context
from koatty_lite.serverless import detect_event_source, detect_http

FILES = sorted(glob.glob(os.path.join(SHARED_EVENTS, "*", "*.json")))
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/events absent")


def is_not_an_event(name, event):
    """Samples of a function's response, or of a WSGI environ (FC 2.0), rather than events."""
    return "response" in name or (isinstance(event, dict) and "REQUEST_METHOD" in event)


@pytest.mark.parametrize("path", FILES, ids=[os.path.relpath(p, SHARED_EVENTS) for p in FILES])
def test_every_real_event_is_answered_or_routed_by_kind(path):
    from examples.demo.app import App
    import koatty_lite

    with open(path, encoding="utf-8") as fh:
        event = json.load(fh)
    name = os.path.basename(path)
    if is_not_an_event(name, event):
        pytest.skip("a response or WSGI-environ sample, not an event")
    platform = os.path.basename(os.path.dirname(path))
    seen = []
    kind = detect_event_source(event)
    fn = koatty_lite.handler(App, event_handlers={kind: lambda e, c, a: seen.append(kind) or "routed"})
    result = fn(event, fake_context(platform))
    if kind == "http":
        assert detect_http(event) and isinstance(result, dict) and 200 <= result["statusCode"] < 600
        assert "Traceback" not in json.dumps(result)
    else:
        assert result == "routed" and seen == [kind]
