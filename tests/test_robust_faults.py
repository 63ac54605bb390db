"""Faults: an exception in each place user code runs has a defined outcome, a log line, and the
next invocation is served normally."""
from __future__ import annotations

import logging

import pytest

import koatty_lite
from koatty_lite import (
    After, Aspect, Before, Component, Controller, ExceptionHandler, GetMapping, HttpException, Koatty,
    KoattyException, Middleware, OnEvent,
)

from robust_support import FakeContext, check_response, v1_event

REQ_ID = "req-fault-42"


class Switch:
    """Which fault is armed; each test arms one and disarms it to show recovery."""

    armed: set = set()


def fault(name: str) -> None:
    if name in Switch.armed:
        raise RuntimeError(f"injected fault: {name}")


@Aspect()
class FaultAspect:
    """A before-aspect that fails when armed."""

    def run(self, *args):
        fault("aspect")


@Aspect()
class FaultAfterAspect:
    """An after-aspect that fails when armed."""

    def run(self, *args):
        fault("after-aspect")


@Middleware()
class FaultMiddleware:
    """Fails before or after next() when armed."""

    def run(self, options, app):
        def mw(ctx, next):
            fault("mw-before")
            next()
            fault("mw-after")
        return mw


@ExceptionHandler()
class FaultExceptionHandler:
    """Passes through to a JSON answer, or fails itself when armed."""

    def handle(self, ctx, exc):
        fault("exc-handler")
        ctx.status = getattr(exc, "status", 500)
        ctx.body = {"code": getattr(exc, "code", 1), "message": "handled", "data": None}


@Controller("/")
class FaultController:
    """The routes."""

    @GetMapping("/ok")
    def ok(self):
        """Healthy."""
        return {"ok": True}

    @GetMapping("/boom")
    def boom(self):
        """Fails when armed."""
        fault("controller")
        return {"ok": True}

    @GetMapping("/http-exc")
    def http_exc(self):
        """A deliberate HttpException."""
        raise HttpException("teapot", code=7, status=418)

    @Before(FaultAspect)
    @After(FaultAfterAspect)
    @GetMapping("/aspect")
    def aspected(self):
        """Guarded by aspects."""
        Switch.armed.add("controller-ran")
        return {"ok": True}


class FaultApp(Koatty):
    """The app with every kind of user code that can fail."""

    components = [FaultAspect, FaultAfterAspect, FaultMiddleware, FaultExceptionHandler, FaultController]
    config = {"middleware": {"list": ["FaultMiddleware"]}}


@pytest.fixture(autouse=True)
def disarm():
    Switch.armed.clear()
    yield
    Switch.armed.clear()


@pytest.fixture(scope="module")
def handler():
    return koatty_lite.handler(FaultApp)


def invoke(handler, path):
    return check_response(handler(v1_event("GET", path), FakeContext(REQ_ID)), "apigw-v1")


@pytest.mark.parametrize("armed, path, status", [
    ("mw-before", "/ok", 500),
    ("mw-after", "/ok", 500),
    ("controller", "/boom", 500),
    ("aspect", "/aspect", 500),
    ("after-aspect", "/aspect", 500),
], ids=["middleware-before-next", "middleware-after-next", "controller", "before-aspect", "after-aspect"])
def test_fault_in_request_code_is_a_500_with_a_logged_request_id_then_recovery(handler, capsys, armed, path, status):
    Switch.armed.add(armed)
    ans = invoke(handler, path)
    assert ans.status == status
    assert ans.header("x-request-id") == REQ_ID
    assert "injected fault" not in ans.text, "no traceback detail in the answer"
    if armed == "aspect":
        assert "controller-ran" not in Switch.armed, "a failing before-aspect must stop the call"
    # The traceback goes to wsgi.errors (the platform's stderr), headed by a line naming the request id.
    err = capsys.readouterr().err
    assert f"[koatty] [ERROR] [{REQ_ID}] unhandled exception: GET {path}" in err
    assert "RuntimeError: injected fault: " + armed.replace("before-aspect", "aspect") in err
    Switch.armed.clear()
    assert invoke(handler, path).status == 200


def test_exception_handler_that_fails_falls_back_to_the_default_500(handler, capsys):
    Switch.armed.update({"controller", "exc-handler"})
    ans = invoke(handler, "/boom")
    assert ans.status == 500
    assert ans.json()["message"] == "Internal Server Error"
    err = capsys.readouterr().err
    assert f"[koatty] [ERROR] [{REQ_ID}] exception handler failed: GET /boom" in err
    assert "injected fault: exc-handler" in err
    Switch.armed.clear()
    ans = invoke(handler, "/boom")
    assert ans.status == 200


def test_exception_handler_answers_an_http_exception(handler):
    ans = invoke(handler, "/http-exc")
    assert ans.status == 418
    assert ans.json()["message"] == "handled"
