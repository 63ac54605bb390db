"""Every project fixture: detected once, translated to the expected environ, answered in shape."""
from __future__ import annotations

import glob
import json
import os
from wsgiref.validate import validator

import pytest

from conftest import FIXTURES
from koatty_lite import serverless
from koatty_lite.serverless import serve_http

KEYS = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_LENGTH", "REMOTE_ADDR",
        "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme", "HTTP_HOST", "HTTP_COOKIE", "HTTP_ACCEPT",
        "koatty.platform", "koatty.event_kind", "koatty.request_id", "koatty.trace_id")


def echo_app(environ, start_response):
    """Echo the interesting environ keys; answer two Set-Cookie and a repeated X-Multi."""
    seen = {k: environ[k] for k in KEYS if k in environ}
    seen["body"] = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])).hex()
    start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "a=1"),
                              ("Set-Cookie", "b=2; Path=/"), ("X-Multi", "1"), ("x-multi", "2")])
    return [json.dumps(seen, sort_keys=True).encode()]


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


EXPECTED = {'alicloud/fc-apigw-get': ({'isBase64Encoded': False,
                            'statusCode': 200,
                            'headers': {'Content-Type': 'application/json',
                                        'X-Multi': '1, 2',
                                        'Set-Cookie': 'a=1',
                                        'set-cookie': 'b=2; Path=/'}},
                           {'CONTENT_LENGTH': '0',
                            'HTTP_ACCEPT': '*/*',
                            'HTTP_HOST': 'grp.cn-hangzhou.alicloudapi.com',
                            'PATH_INFO': '/api/users/42',
                            'QUERY_STRING': 'q=x%20y',
                            'REMOTE_ADDR': '127.0.0.1',
                            'REQUEST_METHOD': 'GET',
                            'SCRIPT_NAME': '',
                            'SERVER_NAME': 'grp.cn-hangzhou.alicloudapi.com',
                            'SERVER_PORT': '443',
                            'body': '',
                            'koatty.event_kind': 'fc-apigw',
                            'koatty.platform': 'alicloud',
                            'wsgi.url_scheme': 'https'}),
 'alicloud/fc3-post-encoded-path': ({'statusCode': 200,
                                     'headers': {'Content-Type': 'application/json',
                                                 'X-Multi': '1, 2',
                                                 'Set-Cookie': 'a=1',
                                                 'set-cookie': 'b=2; Path=/'},
                                     'isBase64Encoded': False},
                                    {'CONTENT_LENGTH': '2',
                                     'HTTP_ACCEPT': 'a,b',
                                     'HTTP_HOST': 'fn-abc.cn-hangzhou.fcapp.run',
                                     'PATH_INFO': '/ä½\xa0å¥½/a/b',
                                     'QUERY_STRING': 'k=v1%2Cv2&z=1',
                                     'REMOTE_ADDR': '100.64.0.1',
                                     'REQUEST_METHOD': 'POST',
                                     'SCRIPT_NAME': '',
                                     'SERVER_NAME': 'fn-abc.cn-hangzhou.fcapp.run',
                                     'SERVER_PORT': '443',
                                     'body': '7b7d',
                                     'koatty.event_kind': 'fc3',
                                     'koatty.platform': 'alicloud',
                                     'koatty.request_id': 'req-fc3',
                                     'wsgi.url_scheme': 'https'}),
 'aws/alb-health-check': ({'statusCode': 200,
                           'statusDescription': '200 OK',
                           'headers': {'Content-Type': 'application/json',
                                       'X-Multi': '1, 2',
                                       'Set-Cookie': 'a=1',
                                       'set-cookie': 'b=2; Path=/'},
                           'isBase64Encoded': False},
                          {'CONTENT_LENGTH': '0',
                           'PATH_INFO': '/',
                           'QUERY_STRING': '',
                           'REMOTE_ADDR': '127.0.0.1',
                           'REQUEST_METHOD': 'GET',
                           'SCRIPT_NAME': '',
                           'SERVER_NAME': 'localhost',
                           'SERVER_PORT': '80',
                           'body': '',
                           'koatty.event_kind': 'alb',
                           'koatty.platform': 'aws',
                           'wsgi.url_scheme': 'http'}),
 'aws/alb-multi-value': ({'statusCode': 200,
                          'statusDescription': '200 OK',
                          'multiValueHeaders': {'Content-Type': ['application/json'],
                                                'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                'X-Multi': ['1', '2']},
                          'isBase64Encoded': False},
                         {'CONTENT_LENGTH': '3',
                          'HTTP_COOKIE': 'a=1; b=2',
                          'HTTP_HOST': 'my-alb-1.eu-west-1.elb.amazonaws.com',
                          'PATH_INFO': '/form',
                          'QUERY_STRING': 'k=1&k=2',
                          'REMOTE_ADDR': '198.51.100.31',
                          'REQUEST_METHOD': 'POST',
                          'SCRIPT_NAME': '',
                          'SERVER_NAME': 'my-alb-1.eu-west-1.elb.amazonaws.com',
                          'SERVER_PORT': '443',
                          'body': '783d31',
                          'koatty.event_kind': 'alb',
                          'koatty.platform': 'aws',
                          'wsgi.url_scheme': 'https'}),
 'aws/alb-single-value': ({'statusCode': 200,
                           'statusDescription': '200 OK',
                           'headers': {'Content-Type': 'application/json',
                                       'X-Multi': '1, 2',
                                       'Set-Cookie': 'a=1',
                                       'set-cookie': 'b=2; Path=/'},
                           'isBase64Encoded': False},
                          {'CONTENT_LENGTH': '0',
                           'HTTP_HOST': 'my-alb-1.eu-west-1.elb.amazonaws.com',
                           'PATH_INFO': '/search',
                           'QUERY_STRING': 'q=a%20b&r=%3Fx%3D1',
                           'REMOTE_ADDR': '198.51.100.30',
                           'REQUEST_METHOD': 'GET',
                           'SCRIPT_NAME': '',
                           'SERVER_NAME': 'my-alb-1.eu-west-1.elb.amazonaws.com',
                           'SERVER_PORT': '80',
                           'body': '',
                           'koatty.event_kind': 'alb',
                           'koatty.platform': 'aws',
                           'wsgi.url_scheme': 'http'}),
 'aws/apigw-v1-console-test': ({'statusCode': 200,
                                'multiValueHeaders': {'Content-Type': ['application/json'],
                                                      'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                      'X-Multi': ['1', '2']},
                                'isBase64Encoded': False},
                               {'CONTENT_LENGTH': '0',
                                'HTTP_HOST': 'testPrefix.testDomainName',
                                'PATH_INFO': '/no-auth',
                                'QUERY_STRING': '',
                                'REMOTE_ADDR': 'test-invoke-source-ip',
                                'REQUEST_METHOD': 'GET',
                                'SCRIPT_NAME': '',
                                'SERVER_NAME': 'testPrefix.testDomainName',
                                'SERVER_PORT': '443',
                                'body': '',
                                'koatty.event_kind': 'apigw-v1',
                                'koatty.platform': 'aws',
                                'koatty.request_id': 'req-console',
                                'wsgi.url_scheme': 'https'}),
 'aws/apigw-v1-custom-domain-base64-post': ({'statusCode': 200,
                                             'multiValueHeaders': {'Content-Type': ['application/json'],
                                                                   'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                                   'X-Multi': ['1', '2']},
                                             'isBase64Encoded': False},
                                            {'CONTENT_LENGTH': '5',
                                             'HTTP_HOST': 'api.example.com',
                                             'PATH_INFO': '/v1/upload',
                                             'QUERY_STRING': '',
                                             'REMOTE_ADDR': '198.51.100.2',
                                             'REQUEST_METHOD': 'POST',
                                             'SCRIPT_NAME': '',
                                             'SERVER_NAME': 'api.example.com',
                                             'SERVER_PORT': '443',
                                             'body': '00010203ff',
                                             'koatty.event_kind': 'apigw-v1',
                                             'koatty.platform': 'aws',
                                             'koatty.request_id': 'req-upload',
                                             'wsgi.url_scheme': 'https'}),
 'aws/apigw-v1-get-multivalue': ({'statusCode': 200,
                                  'multiValueHeaders': {'Content-Type': ['application/json'],
                                                        'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                        'X-Multi': ['1', '2']},
                                  'isBase64Encoded': False},
                                 {'CONTENT_LENGTH': '0',
                                  'HTTP_ACCEPT': 'a,b',
                                  'HTTP_HOST': 'abc123.execute-api.eu-west-1.amazonaws.com',
                                  'PATH_INFO': '/cafÃ©/items',
                                  'QUERY_STRING': 'tag=x&tag=y&q=a%20b',
                                  'REMOTE_ADDR': '203.0.113.7',
                                  'REQUEST_METHOD': 'GET',
                                  'SCRIPT_NAME': '/prod',
                                  'SERVER_NAME': 'abc123.execute-api.eu-west-1.amazonaws.com',
                                  'SERVER_PORT': '443',
                                  'body': '',
                                  'koatty.event_kind': 'apigw-v1',
                                  'koatty.platform': 'aws',
                                  'koatty.request_id': 'req-v1',
                                  'koatty.trace_id': 'Root=1-trace',
                                  'wsgi.url_scheme': 'https'}),
 'aws/apigw-v2-default-stage-post': ({'statusCode': 200,
                                      'headers': {'Content-Type': 'application/json', 'X-Multi': '1, 2'},
                                      'cookies': ['a=1', 'b=2; Path=/'],
                                      'isBase64Encoded': False},
                                     {'CONTENT_LENGTH': '7',
                                      'HTTP_HOST': 'xyz789.execute-api.us-east-1.amazonaws.com',
                                      'PATH_INFO': '/items',
                                      'QUERY_STRING': '',
                                      'REMOTE_ADDR': '192.0.2.11',
                                      'REQUEST_METHOD': 'POST',
                                      'SCRIPT_NAME': '',
                                      'SERVER_NAME': 'xyz789.execute-api.us-east-1.amazonaws.com',
                                      'SERVER_PORT': '443',
                                      'body': '7b2261223a317d',
                                      'koatty.event_kind': 'apigw-v2',
                                      'koatty.platform': 'aws',
                                      'koatty.request_id': 'req-v2-post',
                                      'wsgi.url_scheme': 'https'}),
 'aws/apigw-v2-named-stage-cookies': ({'statusCode': 200,
                                       'headers': {'Content-Type': 'application/json', 'X-Multi': '1, 2'},
                                       'cookies': ['a=1', 'b=2; Path=/'],
                                       'isBase64Encoded': False},
                                      {'CONTENT_LENGTH': '0',
                                       'HTTP_ACCEPT': 'a,b',
                                       'HTTP_COOKIE': 's=1; t=2',
                                       'HTTP_HOST': 'xyz789.execute-api.us-east-1.amazonaws.com',
                                       'PATH_INFO': '/hello world',
                                       'QUERY_STRING': 'a=1&a=2&b=x%2Cy',
                                       'REMOTE_ADDR': '192.0.2.10',
                                       'REQUEST_METHOD': 'GET',
                                       'SCRIPT_NAME': '/dev',
                                       'SERVER_NAME': 'xyz789.execute-api.us-east-1.amazonaws.com',
                                       'SERVER_PORT': '443',
                                       'body': '',
                                       'koatty.event_kind': 'apigw-v2',
                                       'koatty.platform': 'aws',
                                       'koatty.request_id': 'req-v2',
                                       'koatty.trace_id': 'Root=1-v2',
                                       'wsgi.url_scheme': 'https'}),
 'aws/function-url-cookies-twice': ({'statusCode': 200,
                                     'headers': {'Content-Type': 'application/json', 'X-Multi': '1, 2'},
                                     'cookies': ['a=1', 'b=2; Path=/'],
                                     'isBase64Encoded': False},
                                    {'CONTENT_LENGTH': '5',
                                     'HTTP_COOKIE': 'c1=v1; c2=v2',
                                     'HTTP_HOST': 'abcdefgh.lambda-url.eu-west-1.on.aws',
                                     'PATH_INFO': '/me',
                                     'QUERY_STRING': 'x=1',
                                     'REMOTE_ADDR': '192.0.2.20',
                                     'REQUEST_METHOD': 'PUT',
                                     'SCRIPT_NAME': '',
                                     'SERVER_NAME': 'abcdefgh.lambda-url.eu-west-1.on.aws',
                                     'SERVER_PORT': '443',
                                     'body': '68656c6c6f',
                                     'koatty.event_kind': 'function-url',
                                     'koatty.platform': 'aws',
                                     'koatty.request_id': 'req-url',
                                     'wsgi.url_scheme': 'https'}),
 'aws/lattice-v1': ({'statusCode': 200,
                     'statusDescription': '200 OK',
                     'headers': {'Content-Type': 'application/json',
                                 'X-Multi': '1, 2',
                                 'Set-Cookie': 'a=1',
                                 'set-cookie': 'b=2; Path=/'},
                     'isBase64Encoded': False},
                    {'CONTENT_LENGTH': '0',
                     'HTTP_HOST': 'svc-1.7d67968.vpc-lattice-svcs.eu-west-1.on.aws',
                     'PATH_INFO': '/orders',
                     'QUERY_STRING': 'id=7',
                     'REMOTE_ADDR': '10.0.0.5',
                     'REQUEST_METHOD': 'DELETE',
                     'SCRIPT_NAME': '',
                     'SERVER_NAME': 'svc-1.7d67968.vpc-lattice-svcs.eu-west-1.on.aws',
                     'SERVER_PORT': '443',
                     'body': '',
                     'koatty.event_kind': 'lattice-v1',
                     'koatty.platform': 'aws',
                     'wsgi.url_scheme': 'https'}),
 'aws/lattice-v2': ({'statusCode': 200,
                     'statusDescription': '200 OK',
                     'headers': {'Content-Type': 'application/json',
                                 'X-Multi': '1, 2',
                                 'Set-Cookie': 'a=1',
                                 'set-cookie': 'b=2; Path=/'},
                     'isBase64Encoded': False},
                    {'CONTENT_LENGTH': '0',
                     'HTTP_ACCEPT': 'a,b',
                     'HTTP_HOST': 'svc-2.7d67968.vpc-lattice-svcs.eu-west-1.on.aws',
                     'PATH_INFO': '/orders',
                     'QUERY_STRING': 'p=1&p=2',
                     'REMOTE_ADDR': '10.0.0.6',
                     'REQUEST_METHOD': 'GET',
                     'SCRIPT_NAME': '',
                     'SERVER_NAME': 'svc-2.7d67968.vpc-lattice-svcs.eu-west-1.on.aws',
                     'SERVER_PORT': '443',
                     'body': '',
                     'koatty.event_kind': 'lattice-v2',
                     'koatty.platform': 'aws',
                     'wsgi.url_scheme': 'https'}),
 'tencent/scf-apigw-base64-post': ({'isBase64Encoded': False,
                                    'statusCode': 200,
                                    'headers': {'Content-Type': 'application/json',
                                                'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                'X-Multi': ['1', '2']}},
                                   {'CONTENT_LENGTH': '4',
                                    'HTTP_HOST': 'service-1.gz.apigw.tencentcs.com',
                                    'PATH_INFO': '/upload',
                                    'QUERY_STRING': '',
                                    'REMOTE_ADDR': '203.0.113.51',
                                    'REQUEST_METHOD': 'POST',
                                    'SCRIPT_NAME': '',
                                    'SERVER_NAME': 'service-1.gz.apigw.tencentcs.com',
                                    'SERVER_PORT': '443',
                                    'body': '89504e47',
                                    'koatty.event_kind': 'scf-apigw',
                                    'koatty.platform': 'tencent',
                                    'koatty.request_id': 'req-scf-2',
                                    'wsgi.url_scheme': 'https'}),
 'tencent/scf-apigw-query-kinds': ({'isBase64Encoded': False,
                                    'statusCode': 200,
                                    'headers': {'Content-Type': 'application/json',
                                                'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                                'X-Multi': ['1', '2']}},
                                   {'CONTENT_LENGTH': '0',
                                    'HTTP_ACCEPT': '*/*',
                                    'HTTP_HOST': 'service-1.gz.apigw.tencentcs.com',
                                    'PATH_INFO': '/shop',
                                    'QUERY_STRING': 'a=b&a=c&x=y%20z&flag',
                                    'REMOTE_ADDR': '203.0.113.50',
                                    'REQUEST_METHOD': 'GET',
                                    'SCRIPT_NAME': '',
                                    'SERVER_NAME': 'service-1.gz.apigw.tencentcs.com',
                                    'SERVER_PORT': '443',
                                    'body': '',
                                    'koatty.event_kind': 'scf-apigw',
                                    'koatty.platform': 'tencent',
                                    'koatty.request_id': 'req-scf',
                                    'wsgi.url_scheme': 'https'}),
 'tencent/scf-clb-post': ({'isBase64Encoded': False,
                           'statusCode': 200,
                           'headers': {'Content-Type': 'application/json',
                                       'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                       'X-Multi': ['1', '2']}},
                          {'CONTENT_LENGTH': '23',
                           'HTTP_COOKIE': 'sid=abc',
                           'HTTP_HOST': 'api.clb.example.com',
                           'PATH_INFO': '/api/orders',
                           'QUERY_STRING': 'src=clb&tag=a+b',
                           'REMOTE_ADDR': '203.0.113.9',
                           'REQUEST_METHOD': 'POST',
                           'SCRIPT_NAME': '',
                           'SERVER_NAME': 'api.clb.example.com',
                           'SERVER_PORT': '443',
                           'body': '7b226974656d223a22626f6f6b222c22717479223a327d',
                           'koatty.event_kind': 'scf-clb',
                           'koatty.platform': 'tencent',
                           'wsgi.url_scheme': 'https'}),
 'tencent/scf-url-get-no-query': ({'statusCode': 200,
                                  'headers': {'Content-Type': 'application/json',
                                              'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                              'X-Multi': ['1', '2']},
                                  'isBase64Encoded': False},
                                 {'CONTENT_LENGTH': '0',
                                  'HTTP_ACCEPT': 'application/json',
                                  'HTTP_HOST': '1250000000-def-ap-shanghai.scf.tencentcs.com',
                                  'PATH_INFO': '/users/7',
                                  'QUERY_STRING': '',
                                  'REMOTE_ADDR': '127.0.0.1',
                                  'REQUEST_METHOD': 'GET',
                                  'SCRIPT_NAME': '',
                                  'SERVER_NAME': '1250000000-def-ap-shanghai.scf.tencentcs.com',
                                  'SERVER_PORT': '443',
                                  'body': '',
                                  'koatty.event_kind': 'scf-url',
                                  'koatty.platform': 'tencent',
                                  'wsgi.url_scheme': 'https'}),
 'tencent/scf-url-post': ({'statusCode': 200,
                           'headers': {'Content-Type': 'application/json',
                                       'Set-Cookie': ['a=1', 'b=2; Path=/'],
                                       'X-Multi': ['1', '2']},
                           'isBase64Encoded': False},
                          {'CONTENT_LENGTH': '4',
                           'HTTP_HOST': '1250000000-abc.ap-guangzhou.tencentscf.com',
                           'PATH_INFO': '/hook',
                           'QUERY_STRING': 'v=1',
                           'REMOTE_ADDR': '127.0.0.1',
                           'REQUEST_METHOD': 'POST',
                           'SCRIPT_NAME': '',
                           'SERVER_NAME': '1250000000-abc.ap-guangzhou.tencentscf.com',
                           'SERVER_PORT': '443',
                           'body': '70696e67',
                           'koatty.event_kind': 'scf-url',
                           'koatty.platform': 'tencent',
                           'wsgi.url_scheme': 'https'})}

NAMES = sorted(EXPECTED)


def test_every_fixture_has_an_expectation():
    on_disk = sorted(
        os.path.relpath(p, FIXTURES)[:-5].replace(os.sep, "/")
        for fam in ("aws", "alicloud", "tencent")
        for p in glob.glob(os.path.join(FIXTURES, fam, "*.json"))
    )
    assert on_disk == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_fixture_translation(name):
    response = serve_http(echo_app, load(name), None)
    body = json.loads(response.pop("body"))
    assert (response, body) == EXPECTED[name]


@pytest.mark.parametrize("name", NAMES)
def test_claimed_by_exactly_one_detector(name):
    event = load(name)
    claims = [row[0] for row in serverless.DETECTORS if row[2](event)]
    assert claims == [EXPECTED[name][1]["koatty.event_kind"]]
    assert serverless.KIND_PLATFORM[claims[0]] == name.split("/")[0]


@pytest.mark.parametrize("name", NAMES)
def test_validator_round_trip(name):
    app = validator(echo_app)
    response = serve_http(app, load(name), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["koatty.event_kind"] == EXPECTED[name][1]["koatty.event_kind"]


def five_line_app(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain; charset=utf-8")])
    return [environ["PATH_INFO"].encode("latin-1")]


@pytest.mark.parametrize("name", NAMES)
def test_raw_five_line_app(name):
    response = serve_http(five_line_app, load(name), None)
    assert response["statusCode"] == 201
    # PATH_INFO is latin-1 over the UTF-8 bytes, so non-ASCII paths round-trip exactly
    assert response["body"] == EXPECTED[name][1]["PATH_INFO"].encode("latin-1").decode("utf-8")
    assert response["isBase64Encoded"] is False


@pytest.mark.parametrize("name", NAMES)
def test_platform_restriction(name):
    event = load(name)
    family = name.split("/")[0]
    kind = EXPECTED[name][1]["koatty.event_kind"]
    assert serverless.detect_http(event, platform=family) == kind
    for other in {"aws", "alicloud", "tencent"} - {family}:
        assert serverless.detect_http(event, platform=other) is None
        assert serve_http(echo_app, event, None, platform=other) is None
