"""Helpers for the observability tests: a clean "koatty" logger per test, events through the adapters."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from koatty_lite import create_application
from koatty_lite import log as klog
from koatty_lite.cli.event import HttpRequest, build_event, default_headers
from koatty_lite.serverless import serve_http

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV_KEYS = ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL", "KOATTY_LOG_FORMAT", "_X_AMZN_TRACE_ID",
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "FC_FUNCTION_NAME", "SCF_FUNCTIONNAME")


@pytest.fixture
def clean_log(monkeypatch):
    """The "koatty" logger, its keys and the invocation count as they were before the test."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    logger = logging.getLogger("koatty")
    saved = (list(logger.handlers), logger.level, logger.propagate, klog._logger, klog._format[0],
             dict(klog._keys), klog._invocations[0])
    from koatty_lite import logjson

    ident = logjson._FUNCTION[0]
    logjson._FUNCTION[0] = None
    import itertools

    counter = klog._counter
    klog._invocations[0] = 0
    klog._counter = itertools.count(1)
    try:
        yield logger
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]
        klog._logger, klog._format[0] = saved[3], saved[4]
        klog._keys.clear()
        klog._keys.update(saved[5])
        klog._invocations[0] = saved[6]
        klog._counter = counter
        logjson._FUNCTION[0] = ident


class Invocation:
    """A platform context object, as the Lambda runtime passes it."""

    def __init__(self, request_id="req-1"):
        self.aws_request_id = request_id
        self.function_name = "ctx-fn"
        self.function_version = "7"


def event(kind="apigw-v2", path="/", headers=(), method="GET"):
    """An HTTP event of ``kind`` for one request."""
    req = HttpRequest(method=method, path=path, headers=list(default_headers()) + list(headers))
    return build_event(kind, req)


def boot(App):
    """The booted app and its WSGI callable."""
    app = create_application(App)
    return app, app.get_request_handler()


def call(wsgi, kind="apigw-v2", path="/", headers=(), request_id="req-1", method="GET"):
    """Serve one event through the adapters; the platform response dict."""
    return serve_http(wsgi, event(kind, path, headers, method), Invocation(request_id))


def json_lines(text):
    """Every non-empty line of ``text`` decoded as JSON (fails when one is not)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_python(code, env=None):
    """Run ``code`` in a fresh interpreter from the repo root; (returncode, stdout, stderr)."""
    full = dict(os.environ, PYTHONPATH=ROOT)
    for key in ENV_KEYS:
        full.pop(key, None)
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout, proc.stderr
