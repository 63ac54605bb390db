"""Non-ASCII header and cookie values round-trip on every trigger (issue 11 point 7).

The event carries decoded text; PEP 3333 wants latin-1 native strings of the UTF-8 bytes (as the
adapters already do for paths), so a foreign app (Flask) sees what a WSGI server gives it and the
koatty_lite core decodes it back to text. Response header values go the other way.
"""
from __future__ import annotations

import json

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty, PostMapping, RequestBody
from robust_support import build_http, check_response, http_kinds, response_shape

KINDS = http_kinds()
CITY, TOWN, WARD = "São Paulo", "Zürich", "東京"
HEADERS = [("host", "example.com"), ("cf-ipcity", CITY), ("x-ward", WARD), ("cookie", f"city={TOWN}; ward={WARD}")]


def native(text):
    """What a WSGI server puts in the environ for these UTF-8 bytes."""
    return text.encode("utf-8").decode("latin-1")


shape = response_shape


def event(kind, path):
    return build_http(kind, "GET", path, "", HEADERS)


def raw_echo(environ, start_response):
    """A bare WSGI app: reports the native strings, echoes them back as response headers (the bytes round trip)."""
    seen = {k: environ.get(k) for k in ("HTTP_CF_IPCITY", "HTTP_X_WARD", "HTTP_COOKIE")}
    start_response("200 OK", [("Content-Type", "application/json"), ("X-City", environ["HTTP_CF_IPCITY"]),
                              ("X-Ward", environ["HTTP_X_WARD"]), ("Set-Cookie", "city=" + native(TOWN))])
    return [json.dumps(seen).encode()]


@pytest.mark.parametrize("kind", KINDS)
def test_a_wsgi_app_gets_latin_1_native_strings_and_its_answer_reaches_the_client_as_sent(kind):
    ans = check_response(koatty_lite.handler(raw_echo)(event(kind, "/"), None), shape(kind))
    assert ans.json() == {"HTTP_CF_IPCITY": native(CITY), "HTTP_X_WARD": native(WARD),
                          "HTTP_COOKIE": native(f"city={TOWN}; ward={WARD}")}
    assert (ans.header("x-city"), ans.header("x-ward")) == (CITY, WARD)
    assert ans.headers["set-cookie"] == [f"city={TOWN}"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_flask_app_reads_and_echoes_non_ascii_headers_and_cookies(kind):
    flask = pytest.importorskip("flask")
    app = flask.Flask("unicode")

    @app.get("/flask")
    def echo():
        req = flask.request
        out = flask.jsonify(city=req.headers["cf-ipcity"], ward=req.cookies.get("ward"))
        out.headers["X-City"] = req.headers["cf-ipcity"]  # the native string, as a WSGI server gave it
        return out

    ans = check_response(koatty_lite.handler(app)(event(kind, "/flask"), None), shape(kind))
    assert ans.json() == {"city": native(CITY), "ward": native(WARD)}  # as under gunicorn or wsgiref
    assert ans.header("x-city") == CITY


@Controller("/")
class CityController:
    @GetMapping("/city")
    def city(self):
        ctx = self.ctx
        ctx.set("X-City", ctx.get("cf-ipcity"))
        ctx.set_cookie("city", ctx.cookies["city"])
        return {"city": ctx.get("cf-ipcity"), "ward": ctx.get("x-ward"), "cookies": ctx.cookies}


class CityApp(Koatty):
    components = [CityController]


@pytest.mark.parametrize("kind", KINDS)
def test_a_koatty_app_sees_the_text_and_its_answer_reaches_the_client(kind):
    ans = check_response(koatty_lite.handler(CityApp)(event(kind, "/city"), None), shape(kind))
    assert ans.status == 200, ans.text
    assert ans.json() == {"city": CITY, "ward": WARD, "cookies": {"city": TOWN, "ward": WARD}}
    assert ans.header("x-city") == CITY
    assert ans.headers["set-cookie"][0].startswith(f"city={TOWN};")


def test_a_lone_surrogate_in_an_event_header_is_not_a_crash():
    """JSON may carry "\\ud800"; it cannot be encoded as UTF-8, so it becomes "?" (never a 500)."""
    ev = event("apigw-v2", "/")
    ev["headers"]["x-odd"] = "a\ud800b"
    seen = []

    def app(environ, start_response):
        seen.append(environ["HTTP_X_ODD"])
        start_response("200 OK", [])
        return [b""]

    assert koatty_lite.handler(app)(ev, None)["statusCode"] == 200 and seen == ["a?b"]


@Controller("/")
class EchoController:
    @GetMapping("/echo-city")
    def echo(self):
        ctx = self.ctx
        ctx.set("X-City", ctx.get("cf-ipcity"))
        ctx.set("X-Ward", WARD)  # not latin-1: was a ValueError (a 500) on every trigger
        return {"city": ctx.get("cf-ipcity")}


class EchoApp(Koatty):
    components = [EchoController]


@pytest.mark.parametrize("kind", KINDS)
def test_a_koatty_app_echoing_a_header_gives_back_the_text_on_every_trigger(kind):
    ans = check_response(koatty_lite.handler(EchoApp)(event(kind, "/echo-city"), None), shape(kind))
    assert ans.status == 200 and (ans.header("x-city"), ans.header("x-ward")) == (CITY, WARD)


def test_a_koatty_app_echoing_a_header_gives_back_the_client_s_bytes_in_fc2_wsgi_mode():
    """FC 2.0 calls the WSGI callable itself: the app's text must leave as the UTF-8 bytes the client
    sent (it left as latin-1, "S\\xe3o" for "S\\xc3\\xa3o"), as on the serverless triggers."""
    import io

    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/echo-city", "QUERY_STRING": "", "SERVER_NAME": "x",
           "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
           "HTTP_CF_IPCITY": native(CITY)}
    seen = []
    body = b"".join(koatty_lite.handler(EchoApp)(env, lambda s, h, e=None: seen.append(dict(h))))
    assert json.loads(body) == {"city": CITY}
    assert seen[0]["X-City"].encode("latin-1") == CITY.encode() and seen[0]["X-Ward"].encode("latin-1") == WARD.encode()


def test_a_koatty_app_echoing_a_header_gives_back_the_client_s_bytes_in_listen_mode():
    import socket

    from koatty_lite import create_application

    app = create_application(EchoApp)
    server = app.listen(0, "127.0.0.1")
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"GET /echo-city HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncf-ipcity: "
                         + CITY.encode() + b"\r\n\r\n")
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
    finally:
        app.stop()
    lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    fields = {name.lower(): value for name, _, value in (line.partition(b": ") for line in lines)}
    assert (fields[b"x-city"], fields[b"x-ward"]) == (CITY.encode(), WARD.encode())  # the bytes the client sent


@Controller("/")
class LiteralController:
    @GetMapping("/literal")
    def literal(self):
        self.ctx.set("X-Literal", "\u00c3\u00a9")  # text that also looks like the latin-1 native of "é"
        return {}


class LiteralApp(Koatty):
    components = [LiteralController]


@pytest.mark.parametrize("kind", KINDS)
def test_a_koatty_app_s_header_text_is_never_reinterpreted_as_a_native_string(kind):
    """The adapters turn a foreign app's native strings into text; a koatty_lite app's values are text
    already ("Ã©" went out as "é")."""
    ans = check_response(koatty_lite.handler(LiteralApp)(event(kind, "/literal"), None), shape(kind))
    assert ans.header("x-literal") == "\u00c3\u00a9"


@Controller("/")
class BodyController:
    @PostMapping("/echo")
    def echo(self, body=RequestBody()):
        return body


def _surrogate_body_event(kind):
    """A POST whose JSON-escaped text body holds a lone surrogate ("\\ud800": json.loads accepts it; no UTF-8 has it)."""
    from koatty_lite.cli.event import HTTP_BUILDERS, HttpRequest

    ev = HTTP_BUILDERS[kind](HttpRequest("POST", "/echo", "", [("host", "example.com"), ("content-type",
                                                                                       "application/json")],
                                         body=b'{"a": "MARK"}'))
    text = json.dumps(ev)
    if "MARK" not in text:
        pytest.skip(f"{kind} carries its body as base64")
    return json.loads(text.replace("MARK", "\\ud800"))


@pytest.mark.parametrize("target", ["koatty", "wsgi"])
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "scf-clb"])
def test_a_text_body_with_a_lone_surrogate_is_a_400_not_a_crash(kind, target, monkeypatch):
    """Fails on the old code: the body's UTF-8 encoding raised UnicodeEncodeError out of the handler (a Koatty
    app's error path read ctx.environ, which encoded it again), on the fast and the general environ alike."""
    from koatty_lite.serverless import http

    def wsgi(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    class App(Koatty):
        components = [BodyController]

    h = koatty_lite.handler(App if target == "koatty" else wsgi)
    ev = _surrogate_body_event(kind)
    assert "\ud800" in json.dumps(ev, ensure_ascii=False)
    monkeypatch.setattr(http, "_ENV_KEYS", {"content-type": "CONTENT_TYPE", "content-length": None})
    for _ in range(2):  # a cold header-key cache (the general environ), then a warm one (the fast environ)
        ans = check_response(h(json.loads(json.dumps(ev)), None), shape(kind))
        assert ans.status == 400
        assert ans.json()["message"] == "body must be UTF-8 text (a lone surrogate is not)"
