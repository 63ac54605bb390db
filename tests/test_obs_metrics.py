"""Metrics (issue 16.2): EMF on AWS checked against the specification, JSON lines on Alibaba and Tencent."""
from __future__ import annotations

import io
import json
import math

import pytest

from koatty_lite import Controller, GetMapping, Koatty, PathVariable
from koatty_lite.metrics import Metrics
from obs_support import boot, call, clean_log, json_lines  # noqa: F401 (fixture)

# --- the EMF specification as a schema (docs.aws.amazon.com, "Specification: Embedded metric format") ----
# The published JSON schema, with today's limits (30 dimension keys per DimensionSet, StorageResolution),
# plus the rules the schema cannot say: every reference names a root member, metric targets are numbers
# or arrays of at most 100 numbers, dimension targets are strings, at most 100 metrics per directive.
UNITS = ("Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|"
         "Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|"
         "Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|"
         "Terabits/Second|Count/Second|None").split("|")
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
EMF_SCHEMA = {
    "type": "object", "required": ["_aws"],
    "properties": {"_aws": {
        "type": "object", "required": ["Timestamp", "CloudWatchMetrics"],
        "properties": {
            "Timestamp": {"type": "integer", "minimum": 0},
            "CloudWatchMetrics": {"type": "array", "items": {
                "type": "object", "required": ["Namespace", "Dimensions", "Metrics"],
                "properties": {
                    "Namespace": NAME,
                    "Dimensions": {"type": "array", "minItems": 1, "items": {
                        "type": "array", "minItems": 0, "maxItems": 30, "items": NAME}},
                    "Metrics": {"type": "array", "maxItems": 100, "items": {
                        "type": "object", "required": ["Name"],
                        "properties": {"Name": NAME, "Unit": {"type": "string", "enum": UNITS},
                                       "StorageResolution": {"type": "integer", "enum": [1, 60]}}}},
                }}},
        }}},
}
TYPES = {"object": dict, "array": list, "string": str}


def check(schema, value, where="$"):
    """A small JSON-schema subset validator (type, required, properties, items, lengths, enum, minimum)."""
    kind = schema.get("type")
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind:
        assert isinstance(value, TYPES[kind]), f"{where}: {type(value).__name__} is not {kind}"
    for key in schema.get("required", ()):
        assert key in value, f"{where}: missing {key}"
    for key, sub in schema.get("properties", {}).items():
        if key in value:
            check(sub, value[key], f"{where}.{key}")
    if "items" in schema:
        for i, item in enumerate(value):
            check(schema["items"], item, f"{where}[{i}]")
    if "minItems" in schema:
        assert len(value) >= schema["minItems"], where
    if "maxItems" in schema:
        assert len(value) <= schema["maxItems"], where
    if "minLength" in schema:
        assert len(value) >= schema["minLength"] and value.strip(), where
    if "maxLength" in schema:
        assert len(value) <= schema["maxLength"], where
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r}"
    if "minimum" in schema:
        assert value >= schema["minimum"], where


def validate_emf(line):
    """Assert that ``line`` is one valid EMF document; return it decoded."""
    assert "\n" not in line
    doc = json.loads(line)
    check(EMF_SCHEMA, doc)
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                assert isinstance(doc.get(key), str) and 1 <= len(doc[key]) <= 1024, key
                assert doc[key].isascii() and doc[key].isprintable() and key.isascii() and key[0] != ":", key
        for metric in directive["Metrics"]:
            target = doc[metric["Name"]]
            values = target if isinstance(target, list) else [target]
            assert 1 <= len(values) <= 100, metric["Name"]
            for v in values:
                assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return doc


def test_the_validator_rejects_what_the_specification_forbids():
    good = Metrics("Shop")
    good.add("Orders", 1)
    doc = json.loads(good.lines(1)[0])
    for bad in ({**doc, "_aws": {"CloudWatchMetrics": doc["_aws"]["CloudWatchMetrics"]}},  # no Timestamp
                {**doc, "Orders": "1"},  # a metric target that is not a number
                {"_aws": {**doc["_aws"], "CloudWatchMetrics": [{**doc["_aws"]["CloudWatchMetrics"][0],
                                                                "Dimensions": [["nope"]]}]}, "Orders": 1},
                {**doc, "_aws": {**doc["_aws"], "CloudWatchMetrics": [{"Namespace": "", "Dimensions": [[]],
                                                                       "Metrics": []}]}}):
        with pytest.raises(AssertionError):
            validate_emf(json.dumps(bad))


# --- the Metrics object ------------------------------------------------------------------------------


def test_one_emf_line_with_dimensions_repeated_values_and_metadata():
    out = io.StringIO()
    m = Metrics("Shop", {"service": "orders"}, stream=out)
    m.add("Orders", 1)
    m.add("Orders", 2)
    m.add("Latency", 12.5, "Milliseconds", resolution=1)
    m.add_dimension("region", "eu")
    m.add_metadata("requestId", "r-1")
    assert m.flush(timestamp_ms=1700000000000) == 1
    (line,) = out.getvalue().splitlines()
    doc = validate_emf(line)
    assert doc["Orders"] == [1, 2] and doc["Latency"] == 12.5 and doc["requestId"] == "r-1"
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service", "region"]] and directive["Namespace"] == "Shop"
    assert {"Name": "Latency", "Unit": "Milliseconds", "StorageResolution": 1} in directive["Metrics"]
    assert doc["_aws"]["Timestamp"] == 1700000000000
    assert m.flush() == 0 and out.getvalue().count("\n") == 1  # flushed metrics are gone


def test_nothing_is_written_without_a_metric():
    out = io.StringIO()
    m = Metrics("Shop", {"service": "x"}, stream=out)
    m.add_metadata("requestId", "r")
    assert m.flush() == 0 and out.getvalue() == ""


def test_a_dimension_clash_gets_its_own_document():
    m = Metrics("Shop", {"service": "a", "route": "mine"})
    m.add("Orders", 1)
    m.add_to({"service": "a", "route": "GET /x"}, "Latency", 3, "Milliseconds")
    lines = m.lines(5)
    assert len(lines) == 2
    assert [validate_emf(line)["route"] for line in lines] == ["mine", "GET /x"]


@pytest.mark.parametrize("call, message", [
    (lambda m: m.add("", 1), "non-blank string"),
    (lambda m: m.add("x" * 256, 1), "at most 255"),
    (lambda m: m.add("A", True), "must be a number"),
    (lambda m: m.add("A", "1"), "must be a number"),
    (lambda m: m.add("A", float("nan")), "finite"),
    (lambda m: m.add("A", float("inf")), "finite"),
    (lambda m: m.add("A", 1, "Parsecs"), "unknown unit"),
    (lambda m: m.add("A", 1, resolution=5), "resolution"),
    (lambda m: (m.add("A", 1, "Count"), m.add("A", 1, "Seconds")), "was added with unit"),
    (lambda m: [m.add_dimension(f"d{i}", "v") for i in range(31)], "more than 30 dimensions"),
    (lambda m: m.add_dimension("d", "v" * 1025), "at most 1024"),
    (lambda m: m.add_metadata("_aws", 1), "reserved"),
    # CloudWatch's Dimension rules (printable ASCII, a name not starting with ':'): audit of issue 16
    (lambda m: m.add_dimension("région", "eu"), "printable ASCII"),
    (lambda m: m.add_dimension("city", "北京"), "printable ASCII"),
    (lambda m: m.add_dimension("tab", "a\tb"), "printable ASCII"),
    (lambda m: m.add_dimension(":x", "v"), "not starting with ':'"),
    (lambda m: Metrics("AWS/Lambda"), "AWS/ is reserved"),
    (lambda m: (m.add_dimension("Orders", "x"), m.add("Orders", 1)), "name of a dimension"),
    (lambda m: (m.add("Orders", 1), m.add_dimension("Orders", "x")), "name of a metric"),
    (lambda m: Metrics("Shop;prod"), "namespace"),
])
def test_bad_metrics_are_refused_with_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(Metrics("Shop"))


def test_more_than_100_metrics_or_values_are_split_into_valid_documents():
    # Audit of issue 16: EMF allows 100 metrics per document and 100 values per metric; the 101st
    # was a ValueError (a 500 for the request) where Powertools writes another document.
    m = Metrics("Shop", {"service": "a"})
    for i in range(250):
        m.add(f"M{i}", i)
    for i in range(230):
        m.add("Repeated", i)
    m.add_to({"service": "a", "route": "GET /x"}, "Latency", 3, "Milliseconds")
    m.add_metadata("requestId", "r-1")
    docs = [validate_emf(line) for line in m.lines(5)]
    seen, repeated = {}, []
    for doc in docs:
        assert sum(len(d["Metrics"]) for d in doc["_aws"]["CloudWatchMetrics"]) <= 100
        assert doc["requestId"] == "r-1"
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                if metric["Name"] == "Repeated":
                    repeated += value
                else:
                    seen[metric["Name"]] = value
    assert seen == {**{f"M{i}": i for i in range(250)}, "Latency": 3}
    assert repeated == list(range(230))


def test_json_lines_for_the_log_services():
    out = io.StringIO()
    m = Metrics("Shop", {"service": "orders"}, fmt="json", stream=out)
    m.add("Orders", 1)
    m.add("Orders", 2)
    m.add_metadata("requestId", "r-1")
    assert m.flush(timestamp_ms=7) == 2
    assert json_lines(out.getvalue()) == [
        {"requestId": "r-1", "timestamp": 7, "namespace": "Shop", "metric": "Orders", "value": v, "unit": "Count",
         "dimensions": {"service": "orders"}} for v in (1, 2)]


# --- ctx.metrics through the app -----------------------------------------------------------------------


@Controller("/")
class MetricsController:
    @GetMapping("/buy/:n")
    def buy(self, n: int = PathVariable("n")):
        if n:
            self.ctx.metrics.add("Bought", n)
            self.ctx.metrics.add_dimension("channel", "web")
        return {"n": n}

    @GetMapping("/bad")
    def bad(self):
        self.ctx.metrics.add("Bought", "many")

    @GetMapping("/fails")
    def fails(self):
        self.ctx.metrics.add("Attempts", 1)
        raise RuntimeError("store down")


def metrics_app(**metrics):
    class App(Koatty):
        components = [MetricsController]
        config = {"metrics": metrics} if metrics else {}

    return App


def test_ctx_metrics_flushed_once_per_invocation_on_aws(clean_log, capsys):
    _, wsgi = boot(metrics_app(namespace="Shop", service="orders"))
    call(wsgi, path="/buy/3", request_id="r-3")
    (line,) = capsys.readouterr().out.splitlines()
    doc = validate_emf(line)
    assert doc["Bought"] == 3 and doc["channel"] == "web" and doc["service"] == "orders" and doc["requestId"] == "r-3"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "channel"]]
    call(wsgi, path="/buy/0")
    assert capsys.readouterr().out == ""  # no metric added: nothing written


@pytest.mark.parametrize("kind, platform", [("fc3", "alicloud"), ("scf", "tencent")])
def test_ctx_metrics_as_json_lines_on_alibaba_and_tencent(clean_log, capsys, kind, platform):
    _, wsgi = boot(metrics_app(namespace="Shop"))
    res = call(wsgi, kind=kind, path="/buy/2", request_id="r-2")
    assert res["statusCode"] == 200
    (line,) = json_lines(capsys.readouterr().out)
    assert line["metric"] == "Bought" and line["value"] == 2 and line["namespace"] == "Shop"
    assert line["dimensions"] == {"service": "App", "channel": "web"} and line["requestId"]
    assert "_aws" not in line


def test_a_bad_metric_is_a_500_with_the_error_logged(clean_log, capsys):
    _, wsgi = boot(metrics_app())
    res = call(wsgi, path="/bad")
    captured = capsys.readouterr()
    assert res["statusCode"] == 500 and "must be a number" in captured.err
    assert captured.out == ""


def test_cold_start_and_latency_metrics_when_enabled(clean_log, capsys):
    _, wsgi = boot(metrics_app(namespace="Shop", service="orders", cold_start=True, latency=True))
    call(wsgi, path="/buy/0")
    call(wsgi, path="/buy/1")
    call(wsgi, path="/nowhere")
    docs = [validate_emf(line) for line in capsys.readouterr().out.splitlines()]
    assert len(docs) == 3
    first, second, missing = docs
    assert first["ColdStart"] == 1 and first["route"] == "GET /buy/:n" and first["Latency"] >= 0
    assert "ColdStart" not in second and second["Bought"] == 1
    latency = [d for d in second["_aws"]["CloudWatchMetrics"] if d["Metrics"][0]["Name"] == "Latency"]
    assert latency[0]["Dimensions"] == [["service", "route"]] and latency[0]["Metrics"][0]["Unit"] == "Milliseconds"
    assert missing["route"] == "-"  # a request that matched no route


@pytest.mark.parametrize("config, message", [
    ({"dimensions": ["stage"]}, "metrics.dimensions must be a dict"),
    ({"namespace": " "}, "namespace must be a non-blank string"),
    ({"format": "xml"}, "metrics format must be one of"),
    ({"dimensions": {"stage": ""}}, "dimension value"),
])
def test_a_bad_metrics_config_fails_the_boot(clean_log, config, message):
    with pytest.raises(ValueError, match=message):
        boot(metrics_app(**config))


def test_metrics_added_before_the_controller_raised_are_written(clean_log, capsys):
    _, wsgi = boot(metrics_app())
    assert call(wsgi, path="/fails", request_id="r-f")["statusCode"] == 500
    (line,) = capsys.readouterr().out.splitlines()
    doc = validate_emf(line)
    assert doc["Attempts"] == 1 and doc["requestId"] == "r-f"


class _Sqs:
    aws_request_id = "sqs-1"


def _sqs_handler(App, fn):
    import koatty_lite
    from koatty_lite.cli.event import build_event

    return koatty_lite.handler(App, event_handlers={"sqs": fn}), build_event("sqs", None)


def test_event_handler_metrics_written_when_it_ends_even_when_it_raised(clean_log, capsys, monkeypatch):
    # Audit of issue 16: an event handler had no per-invocation metrics (no ctx), and the ColdStart
    # metric was never written when the process's first invocation was not HTTP.
    from koatty_lite.metrics import current

    def on_sqs(event, context, app):
        current().add("Jobs", len(event["Records"]))
        current().add_dimension("queue", "orders")
        if app.fail:
            raise RuntimeError("poison message")
        return {}

    App = metrics_app(namespace="Shop", service="worker", cold_start=True)
    App.fail = True
    handler, event = _sqs_handler(App, on_sqs)
    with pytest.raises(RuntimeError):
        handler(event, _Sqs())
    first = [validate_emf(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(first) == 1
    (doc,) = first
    assert doc["Jobs"] >= 1 and doc["ColdStart"] == 1 and doc["requestId"] == "sqs-1"
    assert doc["queue"] == "orders" and doc["service"] == "worker"
    handler.app.fail = False
    handler(event, _Sqs())
    (doc,) = [validate_emf(line) for line in capsys.readouterr().out.splitlines()]
    assert "ColdStart" not in doc and doc["Jobs"] >= 1
    handler(event, _Sqs())  # metrics are per invocation: nothing leaks into the next one
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_event_handler_metrics_as_json_lines_on_alibaba(clean_log, capsys, monkeypatch):
    from koatty_lite.metrics import current

    monkeypatch.setenv("FC_FUNCTION_NAME", "worker")
    handler, event = _sqs_handler(metrics_app(namespace="Shop"), lambda e, c, a: current().add("Jobs", 1))
    handler(event, _Sqs())
    (line,) = json_lines(capsys.readouterr().out)
    assert line["metric"] == "Jobs" and line["dimensions"] == {"service": "worker"} and "_aws" not in line


def test_current_metrics_outside_an_invocation_says_what_to_use():
    from koatty_lite.metrics import current

    with pytest.raises(RuntimeError, match="ctx.metrics"):
        current()


def test_log_services_take_any_dimension_text():
    m = Metrics("商店", {"city": "北京"}, fmt="json")
    m.add("Orders", 1)
    (line,) = json_lines("\n".join(m.lines(1)))
    assert line["dimensions"] == {"city": "北京"} and line["namespace"] == "商店"


def test_latency_of_a_non_ascii_route_is_still_a_valid_emf_document(clean_log, capsys):
    # Audit of issue 16: the route dimension would not be ASCII, which CloudWatch refuses.
    @Controller("/")
    class Cafe:
        @GetMapping("/café/:n")
        def cafe(self, n: int = PathVariable("n")):
            return {}

    class App(Koatty):
        components = [Cafe]
        config = {"metrics": {"latency": True}}

    _, wsgi = boot(App)
    assert call(wsgi, path="/caf%C3%A9/1")["statusCode"] == 200
    (line,) = capsys.readouterr().out.splitlines()
    assert validate_emf(line)["route"] == "GET /caf\\xe9/:n"
