"""Classes and records made lazy (issue 14, cold start): a class is made once; the serving paths read records by index."""
import gc

from koatty_lite import routes


def _made(qualname: str) -> int:
    return sum(c.__module__ == "koatty_lite.routes" and c.__qualname__ == qualname for c in object.__subclasses__())


def test_token_shape_routes_share_one_pattern_class_made_once():
    """Each route path of a non-common shape (``/v:ver``) is a Pattern: the boot made (and threw away) one class
    per such route (~0.1M instructions each) since Pattern became lazy (00edc92). Fails on that code (3 made)."""
    gc.disable()  # why: a class thrown away stays listed until collected
    try:
        before = _made("Pattern")
        router = routes.Router()
        for i in range(3):
            router.add("GET", f"/v{i}:ver/x", i)
        assert _made("Pattern") - before <= 1
    finally:
        gc.enable()
    assert router.match("GET", "/v2a/x")[1] == {"ver": "a"}


def test_serve_http_and_an_adapters_handler_read_no_format_field_by_name(monkeypatch):
    """Since dfb9c20 a format's field read by name goes through HttpFormat.__getattr__ (~0.5 us each, 20x an index);
    http._claim read ``fmt.detect`` for every format it tried: a foreign app served by serve_http or
    AwsLambdaAdapter().create_handler went 8.0 -> 10.3 us per ALB request. Fails on that code (detect read)."""
    from koatty_lite.serverless import AwsLambdaAdapter, HttpFormat, serve_http

    read = []
    by_name = HttpFormat.__getattr__
    monkeypatch.setattr(HttpFormat, "__getattr__", lambda fmt, name: read.append(name) or by_name(fmt, name))

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]

    event = {"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
             "httpMethod": "GET", "path": "/hello", "queryStringParameters": {}, "headers": {"host": "x"}, "body": "",
             "isBase64Encoded": False}
    answers = [serve_http(app, dict(event), None), AwsLambdaAdapter().create_handler(app)(dict(event), None)]
    assert [a["statusCode"] for a in answers] == [200, 200] and read == []
