"""Hostile non-HTTP events: an answer or a ValueError (UnknownEventError/UnhandledEventError), nothing else.

Also: a client-controlled path cannot forge a line in the fault log.
"""
from __future__ import annotations

import glob
import json
import os

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty, PathVariable, Scheduled, Service
from robust_support import FakeContext, v1_event

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = sorted(glob.glob(os.path.join(HERE, "fixtures", "events", "*.json")))


@Service()
class Jobs:
    @Scheduled("rate(1 hour)", name="nightly")
    def nightly(self):
        return "ran"


@Controller("/")
class Failing:
    @GetMapping("/fail/:what")
    def fail(self, what: str = PathVariable("what")):
        raise RuntimeError("failed on purpose")


def crash(ctx, next):
    """A middleware that fails for /crash/...: any path reaches it, a path parameter or not."""
    if ctx.path.startswith("/crash/"):
        raise RuntimeError("failed on purpose")
    return next()


class EventsApp(Koatty):
    components = [Jobs, Failing]

    def init(self):
        self.use(crash)


def answer_sqs(event, context, app):
    return []


def _handler():
    return koatty_lite.handler(EventsApp, event_handlers={"sqs": answer_sqs, "s3": lambda e, c, a: "ok"})


def _call(event):
    """The handler's answer, or the ValueError it raised (any other exception fails the test)."""
    try:
        return _handler()(event, FakeContext())
    except ValueError as exc:
        return exc


@pytest.mark.parametrize("resources", [5, True, 1.5, "arn:aws:events:r:a:rule/nightly", {"a": 1}, [None, 3]])
def test_scheduled_event_with_resources_of_any_type(resources):
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "resources": resources}
    assert isinstance(_call(event), ValueError)  # no task named: UnhandledEventError, not a TypeError


@pytest.mark.parametrize("event", [b"[" * 200_000, "[" * 200_000, b'{"a":' * 100_000],
                         ids=["bytes", "str", "objects"])
def test_deeply_nested_event_json_is_a_value_error(event):
    result = _call(event)
    assert isinstance(result, ValueError) and "nested too deeply" in str(result)


def test_timer_message_nested_too_deeply_names_no_task():
    event = {"Type": "Timer", "TriggerName": "other", "Time": "2026-01-01T00:00:00Z",
             "Message": "{" + '"a":{' * 100_000}
    assert isinstance(_call(event), ValueError)
    assert _handler()({"Type": "Timer", "TriggerName": "nightly", "Message": "{" + '"a":{' * 100_000},
                      FakeContext()) == "ran"


def test_every_event_fixture_with_mangled_fields_gets_an_answer_or_a_value_error():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies
    fixtures = []
    for p in EVENTS:
        with open(p, encoding="utf-8") as fh:
            fixtures.append(json.load(fh))
    values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                          max_leaves=6)

    def paths(obj, prefix=()):
        yield prefix
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                yield from paths(v, prefix + (i,))

    @hyp.settings(max_examples=300, deadline=None, derandomize=True)
    @hyp.given(st.sampled_from(fixtures), st.data(), values)
    def check(fixture, data, value):
        event = json.loads(json.dumps(fixture))
        where = data.draw(st.sampled_from([p for p in paths(event) if p]))
        target = event
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = value
        _call(event)  # raises (failing the test) on anything but a ValueError

    check()


def test_a_path_cannot_forge_a_line_in_the_fault_log(capsys):
    event = v1_event("GET", "/crash/a\n[koatty] [INFO] [forged-id] all good\x1b[2K\x00")
    assert _handler()(event, FakeContext("real-id"))["statusCode"] == 500
    err = capsys.readouterr().err
    assert "\n[koatty] [INFO] [forged-id]" not in err and "\x1b" not in err and "\x00" not in err
    assert ("[koatty] [ERROR] [real-id] unhandled exception: GET /crash/a\\n[koatty] [INFO] [forged-id] all good"
            "\\x1b[2K\\x00") in err
