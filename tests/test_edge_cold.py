"""What a cold FC / SCF HTTP request loads, and the serverless edge's stand-ins (issue 14, cold start)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP = """
import json as _j, sys
from koatty_lite import Controller, GetMapping, Koatty, handler
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        return {'hello': 'world'}
class App(Koatty):
    components = [C]
h = handler(App)
class Ctx:
    request_id = 'r-1'
r = h(%s, Ctx())
assert r['statusCode'] == 200 and _j.loads(r['body']) == {'hello': 'world'}, r
assert r['headers']['X-Request-Id'] == 'r-1', r
print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite') or m == 'urllib.parse')))
"""

# A GET of each FC / SCF HTTP format as the cloud sends it (tests/fixtures/alicloud, tests/fixtures/tencent).
EVENTS = {
    ("FC_FUNCTION_NAME", "alicloud", "fc3"): {
        "version": "v1", "rawPath": "/hello", "headers": {"Host": "fn.fcapp.run", "Accept": "*/*"},
        "queryParameters": {}, "body": "", "isBase64Encoded": False,
        "requestContext": {"requestId": "r-1", "domainName": "fn.fcapp.run",
                           "http": {"method": "GET", "path": "/hello", "sourceIp": "1.2.3.4"}}},
    ("FC_FUNCTION_NAME", "alicloud", "fc-apigw"): {
        "httpMethod": "GET", "path": "/hello", "headers": {"Host": "api.example.com"}, "queryParameters": {},
        "pathParameters": {}, "body": "", "isBase64Encoded": False},
    ("SCF_FUNCTIONNAME", "tencent", "scf-apigw"): {
        "httpMethod": "GET", "path": "/hello", "headers": {"host": "service-x.gz.apigw.tencentcs.com"},
        "queryString": {}, "body": "", "isBase64Encoded": False, "headerParameters": {}, "pathParameters": {},
        "queryStringParameters": {},
        "requestContext": {"serviceId": "service-x", "path": "/hello", "httpMethod": "GET", "requestId": "r-1",
                           "sourceIp": "1.2.3.4", "stage": "release"}},
    ("SCF_FUNCTIONNAME", "tencent", "scf-url"): {
        "httpMethod": "GET", "path": "/hello", "headers": {"host": "1-2-gz.scf.tencentcs.com"}, "queryString": {},
        "body": "", "isBase64Encoded": False},
    ("SCF_FUNCTIONNAME", "tencent", "scf-clb"): {
        "headers": {"host": "clb.example.com", "x-method": "GET", "x-uri": "/hello"}, "payload": None,
        "isBase64Encoded": False},
}
LEAN = ["koatty_lite", "koatty_lite.app", "koatty_lite.context", "koatty_lite.decorators", "koatty_lite.entry",
        "koatty_lite.errors", "koatty_lite.log", "koatty_lite.output", "koatty_lite.routes", "koatty_lite.serverless"]


@pytest.mark.parametrize("var,cloud,kind", sorted(EVENTS))
def test_a_cold_fc_or_scf_get_loads_only_its_cloud_module(var, cloud, kind):
    """Boot + the first GET of each FC / SCF HTTP format loads the lean core and the cloud's own module only:
    neither serverless/http.py (the rare half: ~0.8M instructions) nor urllib.parse. Fails on the old code:
    alicloud.py and tencent.py imported serverless/http.py at module level."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env[var] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + APP % repr(EVENTS[var, cloud, kind])
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == sorted(LEAN + ["koatty_lite.serverless." + cloud])


@pytest.mark.parametrize("cloud", ["alicloud", "tencent"])
@pytest.mark.parametrize("ctype,body", [("application/json; charset=utf-8", b'{"a":1}'), ("text/plain", b""),
                                        ("text/html; charset=utf-8", "é".encode()), ("image/png", b"\x89PNG"),
                                        ("application/problem+json", b'{"x":"\xc3\xa9"}')])
def test_fc_and_scf_shape_a_plain_answer_as_their_to_response_does(cloud, ctype, body):
    """The plain-answer shapers FC and SCF gained (``answer``: a cold GET without serverless/http.py) give the
    response the general ``to_response`` gives for the same answer."""
    import importlib

    module = importlib.import_module("koatty_lite.serverless." + cloud)
    headers = [("Content-Type", ctype), ("X-Request-Id", "r-1"), ("X-Powered-By", "k")]
    for row in module.DETECTORS:
        answer, to_response = row[6], row[4]
        assert answer(None, 201, headers, body, ctype) == to_response({}, "201 Created", headers, body)


def test_the_bad_event_stand_in_puts_the_class_in_its_own_place():
    """serverless._bad_event (BadEvent, loaded with serverless/http.py by the first malformed event) is the class
    itself after its first call, as every ``_later`` stand-in is. Fails on the old code: the stand-in bound the
    class under the name ``BadEvent`` and stayed in place, importing on every malformed event."""
    from koatty_lite import serverless
    from koatty_lite.serverless.http import BadEvent

    with pytest.raises(BadEvent, match="headers must be an object"):
        serverless.check_single([], "headers")
    assert serverless._bad_event is BadEvent


HEADERS_APP = """
import json as _j, sys
from koatty_lite import Controller, GetMapping, Koatty, handler
import koatty_lite.serverless as s
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        return {'hello': 'world'}
    @GetMapping('/agent')
    def agent(self):
        return {'agent': self.ctx.get('user-agent'), 'n': len(self.ctx.headers), 'keys': list(self.ctx.headers)}
class App(Koatty):
    components = [C]
h = handler(App)
ev = {'version': '2.0', 'rawPath': '/hello', 'rawQueryString': '', 'headers': {'host': 'x', 'user-agent': 'ua'},
      'requestContext': {'http': {'method': 'GET', 'path': '/hello', 'sourceIp': '1.2.3.4'}, 'requestId': 'r-1'}}
assert h(ev, None)['statusCode'] == 200
made = 'HeaderView' in vars(s)
ev['rawPath'] = ev['requestContext']['http']['path'] = '/agent'
r = h(ev, None)
print(_j.dumps([made, _j.loads(r['body']), type(s.Request('GET', '/', '', ({}, False, None, None), None, None, 'https',
       {}, None, 'aws', 'apigw-v2', None).headers) is s.HeaderView, s.HeaderView.__name__]))
"""


def test_header_view_is_made_by_the_first_header_read():
    """A cold GET that reads no header makes no HeaderView class (PERF: a class costs ~0.07M instructions); the
    first header read makes it, and every view is of the one ``serverless.HeaderView``. Fails on the old code:
    the class was made when serverless/__init__.py was imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + HEADERS_APP
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [False, {"agent": "ua", "n": 3, "keys": ["content-length", "host", "user-agent"]},
                                      True, "HeaderView"]


def test_header_view_is_importable_before_any_request():
    """``from koatty_lite.serverless import HeaderView`` before any request gives the class the views are of."""
    prog = (f"import sys, json; sys.path.insert(0, {ROOT!r}); from koatty_lite.serverless import HeaderView, Request; "
            "r = Request('GET', '/', '', ({'A': 'b'}, False, None, None), None, None, 'https', {}, None, 'aws', 'k', None); "
            "print(json.dumps([type(r.headers) is HeaderView, r.headers['a'], 'a' in r.headers, repr(r.headers)]))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [True, "b", True, "Headers({'content-length': '0', 'a': 'b'})"]
