"""The bad-input table (docs/errors.md): each row is a test here, named in the table."""
from __future__ import annotations

import base64
import json

import pytest

import koatty_lite
from koatty_lite import Controller, GetMapping, Koatty, PostMapping, RequestMapping

from robust_support import FakeContext, alb_event, check_response, v1_event, v2_event

LIMIT = 1024


@Controller("/")
class InputController:
    """Routes that parse what the client sent."""

    @RequestMapping("/echo", method="ALL")
    def echo(self):
        """The parsed body, described."""
        body = self.ctx.request_body()
        desc = body if isinstance(body, (dict, list, str)) else {"bytes": len(body or b"")}
        return {"body": desc, "query": self.ctx.query}

    @PostMapping("/upload")
    def upload(self):
        """Files and fields of a multipart body."""
        files = self.ctx.request_file() or {}
        return {"files": sorted(files), "fields": self.ctx.request_body()}

    @GetMapping("/crlf-value")
    def crlf_value(self):
        """A header value carrying CR/LF (header injection attempt from app data)."""
        self.ctx.set("X-Evil", "a\r\nSet-Cookie: pwn=1")
        return {"ok": True}

    @GetMapping("/crlf-name")
    def crlf_name(self):
        """A header name carrying CR/LF."""
        self.ctx.set("X-Evil\r\nSet-Cookie", "pwn=1")
        return {"ok": True}

    @GetMapping("/lf-value")
    def lf_value(self):
        """A bare LF in a header value."""
        self.ctx.set("X-Evil", "a\nb")
        return {"ok": True}

    @GetMapping("/ok")
    def ok(self):
        """A healthy route, to show the next request is served normally."""
        return {"ok": True}


class InputApp(Koatty):
    """The app for the table: a 1 KB payload limit."""

    components = [InputController]
    config = {"payload": {"limit": LIMIT}}


@pytest.fixture(scope="module")
def handler():
    return koatty_lite.handler(InputApp)


def call(handler, event, kind="apigw-v1"):
    return check_response(handler(event, FakeContext()), kind)


def assert_json_error(ans, status):
    assert ans.status == status, (ans.status, ans.text)
    assert ans.header("content-type", "").startswith("application/json")
    body = ans.json()
    assert isinstance(body.get("message"), str) and body["message"]
    return body


# --- body marked base64 that isn't -------------------------------------------------------------
BAD_B64 = "%%%this is not base64%%%"


@pytest.mark.parametrize("kind, event", [
    ("apigw-v1", v1_event("POST", "/echo", body=BAD_B64, b64=True)),
    ("apigw-v2", v2_event("POST", "/echo", body=BAD_B64, b64=True)),
    ("function-url", v2_event("POST", "/echo", body=BAD_B64, b64=True, domain="abc.lambda-url.us-east-1.on.aws")),
    ("alb", alb_event("POST", "/echo", body=BAD_B64, b64=True)),
    ("alb-multi", alb_event("POST", "/echo", body=BAD_B64, b64=True, multi=True)),
], ids=["rest-v1", "http-v2", "function-url", "alb", "alb-multi"])
def test_body_marked_base64_that_is_not_is_400_in_platform_shape(handler, kind, event):
    ans = call(handler, event, kind)
    assert ans.status == 400, ans.text
    assert ans.header("content-type", "").startswith("application/json")


# --- invalid JSON ------------------------------------------------------------------------------
@pytest.mark.parametrize("body", ["{nope", '{"a": 1', "[1,]", "\ufeff{}x", "NaN-ish"], ids=["brace", "unclosed", "trailing-comma", "bom-junk", "word"])
def test_invalid_json_is_400(handler, body):
    ans = call(handler, v1_event("POST", "/echo", body=body, headers={"Content-Type": "application/json"}))
    assert_json_error(ans, 400)


def test_json_that_is_not_utf8_is_400(handler):
    raw = base64.b64encode(b'{"a": "\xff\xfe"}').decode()
    ans = call(handler, v1_event("POST", "/echo", body=raw, b64=True, headers={"Content-Type": "application/json"}))
    assert_json_error(ans, 400)


# --- body over the limit -----------------------------------------------------------------------
@pytest.mark.parametrize("ctype, body", [
    ("application/json", json.dumps({"x": "y" * (LIMIT + 10)})),
    ("text/plain", "z" * (LIMIT + 1)),
    ("application/octet-stream", "b" * (LIMIT * 3)),
], ids=["json", "text", "binary"])
def test_body_over_the_limit_is_413(handler, ctype, body):
    ans = call(handler, v1_event("POST", "/echo", body=body, headers={"Content-Type": ctype}))
    assert_json_error(ans, 413)


def test_gzip_bomb_over_the_limit_is_413(handler):
    import gzip
    bomb = base64.b64encode(gzip.compress(b"{" + b" " * (LIMIT * 50) + b"}")).decode()
    ans = call(handler, v1_event("POST", "/echo", body=bomb, b64=True,
                                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}))
    assert_json_error(ans, 413)


# --- unknown Content-Encoding ------------------------------------------------------------------
@pytest.mark.parametrize("enc", ["br", "x-unknown", "compress"])
def test_unknown_content_encoding_is_415(handler, enc):
    ans = call(handler, v1_event("POST", "/echo", body='{"a": 1}',
                                 headers={"Content-Type": "application/json", "Content-Encoding": enc}))
    assert_json_error(ans, 415)


def test_corrupt_gzip_is_400(handler):
    ans = call(handler, v1_event("POST", "/echo", body="not gzip at all",
                                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}))
    assert_json_error(ans, 400)


# --- malformed multipart -----------------------------------------------------------------------
def _mp(parts: bytes, ctype: str):
    return v1_event("POST", "/upload", body=base64.b64encode(parts).decode(), b64=True, headers={"Content-Type": ctype})


GOOD_PART = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'


@pytest.mark.parametrize("parts, ctype", [
    (GOOD_PART + b"--XyZ--\r\n", "multipart/form-data"),
    (GOOD_PART + b"--XyZ--\r\n", "multipart/form-data; boundary="),
    (GOOD_PART, "multipart/form-data; boundary=XyZ"),
    (b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nno end', "multipart/form-data; boundary=XyZ"),
    (b"--XyZ\r\nno headers end", "multipart/form-data; boundary=XyZ"),
    (b"garbage without any boundary", "multipart/form-data; boundary=XyZ"),
], ids=["no-boundary-param", "empty-boundary", "no-closing-delimiter", "unterminated-part", "unterminated-headers", "no-delimiter"])
def test_malformed_multipart_is_400(handler, parts, ctype):
    ans = call(handler, _mp(parts, ctype))
    assert_json_error(ans, 400)


def test_multipart_part_over_the_limit_is_413(handler):
    big = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n' + b"x" * (LIMIT * 2) + b"\r\n--XyZ--\r\n"
    ans = call(handler, _mp(big, "multipart/form-data; boundary=XyZ"))
    assert_json_error(ans, 413)


def test_wellformed_multipart_is_accepted(handler):
    ans = call(handler, _mp(GOOD_PART + b"--XyZ--\r\n", "multipart/form-data; boundary=XyZ"))
    assert ans.status == 200, ans.text
    assert ans.json()["files"] == ["f"]


# --- path: %00, invalid percent-encoding, 100 KB -----------------------------------------------
@pytest.mark.parametrize("path", ["/echo%00", "/%00", "/users/%00/x", "/%zz", "/%", "/%E2%82", "/%FF%FE", "/%C0%AF",
                                  "/..%2F..%2Fetc%2Fpasswd", "/%u0041"],
                         ids=["nul-after", "nul", "nul-mid", "bad-hex", "lone-percent", "truncated-utf8", "not-utf8",
                              "overlong", "dotdot", "u-escape"])
@pytest.mark.parametrize("shape", ["apigw-v1", "apigw-v2", "alb"])
def test_hostile_path_is_a_404_never_a_crash(handler, path, shape):
    # Why 404: PATH_INFO is percent-decoded once into bytes (invalid escapes kept literally), which
    # matches no route; nothing is normalised, so ../ tricks never reach another route.
    event = {"apigw-v1": v1_event, "apigw-v2": v2_event, "alb": alb_event}[shape]("GET", path)
    ans = call(handler, event, shape)
    assert ans.status == 404, (ans.status, ans.text)
    assert_json_error(ans, 404)


@pytest.mark.parametrize("shape", ["apigw-v1", "apigw-v2"])
def test_path_of_100_kb_gets_a_defined_4xx(handler, shape):
    path = "/" + "a" * 100_000
    event = v1_event("GET", path) if shape == "apigw-v1" else v2_event("GET", path)
    ans = call(handler, event, shape)
    assert ans.status == 404, ans.status
    assert len(ans.body) < 4096, "the error body must not echo the 100 KB path"
    assert check_response(handler(v1_event("GET", "/ok"), FakeContext())).status == 200


# --- non-UTF-8 query string --------------------------------------------------------------------
@pytest.mark.parametrize("raw_query, query", [
    ("q=%FF%FE", {"q": "\ufffd\ufffd"}), ("q=%C3", {"q": "\ufffd"}), ("%FF=1", {"\ufffd": "1"}),
    ("q=%zz", {"q": "%zz"}), ("q=%00", {"q": "\x00"}),
], ids=["invalid-utf8", "truncated", "bad-key", "bad-hex", "nul"])
def test_non_utf8_query_string_is_decoded_with_replacement_characters(handler, raw_query, query):
    # Why not a 400: a query parameter the route never reads must not fail the request; the
    # controller's own conversion (int, ...) refuses a bad value with a 400 naming the parameter.
    ans = call(handler, v2_event("GET", "/echo", raw_query=raw_query), "apigw-v2")
    assert ans.status == 200, (ans.status, ans.text)
    assert ans.json()["query"] == query


def test_alb_undecoded_non_utf8_query_is_decoded_exactly_once(handler):
    ans = call(handler, alb_event("GET", "/echo", query={"q": "%FF%FE"}), "alb")
    assert ans.status == 200, (ans.status, ans.text)
    assert ans.json()["query"] == {"q": "\ufffd\ufffd"}


# --- CR/LF in a header the app sets ------------------------------------------------------------
@pytest.mark.parametrize("path", ["/crlf-value", "/crlf-name", "/lf-value"])
@pytest.mark.parametrize("shape", ["apigw-v1", "apigw-v2", "alb-multi"])
def test_header_with_cr_or_lf_set_by_the_app_is_refused(handler, path, shape):
    event = {"apigw-v1": lambda: v1_event("GET", path), "apigw-v2": lambda: v2_event("GET", path),
             "alb-multi": lambda: alb_event("GET", path, multi=True)}[shape]()
    ans = call(handler, event, shape)  # check_response already refuses CR/LF in any header
    assert ans.status == 500, ans.status
    assert_json_error(ans, 500)
    assert "pwn" not in json.dumps(ans.resp.get("headers")) + json.dumps(ans.resp.get("multiValueHeaders")) \
        + json.dumps(ans.resp.get("cookies"))
    assert "x-evil" not in ans.headers
    assert call(handler, v1_event("GET", "/ok")).status == 200


# --- conflicting Content-Length ----------------------------------------------------------------
SEEN: dict = {}


def length_probe(environ, start_response):
    """Record what a WSGI app sees of the body."""
    SEEN["CONTENT_LENGTH"] = environ.get("CONTENT_LENGTH")
    SEEN["body"] = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize("declared", ["5", "1000", "-1", "abc", "0"])
@pytest.mark.parametrize("shape", ["apigw-v1", "apigw-v2", "alb"])
def test_conflicting_content_length_follows_the_real_bytes(shape, declared):
    h = koatty_lite.handler(length_probe)
    real = "0123456789abcdefghij"
    event = {"apigw-v1": v1_event, "apigw-v2": v2_event, "alb": alb_event}[shape](
        "POST", "/x", body=real, headers={"Content-Length": declared, "Content-Type": "text/plain"})
    ans = check_response(h(event, FakeContext()), shape)
    assert ans.status == 200
    assert SEEN["CONTENT_LENGTH"] == str(len(real))
    assert SEEN["body"] == real.encode()


def test_conflicting_content_length_reaches_the_app_body_parser_whole(handler):
    body = json.dumps({"k": "v" * 50})
    ans = call(handler, v1_event("POST", "/echo", body=body,
                                 headers={"Content-Type": "application/json", "Content-Length": "3"}))
    assert ans.status == 200, ans.text
    assert ans.json()["body"] == {"k": "v" * 50}


# --- nothing echoed unescaped into HTML --------------------------------------------------------
XSS = "<script>alert(1)</script>"


@pytest.mark.parametrize("event", [
    v1_event("GET", "/" + XSS),
    v1_event("GET", "/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    v1_event("DELETE", "/ok", headers={"X-Xss": XSS}),
    v1_event("POST", "/echo", body=XSS, headers={"Content-Type": "application/json"}),
    v1_event("GET", "/echo", query={"q": XSS}),
    v1_event("GET", "/ok", headers={"Accept": "text/html", "X-Request-Id": XSS}),
], ids=["404-path", "404-encoded-path", "405", "400-json", "200-query", "request-id"])
def test_client_data_is_never_echoed_into_html(handler, event):
    ans = call(handler, event)
    ctype = ans.header("content-type", "")
    if "html" in ctype:
        assert "<script>" not in ans.text
    else:
        assert ctype.startswith("application/json") or ans.status == 204, ctype
    rid = ans.header("x-request-id", "")
    assert "<" not in rid and ">" not in rid


# --- events nobody claims ----------------------------------------------------------------------
def test_unclaimed_event_raises_value_error_naming_its_keys(handler):
    with pytest.raises(ValueError) as err:
        handler({"hello": 1, "world": 2}, FakeContext())
    assert "hello" in str(err.value)
