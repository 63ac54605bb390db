"""koatty_lite/entry.py on the cold path (issue 14): each code object it holds costs every cold start ~12-14k
instructions (unmarshal, function creation, teardown), so one-use helpers live in their callers and the guard
of a foreign WSGI app in koatty_lite/foreign.py (loaded, and shipped, only for such an app). These tests pin
what those callers still do: the argument checks and adapter modes of handler(), the boot of a class or a
created app, a foreign WSGI app's header pairs (_with_id) as the old helpers answered them, and which
packages ship foreign.py."""
from __future__ import annotations

import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koatty_lite import Controller, GetMapping, Koatty, entry, foreign, handler
from koatty_lite.serverless import AwsLambdaAdapter


def _code_objects(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), path, "exec")
    count, stack = 0, [code]
    while stack:
        code = stack.pop()
        count += 1
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return count


def test_entry_holds_at_most_23_code_objects():
    """What importing entry.py unmarshals (the module, its functions, methods, closures, lambdas). Fails on
    the old code: 38 (the one-use helpers _serverless_mode, _adapter_mode, _fc2, _drain, _added_id, _unserved,
    _no_kinds, the detector _no_event, and the guard of a foreign WSGI app: now in foreign.py)."""
    assert _code_objects(entry.__file__) <= 23


def _app():
    @Controller("/")
    class C:
        @GetMapping("/hello")
        def hello(self):
            return {"serverless": self.app.config["server"]["serverless"]}

    class App(Koatty):
        components = [C]

    return App


EVENT = {"version": "2.0", "rawPath": "/hello", "rawQueryString": "", "headers": {"host": "x"},
         "requestContext": {"http": {"method": "GET", "path": "/hello", "sourceIp": "192.0.2.1"}, "requestId": "r"}}


@pytest.mark.parametrize("given_as", ["class", "created app"])
def test_an_app_class_or_a_created_app_boots_once_in_serverless_mode(given_as):
    App = _app()
    target = App if given_as == "class" else App()
    h = handler(target)
    assert h.app.is_ready and h.app.config["server"]["serverless"] is True
    assert h(dict(EVENT), None)["body"] == '{"serverless":true}'
    assert handler(target).app is h.app  # one bootstrap per process


def test_a_ready_app_is_served_as_it_is():
    """A created app booted before handler() is not booted again (nor put in serverless mode)."""
    from koatty_lite import create_application

    app = _app()()
    create_application(app)
    assert handler(app).app is app and app.config.get("server", {}).get("serverless") is not True


@pytest.mark.parametrize("kwargs, message", [
    ({"event_handlers": {"sqs": 1}}, "event_handlers['sqs'] must be callable fn(event, context, app)"),
    ({"health_check": 1}, "health_check must be callable fn(app)"),
    ({"adapter": object()}, "adapter must have create_handler(app)"),
])
def test_handler_s_arguments_are_checked_at_once(kwargs, message):
    with pytest.raises(TypeError) as err:
        handler(_app(), lazy=True, **kwargs)
    assert message in str(err.value)


def test_a_target_that_is_neither_an_app_nor_a_wsgi_callable_is_refused():
    for target in (dict, 3):
        with pytest.raises(TypeError, match="takes a Koatty app class, a created app or a WSGI callable"):
            handler(target, lazy=True)


def test_a_built_in_adapter_takes_the_fast_path_and_its_platform_a_custom_one_serves_itself():
    h = handler(_app(), adapter=AwsLambdaAdapter(strip_base_path="/api"), lazy=True)
    assert (h.platform, h.strip, h.custom) == ("aws", "/api", None)

    class Mine(AwsLambdaAdapter):
        def create_handler(self, app):
            return lambda event, context: {"mine": True}

    adapter = Mine()
    h = handler(_app(), adapter=adapter)
    assert (h.platform, h.strip, h.custom) == ("auto", "", adapter) and h.adapter is adapter
    assert h({"custom": 1}, None) == {"mine": True}


# The old code's _with_id (before its helpers were folded in), the reference the new one must answer as.
def _old_with_id(headers, rid):
    def added_id(headers, rid):
        for name, _ in headers:
            if len(name) == 12 and name.lower() == "x-request-id":
                return list(headers)
        return [*headers, ("X-Request-Id", rid)]

    ctype, lows, get = "", set(), foreign._PLAIN_NAMES.get
    try:
        for name, value in headers:
            low = get(name) or foreign._plain_name(name)
            if low is None or low in lows or not value.isascii() or not value.isprintable():
                return added_id(headers, rid), None
            lows.add(low)
            if low == "content-type":
                ctype = value
    except (AttributeError, TypeError, ValueError):
        return added_id(headers, rid), None
    if not (rid.isascii() and rid.isprintable()):
        return added_id(headers, rid), None
    return [*headers, ("X-Request-Id", rid)], ctype.lower()


def _answer(fn, headers, rid):
    try:
        return fn(headers, rid)
    except Exception as exc:  # noqa: BLE001 - the exception itself is what both must agree on
        return type(exc)


NAMES = st.sampled_from(["Content-Type", "content-type", "X-Request-Id", "x-request-id", "Set-Cookie", "X-A",
                         "Content-Encoding", "bad name", "é", "", 7, None, b"X-B"])
VALUES = st.one_of(st.sampled_from(["text/plain", "a\nb", "é", "", "v"]), st.integers(), st.none())
PAIRS = st.one_of(st.tuples(NAMES, VALUES), st.tuples(NAMES), st.just(3), st.just("ab"))


@settings(max_examples=400, deadline=None)
@given(headers=st.lists(PAIRS, max_size=5), rid=st.sampled_from(["r-1", "r\n1", "é", ""]))
def test_a_foreign_app_s_header_pairs_are_answered_as_the_old_helpers_did(headers, rid):
    assert _answer(foreign._with_id, headers, rid) == _answer(_old_with_id, headers, rid)


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(PAIRS, max_size=5), rid=st.sampled_from(["r-1", "r\n1", "é"]), warm=st.booleans())
def test_the_guard_s_own_start_response_answers_the_pairs_as_the_old_helpers_did(headers, rid, warm):
    # start_response holds _with_id's common case written out (every name cached): the same pairs and plain
    # type, or the JSON 500 when the old helpers raised
    if warm:
        _answer(foreign._with_id, headers, rid)  # the names cached

    def app(environ, start_response):
        start_response("200 OK", headers)
        return [b""]

    status, pairs, _, plain = foreign.guard(app).koatty_run({"koatty.request_id": rid, "REQUEST_METHOD": "GET"})
    old = _answer(_old_with_id, headers, rid)
    assert (status, pairs, plain) == (("500 Internal Server Error", pairs, None) if isinstance(old, type)
                                      else ("200 OK", *old))


@pytest.mark.parametrize("wsgi, probe", [(False, True), (True, True), (True, False)],
                         ids=["koatty-app", "wsgi-app", "wsgi-app-no-probe"])
def test_the_guard_of_a_foreign_wsgi_app_ships_with_such_an_app_only(wsgi, probe, tmp_path):
    """koatty_lite/foreign.py (feature ``foreign``) ships when handler() is given a WSGI app, or when no probe ran
    (the source cannot tell); a Koatty app's package leaves it out. Fails on the old code: the guard was in
    entry.py, so no package shipped foreign.py."""
    import os
    import zipfile

    from conftest import FIXTURES
    from koatty_lite.cli import package
    from test_package_slim import _echo_project, _events_of, _unzip

    app, entry = _echo_project(tmp_path, wsgi=wsgi)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, probe=probe, log=lambda line: None)
    assert ("koatty_lite/foreign.py" in zipfile.ZipFile(res.path).namelist()) is wsgi
    assert ("foreign" in res.features) is wsgi
    root = _unzip(res.path, tmp_path / "u")
    assert _events_of(root, os.path.join(FIXTURES, "aws", "apigw-v1-get-multivalue.json")) == [200]
