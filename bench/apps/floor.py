"""The floor: a handler that translates nothing. It reads the path off the raw event and renders its
answer, as any handler does, with no adapter, router or framework in between."""
import json


def handler(event, context):
    """Answer the three bench routes straight from the raw event.

    Why the body is rendered per call (json.dumps) on every route: that is the floor issue 14 measured
    (2.1 µs for a GET); a prebuilt response dict (0.2 µs, the floor of RESULTS.md before 2026-11-25 22:30)
    measures a dict lookup, not a handler.
    """
    path = event.get("rawPath") or event.get("path")
    if path == "/hello":
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"hello": "world"})}
    if path.startswith("/users/"):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"id": path[7:]})}
    if path == "/echo":
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": event.get("body") or ""}
    return {"statusCode": 404, "headers": {}, "body": ""}


HANDLERS = {"v1": handler, "v2": handler, "url": handler, "alb": handler}
