"""detect_event_source over the project's own non-HTTP fixtures (written from the documented formats)."""
from __future__ import annotations

import json
import pathlib

import pytest

from koatty_lite.serverless.events import UnknownEventError, detect_event_source

FIX = pathlib.Path(__file__).parent / "fixtures" / "events"


def load(name):
    return json.loads((FIX / name).read_text())


@pytest.mark.parametrize(
    "name,kind",
    [
        ("eventbridge-scheduled.json", "scheduled"),
        ("fc-timer.json", "scheduled"),
        ("scf-timer.json", "scheduled"),
        ("eventbridge-custom.json", "eventbridge"),
        ("sqs.json", "sqs"),
        ("sns.json", "sns"),
        ("s3.json", "s3"),
        ("dynamodb.json", "dynamodb"),
        ("kinesis.json", "kinesis"),
        ("fc-oss.json", "oss"),
        ("scf-cos.json", "cos"),
        ("scf-cmq.json", "cmq"),
        ("custom-trigger.json", "mns"),
        ("apigw-websocket-message.json", "websocket"),
        ("apigw-authorizer-token.json", "authorizer"),
        ("cloudfront-viewer-request.json", "cloudfront"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_detects_kind(name, kind):
    assert detect_event_source(load(name)) == kind


def test_unknown_event_names_keys():
    with pytest.raises(UnknownEventError) as info:
        detect_event_source(load("unknown.json"))
    assert "bar" in str(info.value) and "foo" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("event", [None, [], "x", 3], ids=["none", "list", "str", "int"])
def test_non_object_raises(event):
    with pytest.raises(UnknownEventError):
        detect_event_source(event)


def test_empty_records_is_unknown():
    with pytest.raises(UnknownEventError):
        detect_event_source({"Records": []})


def test_scheduled_detection_does_not_mutate():
    event = load("eventbridge-scheduled.json")
    before = json.dumps(event, sort_keys=True)
    detect_event_source(event)
    assert json.dumps(event, sort_keys=True) == before
