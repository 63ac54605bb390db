"""The app's exception handler: the default JSON shape plus the request id."""
from __future__ import annotations

from koatty_lite import ExceptionHandler, KoattyException


@ExceptionHandler()
class DemoExceptionHandler:
    """Known errors keep their status and message; anything else is a generic 500."""

    def handle(self, ctx, exc):
        if isinstance(exc, KoattyException):
            ctx.status = exc.status
            return {"code": exc.code, "message": exc.message, "data": exc.data, "requestId": ctx.request_id}
        ctx.status = 500
        return {"code": 1, "message": "Internal Server Error", "data": None, "requestId": ctx.request_id}
