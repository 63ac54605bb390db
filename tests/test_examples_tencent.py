"""examples/tencent: SCF API Gateway / function URL / timer events, and the web function on port 9000."""
from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT
from koatty_lite.cli._common import fake_context
from koatty_lite.cli.event import HttpRequest, build_event, default_headers

HERE = os.path.join(ROOT, "examples", "tencent")
needs_entry = pytest.mark.skipif(importlib.util.find_spec("koatty_lite.entry") is None,
                                 reason="koatty_lite.entry (issue #4) not on main yet")

def read(path, mode="r"):
    """The whole file (closed again: pytest turns ResourceWarnings into errors)."""
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
        return fh.read()


def scf(kind, method="GET", path="/", query="", body=b""):
    return build_event(kind, HttpRequest(method, path, query, default_headers(body), body))


@pytest.fixture(scope="module")
def index():
    from examples.tencent import index
    return index


@needs_entry
@pytest.mark.parametrize("kind", ["scf", "scf-url"], ids=str)
def test_get_and_post(index, kind):
    resp = index.main_handler(scf(kind, path="/hello", query="name=scf"), fake_context("tencent"))
    assert resp["statusCode"] == 200 and resp["body"] == "Hello, scf!"
    resp = index.main_handler(scf(kind, "POST", "/users", body=b'{"name":"tc"}'), fake_context("tencent"))
    assert resp["statusCode"] == 201 and json.loads(resp["body"])["name"] == "tc"


@needs_entry
def test_timer_reaches_the_schedule_handler(index):
    assert index.main_handler(build_event("scf-timer"), fake_context("tencent")) == {"handled": "scheduled"}


def test_scf_bootstrap_is_executable_bash_with_lf():
    path = os.path.join(HERE, "scf_bootstrap")
    data = read(path, "rb")
    assert data.startswith(b"#!/bin/bash\n") and b"\r" not in data
    assert os.stat(path).st_mode & 0o111 == 0o111
    assert b"serve.py" in data


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_web_function_serves_on_the_given_port():
    port = _free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1")
    env.pop("PYTHONPATH", None)  # why: run it exactly as the README says, from the repository root
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello?name=web", timeout=5) as r:
                    assert r.status == 200 and r.read() == b"Hello, web!"
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("web function did not start: " + proc.stderr.read().decode()[-2000:])
                time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()


def test_serverless_yml_is_an_event_function_with_function_url_apigw_and_timer():
    text = read(os.path.join(HERE, "serverless.yml"))
    assert "component: scf" in text and "handler: index.main_handler" in text
    assert "- http:" in text and "enableExtranet: true" in text  # the function URL
    assert "apigw:" in text and "timer:" in text
