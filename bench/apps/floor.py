"""The floor: a dict lookup on the path, a prebuilt response dict, no translation."""
import json

_HELLO = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"hello":"world"}'}


def handler(event, context):
    """Answer the three bench routes straight from the raw event."""
    path = event.get("rawPath") or event.get("path")
    if path == "/hello":
        return _HELLO
    if path.startswith("/users/"):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"id": path[7:]})}
    if path == "/echo":
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": event.get("body") or ""}
    return {"statusCode": 404, "headers": {}, "body": ""}


HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
