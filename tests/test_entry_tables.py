"""handler() is a small class whose per-kind behaviour comes from two tables (RESULT_SHAPERS,
DEFAULT_RUNNERS), not special cases; its public surface is what the closure offered."""
from __future__ import annotations

import pytest

from koatty_lite import Controller, GetMapping, Koatty, entry, handler
from koatty_lite.cli.event import build_event


@Controller("/")
class Hi:
    @GetMapping("/")
    def hi(self):
        return "hi"


class App(Koatty):
    components = [Hi]


def test_the_public_surface_is_kept():
    h = handler(App, lazy=True)
    assert callable(h) and h.platform == "auto" and h.adapter is None
    assert isinstance(h.get_app(), App)
    h.initialize()
    assert h(build_event("apigw-v2"), None)["body"] == "hi"
    assert h.__call__.__doc__ and h.initialize.__doc__ and h.pre_stop.__doc__ and h.get_app.__doc__


def test_a_result_shaper_is_looked_up_by_kind(monkeypatch):
    monkeypatch.setitem(entry.RESULT_SHAPERS, "sns", lambda result: {"shaped": result})
    h = handler(App, event_handlers={"sns": lambda event, context, app: 7, "sqs": lambda e, c, a: ["m1"]})
    assert h(build_event("sns"), None) == {"shaped": 7}
    assert h(build_event("sqs"), None) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_a_default_runner_takes_a_kind_without_a_handler(monkeypatch):
    monkeypatch.setitem(entry.DEFAULT_RUNNERS, "s3", (lambda app: True, lambda app, event: type(app).__name__))
    assert handler(App)(build_event("s3"), None) == "App"
    monkeypatch.setitem(entry.DEFAULT_RUNNERS, "s3", (lambda app: False, lambda app, event: "never"))
    with pytest.raises(entry.UnhandledEventError, match="no handler for 's3' events"):
        handler(App)(build_event("s3"), None)
