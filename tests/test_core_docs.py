"""The Hello example in docs/core.md runs as written."""
from __future__ import annotations

import os
import re

from core_support import TestApp, validator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hello_block() -> str:
    with open(os.path.join(ROOT, "docs", "core.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("## Hello", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_hello_example_runs_as_written():
    ns = {"__name__": "docs_core_hello"}
    exec(compile(hello_block(), "docs/core.md", "exec"), ns)
    client = TestApp(validator(ns["wsgi"]))
    assert client.get("/hello?name=Ann").json == {"message": "Hello, Ann!"}
    assert client.get("/hello").json == {"message": "Hello, world!"}
    assert client.get("/users/3").json == {"id": 3}
    assert client.get("/users/x", status=400).json["code"] == 1
