"""A non-HTTP event kind is one registration from outside the package (issue 14): detection, the
kind's event handler, the shape its platform reads back; no edit of events.py or entry.py."""
from __future__ import annotations

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty
from koatty_lite.cli.event import build_event
from koatty_lite.serverless import events


@Controller("/")
class Hi:
    @GetMapping("/")
    def hi(self):
        return "hi"


class App(Koatty):
    components = [Hi]


def _is_acme_job(event: dict) -> bool:
    return event.get("acmeJob") is not None


@pytest.fixture
def acme_kind(monkeypatch):
    """Register "acme-job" for one test; the tables are restored afterwards."""
    monkeypatch.setattr(events, "KINDS", list(events.KINDS))
    from koatty_lite import kinds

    monkeypatch.setattr(kinds, "RESULT_SHAPERS", dict(kinds.RESULT_SHAPERS))
    koatty_lite.register_kind("acme-job", _is_acme_job, shape_result=lambda result: {"acmeAck": result})
    return "acme-job"


def test_a_registered_kind_is_detected_handled_and_shaped(acme_kind):
    event = {"acmeJob": {"id": "j-1"}}
    assert events.detect_event_source(event) == "acme-job"
    seen = []
    h = koatty_lite.handler(App, event_handlers={"acme-job": lambda e, c, app: seen.append(e) or "done"})
    assert h(event, None) == {"acmeAck": "done"}
    assert seen == [event]
    assert h(build_event("apigw-v2"), None)["body"] == "hi"  # HTTP is untouched
    assert events.detect_event_source(build_event("sqs")) == "sqs"  # built-in kinds keep their names


def test_the_kinds_table_holds_named_records(acme_kind):
    assert [k.name for k in events.KINDS][-1] == "acme-job"
    assert all(isinstance(k, events.EventKind) and callable(k.detect) for k in events.KINDS)


@pytest.mark.parametrize("name", ["sqs", "http", "scheduled", "kafka", "eventbridge"])
def test_a_known_kind_name_is_refused_naming_event_handlers(name, monkeypatch):
    monkeypatch.setattr(events, "KINDS", list(events.KINDS))
    with pytest.raises(ValueError, match=r"already known.*event_handlers"):
        koatty_lite.register_kind(name, _is_acme_job)


def test_bad_arguments_are_a_type_error(monkeypatch):
    monkeypatch.setattr(events, "KINDS", list(events.KINDS))
    with pytest.raises(TypeError):
        koatty_lite.register_kind("", _is_acme_job)
    with pytest.raises(TypeError):
        koatty_lite.register_kind("acme", "not callable")
    with pytest.raises(TypeError):
        koatty_lite.register_kind("acme", _is_acme_job, shape_result=3)
