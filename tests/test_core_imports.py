"""Import discipline and the public names."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORBIDDEN = ["typing", "email", "logging", "inspect", "dataclasses", "asyncio", "http.client", "cgi", "tempfile"]
PUBLIC = """Koatty create_application Bootstrap Component Service Controller Middleware Plugin Aspect Autowired Config
GetMapping PostMapping PutMapping DeleteMapping PatchMapping OptionsMapping HeadMapping RequestMapping
PathVariable Get Post Header RequestBody File Before After BeforeEach AfterEach OnEvent ExceptionHandler
KoattyException HttpException Context Scheduled AppEvent""".split()


def run_isolated(code: str) -> dict:
    # Why: -I ignores PYTHONPATH and (3.11+) does not put the cwd on sys.path, so insert the root by hand.
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + code
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_import_loads_no_heavy_modules():
    loaded = run_isolated("import json as _j, koatty_lite; "
                          f"print(_j.dumps([m for m in {FORBIDDEN!r} if m in sys.modules]))")
    assert loaded == []


def test_import_does_not_load_serverless():
    loaded = run_isolated("import json as _j, koatty_lite; "
                          "print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite.serverless') "
                          "or m in ('koatty_lite.entry', 'koatty_lite.payload'))))")
    assert loaded == []


def test_serving_the_demo_stays_light():
    code = ("import io, json as _j; from koatty_lite import create_application; from examples.demo.app import App; "
            "h = create_application(App).get_request_handler(); "
            "env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/hello', 'QUERY_STRING': 'name=x', 'wsgi.input': io.BytesIO()}; "
            "b''.join(h(env, lambda *a: None)); "
            f"print(_j.dumps([m for m in {FORBIDDEN!r} + ['sqlite3'] if m in sys.modules]))")
    assert run_isolated(code) == []


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names(name):
    import koatty_lite

    assert getattr(koatty_lite, name) is not None
    assert name in koatty_lite.__all__


def test_lazy_names():
    import koatty_lite
    from koatty_lite.app import run

    assert koatty_lite.run is run
    with pytest.raises(AttributeError):
        koatty_lite.nope


def test_every_module_uses_future_annotations():
    pkg = os.path.join(ROOT, "koatty_lite")
    for name in ("__init__", "app", "container", "decorators", "context", "compose", "router", "errors", "log"):
        with open(os.path.join(pkg, name + ".py"), encoding="utf-8") as f:
            assert "from __future__ import annotations" in f.read(), name
