"""Every real event in ../shared/events through koatty_lite.handler(App): an HTTP answer or a named kind, never a crash.

Skipped when ../shared/events is absent (a fresh clone of this repository alone).
"""
from __future__ import annotations

import glob
import json
import os

import pytest

from conftest import FIXTURES, SHARED_EVENTS
from koatty_lite.cli._common import fake_context
from koatty_lite.serverless import UnknownEventError, detect_event_source, detect_http

FILES = sorted(glob.glob(os.path.join(SHARED_EVENTS, "*", "*.json")))
shared_only = pytest.mark.skipif(not FILES, reason="../shared/events absent")
OWN = sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"), recursive=True))
EVERY = [(p, os.path.relpath(p, FIXTURES)) for p in OWN] + [
    (p, "shared/" + os.path.relpath(p, SHARED_EVENTS)) for p in FILES]


def is_not_an_event(name, event):
    """Samples of a function's response, or of a WSGI environ (FC 2.0), rather than events."""
    return "response" in name or (isinstance(event, dict) and "REQUEST_METHOD" in event)


@shared_only
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


@pytest.mark.parametrize("path", [p for p, _ in EVERY], ids=[i for _, i in EVERY])
def test_detect_event_source_names_what_handler_does(path):
    """One truth (issue 11 point 3): for every fixture and every ../shared/events file, the kind
    detect_event_source() names is what handler() does: the WSGI app for "http", the handler of that
    kind otherwise, UnknownEventError for both when neither knows the event."""
    import koatty_lite

    with open(path, encoding="utf-8") as fh:
        event = json.load(fh)
    if is_not_an_event(os.path.basename(path), event):
        pytest.skip("a response or WSGI-environ sample, not an event")
    served, routed = [], []

    def app(environ, start_response):
        served.append(environ["koatty.event_kind"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    try:
        kind = detect_event_source(event)
    except UnknownEventError:
        kind = None
    fn = koatty_lite.handler(app, event_handlers={kind or "none": lambda e, c, a: routed.append(kind) or "routed"})
    if kind is None:
        with pytest.raises(UnknownEventError) as info:
            fn(event, fake_context("aws"))
        assert type(info.value) is UnknownEventError  # not UnhandledEventError: no kind was named
        return
    result = fn(event, fake_context("aws"))
    if kind == "http":
        assert served == [detect_http(event)] and routed == [] and isinstance(result, dict)
    else:
        assert (served, routed, result) == ([], [kind], "routed")
