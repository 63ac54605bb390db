"""Issue 13 points 4 and 16: the README's "Deploy your own app" works as written, with a vendored
koatty_lite; the deploy guides use `package`; the README says what `make test` runs; docs/core.md says
which Koatty it mirrors."""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from tests.package_support import write_tree, write_wheel


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
        return fh.read()


def section(text, title):
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:end if end > 0 else len(text)]


@pytest.mark.parametrize("name,title", [("README.md", "## Deploy your own app"),
                                        ("README.zh-CN.md", "## 部署你自己的应用")])
def test_deploy_section_has_three_steps_vendor_and_pip(name, title):
    part = section(read(name), title)
    steps = re.findall(r"^(\d)\. ", part, re.M)
    assert steps == ["1", "2", "3"]
    assert "cp -r koatty_lite/" in part and "pip install /path/to/koatty_lite" in part
    assert "python -m koatty_lite package shop --entry handler.py" in part


def test_readme_deploy_steps_run_as_written_with_a_vendored_copy(tmp_path):
    part = section(read("README.md"), "## Deploy your own app")
    import textwrap

    entry = textwrap.dedent(re.search(r"```python\n(.*?)```", part, re.S).group(1))
    command = re.search(r"```sh\n\s*(python -m koatty_lite package [^\n]+)\n", part).group(1)
    proj = tmp_path / "myproject"
    # Step 1: vendor, as written (`cp -r koatty_lite/ ~/myproject/`), plus a marker to prove which copy ships.
    shutil.copytree(os.path.join(ROOT, "koatty_lite"), proj / "koatty_lite",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (proj / "koatty_lite" / "vendored_marker.py").write_text("")
    # Step 2: the entry module from the README, next to the app folder.
    (proj / "handler.py").write_text(entry)
    write_tree(proj, {"shop/__init__.py": "", "shop/app.py": '''
        from koatty_lite import Controller, GetMapping, Koatty

        @Controller("/")
        class Hi:
            @GetMapping("/hi")
            def hi(self):
                import klpure
                return {"hi": klpure.VALUE}

        class App(Koatty):
            components = [Hi]
        '''})
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "klpure", "1.0", {"klpure/__init__.py": "VALUE = 42\n"})
    (proj / "requirements.txt").write_text(f"--no-index\n--find-links {wheels}\nklpure==1.0\n")
    runtime = "python%d.%d" % sys.version_info[:2]
    (proj / "template.yaml").write_text(f"Resources:\n  F:\n    Properties:\n      Runtime: {runtime}\n"
                                        "      Handler: handler.handler\n      CodeUri: dist/function.zip\n")
    # Step 3: the command as written, run in the project (no PYTHONPATH: the vendored copy is found).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    argv = command.split()
    p = subprocess.run([sys.executable] + argv[1:], cwd=proj, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with zipfile.ZipFile(proj / "dist" / "function.zip") as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "task")
    assert "koatty_lite/vendored_marker.py" in names and "klpure/__init__.py" in names
    assert f"bytecode for {runtime}" in p.stdout
    # the zip has no cli/: build the event with this checkout's CLI, run the handler from the zip
    code = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nimport handler\n"
            "ev = json.loads(sys.argv[2])\nprint(json.dumps(handler.handler(ev, None)))")
    from koatty_lite.cli.event import HttpRequest, build_event, default_headers

    ev = build_event("apigw-v2", HttpRequest("GET", "/hi", "", default_headers()))
    import json

    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "task"), json.dumps(ev)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(json.loads(out.stdout)["body"]) == {"hi": 42}


@pytest.mark.parametrize("guide,template", [("deploy-aws.md", "template.yaml"), ("deploy-alicloud.md", "s.yaml"),
                                            ("deploy-tencent.md", "serverless.yml")])
def test_every_deploy_guide_uses_package_with_its_template(guide, template):
    text = read(os.path.join("docs", guide))
    assert re.search(r"python -m koatty_lite package \S+ --entry \S+ --requirements requirements.txt "
                     rf"--template {re.escape(template)}", text), guide


def _skip_reason_files(reason):
    found = set()
    for path in glob.glob(os.path.join(ROOT, "tests", "test_*.py")):
        with open(path, encoding="utf-8") as fh:
            if reason in fh.read():
                found.add("tests/" + os.path.basename(path))
    return found


@pytest.mark.parametrize("name", ["README.md", "README.zh-CN.md"])
def test_readme_says_what_make_test_runs_and_what_skips_in_a_bare_clone(name):
    text = read(name)
    assert "runs every test" not in text and "运行全部测试" not in text
    part = text[text.index("make test"):text.index("## Hello")]
    named = set(re.findall(r"`(tests/test_\w+\.py)`", part))
    assert named == _skip_reason_files('reason="../shared/events' + ' absent"') and named
    assert "../shared/events absent" in part and "pytest -rs" in part
    assert "PostgreSQL" in part and "awslambdaric" in part


def test_core_docs_say_which_koatty_they_mirror():
    text = read(os.path.join("docs", "core.md"))
    part = text[text.index("**Which Koatty:**"):]
    assert "4.2.0" in part[:600] and "3.11.8, has neither" in part[:600]
    for name in ("README.md", "README.zh-CN.md"):
        assert "4.2.0" in read(name) and "3.11.8" in read(name)
