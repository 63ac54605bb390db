"""Helpers for the core tests: webtest over wsgiref.validate."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # Why: webtest still imports cgi, deprecated since 3.11; the suite runs with warnings as errors.
    warnings.simplefilter("ignore", DeprecationWarning)
    import webtest  # noqa: F401
    from webtest import TestApp

from wsgiref.validate import validator

from koatty_lite import create_application


def client(App, boot_func=None):
    """A webtest client over the app's WSGI callable, checked by wsgiref.validate."""
    app = create_application(App, boot_func)
    return TestApp(validator(app.get_request_handler())), app


def error_of(res) -> dict:
    """The JSON error body of a webtest response, checked for the one shape: its ``requestId`` is the
    response's X-Request-Id; returned without it so tests compare code, message and data."""
    body = dict(res.json)
    assert body.pop("requestId") == res.headers["X-Request-Id"]
    return body
