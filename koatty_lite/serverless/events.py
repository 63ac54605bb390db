"""Non-HTTP event detection: name the trigger kind of a platform event (pure, no state)."""
from __future__ import annotations

from .http import UnknownEventError  # why there: the entry point catches it without loading this module

__all__ = ["detect_event_source", "UnknownEventError", "KINDS", "EventKind"]

# Records[0].eventSource / EventSource value -> kind (SNS spells the key with a capital E).
_RECORD_SOURCES = {
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:s3": "s3",
    "aws:dynamodb": "dynamodb",
    "aws:kinesis": "kinesis",
}


# Top-level eventSource (Kafka, Amazon MQ: no Records list) -> kind.
_TOP_SOURCES = {
    "aws:kafka": "kafka",  # Amazon MSK
    "SelfManagedKafka": "kafka",  # self-managed Apache Kafka (AWS docs)
    "aws:SelfManagedKafka": "kafka",  # the spelling Powertools' test events use
    "aws:mq": "mq",  # Amazon MQ for ActiveMQ
    "aws:rmq": "mq",  # Amazon MQ for RabbitMQ
}


def _first(event, key):
    """event[key][0] when it is a non-empty list of dicts, else None."""
    items = event.get(key)
    if type(items) is list and items and type(items[0]) is dict:
        return items[0]
    return None


def _is_kafka_or_mq(event):
    src = event.get("eventSource")
    return type(src) is str and src in _TOP_SOURCES


def _is_logs(event):
    logs = event.get("awslogs")
    return type(logs) is dict and "data" in logs


def _is_firehose(event):
    return ("invocationId" in event and "deliveryStreamArn" in event
            and type(event.get("records")) is list)


def _is_cognito(event):
    return (type(event.get("triggerSource")) is str and "userPoolId" in event
            and "callerContext" in event)


def _is_cloudformation(event):
    return (event.get("RequestType") in ("Create", "Update", "Delete") and "ResponseURL" in event
            and "StackId" in event)


def _is_secretsmanager(event):
    return "SecretId" in event and "ClientRequestToken" in event and "Step" in event


def _is_mns(event):
    # JSON format: the topic's fields (plus any message attributes as extra keys);
    # STREAM format with message attributes: exactly {"body", "attrs"}. STREAM without
    # attributes is the bare message text: no shape to claim (event_handlers["*"] gets it).
    if "TopicOwner" in event and "TopicName" in event and "MessageId" in event and "Message" in event:
        return True
    return len(event) == 2 and "body" in event and type(event.get("attrs")) is dict


def _is_sls(event):
    source = event.get("source")
    return type(source) is dict and "logstoreName" in source and "jobName" in event and "taskId" in event


def _is_tablestore(event):
    first = _first(event, "Records")
    return event.get("Version") == "Sync-v1" and first is not None and "PrimaryKey" in first


def _is_cdn(event):
    first = _first(event, "events")
    return first is not None and first.get("eventSource") == "cdn"


def _is_cloudevent(event):
    return "specversion" in event and "id" in event and "source" in event and "type" in event


def _is_ckafka(event):
    first = _first(event, "Records")
    return first is not None and type(first.get("Ckafka")) is dict


def _is_cls(event):
    logs = event.get("clslogs")
    return type(logs) is dict and "data" in logs


class EventKind:
    """One non-HTTP event kind of the KINDS table: its ``name`` and ``detect(event: dict) -> bool``.

    ``koatty_lite.register_kind`` appends one (with how its platform reads a handler's result back).
    """

    __slots__ = ("name", "detect")

    def __init__(self, name: str, detect) -> None:
        self.name = name
        self.detect = detect

    def __repr__(self) -> str:
        return f"EventKind({self.name!r})"


# The kinds added after the first release, one named record each (EventKind: name, detect).
# They run after every HTTP detector failed and exclude each other and every HTTP kind
# (tests/test_events_kinds.py proves each fixture is claimed by exactly one).
KINDS = [
    EventKind("kafka", lambda e: _is_kafka_or_mq(e) and _TOP_SOURCES[e["eventSource"]] == "kafka"),
    EventKind("mq", lambda e: _is_kafka_or_mq(e) and _TOP_SOURCES[e["eventSource"]] == "mq"),
    EventKind("logs", _is_logs),
    EventKind("firehose", _is_firehose),
    EventKind("cognito", _is_cognito),
    EventKind("cloudformation", _is_cloudformation),
    EventKind("secretsmanager", _is_secretsmanager),
    EventKind("mns", _is_mns),
    EventKind("sls", _is_sls),
    EventKind("tablestore", _is_tablestore),
    EventKind("cdn", _is_cdn),
    EventKind("cloudevents", _is_cloudevent),
    EventKind("ckafka", _is_ckafka),
    EventKind("cls", _is_cls),
]


# The kinds the namers below give by an event's shape (before the KINDS table runs): a registered kind
# by one of these names would never be reached, so register_kind refuses them.
SHAPE_KINDS = frozenset(("http", "scheduled", "cloudfront", "cos", "cmq", "oss", "authorizer", "websocket",
                         "eventbridge", *_RECORD_SOURCES.values()))


def _batch_kind(event: list):
    """EventBridge (Alibaba) delivers CloudEvents in batches: a JSON array of events, or of their JSON text."""
    first = event[0] if event else None
    if type(first) is str and first[:1] == "{":
        import json

        try:
            first = json.loads(first)
        except (ValueError, RecursionError):
            return None
    if type(first) is dict and _is_cloudevent(first):
        return "cloudevents"
    return None


def _decoded(raw):
    """JSON bytes/str as the object they hold, else CBOR bytes (Tablestore) as theirs, else raw."""
    import json

    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    if isinstance(raw, (bytes, bytearray)) and raw and 0xA0 <= raw[0] <= 0xBF:
        from .cbor import loads

        try:
            return loads(raw)
        except ValueError:
            pass
    return raw


def _is_http(event: dict) -> bool:
    # Lazy import: serverless/__init__ re-exports this module, so a top-level import would cycle.
    try:
        from koatty_lite.serverless import detect_http
    except ImportError:  # adapters not installed yet / partial tree
        return False
    try:
        return bool(detect_http(event))
    except Exception:  # a detector must never turn a non-HTTP event into a crash
        return False


def _scheduled_kind(event):
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return "scheduled"
    if "triggerTime" in event and "triggerName" in event:  # Alibaba FC timer (camelCase)
        return "scheduled"
    if event.get("Type") == "Timer":  # Tencent SCF timer
        return "scheduled"
    return None


def _records_kind(event):
    """Records[0] names the source: SQS, SNS, S3, DynamoDB, Kinesis, CloudFront, COS, CMQ."""
    records = event.get("Records")
    if not (isinstance(records, list) and records and isinstance(records[0], dict)):
        return None
    first = records[0]
    src = first.get("eventSource") or first.get("EventSource")
    if isinstance(src, str) and src in _RECORD_SOURCES:
        return _RECORD_SOURCES[src]
    if "cf" in first:  # Lambda@Edge: CloudFront request/response
        return "cloudfront"
    inner = first.get("event")
    if isinstance(inner, dict) and inner.get("eventSource") == "qcs::cos":
        return "cos"
    if "CMQ" in first:
        return "cmq"
    return None


def _oss_kind(event):
    events = event.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict) and \
            events[0].get("eventSource") == "acs:oss":
        return "oss"
    return None


def _authorizer_kind(event):
    if ("methodArn" in event and event.get("type") in ("TOKEN", "REQUEST")
            or "routeArn" in event and event.get("type") == "REQUEST"):
        return "authorizer"  # a Lambda authorizer's input: REST, WebSocket, HTTP API payload 1.0 / 2.0
    return None


def _websocket_kind(event):
    rc = event.get("requestContext")
    if isinstance(rc, dict) and "connectionId" in rc and "eventType" in rc:
        return "websocket"  # API Gateway WebSocket $connect / MESSAGE / $disconnect
    return None


def _table_kind(event):
    for kind in KINDS:
        if kind.detect(event):
            return kind.name
    return None


def _generic_kind(event):
    """The shapes last: any EventBridge event, then a platform's own ``triggerType`` name."""
    if "detail-type" in event and "source" in event:
        return "eventbridge"
    trigger = event.get("triggerType")
    if isinstance(trigger, str) and trigger:
        return trigger
    return None


# The namers of a non-HTTP dict event, in order: schedules (they carry no HTTP fields), records,
# storage, authorizers, WebSocket routes, the KINDS table, then the generic shapes.
_NAMERS = (_scheduled_kind, _records_kind, _oss_kind, _authorizer_kind, _websocket_kind, _table_kind,
           _generic_kind)


def detect_event_source(event) -> str:
    """Return the event's kind: "http", "scheduled", "sqs", ..., or raise UnknownEventError.

    The event is a dict or list, or its JSON bytes/str; CBOR bytes (Alibaba Tablestore) are decoded too.
    """
    if isinstance(event, (bytes, bytearray, str)):
        event = _decoded(event)
    if type(event) is list:
        kind = _batch_kind(event)
        if kind is not None:
            return kind
    if not isinstance(event, dict):
        raise UnknownEventError("event is not a JSON object (got %s)" % type(event).__name__)
    # One truth: the HTTP detectors first, as handler() runs them. They refuse authorizer inputs
    # (methodArn / routeArn) and WebSocket routes (connectionId), which are named below.
    if _is_http(event):
        return "http"
    for namer in _NAMERS:
        kind = namer(event)
        if kind is not None:
            return kind
    keys = ", ".join(sorted(str(k) for k in event)[:20]) or "(none)"
    raise UnknownEventError("unknown event kind; top-level keys: " + keys)
