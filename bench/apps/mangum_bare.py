"""Mangum around a bare ASGI app."""
import json

from mangum import Mangum


async def app(scope, receive, send):
    path = scope["path"]
    if path == "/hello":
        body = b'{"hello":"world"}'
    elif path.startswith("/users/"):
        body = json.dumps({"id": path[7:]}).encode()
    else:
        msg = await receive()
        body = json.dumps(json.loads(msg.get("body", b""))).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


handler = Mangum(app, lifespan="off")
HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
