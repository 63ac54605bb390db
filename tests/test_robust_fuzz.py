"""Property tests: every event shaped like a platform's gets a well-formed answer or the documented ValueError.

Deterministic (derandomize, no example database) and bounded (max_examples per kind), so CI is
neither flaky nor slow.
"""
from __future__ import annotations

import json

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import koatty_lite  # noqa: E402
from koatty_lite import Controller, GetMapping, Koatty, PathVariable, RequestMapping  # noqa: E402

import robust_strategies as rs  # noqa: E402
from robust_support import FakeContext, check_response  # noqa: E402

FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=list(HealthCheck))
KINDS = sorted(rs.EVENT_STRATEGIES)


@Controller("/")
class FuzzController:
    """Routes the fuzz paths aim at: JSON, body parsing, int conversion, HTML."""

    @GetMapping("/")
    def index(self):
        """Plain JSON."""
        return {"ok": True}

    @RequestMapping("/echo", method="ALL")
    def echo(self):
        """Parse the body and echo what the request looked like (client data, JSON-escaped)."""
        body = self.ctx.request_body()
        return {"method": self.ctx.method, "path": self.ctx.path, "query": self.ctx.query,
                "body_type": type(body).__name__, "ip": self.ctx.ip}

    @GetMapping("/users/:id")
    def user(self, id: int = PathVariable("id")):
        """A converted path variable."""
        return {"id": id}

    @GetMapping("/items/:name")
    def item(self, name: str = PathVariable("name")):
        """A decoded, non-ASCII path variable."""
        return {"name": name}

    @GetMapping("/html")
    def html(self):
        """A static HTML answer."""
        return "<p>static</p>"


class FuzzApp(Koatty):
    """The app under fuzz: 64 KB payload limit so big bodies reach 413 quickly."""

    components = [FuzzController]
    config = {"payload": {"limit": 65536}}


def raw_wsgi(environ, start_response):
    """A plain WSGI app: the adapters must serve any WSGI callable, not only koatty_lite apps."""
    data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    out = json.dumps({"len": len(data), "path": environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace"),
                      "qs": environ.get("QUERY_STRING", "")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture(scope="module")
def app_handler():
    return koatty_lite.handler(FuzzApp)


@pytest.fixture(scope="module")
def wsgi_handler():
    return koatty_lite.handler(raw_wsgi)


def _payload(kind: str, event: dict, as_bytes: bool):
    # FC 3.0 delivers its event as JSON bytes; the handler must accept both forms.
    if kind == "fc3" and as_bytes:
        return json.dumps(event).encode()
    return event


def _is_head(kind, event):
    """True when the event's HTTP method is HEAD (wherever the format keeps it)."""
    ctx = event.get("requestContext") if isinstance(event, dict) else None
    headers = event.get("headers") if isinstance(event, dict) else None
    method = (event.get("httpMethod") or event.get("method")
              or (ctx.get("http", {}).get("method") if isinstance(ctx, dict) else None)
              or (headers.get("X-Method") if kind == "scf-clb" and isinstance(headers, dict) else None))
    return isinstance(method, str) and method.upper() == "HEAD"


def _invoke(handler, kind, event, as_bytes=False):
    return handler(_payload(kind, event, as_bytes), FakeContext())


@pytest.mark.parametrize("kind", KINDS)
def test_well_shaped_events_get_a_well_formed_answer_and_never_a_5xx(kind, app_handler):
    @FUZZ
    @given(event=rs.EVENT_STRATEGIES[kind], as_bytes=st.booleans())
    def prop(event, as_bytes):
        ans = check_response(_invoke(app_handler, kind, event, as_bytes), kind)
        # The app has no failing route: any 5xx would be the runtime failing on client input.
        assert ans.status < 500, (ans.status, ans.text[:300])
        if ans.status >= 400:
            assert ans.header("content-type", "").startswith("application/json"), ans.resp
            if ans.text or not _is_head(kind, event):  # a HEAD answer has headers only
                assert "message" in ans.json()

    prop()


@pytest.mark.parametrize("kind", KINDS)
def test_well_shaped_events_through_a_plain_wsgi_app(kind, wsgi_handler):
    @FUZZ
    @given(event=rs.EVENT_STRATEGIES[kind])
    def prop(event):
        ans = check_response(_invoke(wsgi_handler, kind, event), kind)
        assert ans.status in (200, 400), (ans.status, ans.text[:300])

    prop()


@pytest.mark.parametrize("kind", KINDS)
def test_mangled_events_get_an_answer_or_the_documented_value_error(kind, app_handler):
    @FUZZ
    @given(event=rs.mangled(rs.EVENT_STRATEGIES[kind]))
    def prop(event):
        try:
            resp = _invoke(app_handler, kind, event)
        except ValueError as exc:
            assert "Traceback" not in str(exc)
            return
        check_response(resp)

    prop()


@FUZZ
@given(event=rs.arbitrary_event)
def test_arbitrary_dicts_get_an_answer_or_a_value_error(event):
    handler = koatty_lite.handler(FuzzApp)
    try:
        resp = handler(event, FakeContext())
    except ValueError:
        return
    check_response(resp)
