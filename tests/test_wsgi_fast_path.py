"""The foreign-WSGI fast paths (issue 14: koatty_lite around a bare WSGI app as fast as apig-wsgi) give
the answers of the general code they shortcut.

- ``to_environ`` of REST v1, HTTP v2, Function URL and ALB builds the common event's environ from one
  pass over its header map (``http.env_headers`` + ``environ_of``); every fixture and its variants run
  once with a cold header-key cache (the general ``make_environ``) and once warm (the fast path), with
  and without a context: the same environ, keys in the same order.
- ``handler()``'s guard runs a foreign app in one frame (``koatty_run``); every WSGI app below answers
  the same through it as through ``run_wsgi`` around the guard's WSGI callable.
"""
from __future__ import annotations

import copy
import os
import re
import sys

import pytest

from koatty_lite import handler
from koatty_lite.errors import error_body
from koatty_lite.serverless import _claim, _serve, aws, http, server
from koatty_lite.serverless.http import BadEvent
from test_request_model import CTX, EVENTS

FAST_KINDS = ("apigw-v1", "apigw-v2", "function-url", "alb")
FAST_EVENTS = [(name, event) for name, event in EVENTS if _claim(event, "auto").kind in FAST_KINDS]


class NoIds:
    """A context whose ids are empty (make_environ falls back from one to the other)."""

    aws_request_id = ""
    request_id = ""


def _environ(fmt, event, context, base):
    try:
        return fmt.to_environ(copy.deepcopy(event), context, base)
    except BadEvent as exc:
        return ("BadEvent", str(exc))


def _comparable(environ):
    if type(environ) is tuple:
        return environ, []
    environ = dict(environ)
    body = environ.pop("wsgi.input").read()
    environ.pop("koatty.event")
    return (environ, body), [k for k in environ if k.startswith("HTTP_") or k == "CONTENT_TYPE"]


@pytest.mark.parametrize("name,event", FAST_EVENTS, ids=[n for n, _ in FAST_EVENTS])
@pytest.mark.parametrize("context", [CTX, None, NoIds()], ids=["ctx", "no-ctx", "empty-ids"])
@pytest.mark.parametrize("base", ["", "/users"])
def test_fast_environ_is_the_general_one(name, event, context, base, monkeypatch):
    fmt = _claim(event, "auto")
    monkeypatch.setattr(http, "_ENV_KEYS", {"content-type": "CONTENT_TYPE", "content-length": None})
    general, general_order = _comparable(_environ(fmt, event, context, base))  # a cold cache: make_environ
    fast, fast_order = _comparable(_environ(fmt, event, context, base))
    assert fast == general
    assert fast_order == general_order  # ctx.headers lists the header keys in the environ's order


def test_the_fast_path_is_taken_for_plain_events(monkeypatch):
    taken = set()
    for name, event in FAST_EVENTS:
        fmt = _claim(event, "auto")
        _environ(fmt, event, CTX, "")  # the names cached

        def general(*args, **kwargs):
            raise AssertionError("general path")

        with monkeypatch.context() as patch:
            patch.setattr(http, "make_environ", general)  # the general rules (Request.environ imports it when called)
            patch.setattr(aws, "make_environ", general, raising=False)  # where they were called before
            try:
                fmt.to_environ(copy.deepcopy(event), CTX, "")
            except (AssertionError, BadEvent):
                continue
        taken.add(fmt.kind)
    assert taken == set(FAST_KINDS)


def _plain_v1():
    """A REST v1 GET with one value per header (the fast environ's case)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
    try:
        from run import make_event
    finally:
        sys.path.pop(0)
    return make_event("v1", "GET", "/hello")


def _no_general(*args, **kwargs):
    raise AssertionError("the general rules ran")


@pytest.mark.parametrize("value", [{"k": "v"}, {"k": "v", "l": "w"}, 5, [5], [], True, ["a", 1]],
                         ids=["one-key-object", "object", "number", "list-of-number", "empty", "bool", "mixed"])
def test_a_malformed_multi_value_header_is_still_the_400_on_the_fast_path(value, monkeypatch):
    # the fast environ reads v[0] of one-value entries without a list check (http.env_headers)
    event = _plain_v1()
    event["multiValueHeaders"]["x-odd"] = ["ok"]
    fmt = _claim(event, "auto")
    fmt.to_environ(copy.deepcopy(event), CTX, "")  # the names cached
    with monkeypatch.context() as patch:
        patch.setattr(http, "make_environ", _no_general)  # Request.environ imports it when called
        assert fmt.to_environ(copy.deepcopy(event), CTX, "")["HTTP_X_ODD"] == "ok"  # the fast path
    event["multiValueHeaders"]["x-odd"] = value
    if value == []:
        environ = fmt.to_environ(copy.deepcopy(event), CTX, "")  # no value: no header, as the general rules say
        assert "HTTP_X_ODD" not in environ
        return
    with pytest.raises(BadEvent, match="multiValueHeaders values must be lists of strings"):
        fmt.to_environ(copy.deepcopy(event), CTX, "")
    answer = handler(plain)(copy.deepcopy(event), CTX)
    assert answer["statusCode"] == 400


def test_a_one_character_multi_value_header_string_is_its_value():
    event = _plain_v1()
    event["multiValueHeaders"]["x-one"] = "1"
    event["multiValueHeaders"]["x-two"] = "22"
    environ = _claim(event, "auto").to_environ(event, CTX, "")
    assert (environ["HTTP_X_ONE"], environ["HTTP_X_TWO"]) == ("1", "22")


# ---------------------------------------------------------------- the guarded run
def plain(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


def chunks_and_close(environ, start_response):
    closed = environ["koatty.test.closed"] = []

    class Body:
        def __iter__(self):
            yield b"a"
            yield bytearray(b"b")
            yield b""

        def close(self):
            closed.append(True)

    start_response("201 Created", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
    return Body()


def uses_write(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"head ")
    write(b"")
    return [b"tail"]


def own_request_id(environ, start_response):
    start_response("200 OK", [("x-request-id", "mine"), ("Content-Type", "text/plain")])
    return [b"ok"]


def raises_first(environ, start_response):
    raise ValueError("boom")


def raises_in_body(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body():
        yield b"x"
        raise ValueError("late")

    return body()


def writes_then_raises(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])(b"sent")
    raise ValueError("after write")


def catches_and_replaces(environ, start_response):
    try:
        raise KeyError("inner")
    except KeyError:
        import sys

        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"replaced"]


def twice(environ, start_response):
    start_response("200 OK", [])
    start_response("200 OK", [])
    return [b""]


def never_starts(environ, start_response):
    return [b"body"]


def text_body(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["not bytes"]


def bad_headers(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain", "extra")])
    return [b""]


def int_status(environ, start_response):
    start_response(200, [("Content-Type", "text/plain")])
    return [b""]


def odd_values(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html"), ("X-Native", "S\u00c3\u00a3o"), ("X-Evil", "a\r\nb: c"),
                              (b"X-Bytes", "v"), ("X-Num", 5), ("", "empty"), ("Content-Encoding", " GZIP ")])
    return [b"\x1f\x8b binary"]


def repeats_and_cookies(environ, start_response):
    start_response("200 OK", [("Content-Type", "Text/Plain; charset=utf-8"), ("X-A", "1"), ("x-a", "2"),
                              ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2; Path=/"), ("content-type", "text/csv")])
    return [b"a,b"]


def gzipped(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", " GZip "),
                              ("Cache-Control", "no-store")])
    return [b"\x1f\x8b\x08\x00 not really"]


def own_reason(environ, start_response):
    start_response("200 Fine", [("Content-Type", "application/json")])
    return [b"{}"]


def tuple_headers(environ, start_response):
    start_response("200 OK", (("Content-Type", "application/json"), ("X-Request-Id", "own")))
    return (b"{}",)


APPS = [repeats_and_cookies, gzipped, own_reason, tuple_headers, plain, chunks_and_close, uses_write, own_request_id, raises_first, raises_in_body, writes_then_raises,
        catches_and_replaces, twice, never_starts, text_body, bad_headers, int_status, odd_values]
SAMPLES = {}  # one event per kind (ALB in both header modes)
for _name, _event in EVENTS:
    _fmt = _claim(_event, "auto")
    SAMPLES.setdefault(_fmt.kind + ("-multi" if _fmt.kind == "alb" and "multiValueHeaders" in _event else ""),
                       (_name, _event))


def _answer(serve):
    try:
        return serve()
    except Exception as exc:  # noqa: BLE001 - the exception itself is what both must agree on
        return ("raised", type(exc), str(exc))


def reference_guard(wsgi_app):
    """foreign.guard as it was before koatty_run (a WSGI wrapper that serverless.run_wsgi then runs)."""

    def app(environ, start_response):
        rid = environ.get("koatty.request_id") or "0123456789abcdef"
        started = []

        def respond(status, headers, exc_info=None):
            started.append(status)
            for name, _ in headers:
                if len(name) == 12 and name.lower() == "x-request-id":
                    break
            else:
                headers = [*headers, ("X-Request-Id", rid)]
            return start_response(status, headers, exc_info)

        try:
            result = wsgi_app(environ, respond)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if not started:
                raise RuntimeError("the WSGI app returned a body without calling start_response()")
            return [body]
        except Exception:
            body = error_body(1, "Internal Server Error", None, rid)
            start_response("500 Internal Server Error",
                           [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(body))), ("X-Request-Id", rid)], sys.exc_info())
            return [body]

    return app


@pytest.mark.parametrize("app", APPS, ids=[a.__name__ for a in APPS])
@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("context", [CTX, None], ids=["ctx", "no-ctx"])
def test_the_guarded_run_answers_as_the_guard_under_run_wsgi_did(app, kind, context, monkeypatch):
    name, event = SAMPLES[kind]
    monkeypatch.setattr("koatty_lite.foreign._new_request_id", lambda: "0123456789abcdef")
    guarded = handler(app).wsgi
    assert callable(guarded.koatty_run)
    fmt = _claim(event, "auto")
    fast = _answer(lambda: server(fmt, guarded)(copy.deepcopy(event), context))  # what handler() calls
    assert fast == _answer(lambda: _serve(fmt, guarded, copy.deepcopy(event), context, ""))
    reference = _answer(lambda: _serve(fmt, reference_guard(app), copy.deepcopy(event), context, ""))
    assert fast == reference
    # the guard's own WSGI callable (FC 2.0, custom adapters) answers the same under run_wsgi
    assert _answer(lambda: _serve(fmt, lambda e, s: guarded(e, s), copy.deepcopy(event), context, "")) == reference


def test_a_generated_request_id_is_16_hex_digits_and_new_each_time():
    h = handler(plain)
    event = copy.deepcopy(SAMPLES["alb"][1])
    event["requestContext"].pop("requestId", None)
    ids = [h(copy.deepcopy(event), None)["headers"]["X-Request-Id"] for _ in range(3)] if "headers" in event else \
        [h(copy.deepcopy(event), None)["multiValueHeaders"]["X-Request-Id"][0] for _ in range(3)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", rid) for rid in ids)
    assert len(set(ids)) == 3


def test_generated_ids_never_repeat_in_a_process_and_a_forked_child_starts_afresh():
    # the ids a process makes without a platform id: a random start counted up (context.new_request_id)
    from koatty_lite.context import new_request_id

    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == 2000 and all(re.fullmatch(r"[0-9a-f]{16}", rid) for rid in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert re.fullmatch(r"[0-9a-f]{16}", child) and child not in ids and child != new_request_id()
