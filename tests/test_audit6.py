"""Defects found by the audit of this session's performance landings (issue 14, helper audit6): each test fails on
the code before its fix (the commit that fixed it says so)."""
from __future__ import annotations

import os
import re

from conftest import ROOT
from koatty_lite.context import EnvironRequest
from koatty_lite.serverless import _claim

# The core modules that read a request (ctx._req): what they read is the request protocol.
_CORE = ("app.py", "context.py", "context_extra.py", "observe.py", "output.py", "routes.py")
_V2 = {"version": "2.0", "rawPath": "/p", "rawQueryString": "a=1", "headers": {"host": "h", "x-request-id": "i"},
       "requestContext": {"http": {"method": "GET", "path": "/p", "sourceIp": "1.2.3.4"}, "requestId": "r",
                          "stage": "$default"}, "isBase64Encoded": False}


def test_the_request_protocol_names_every_member_the_core_reads():
    """docs/architecture.md's request protocol names every member the core reads of a request (``req.x``,
    ``ctx._req.x``), and both requests (the environ's and the serverless one) have each. Fails on the old code:
    ctx.request_id calls ``req.header()`` (5a0e4e8, the getattr fallback gone), which the protocol did not name."""
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as fh:
        section = fh.read().split("## The request protocol", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+)(?:\(\w*\))?`", section))
    read = set()
    for module in _CORE:
        with open(os.path.join(ROOT, "koatty_lite", module), encoding="utf-8") as fh:
            read.update(re.findall(r"\b_?req\.(\w+)", fh.read()))
    assert read and read - named == set()
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/p", "QUERY_STRING": "", "HTTP_HOST": "h"}
    for request in (EnvironRequest(environ), _claim(_V2, "auto").to_request(dict(_V2), None, "")):
        assert [m for m in sorted(read) if not hasattr(request, m)] == [], type(request).__name__
