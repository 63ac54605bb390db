"""README.md: the set-up commands come first, its Hello example runs as written, its links resolve."""
from __future__ import annotations

import os
import re

import pytest

from conftest import ROOT
from core_support import TestApp, validator


def readme(name="README.md"):
    """The text of a top-level Markdown file."""
    with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
        return fh.read()


def test_setup_commands_come_first():
    text = readme()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    assert first_block.split("\n")[0].startswith("make run") and first_block.split("\n")[1].startswith("make test")
    assert text.index("make run") < text.index("## Hello")


@pytest.mark.parametrize("name", ["README.md", "README.zh-CN.md"])
def test_hello_example_runs_as_written(name):
    block = re.search(r"## Hello\n+```python\n(.*?)```", readme(name), re.S).group(1)
    ns = {"__name__": "readme_hello"}
    exec(compile(block, name, "exec"), ns)
    client = TestApp(validator(ns["wsgi"]))
    assert client.get("/hello?name=Ann").json == {"message": "Hello, Ann!"}
    assert client.get("/users/x", status=400).json["code"] == 1


def test_local_links_resolve():
    for name in ("README.md", "README.zh-CN.md"):
        if not os.path.exists(os.path.join(ROOT, name)):
            continue
        for target in re.findall(r"\]\(([^)#]+)\)", readme(name)):
            if "://" in target:
                continue
            assert os.path.exists(os.path.join(ROOT, target)), f"{name} links to missing {target}"


def test_every_test_named_in_docs_errors_exists():
    names = set(re.findall(r"\b(test_[a-z0-9_]+)\b", readme("docs/errors.md")))
    tests_dir = os.path.join(ROOT, "tests")
    source = ""
    for name in os.listdir(tests_dir):
        if name.endswith(".py"):
            with open(os.path.join(tests_dir, name), encoding="utf-8") as fh:
                source += fh.read()
    missing = sorted(n for n in names if f"def {n}(" not in source and not os.path.exists(os.path.join(tests_dir, n + ".py")))
    assert len(names) > 20 and not missing, missing
