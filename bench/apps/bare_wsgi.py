"""A bare WSGI function implementing the bench routes (shared by the WSGI adapters)."""
import json


def app(environ, start_response):
    """GET /hello, GET /users/<id>, POST /echo."""
    path = environ["PATH_INFO"]
    if path == "/hello":
        body = b'{"hello":"world"}'
    elif path.startswith("/users/"):
        body = json.dumps({"id": path[7:]}).encode()
    elif path == "/echo":
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.dumps(json.loads(environ["wsgi.input"].read(n))).encode()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
