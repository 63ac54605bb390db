"""HTTP formats are one registry of named records: a new cloud is a registration, from outside the package.

A fake cloud "acme" is added with register_format() and then works everywhere a built-in one does:
platform="auto", handler(platform="acme"), a ServerlessAdapter subclass, the 400 path, KIND_PLATFORM.
"""
from __future__ import annotations

import json

import pytest

from koatty_lite import Controller, GetMapping, Koatty, handler
from koatty_lite import serverless
from koatty_lite.serverless import BadEvent, HttpFormat, ServerlessAdapter, register_format
from koatty_lite.serverless.http import make_environ


def detect_acme(event):
    return event.get("acme") == 1


def to_environ_acme(event, context, strip_base_path=""):
    if not isinstance(event.get("verb"), str):
        raise BadEvent("verb must be a string")
    return make_environ(event["verb"], event.get("where", "/"), "", [("Host", "acme.example")], b"", "198.51.100.9",
                        "https", event, context, "acme", "acme-http", event.get("id"))


def to_response_acme(environ, status, headers, body):
    return {"code": int(status[:3]), "head": dict(headers), "text": body.decode()}


def bad_request_acme(kind, message):
    return {"code": 400, "head": {}, "text": json.dumps({"kind": kind, "message": message})}


@pytest.fixture
def acme():
    fmt = register_format("acme-http", "acme", detect_acme, to_environ_acme, to_response_acme, bad_request_acme)
    yield fmt
    serverless.FORMATS.remove(fmt)
    serverless._index()


@Controller("/")
class Where:
    @GetMapping("/where")
    def where(self):
        return {"platform": self.ctx.platform, "kind": self.ctx.event_kind, "ip": self.ctx.ip}


class App(Koatty):
    components = [Where]


def test_a_registered_format_is_a_named_record_and_a_platform(acme):
    assert isinstance(acme, HttpFormat)
    assert (acme.kind, acme.platform, acme.detect) == ("acme-http", "acme", detect_acme)
    assert serverless.KIND_PLATFORM["acme-http"] == "acme"
    assert "acme" in serverless.platforms()
    assert serverless.detect_http({"acme": 1}) == "acme-http"


@pytest.mark.parametrize("platform", ["auto", "acme"])
def test_the_fake_cloud_is_served_by_handler(acme, platform):
    answer = handler(App, platform=platform)({"acme": 1, "verb": "GET", "where": "/where"}, None)
    assert answer["code"] == 200
    assert json.loads(answer["text"]) == {"platform": "acme", "kind": "acme-http", "ip": "198.51.100.9"}


def test_a_built_in_platform_does_not_claim_the_fake_clouds_event(acme):
    with pytest.raises(ValueError):
        handler(App, platform="aws")({"acme": 1, "verb": "GET", "where": "/where"}, None)


def test_an_adapter_subclass_for_the_fake_cloud(acme):
    class AcmeAdapter(ServerlessAdapter):
        name = platform = "acme"

    answer = handler(App, adapter=AcmeAdapter())({"acme": 1, "verb": "GET", "where": "/where"}, None)
    assert json.loads(answer["text"])["platform"] == "acme"
    direct = AcmeAdapter().create_handler(handler(App).get_app().get_request_handler())
    assert direct({"acme": 1, "verb": "GET", "where": "/where"}, None)["code"] == 200


def test_the_400_path_uses_the_formats_own_bad_request(acme):
    answer = handler(App)({"acme": 1, "verb": 7}, None)
    assert answer["code"] == 400
    assert json.loads(answer["text"]) == {"kind": "acme-http", "message": "verb must be a string"}


def test_an_unknown_platform_names_the_registered_ones():
    with pytest.raises(ValueError, match="'auto', 'aws', 'alicloud', 'tencent'"):
        handler(App, platform="nowhere")


def test_registration_is_checked(acme):
    with pytest.raises(ValueError, match="already registered"):
        register_format("acme-http", "acme", detect_acme, to_environ_acme, to_response_acme, bad_request_acme)
    with pytest.raises(TypeError, match="detect must be callable"):
        register_format("x", "acme", None, to_environ_acme, to_response_acme, bad_request_acme)
    with pytest.raises(ValueError, match="no such kind"):
        register_format("y", "acme", detect_acme, to_environ_acme, to_response_acme, bad_request_acme, before="nope")


def test_before_puts_a_detector_ahead_of_a_built_in_one(acme):
    first = register_format("acme-first", "acme", lambda e: e.get("acme") == 1, to_environ_acme, to_response_acme,
                            bad_request_acme, before="apigw-v1")
    try:
        assert serverless.FORMATS[0] is first
        assert serverless.detect_http({"acme": 1}) == "acme-first"
    finally:
        serverless.FORMATS.remove(first)
        serverless._index()


def _alb_get(path):
    return {"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
            "httpMethod": "GET", "path": path, "queryStringParameters": {}, "headers": {"host": "h"}, "body": "",
            "isBase64Encoded": False}


def test_each_event_is_served_by_its_own_format_whatever_kind_came_before():
    # handler() asks the built-in format that claimed the last event first (entry._Handler._claimed)
    fn = handler(App)
    v2 = {"version": "2.0", "rawPath": "/where", "rawQueryString": "", "headers": {"host": "h"},
          "requestContext": {"http": {"method": "GET", "path": "/where", "sourceIp": "192.0.2.7"}, "domainName": "h"}}
    for event, kind in [(_alb_get("/where"), "alb"), (_alb_get("/where"), "alb"), (v2, "apigw-v2"),
                        (_alb_get("/where"), "alb"), (v2, "apigw-v2"), (v2, "apigw-v2")]:
        answer = fn(json.loads(json.dumps(event)), None)
        assert json.loads(answer["body"])["kind"] == kind


def test_a_format_registered_ahead_of_the_built_in_ones_still_claims_first_after_another_kind():
    # a format put before apigw-v1 may overlap a built-in one: it is asked first on every event
    mine = register_format("acme-alb", "acme", lambda e: e.get("path") == "/acme", to_environ_acme, to_response_acme,
                           bad_request_acme, before="apigw-v1")
    try:
        fn = handler(App)
        assert json.loads(fn(_alb_get("/where"), None)["body"])["kind"] == "alb"
        assert fn(dict(_alb_get("/acme"), verb="GET", where="/where"), None)["code"] == 200  # acme's answer
        assert json.loads(fn(_alb_get("/where"), None)["body"])["kind"] == "alb"
    finally:
        serverless.FORMATS.remove(mine)
        serverless._index()


# --- formats whose functions load on first use (HttpFormat.source) --------------------------------------
ACME_MORE = '''
import json
loaded = True
def to_response(environ, status, headers, body):
    return {"code": int(status[:3]), "head": dict(headers), "text": body.decode(), "more": True}
def bad_request(kind, message):
    return {"code": 400, "head": {}, "text": json.dumps({"kind": kind, "message": message}), "more": True}
'''


@pytest.fixture
def acme_named(tmp_path, monkeypatch):
    """The fake cloud with to_response and bad_request named in a module of its own (not imported yet)."""
    import sys

    (tmp_path / "acme_more.py").write_text(ACME_MORE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_more", raising=False)
    fmt = register_format("acme-http", "acme", detect_acme, to_environ_acme, "to_response", "bad_request",
                          source="acme_more")
    yield fmt
    serverless.FORMATS.remove(serverless.load_format(fmt))
    serverless._index()


def test_named_functions_load_when_the_format_first_needs_them(acme_named):
    import sys

    assert acme_named.source == "acme_more" and acme_named[4] == "to_response"
    h = handler(App, platform="acme")
    assert "acme_more" not in sys.modules  # registering and booting import nothing of it
    answer = h({"acme": 1, "verb": "GET", "where": "/where", "id": "r-1"}, None)
    assert answer["code"] == 200 and answer["more"] is True and "acme_more" in sys.modules
    assert h({"acme": 1, "verb": 7}, None)["more"] is True  # the 400 too
    loaded = serverless.load_format(acme_named)
    assert loaded.source is None and loaded.to_response is sys.modules["acme_more"].to_response
    assert [f for f in serverless.formats_for("acme")] == [loaded]  # the registry holds the loaded record
    assert acme_named.bad_request is loaded.bad_request  # read by name, a named field loads


def test_a_named_function_must_name_something_and_have_a_source(acme_named):
    with pytest.raises(TypeError, match="to_response must be callable"):
        register_format("acme-2", "acme", detect_acme, to_environ_acme, "to_response", bad_request_acme)
    with pytest.raises(TypeError, match="source must be a module name"):
        register_format("acme-2", "acme", detect_acme, to_environ_acme, "x", bad_request_acme, source=3)


@pytest.mark.parametrize("name", ["aws", "alicloud", "tencent"])
def test_a_built_in_module_registers_what_register_format_would(name, monkeypatch):
    """_register_module inserts a built-in cloud's rows without register_format's checks (PERF): the rows
    pass those checks, and the records are the ones register_format makes."""
    import importlib

    module = importlib.import_module("koatty_lite.serverless." + name)
    registry = importlib.import_module("koatty_lite.serverless.http")  # register_format's module
    tables = {"_FORMATS": [], "_KIND_PLATFORM": {}, "_BY_PLATFORM": {}}
    for attr, fresh in tables.items():
        monkeypatch.setattr(serverless, attr, fresh)
        if hasattr(registry, attr):
            monkeypatch.setattr(registry, attr, fresh)
    serverless._register_module(module)
    bulk = list(serverless._FORMATS)
    serverless._FORMATS.clear()
    serverless._KIND_PLATFORM.clear()
    source = getattr(module, "SOURCE", None)
    bad = getattr(module, "bad_request", "bad_request" if source else None)
    for kind, platform, detect, to_environ, to_response, *more in module.DETECTORS:
        more += [None, None]
        register_format(kind, platform, detect, to_environ, to_response, bad, to_request=more[0], answer=more[1],
                        source=source)
    checked = list(serverless._FORMATS)

    def comparable(fmt):  # _environ_via makes a new closure each time
        return fmt[:3] + (type(fmt[3]).__name__ if callable(fmt[3]) else fmt[3],) + fmt[4:]

    assert [comparable(f) for f in bulk] == [comparable(f) for f in checked] and len(bulk) == len(module.DETECTORS)
