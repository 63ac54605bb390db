"""koatty_lite.cli.coldstart: the report has every field (timings are not asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from koatty_lite.cli import coldstart

STUB_INIT = "def handler(App):\n    app = App._built\n    return lambda event, context: {'statusCode': 200, 'body': '{}'}\n"
STUB_APP = textwrap.dedent('''
    class Koatty:
        def __init__(self):
            self.listeners = {}
        def emit(self, event):
            for fn in self.listeners.get(event, ()):
                fn(self)
        def get_request_handler(self):
            def wsgi(environ, start_response):
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"hello":"world"}']
            return wsgi
    def create_application(App):
        if getattr(App, "fail", False):
            raise RuntimeError("boot failed on purpose")
        app = Koatty()
        for name in ("appBoot", "loadConfigure", "loadComponent", "appReady"):
            app.emit(name)
        App._built = app
        return app
''')


@pytest.fixture
def stub_tree(tmp_path, monkeypatch):
    """A stand-in koatty_lite in a temporary cwd, so the child measures something known."""
    pkg = tmp_path / "koatty_lite"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(STUB_INIT)
    (pkg / "app.py").write_text(STUB_APP)
    (tmp_path / "stubapp.py").write_text("from koatty_lite.app import Koatty\nclass App(Koatty):\n    pass\n")
    (tmp_path / "badboot.py").write_text("from koatty_lite.app import Koatty\nclass App(Koatty):\n    fail = True\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_measure_reports_every_field(stub_tree):
    res = coldstart.measure("stubapp:App", n=50)
    assert set(coldstart.FIELDS) <= set(res)
    assert list(res["phases_ms"]) == [
        "before:appBoot", "before:loadConfigure", "before:loadComponent", "before:appReady", "after_last_event",
    ]
    assert res["status"] == "200 OK" and res["n"] == 50


def test_failing_app_is_reported_with_its_traceback(stub_tree, capsys):
    assert coldstart.main(["badboot:App", "-n", "5"]) == 1
    err = capsys.readouterr().err
    assert "coldstart child failed" in err and "boot failed on purpose" in err


def test_missing_module_is_one_line(stub_tree, capsys):
    assert coldstart.main(["nosuchmodule:App", "-n", "5"]) == 2
    assert capsys.readouterr().err.startswith("error: cannot import module 'nosuchmodule'")


def test_json_output(stub_tree, capsys):
    assert coldstart.main(["stubapp:App", "--json", "-n", "5"]) == 0
    assert set(coldstart.FIELDS) <= set(json.loads(capsys.readouterr().out))


def test_real_demo_app():
    pytest.importorskip("koatty_lite.app")
    pytest.importorskip("examples.demo.app")
    out = subprocess.run([sys.executable, "-m", "koatty_lite", "coldstart", "examples.demo.app:App", "--json", "-n", "20"],
                         capture_output=True, text=True, check=True).stdout
    assert set(coldstart.FIELDS) <= set(json.loads(out))
