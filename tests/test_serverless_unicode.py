"""Non-ASCII header and cookie values round-trip on every trigger (issue 11 point 7).

The event carries decoded text; PEP 3333 wants latin-1 native strings of the UTF-8 bytes (as the
adapters already do for paths), so a foreign app (Flask) sees what a WSGI server gives it and the
koatty_lite core decodes it back to text. Response header values go the other way.
"""
from __future__ import annotations

import json

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty
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
