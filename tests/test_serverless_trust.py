"""What a client cannot forge through an HTTP event (issue 11 points 6 and 8).

The client address is the platform's, or "" where the format carries none (never 127.0.0.1, which
an app may trust); a header name a client twins (underscore, non-ASCII) never lands on the environ
key of the platform's own header.
"""
from __future__ import annotations

import json
import os

import pytest

import koatty_lite
from conftest import FIXTURES
from koatty_lite import Controller, GetMapping, Koatty
from koatty_lite.cli.event import HTTP_BUILDERS, HttpRequest
from koatty_lite.serverless import serve_http

from robust_support import build_http, http_kinds

KINDS = http_kinds()
SEEN: list = []


def probe(environ, start_response):
    SEEN.append(environ)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def serve(event):
    SEEN.clear()
    resp = serve_http(probe, event, None)
    assert resp["statusCode"] == 200, resp
    return SEEN[0]


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


# --- point 6: REMOTE_ADDR -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["alb", "alb-multi", "lattice-v1", "lattice-v2", "fc-apigw", "scf-clb"])
def test_a_format_without_a_client_address_gives_an_empty_remote_addr(kind):
    env = serve(build_http(kind, headers=[("host", "example.com")]))
    assert env["REMOTE_ADDR"] == ""


@pytest.mark.parametrize("kind", ["apigw-v1", "apigw-v2", "function-url", "fc3", "scf", "scf-url"])
def test_a_format_with_a_client_address_gives_it(kind):
    event = HTTP_BUILDERS[kind](HttpRequest("GET", "/", "", [("host", "example.com")], source_ip="198.51.100.9"))
    assert serve(event)["REMOTE_ADDR"] == "198.51.100.9"


def test_alb_health_check_and_api_gateway_to_fc_are_not_localhost():
    assert serve(fixture("aws/alb-health-check"))["REMOTE_ADDR"] == ""
    assert serve(fixture("alicloud/fc-apigw-get"))["REMOTE_ADDR"] == ""


def test_a_koatty_app_behind_api_gateway_to_fc_does_not_see_localhost():
    @Controller("/")
    class IpController:
        @GetMapping("/ip")
        def ip(self):
            return {"ip": self.ctx.ip}

    class IpApp(Koatty):
        components = [IpController]

    event = fixture("alicloud/fc-apigw-get")
    event["path"] = "/ip"
    resp = koatty_lite.handler(IpApp)(event, None)
    assert json.loads(resp["body"]) == {"ip": ""}


def scf_url(headers):
    return {"body": "", "headers": dict(headers, host="1250000000-abc.ap-guangzhou.tencentscf.com"),
            "httpMethod": "GET", "path": "/", "queryString": {}}


@pytest.mark.parametrize("value, expected", [
    ("111.206.96.145", "111.206.96.145"),  # the documented example
    ("2001:db8::7", "2001:db8::7"),
    ("111.206.96.145:51034", "111.206.96.145"),
    ("6.6.6.6, 111.206.96.145", ""),  # two values merged: neither is trusted
    ("<script>", ""),
    ("", ""),
])
def test_scf_function_url_client_address_is_the_platform_s_x_scf_remote_addr(value, expected):
    """Tencent documents x-scf-remote-addr as the client IP of a function-URL request (docs/triggers.md)."""
    assert serve(scf_url({"x-scf-remote-addr": value}))["REMOTE_ADDR"] == expected


def test_x_scf_remote_addr_is_read_only_from_the_function_url_and_only_under_its_own_name():
    assert serve(scf_url({"X-SCF-Remote-Addr": "6.6.6.6"}))["REMOTE_ADDR"] == ""
    assert serve(scf_url({"x_scf_remote_addr": "6.6.6.6"}))["REMOTE_ADDR"] == ""
    apigw = HTTP_BUILDERS["scf"](HttpRequest("GET", "/", "", [("x-scf-remote-addr", "6.6.6.6")],
                                             source_ip="198.51.100.4"))
    assert serve(apigw)["REMOTE_ADDR"] == "198.51.100.4"  # API Gateway's sourceIp, not the client's header


# --- point 8: header names a client can twin ------------------------------------------------------
REAL = [
    ("host", "api.example.com"),
    ("x-amzn-lattice-identity", "Principal=arn:aws:iam::123456789012:role/real"),
    ("x-amzn-oidc-identity", "real-user"),
    ("x-amzn-trace-id", "Root=1-real"),
    ("x-forwarded-for", "203.0.113.1, 198.51.100.2"),
]
FORGED = [
    ("x_amzn_lattice_identity", "Principal=forged"),
    ("x-amzn-lattice-\u0131dent\u0131ty", "Principal=forged-dotless-i"),
    ("x_amzn_oidc_identity", "forged-user"),
    ("X-Amzn-OIDC-\u0130dentity", "forged-dotted-I"),
    ("x_amzn_trace_id", "Root=1-forged"),
    ("x_forwarded_for", "6.6.6.6"),
    ("Ho\u017ft", "evil.example"),  # long s: "Hoſt".upper() == "HOST"
    ("h\u200bost", "evil.example"),  # a zero-width space
]
EXPECTED = {
    "HTTP_HOST": "api.example.com",
    "HTTP_X_AMZN_LATTICE_IDENTITY": "Principal=arn:aws:iam::123456789012:role/real",
    "HTTP_X_AMZN_OIDC_IDENTITY": "real-user",
    "HTTP_X_AMZN_TRACE_ID": "Root=1-real",
    "HTTP_X_FORWARDED_FOR": "203.0.113.1, 198.51.100.2",
    "koatty.trace_id": "Root=1-real",
    "SERVER_NAME": "api.example.com",
}


@pytest.mark.parametrize("forged_first", [True, False], ids=["forged-first", "real-first"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_twinned_header_name_never_reaches_the_platform_s_environ_key(kind, forged_first):
    headers = FORGED + REAL if forged_first else REAL + FORGED
    env = serve(build_http(kind, headers=headers))
    assert {k: env.get(k) for k in EXPECTED} == EXPECTED
    assert not any("FORGED" in str(v).upper() or "EVIL" in str(v).upper() or "6.6.6.6" in str(v)
                   for k, v in env.items() if k.startswith("HTTP_"))


@pytest.mark.parametrize("kind", ["alb", "alb-multi", "lattice-v1", "lattice-v2", "scf-clb"])
def test_a_twinned_x_forwarded_for_does_not_move_the_balancer_s_address(kind):
    headers = [("x-forwarded-for", "203.0.113.1, 198.51.100.2"), ("x_forwarded_for", "6.6.6.6")]
    assert serve(build_http(kind, headers=headers))["REMOTE_ADDR"] == "198.51.100.2"


def test_a_koatty_app_reads_the_real_lattice_identity():
    @Controller("/")
    class WhoController:
        @GetMapping("/who")
        def who(self):
            return {"identity": self.ctx.get("x-amzn-lattice-identity"), "host": self.ctx.host}

    class WhoApp(Koatty):
        components = [WhoController]

    event = HTTP_BUILDERS["lattice-v2"](HttpRequest("GET", "/who", "", REAL + FORGED))
    resp = koatty_lite.handler(WhoApp)(event, None)
    assert json.loads(resp["body"]) == {"identity": "Principal=arn:aws:iam::123456789012:role/real",
                                        "host": "api.example.com"}


@Controller("/")
class TrustController:
    @GetMapping("/trust")
    def trust(self):
        ctx = self.ctx
        return {"ip": ctx.ip, "host": ctx.host, "trace_id": ctx.trace_id,
                "headers": {k: ctx.get(k) for k in ctx.headers.keys()}}


class TrustApp(Koatty):
    components = [TrustController]


@pytest.mark.parametrize("kind", KINDS)
def test_a_koatty_app_reads_neither_a_twinned_header_nor_a_forged_address_on_any_trigger(kind):
    """The same rules on the core's own request path (no environ): every trigger, forged names first."""
    resp = koatty_lite.handler(TrustApp)(build_http(kind, "GET", "/trust", "", FORGED + REAL,
                                                    source_ip="198.51.100.9"), None)
    seen = json.loads(resp["body"])
    assert "FORGED" not in json.dumps(seen).upper() and "EVIL" not in json.dumps(seen).upper()
    assert "6.6.6.6" not in json.dumps(seen)
    assert seen["host"] == "api.example.com" and seen["trace_id"] == "Root=1-real"
    assert seen["headers"]["x-amzn-lattice-identity"] == "Principal=arn:aws:iam::123456789012:role/real"
    balancer = kind in ("alb", "alb-multi", "lattice-v1", "lattice-v2", "scf-clb")
    assert seen["ip"] == ("198.51.100.2" if balancer else "" if kind == "fc-apigw" else "198.51.100.9")
