"""Slim packages (cli/slim.py, cli/strip.py): `package` ships the core, the platform's formats and the
features the app uses, stripped of docstrings and comments with every line kept, and serves every
fixture of its platform exactly as the whole runtime does."""
from __future__ import annotations

import ast
import glob
import io
import json
import os
import subprocess
import sys
import textwrap
import tokenize
import zipfile

import pytest

from conftest import FIXTURES, ROOT
from koatty_lite.cli import package, slim
from koatty_lite.cli.strip import docstring_lines, strip_source, strip_unread

# An app that answers every request with what it saw: the request model's fields, headers, cookies, body.
ECHO_APP = '''
from koatty_lite import Koatty, Middleware


@Middleware()
class Echo:
    def run(self, options, app):
        def echo(ctx, next):
            ctx.set_cookie("seen", "1", path="/")
            ctx.set("X-Multi", "a")
            ctx.append("X-Multi", "b")
            ctx.body = {"method": ctx.method, "path": ctx.path, "query": ctx.query, "qs": ctx.querystring,
                        "headers": dict(ctx.headers.items()), "cookies": ctx.cookies, "ip": ctx.ip, "host": ctx.host,
                        "url": ctx.url, "platform": ctx.platform, "kind": ctx.event_kind, "raw": ctx.raw_body().hex()}
        return echo


class App(Koatty):
    components = [Echo]
    config = {"middleware": {"list": ["Echo"]}}
'''
ENTRY = "import koatty_lite\nfrom echoapp import App\n\nhandler = koatty_lite.handler(App)\n"
# A foreign WSGI app (handler() wraps it): what it saw of the environ, a cookie and a repeated header.
WSGI_APP = '''
import json


def application(environ, start_response):
    seen = {k: v for k, v in environ.items() if isinstance(v, str)}
    seen["body"] = environ["wsgi.input"].read().hex()
    start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("X-Multi", "1"),
                              ("X-Multi", "2")])
    return [json.dumps(seen, sort_keys=True).encode()]
'''
WSGI_ENTRY = "import koatty_lite\nfrom echoapp import application\n\nhandler = koatty_lite.handler(application)\n"

# Runs in the unzipped package (first on sys.path, -I): each fixture's answer as JSON.
RUN_FIXTURES = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import handler

class Ctx:
    aws_request_id = request_id = "ctx-req-1"
    function_name = "f"

out = {}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as fh:
        event = json.load(fh)
    out[path] = handler.handler(event, Ctx())
print(json.dumps(out, sort_keys=True, default=repr))
'''


def _unzip(zip_path, where):
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(where)
    return str(where)


def _echo_project(tmp_path, wsgi=False):
    app = tmp_path / "src" / "echoapp"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text(WSGI_APP if wsgi else ECHO_APP)
    entry = tmp_path / "src" / "handler.py"
    entry.write_text(WSGI_ENTRY if wsgi else ENTRY)
    return str(app), str(entry)


def _run(root, script, *args, check=True):
    p = subprocess.run([sys.executable, "-I", "-c", script, root, *args], capture_output=True, text=True,
                       timeout=120, cwd=root)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def _platform_fixtures(platform):
    return sorted(glob.glob(os.path.join(FIXTURES, platform, "*.json")))


@pytest.mark.parametrize("platform,wsgi", [("aws", False), ("alicloud", False), ("tencent", False), ("aws", True)],
                         ids=["aws", "alicloud", "tencent", "aws-foreign-wsgi"])
def test_slim_package_serves_every_fixture_of_its_platform_as_the_whole_runtime(platform, wsgi, tmp_path):
    app, entry = _echo_project(tmp_path, wsgi)
    logged = []
    # bytecode (from the stripped source) for one case: it is what serves on the platform
    slim_zip = package.build(app, [entry], str(tmp_path / "slim.zip"), platform=platform, log=logged.append,
                             bytecode=platform == "aws" and not wsgi)
    full_zip = package.build(app, [entry], str(tmp_path / "full.zip"), all_modules=True, keep_docstrings=True,
                             bytecode=False, log=lambda line: None)
    assert slim_zip.platform == platform and full_zip.platform == "all"
    names = zipfile.ZipFile(slim_zip.path).namelist()
    others = {m for cloud, ms in slim.platform_modules().items() if cloud != platform for m in ms}
    assert len(others) >= 2 and not [n for n in names if n[len("koatty_lite/"):] in others]
    assert logged == []  # nothing the import needed was left out
    assert {"koatty_lite/" + m for m in slim.platform_modules()[platform]} <= set(names)
    assert "koatty_lite/server.py" not in names and "koatty_lite/validation.py" not in names
    assert ("koatty_lite/serverless/wsgi.py" in names) is wsgi
    # the environ view: FC 2.0 calls handler(environ, start_response); a foreign WSGI app's package has it too
    assert ("koatty_lite/environ.py" in names) is (wsgi or platform == "alicloud")
    fixtures = _platform_fixtures(platform)
    assert len(fixtures) >= 2
    answers = []
    for built in (slim_zip, full_zip):
        root = _unzip(built.path, tmp_path / os.path.basename(built.path)[:-4])
        answers.append(json.loads(_run(root, RUN_FIXTURES, *fixtures).stdout.strip().splitlines()[-1]))
    assert answers[0] == answers[1]
    assert all(a.get("statusCode", 200) == 200 for a in answers[0].values()), answers[0]


def test_a_slim_package_built_here_for_python3_10_serves_there_as_the_whole_runtime(tmp_path):
    """Built with this Python (stripped here, its probe run here) for a python3.10 function: the shipped source
    and its 3.10 bytecode import and serve on 3.10 exactly as the whole runtime does here."""
    py310 = package.find_interpreter("3.10")
    if py310 is None:
        pytest.skip("no Python 3.10 on this machine (PATH or pyenv)")
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "slim.zip"), runtime="python3.10", log=lambda line: None)
    names = zipfile.ZipFile(res.path).namelist()
    assert res.python == py310 and "koatty_lite/__pycache__/app.cpython-310.pyc" in names
    whole = package.build(app, [entry], str(tmp_path / "w.zip"), all_modules=True, keep_docstrings=True,
                          bytecode=False, log=lambda line: None)
    fixtures = _platform_fixtures("aws")
    got = subprocess.run([py310, "-I", "-c", RUN_FIXTURES, _unzip(res.path, tmp_path / "u"), *fixtures],
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    want = _run(_unzip(whole.path, tmp_path / "w"), RUN_FIXTURES, *fixtures)
    assert json.loads(got.stdout.strip().splitlines()[-1]) == json.loads(want.stdout.strip().splitlines()[-1])


FC2_CALL = r'''
import io, json, sys
sys.path.insert(0, sys.argv[1])
import handler
seen = []
environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/a", "QUERY_STRING": "x=1", "SERVER_NAME": "fc", "SERVER_PORT": "80",
           "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "fc.example", "CONTENT_TYPE": "application/json",
           "CONTENT_LENGTH": "7", "HTTP_COOKIE": "sid=1", "REMOTE_ADDR": "10.0.0.1", "wsgi.input": io.BytesIO(b'{"a":1}'),
           "wsgi.errors": sys.stderr, "wsgi.url_scheme": "https", "HTTP_X_REQUEST_ID": "fc-req-1"}
body = b"".join(handler.handler(environ, lambda status, headers, exc_info=None: seen.append([status, headers])))
print(json.dumps([seen, json.loads(body)], sort_keys=True))
'''


def test_fc2s_wsgi_call_is_served_by_the_alicloud_package_as_by_the_whole_runtime(tmp_path):
    """FC 2.0's HTTP trigger calls handler(environ, start_response): the alicloud package ships the environ
    view (koatty_lite/environ.py, left out of the aws and tencent ones)."""
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), platform="alicloud", bytecode=False,
                        log=lambda line: None)
    assert res.features == {"environ": "platform alicloud", "query": "__init__.py: .query"}  # the echo reads ctx.query
    whole = package.build(app, [entry], str(tmp_path / "w.zip"), all_modules=True, keep_docstrings=True,
                          bytecode=False, log=lambda line: None)
    got = _run(_unzip(res.path, tmp_path / "u"), FC2_CALL).stdout.strip().splitlines()[-1]
    assert got == _run(_unzip(whole.path, tmp_path / "w"), FC2_CALL).stdout.strip().splitlines()[-1]
    (status, _), = json.loads(got)[0]
    assert status == "200 OK" and json.loads(got)[1]["method"] == "POST"


OWN_ADAPTER_ENTRY = '''import io

from koatty_lite import create_application
from echoapp import App

app = create_application(App)


def handler(event, context=None):
    """A WSGI adapter of the user's own: the Koatty app called with an environ."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": event["path"], "QUERY_STRING": "", "SERVER_NAME": "h",
               "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "https"}
    status = []
    app(environ, lambda s, h, exc_info=None: status.append(s))
    return {"statusCode": int(status[0][:3])}
'''


@pytest.mark.parametrize("probe", [True, False], ids=["probe", "no-probe"])
def test_an_entry_calling_the_app_as_a_wsgi_app_ships_the_environ_view(probe, tmp_path):
    app, entry = _echo_project(tmp_path)
    with open(entry, "w") as fh:
        fh.write(OWN_ADAPTER_ENTRY)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, probe=probe, log=lambda line: None)
    # without the probe, the guard of a foreign WSGI app ships too (the source cannot tell what handler() is given)
    assert set(res.features) == {"environ", "query"} | ({"foreign"} if not probe else set()), res.features
    assert "koatty_lite/environ.py" in zipfile.ZipFile(res.path).namelist()
    assert _events_of(_unzip(res.path, tmp_path / "u"), '{"path": "/x"}') == [200]


def test_bench_app_slim_aws_runtime_is_within_60_kb(tmp_path):
    """Issue 14's goal: the runtime a plain HTTP app ships (koatty_lite/ source, zipped) stays within 60 KB."""
    empty = tmp_path / "benchapp"
    empty.mkdir()
    res = package.build(str(empty), [os.path.join(ROOT, "bench", "apps", "koatty_app.py")], str(tmp_path / "b.zip"),
                        bytecode=False, log=lambda line: None)
    assert res.platform == "aws" and res.features == {}
    assert "koatty_lite/environ.py" not in zipfile.ZipFile(res.path).namelist()  # served by handler(App): no environ
    assert res.runtime_kb() <= 60, f"{res.runtime_kb():.1f} KB"
    whole = package.build(str(empty), [os.path.join(ROOT, "bench", "apps", "koatty_app.py")],
                          str(tmp_path / "w.zip"), bytecode=False, all_modules=True, keep_docstrings=True,
                          log=lambda line: None)
    assert whole.runtime_kb() > 2 * res.runtime_kb()


def test_a_left_out_module_is_one_clear_error_naming_the_option(tmp_path):
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=lambda line: None)
    root = _unzip(res.path, tmp_path / "u")
    whole = _unzip(package.build(app, [entry], str(tmp_path / "w.zip"), all_modules=True, keep_docstrings=True,
                                 bytecode=False, log=lambda line: None).path, tmp_path / "w")
    # the hook that names the fix imports nothing: `import koatty_lite` loads the same modules either way, but
    # __future__ (the shipped source has no `from __future__ import annotations`: no annotation left to postpone)
    loads = "import sys; sys.path.insert(0, sys.argv[1]); before = set(sys.modules); import koatty_lite; " \
            "print(sorted(set(sys.modules) - before))"
    shipped, written = (ast.literal_eval(_run(tree, loads).stdout) for tree in (root, whole))
    assert "__future__" not in shipped and shipped == [m for m in written if m != "__future__"]
    p = _run(root, "import sys; sys.path.insert(0, sys.argv[1]); import koatty_lite, echoapp; "
                   "koatty_lite.run(echoapp.App, port=0)", check=False)
    assert p.returncode == 1
    last = p.stderr.strip().splitlines()[-1]
    assert last == ("ImportError: koatty_lite.server is not in this function package: `python -m koatty_lite "
                    "package` left out listen, which the app did not seem to use: rebuild with --with "
                    "listen (or --all-modules)")
    p = _run(root, "import sys; sys.path.insert(0, sys.argv[1]); import koatty_lite\n"
                   "try:\n    import koatty_lite.serverless.tencent\nexcept ImportError as e:\n    print(e)\n"
                   "try:\n    from koatty_lite import Valid\nexcept ImportError as e:\n    print(e)\n")
    lines = p.stdout.strip().splitlines()
    assert lines[0] == ("koatty_lite.serverless.tencent is not in this function package: it was built for "
                        "--platform aws: rebuild with --platform tencent (or --platform all)")
    p = _run(root, "import sys; sys.path.insert(0, sys.argv[1]); import koatty_lite\n"
                   "try:\n    import koatty_lite.serverless.alicloud\nexcept ModuleNotFoundError as e:\n    print(e.name)\n")
    assert p.stdout.strip() == "koatty_lite.serverless.alicloud"  # a cloud's: the serverless package skips it
    assert lines[1].startswith("koatty_lite.rules is not in this function package: ") and "--with validation" in lines[1]


def test_a_left_out_module_the_entry_imports_after_all_ships_said_in_one_line(tmp_path, monkeypatch):
    app, entry = _echo_project(tmp_path)
    # the scan and the first probe miss it (a name built at run time; the probe is told it saw nothing)
    with open(entry, "a") as fh:
        fh.write("import importlib\nimportlib.import_module('koatty_lite.' + 'co' + 'rs')\n")
    real = slim.probe
    calls = []

    def probe(root, entries, timeout=120):
        calls.append(root)
        seen = real(root, entries, timeout)
        return dict(seen, modules=[]) if len(calls) == 1 else seen

    monkeypatch.setattr(slim, "probe", probe)
    logged = []
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=logged.append)
    assert logged == ["package: importing the entry needs koatty_lite.cors: shipping feature cors"]
    assert res.features == {"cors": "importing the entry needs koatty_lite.cors", "query": "__init__.py: .query"}
    assert len(calls) == 3
    assert "koatty_lite/cors.py" in zipfile.ZipFile(res.path).namelist()


# Runs in an unzipped package: what each event gives (the answer's status, or the exception's class names
# and message); HC_FAIL=1 makes the health check fail.
RUN_EVENTS = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
import handler

class Ctx:
    aws_request_id = request_id = "ctx-req-1"
    function_name = "f"

out = []
for arg in sys.argv[2:]:
    event = arg.encode() if arg.startswith("raw:") else json.loads(open(arg).read()) if arg.endswith(".json") else json.loads(arg)
    try:
        answer = handler.handler(event, Ctx())
        out.append(answer.get("statusCode") if isinstance(answer, dict) else answer)
    except Exception as exc:
        out.append([[c.__name__ for c in type(exc).__mro__[:-3]], str(exc)])
print(json.dumps(out))
'''
HEALTH_ENTRY = ("import os\nimport koatty_lite\nfrom echoapp import App\n\n\ndef health_check(app):\n"
                "    if os.environ.get('HC_FAIL'):\n        raise RuntimeError('db down')\n\n\n"
                "handler = koatty_lite.handler(App, health_check=health_check)\n")


def _events_of(root, *events, **env):
    p = subprocess.run([sys.executable, "-I", "-c", RUN_EVENTS, root, *events], capture_output=True, text=True,
                       timeout=120, cwd=root, env=dict(os.environ, **env))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def health_packages(tmp_path_factory):
    """(slim, whole) unzipped: the echo app with a health check, built for aws without event handlers."""
    tmp_path = tmp_path_factory.mktemp("health")
    app, entry = _echo_project(tmp_path)
    with open(entry, "w") as fh:
        fh.write(HEALTH_ENTRY)
    slim_zip = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=lambda line: None)
    names = zipfile.ZipFile(slim_zip.path).namelist()
    assert "koatty_lite/kinds.py" not in names and "koatty_lite/serverless/wsgi.py" not in names
    whole = package.build(app, [entry], str(tmp_path / "w.zip"), all_modules=True, bytecode=False, log=lambda line: None)
    return _unzip(slim_zip.path, tmp_path / "u"), _unzip(whole.path, tmp_path / "w")


def test_an_http_only_package_answers_events_it_has_no_handler_for_as_the_whole_runtime(health_packages):
    """A slim package without the non-HTTP half (no event_handlers) answers an SQS message, a console test
    event or a non-JSON payload with the whole runtime's UnknownEventError (its text names event_handlers),
    not an ImportError about packaging."""
    root, whole = health_packages
    events = [os.path.join(FIXTURES, "events", "sqs.json"), '{"key1": "value1"}', "raw:not json"]
    got, want = _events_of(root, *events), _events_of(whole, *events)
    assert [g[0][-2:] for g in got] == [w[0][-2:] for w in want] == [["UnknownEventError", "ValueError"]] * 3
    assert "Records" in got[0][1] and "event_handlers={kind: fn(event, context, app)} to" in got[0][1]
    assert "--with events" in got[0][1]
    assert "top-level keys: key1" in got[1][1] and got[2] == want[2]


def test_a_failing_health_check_is_the_503_in_a_package_without_the_wsgi_feature(health_packages):
    root, whole = health_packages
    http = [os.path.join(FIXTURES, "aws", "apigw-v1-get-multivalue.json"),
            os.path.join(FIXTURES, "aws", "alb-single-value.json")]
    assert _events_of(root, *http, HC_FAIL="1") == _events_of(whole, *http, HC_FAIL="1") == [503, 503]
    assert _events_of(root, *http) == [200, 200]


@pytest.mark.parametrize("events", [False, True], ids=["http-only", "with-events"])
def test_a_package_for_one_cloud_deployed_on_another_says_which_platform_to_build(events, tmp_path):
    """The aws package (make zip's default) on FC or SCF: the runtime skips the absent cloud's formats, so
    every HTTP event was "unknown event kind"; now a warning at init and each unserved event name the fix."""
    app, entry = _echo_project(tmp_path)
    if events:
        with open(entry, "a") as fh:
            fh.write("handler = koatty_lite.handler(App, event_handlers={'sqs': lambda e, c, a: []})\n")
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=lambda line: None)
    assert res.platform == "aws" and ("events" in res.features) is events
    root = _unzip(res.path, tmp_path / "u")
    for cloud, var, fixture in (("alicloud", "FC_FUNCTION_NAME", "fc-apigw-get.json"),
                                ("tencent", "SCF_FUNCTIONNAME", "scf-url-post.json")):
        env = dict(os.environ, **{var: "f"})
        p = subprocess.run([sys.executable, "-I", "-c", RUN_EVENTS, root, os.path.join(FIXTURES, cloud, fixture)],
                           capture_output=True, text=True, timeout=120, cwd=root, env=env)
        assert p.returncode == 0, p.stderr
        (classes, message), = json.loads(p.stdout.strip().splitlines()[-1])
        fix = f"koatty_lite.serverless.{cloud} is not in this function package: it was built for --platform aws: " \
              f"rebuild with --platform {cloud} (or --platform all)"
        assert "UnknownEventError" in classes and message.startswith(fix + "; the HTTP events of this cloud"), message
        assert fix + ": its HTTP events will not be served" in p.stderr


def test_a_failing_probe_is_one_line_naming_the_file_in_the_zip_not_the_staging_folder(tmp_path):
    app, entry = _echo_project(tmp_path)
    with open(entry, "a") as fh:
        fh.write("from echoapp import nothing_here\n")
    logged = []
    package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=logged.append)
    assert len(logged) == 1 and "cannot import name 'nothing_here' from 'echoapp' (echoapp/__init__.py)" in logged[0]
    assert "koatty-package-" not in logged[0]


def test_an_adapter_of_your_own_ships_the_non_http_half_it_is_served_through(tmp_path):
    app, entry = _echo_project(tmp_path)
    with open(entry, "w") as fh:
        fh.write("import koatty_lite\nfrom koatty_lite.serverless import serve_http\nfrom echoapp import App\n\n\n"
                 "class Mine:\n    name = 'mine'\n\n    def create_handler(self, app):\n"
                 "        def handle(event, context=None):\n"
                 "            return {'statusCode': 299} if event.get('mine') else serve_http(app, event, context)\n"
                 "        return handle\n\n\nhandler = koatty_lite.handler(App, adapter=Mine())\n")
    for probe in (True, False):
        res = package.build(app, [entry], str(tmp_path / f"f{probe}.zip"), bytecode=False, probe=probe,
                            log=lambda line: None)
        assert "events" in res.features, res.features
    root = _unzip(res.path, tmp_path / "u")
    assert _events_of(root, '{"mine": 1}', os.path.join(FIXTURES, "aws", "apigw-v1-get-multivalue.json")) == [299, 200]


def test_a_handler_naming_another_platform_ships_its_formats(tmp_path):
    app, entry = _echo_project(tmp_path)
    with open(entry, "a") as fh:
        fh.write("main_handler = koatty_lite.handler(App, platform='tencent')\n")
    logged = []
    res = package.build(app, [entry], str(tmp_path / "f.zip"), platform="aws", bytecode=False, log=logged.append)
    names = zipfile.ZipFile(res.path).namelist()
    assert {"koatty_lite/serverless/aws.py", "koatty_lite/serverless/tencent.py"} <= set(names)
    assert "koatty_lite/serverless/alicloud.py" not in names
    assert logged == ["package: handler(platform='tencent') in the entry: shipping cloud tencent too"]


def test_no_probe_never_imports_the_entry_and_the_scan_decides(tmp_path):
    app, entry = _echo_project(tmp_path)
    marker = tmp_path / "imported"
    with open(entry, "a") as fh:
        fh.write(f"open({str(marker)!r}, 'w').close()\nkoatty_lite.handler(App, event_handlers={{}})\n")
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, probe=False, log=lambda line: None)
    assert not marker.exists()
    assert res.features == {"events": "handler.py: event_handlers=", "query": "__init__.py: .query",
                            "foreign": "no probe: handler() may be given a WSGI app"}
    package.build(app, [entry], str(tmp_path / "g.zip"), bytecode=False, log=lambda line: None)
    assert marker.exists()  # the probe imports it (the platform's init phase, once, on this machine)


def test_the_app_is_probed_and_scanned_for_the_features_it_uses(tmp_path):
    app = tmp_path / "shop"
    app.mkdir()
    (app / "__init__.py").write_text(textwrap.dedent('''
        from koatty_lite import Koatty, Controller, GetMapping, Scheduled


        @Controller("/")
        class Home:
            @GetMapping("/")
            def home(self):
                return {}

            @Scheduled("0 * * * *")
            def tick(self):
                pass


        class App(Koatty):
            components = [Home]
            config = {"middleware": {"list": ["Cors"]}}
    '''))
    entry = tmp_path / "index.py"
    # run() at import time: the probe stops it before it serves (and records the listen server)
    entry.write_text("import koatty_lite\nfrom shop import App\nkoatty_lite.run(App)\n")
    res = package.build(str(app), [str(entry)], str(tmp_path / "f.zip"), bytecode=False, log=lambda line: None)
    assert set(res.features) == {"schedule", "events", "cors", "listen", "environ", "foreign"}, res.features
    assert res.features["cors"] == "__init__.py: 'Cors'"
    assert res.features["events"] == "schedule needs it"
    names = zipfile.ZipFile(res.path).namelist()
    assert {"koatty_lite/schedule.py", "koatty_lite/cors.py", "koatty_lite/server.py",
            "koatty_lite/serverless/events.py"} <= set(names)
    assert "koatty_lite/validation.py" not in names


@pytest.mark.parametrize("source,feature", [
    ("from koatty_lite import Valid", "validation"),
    ("from koatty_lite import IsEmail", "validation"),
    ("import koatty_lite as k\nk.Length(1, 2)", "validation"),
    ("from koatty_lite.rules import Length", "validation"),
    ("import koatty_lite\nkoatty_lite.run(None)", "listen"),
    ("app.listen(3000)", "listen"),
    ("config = {'openapi': {'path': '/doc'}}", "openapi"),
    ("h = handler(App, event_handlers={})", "events"),
    ("from koatty_lite.serverless import decode_awslogs", "events"),
    ("import koatty_lite\nkoatty_lite.register_kind('iot', lambda e: True)", "events"),
    ("from koatty_lite import Scheduled", "schedule"),
    ("from koatty_lite import metrics", "metrics"),
    ("ctx.metrics.add('n', 1)", "metrics"),
    ("config = {'middleware': {'list': ['Cors']}}", "cors"),
    ("from koatty_lite.serverless import serve_http", "wsgi"),
    ("from koatty_lite.serverless import AwsLambdaAdapter", "wsgi"),
    ("wsgi_app = app.callback()", "environ"),
    ("wsgi_app = app.get_request_handler()", "environ"),
    ("from koatty_lite.context import EnvironRequest", "environ"),
    ("import koatty_lite.environ", "environ"),
    ("from koatty_lite.rules import *", "validation"),
], ids=lambda x: x if x in slim.FEATURES else None)
def test_the_source_scan_finds_each_feature(source, feature, tmp_path):
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    assert set(slim.scan([str(path)])) == {feature}


def test_a_star_import_ships_what_its_names_need(tmp_path):
    """``from koatty_lite.serverless import *`` binds detect_event_source, run_wsgi, decode_awslogs...: loaded on
    first use, so the import itself failed in a package built without the probe (ImportError: ... events)."""
    path = tmp_path / "m.py"
    path.write_text("from koatty_lite.serverless import *\n")
    assert set(slim.scan([str(path)])) == {"events", "wsgi"}
    app, entry = _echo_project(tmp_path)
    with open(entry, "a") as fh:
        fh.write("from koatty_lite.serverless import *\n")
    res = package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, probe=False, log=lambda line: None)
    assert {"events", "wsgi", "environ"} <= set(res.features)
    root = _unzip(res.path, tmp_path / "u")
    assert _events_of(root, os.path.join(FIXTURES, "aws", "apigw-v1-get-multivalue.json")) == [200]


def test_the_source_scan_is_not_fooled_by_common_names(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import subprocess\nsubprocess.run(['true'])\nclass M:\n    def run(self, options, app):\n"
                    "        return 'run'\nx = {'list': ['Timing']}\n")
    assert slim.scan([str(path)]) == {}


@pytest.mark.parametrize("template,cloud", [
    ("examples/aws/template.yaml", "aws"), ("examples/aws/serverless.yml", "aws"),
    ("examples/alicloud/s.yaml", "alicloud"), ("examples/tencent/serverless.yml", "tencent"),
    ("examples/notes/template.yaml", "aws"),
])
def test_the_platform_comes_from_the_template(template, cloud):
    assert slim.platform_from_template(os.path.join(ROOT, template)) == cloud
    assert package.choose_platform(None, os.path.join(ROOT, template), [], {}) == cloud


@pytest.mark.parametrize("text,listen", [
    ("edition: 3.0.0\nresources:\n  f:\n    component: fc3\n    props:\n      runtime: custom.debian10\n", True),
    ("component: scf\ninputs:\n  type: web\n  runtime: Python3.10\n", True),
    ("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Properties:\n      Layers:\n"
     "        - !Sub arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:24\n", True),
    ("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.12  # custom: no\n", False),
], ids=["fc-custom-runtime", "scf-web-function", "aws-lambda-web-adapter", "sam-python"])
def test_a_template_for_a_function_with_its_own_server_ships_the_listen_server(text, listen, tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(text)
    assert ("listen" in slim.template_features(str(path))) is listen


def test_the_platform_default_and_its_other_sources():
    assert package.choose_platform(None, None, ["handler.py"], {}) == "aws"
    assert package.choose_platform("tencent", None, [], {}) == "tencent"
    assert package.choose_platform(None, None, ["index.py", "scf_bootstrap"], {}) == "tencent"
    assert package.choose_platform(None, None, [], {"handlers": [{"platform": "alicloud"}]}) == "alicloud"
    assert package.choose_platform(None, None, [], {"handlers": [{"platform": "auto"}]}) == "aws"


def test_platform_modules_cover_every_registered_cloud():
    from koatty_lite import serverless

    assert set(slim.platform_modules()) == set(serverless.platforms()) - {"auto"}
    assert set(slim.CLOUD_MODULES) <= set(slim.platform_modules())
    for modules in slim.platform_modules().values():
        for module in modules:
            assert os.path.isfile(os.path.join(ROOT, "koatty_lite", module)), module
    for module in [m for f in slim.FEATURES.values() for m in f.modules] + list(slim.CORE):
        assert os.path.isfile(os.path.join(ROOT, "koatty_lite", module)), module
    # no module is in two places (core, a feature, a cloud)
    every = ([m for f in slim.FEATURES.values() for m in f.modules] + list(slim.CORE)
             + [m for ms in slim.platform_modules().values() for m in ms])
    assert len(every) == len(set(every)), sorted(m for m in every if every.count(m) > 1)


def test_the_environ_view_ships_with_the_clouds_that_call_the_app_with_an_environ():
    files = package.runtime_files()[1]
    for platform, ships in (("aws", False), ("tencent", False), ("alicloud", True), ("all", True)):
        shipped, left, chosen = slim.select(files, platform)
        assert ("environ.py" in shipped) is ships and ("environ.py" in left) is not ships, platform
    assert "environ.py" in slim.select(files, "aws", clouds_needed=["alicloud"])[0]
    assert "environ.py" in slim.select(files, "aws", with_features=["listen"])[0]


def test_every_runtime_module_is_placed_core_feature_or_cloud():
    """A module added to the runtime (a piece loaded on first use) must say whether every function needs it
    (CORE), the apps that use a feature (register_feature) or one cloud's formats (CLOUD_MODULES)."""
    assert slim.unplaced(package.runtime_files()[1]) == []
    assert set(slim.placement()) == set(package.runtime_files()[1])


def test_an_unplaced_module_ships_as_core_and_is_named_with_the_registries(monkeypatch):
    root, files = package.runtime_files()
    monkeypatch.setattr(slim, "CORE", tuple(m for m in slim.CORE if m != "tracing.py"))
    assert slim.unplaced(files) == [
        "koatty_lite/tracing.py is in no registry of koatty_lite/cli/slim.py, so every function package ships it: "
        "add it to CORE (always shipped), to a feature's modules (register_feature: shipped when the app uses it) "
        "or to CLOUD_MODULES[cloud] (shipped with that cloud's formats)"]
    shipped, left, _ = slim.select(files, "aws")
    assert "tracing.py" in shipped and "tracing.py" not in left


def test_a_clouds_module_loaded_on_first_use_ships_with_that_cloud_only(monkeypatch):
    root, files = package.runtime_files()
    files = sorted(files + ["serverless/tencent_more.py"])
    monkeypatch.setitem(slim.CLOUD_MODULES, "tencent", ("serverless/tencent_more.py",))
    assert slim.owner("koatty_lite.serverless.tencent_more") == ("cloud", "tencent")
    for platform, ships in (("aws", False), ("tencent", True), ("all", True)):
        shipped, left, _ = slim.select(files, platform)
        assert ("serverless/tencent_more.py" in shipped) is ships and ("serverless/tencent_more.py" in left) is not ships
    shipped, left, _ = slim.select(files, "aws", clouds_needed=["tencent"])
    assert {"serverless/tencent.py", "serverless/tencent_more.py"} <= set(shipped)
    hook = slim.left_out_hook(slim.select(files, "aws")[1], "aws")
    assert '"koatty_lite.serverless.tencent_more": "-tencent"' in hook


@pytest.mark.parametrize("line,cloud", [
    ("from koatty_lite.serverless.aws import to_request_apigw_v1", "aws"),
    ("import koatty_lite.serverless.tencent", "tencent"),
    ("from koatty_lite.serverless import tencent", "tencent"),
    ("handler = koatty_lite.handler(App, platform='alicloud')", "alicloud"),
    ("importlib.import_module('koatty_lite.serverless.tencent')", "tencent"),
])
def test_the_source_scan_finds_another_clouds_formats(line, cloud, tmp_path):
    path = tmp_path / "m.py"
    path.write_text(line + "\n")
    assert set(slim.scan_clouds([str(path)])) == {cloud}


def test_no_probe_ships_a_cloud_the_entry_imports(tmp_path):
    """--no-probe: the scan alone decides; an entry importing another cloud's formats module got a package
    whose import failed (ModuleNotFoundError: ... rebuild with --platform aws, which breaks the other cloud)."""
    app, entry = _echo_project(tmp_path)
    with open(entry, "a") as fh:
        fh.write("from koatty_lite.serverless.aws import to_request_apigw_v1\n"
                 "tencent_handler = koatty_lite.handler(App, platform='tencent')\n")
    logged = []
    res = package.build(app, [entry], str(tmp_path / "f.zip"), platform="alicloud", bytecode=False, probe=False,
                        log=logged.append)
    names = zipfile.ZipFile(res.path).namelist()
    assert {"koatty_lite/serverless/aws.py", "koatty_lite/serverless/tencent.py",
            "koatty_lite/serverless/alicloud.py"} <= set(names)
    assert logged == ["package: handler.py: koatty_lite.serverless.aws: shipping cloud aws too",
                      "package: handler.py: platform='tencent': shipping cloud tencent too"]
    root = _unzip(res.path, tmp_path / "u")
    assert _events_of(root, os.path.join(FIXTURES, "alicloud", "fc-apigw-get.json"), FC_FUNCTION_NAME="f") == [200]


def test_mistaken_options_are_one_line(tmp_path):
    app, entry = _echo_project(tmp_path)
    for args, needle in ((["--with", "nosuch"], "unknown --with 'nosuch'"),
                         (["--platform", "azure"], "invalid choice: 'azure'")):
        p = subprocess.run([sys.executable, "-m", "koatty_lite", "package", app, "--entry", entry, *args, "-o",
                            str(tmp_path / "f.zip")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_with_all_modules_and_keep_docstrings_ship_the_runtime_as_written(tmp_path):
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), all_modules=True, keep_docstrings=True,
                        bytecode=False, log=lambda line: None)
    root, files = package.runtime_files()
    with zipfile.ZipFile(res.path) as zf:
        for rel in files:
            with open(os.path.join(root, rel), "rb") as fh:
                assert zf.read("koatty_lite/" + rel.replace(os.sep, "/")) == fh.read(), rel
    res = package.build(app, [entry], str(tmp_path / "g.zip"), with_features=["validation", "listen"],
                        bytecode=False, log=lambda line: None)
    names = zipfile.ZipFile(res.path).namelist()
    assert {"koatty_lite/validation.py", "koatty_lite/rules.py", "koatty_lite/server.py"} <= set(names)
    assert res.features["validation"] == "--with"


# --- stripping ------------------------------------------------------------------------------------------
def _code_lines(code):
    """{(function name, line)} of every instruction of ``code`` and the functions inside it."""
    out = set()
    stack = [code]
    while stack:
        c = stack.pop()
        out.update((c.co_name, line) for _, _, line in c.co_lines() if line is not None)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_lines"))
    return out


def test_every_runtime_module_stripped_compiles_with_the_same_lines():
    root, files = package.runtime_files()
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            source = fh.read()
        stripped = strip_source(source)
        assert stripped != source, rel
        assert stripped.count("\n") == source.count("\n"), rel
        bare = strip_unread(source).splitlines()  # the original less annotations and the like, lines kept
        kept = [i for i, line in enumerate(stripped.splitlines()) if line.strip()]
        for i in kept:  # every line left is that line (less its comment and indentation), or `pass`
            assert bare[i].strip().startswith(stripped.splitlines()[i].strip()) or \
                stripped.splitlines()[i].strip() == "pass", (rel, i + 1)
        assert not [t for t in tokenize.generate_tokens(io.StringIO(stripped).readline) if t.type == tokenize.COMMENT]
        tree = ast.parse(stripped)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                                ast.AsyncFunctionDef)) and ast.get_docstring(n)]
        # nothing was left unstripped: no annotation but a class body's (as the DI reads it)
        in_class = {id(s) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for s in c.body}
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.arg) and n.annotation
                    or isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns
                    or isinstance(n, ast.ImportFrom) and n.module == "__future__"
                    or isinstance(n, ast.AnnAssign) and id(n) not in in_class], (
            f"{rel}: annotations ship (one written across lines stays, and the module's __future__ import with it: "
            "put each annotation on one line)")
        # the lines of the statements strip_unread drops (`from __future__ import annotations`, TYPE_CHECKING)
        docs = docstring_lines(source) | {i for i, (a, b) in enumerate(zip(source.splitlines(), bare), 1)
                                          if a.strip() and not b.strip()}
        before = {(n, line) for n, line in _code_lines(compile(source, rel, "exec")) if line not in docs}
        after = {(n, line) for n, line in _code_lines(compile(stripped, rel, "exec")) if line not in docs}
        assert before == after, rel


def test_strip_keeps_code_sharing_a_line_with_a_docstring():
    source = 'def f(): "doc"\nx = 1  # why\n'
    assert strip_source(source) == source  # the one-line def keeps its docstring rather than lose the def
    assert strip_source('class A:\n    """Doc\n    more."""  # c\n\n\ndef g():\n    "d"\n    return 1\n') == \
        "class A:\n pass\n\n\n\ndef g():\n\n return 1\n"


def test_reindent_keeps_strings_and_continuations_meaning_the_same():
    source = ('def f(a,\n      b):\n    if a:\n        x = """one\n    two\n        three"""\n'
              '        return (x +\n                f"""{a}\n  {b}""")\n    else:\n        return \\\n            b\n')
    out = strip_source(source)
    assert out == ('def f(a,\nb):\n if a:\n  x = """one\n    two\n        three"""\n'
                   '  return (x +\nf"""{a}\n  {b}""")\n else:\n  return \\\nb\n')
    assert ast.dump(ast.parse(out)) == ast.dump(ast.parse(source))


UNREAD = (
    '"""Doc."""\nfrom __future__ import annotations\n\nimport os\n\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n'
    '    from typing import Any\n\nLIMIT: int = 3\n\n\n'
    'def f(a: int, b: "Any" = 2, *rest: str, c: dict | None = None, **kw: Any) -> list:  # why\n'
    '    total: int = a + b\n    return [total, rest, c, kw]\n\n\n'
    'class C:\n    """Doc."""\n\n    name: str = "c"\n    tags: list[str]\n    quoted: "os.PathLike" = None\n'
    '    size = property(lambda self: 1, doc="the size")\n\n'
    '    def m(self, x: int=1) -> "C":\n        y: int\n        return x\n')


def test_strip_unread_drops_annotations_and_the_like_keeping_lines_and_what_the_runtime_reads():
    out = strip_source(UNREAD)
    assert out.splitlines() == [
        "", "", "", "import os", "", "", "", "", "", "LIMIT = 3", "", "",
        "def f(a, b=2, *rest, c=None, **kw):", " total = a + b", " return [total, rest, c, kw]", "", "",
        "class C:", "", "", " name: 'str' = \"c\"", " tags: 'list[str]'", " quoted: \"'os.PathLike'\" = None",
        " size = property(lambda self: 1)", "", " def m(self, x=1):", "  y: 'int'", "  return x"]
    before, after = {}, {}
    exec(compile(UNREAD, "m.py", "exec", dont_inherit=True), before)  # (this file's own __future__ not inherited)
    exec(compile(out, "m.py", "exec", dont_inherit=True), after)
    # a class's annotations read the same (the DI and validation read them); the functions answer the same
    assert after["C"].__annotations__ == before["C"].__annotations__ == {
        "name": "str", "tags": "list[str]", "quoted": "'os.PathLike'"}
    assert after["f"](1, 2, 3, c=4, d=5) == before["f"](1, 2, 3, c=4, d=5) and after["C"]().m() == 1
    assert not after["f"].__annotations__ and before["f"].__annotations__
    assert "TYPE_CHECKING" not in after and "annotations" not in after
    # without the __future__ import, a class body's annotations are evaluated objects: kept as written
    plain = "class D:\n    name: str = 'd'\n    quoted: 'os.PathLike' = None\n\n    def m(self, x: 'int') -> 'D':\n" \
            "        return x\n"
    assert strip_unread(plain) == ("class D:\n    name: str = 'd'\n    quoted: 'os.PathLike' = None\n\n"
                                   "    def m(self, x):\n        return x\n")
    # a module that defines its own `property`, or an annotation across lines: left as written
    own = "def property(f, doc=None):\n    return doc\n\n\nx = property(len, doc='kept')\n"
    assert strip_unread(own) == own
    # an annotation across lines stays, the others go; then the __future__ import and TYPE_CHECKING stay too
    wide = ("from __future__ import annotations\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n    from x import Y\n\n"
            "class A:\n    n: int = 1\n\n\ndef f(a: dict[str,\n           Y], b: int) -> None:\n    pass\n")
    assert strip_unread(wide) == wide.replace("b: int) -> None:", "b):")
    assert strip_unread(wide.replace("str,\n           Y]", "str, Y]")) == (
        "\n\n\n\n\nclass A:\n    n: 'int' = 1\n\n\ndef f(a, b):\n    pass\n")


CLASS_ANNOTATIONS = r'''
import importlib, sys
sys.path.insert(0, sys.argv[1])
out = {}
for name in sys.argv[2:]:
    module = importlib.import_module(name)
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == name:
            ann = value.__dict__.get("__annotations__")
            if ann is None and "__annotate__" in value.__dict__:
                ann = value.__annotations__
            out[name + "." + value.__qualname__] = {k: repr(v) for k, v in ann.items()} if ann else None
print(repr(out))
'''


def test_the_runtimes_classes_keep_the_annotations_the_di_reads_in_the_stripped_package(tmp_path):
    """The DI and validation read a class's annotations along its MRO (the runtime's base classes too)."""
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), all_modules=True, bytecode=False,
                        log=lambda line: None)
    root = _unzip(res.path, tmp_path / "u")
    names = ["koatty_lite." + rel[:-3].replace(os.sep, ".").replace("/", ".").replace(".__init__", "")
             for rel in package.runtime_files()[1]]
    shipped = ast.literal_eval(_run(root, CLASS_ANNOTATIONS, *names).stdout)
    assert shipped == ast.literal_eval(_run(ROOT, CLASS_ANNOTATIONS, *names).stdout)
    assert shipped["koatty_lite.app.Koatty"].keys() == {"components", "config", "env_config"}


TRACEBACKS = r'''
import sys, traceback
sys.path.insert(0, sys.argv[1])
import koatty_lite
from koatty_lite import Koatty, create_application
out = []
for attempt in (lambda: koatty_lite.handler(42), lambda: Koatty().use(1),
                lambda: create_application(type("App", (Koatty,), {"config": {"metrics": 3}}))):
    try:
        attempt()
    except Exception as exc:
        out.append([(f.filename.split("koatty_lite")[-1], f.lineno, f.name, f.line) for f in traceback.extract_tb(exc.__traceback__)
                    if "koatty_lite" in f.filename] + [str(exc)])
print(repr(out))
'''


def test_the_stripped_packages_tracebacks_name_the_same_lines(tmp_path):
    """Bytecode compiled from the stripped source: a runtime error points at the repository's line."""
    app, entry = _echo_project(tmp_path)
    res = package.build(app, [entry], str(tmp_path / "f.zip"), platform="aws", with_features=["metrics"],
                        log=lambda line: None)
    root = _unzip(res.path, tmp_path / "u")
    if res.python:  # the bytecode is of the stripped source that ships (its hash in the unchecked-hash pyc)
        with zipfile.ZipFile(res.path) as zf:
            pyc = next(n for n in zf.namelist() if n.startswith("koatty_lite/__pycache__/app."))
            want = subprocess.run([res.python, "-c", "import importlib.util, sys; print(importlib.util.source_hash("
                                   "open(sys.argv[1], 'rb').read()).hex())", os.path.join(root, "koatty_lite", "app.py")],
                                  capture_output=True, text=True, check=True).stdout.strip()
            assert zf.read(pyc)[8:16].hex() == want
            tree = ast.parse(zf.read("koatty_lite/app.py"))
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))
                        and ast.get_docstring(n)]
    shipped = ast.literal_eval(_run(root, TRACEBACKS).stdout.strip())
    repo = ast.literal_eval(_run(ROOT, TRACEBACKS).stdout.strip())
    assert len(shipped) == len(repo) == 3
    for got, want in zip(shipped, repo):
        assert got[-1] == want[-1]  # the same message
        assert [f[:3] for f in got[:-1]] == [f[:3] for f in want[:-1]]  # file, line, function
        for g, w in zip(got[:-1], want[:-1]):  # the line shown is the repository's, less a trailing comment
            assert g[3] and w[3].startswith(g[3]), (g, w)
    assert any(f[0].endswith("app.py") for t in shipped for f in t[:-1])


def test_make_zip_passes_platform_with_all_modules_and_keep_docstrings():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import make_zip
    finally:
        sys.path.remove(os.path.join(ROOT, "tools"))
    env = {"APP": "shop", "ENTRY": "handler.py", "PLATFORM": "tencent", "WITH": "listen,cors", "ALL_MODULES": "1",
           "KEEP_DOCSTRINGS": "1"}
    assert make_zip.argv_from_env(env, "o.zip") == [
        "shop", "--entry", "handler.py", "--platform", "tencent", "--with", "listen,cors", "--all-modules",
        "--keep-docstrings", "-o", "o.zip"]
    assert make_zip.argv_from_env({"APP": "shop", "ENTRY": "h.py", "ALL_MODULES": "0"}, "o.zip") == [
        "shop", "--entry", "h.py", "-o", "o.zip"]


def test_an_app_whose_openapi_use_is_only_in_a_json_config_ships_openapi_without_the_probe(tmp_path):
    app = tmp_path / "docsapp"
    app.mkdir()
    (app / "config.json").write_text('{"openapi": {"path": "/docs.json", "title": "Docs"}}')
    (app / "__init__.py").write_text(textwrap.dedent('''
        import json, os
        from koatty_lite import Controller, GetMapping, Koatty


        @Controller("/")
        class Home:
            @GetMapping("/")
            def home(self):
                return {}


        class App(Koatty):
            components = [Home]
            with open(os.path.join(os.path.dirname(__file__), "config.json")) as fh:
                config = json.load(fh)
    '''))
    entry = tmp_path / "handler.py"
    entry.write_text("import koatty_lite\nfrom docsapp import App\n\nhandler = koatty_lite.handler(App)\n")
    res = package.build(str(app), [str(entry)], str(tmp_path / "f.zip"), bytecode=False, probe=False,
                        log=lambda line: None)
    assert res.features == {"openapi": "config.json: 'openapi'", "validation": "openapi needs it",
                            "foreign": "no probe: handler() may be given a WSGI app"}
    event = tmp_path / "docs.json"
    event.write_text(json.dumps({"httpMethod": "GET", "path": "/docs.json", "resource": "/{proxy+}", "headers": {},
                                 "requestContext": {"requestId": "r", "stage": "prod"}, "body": None}))
    root = _unzip(res.path, tmp_path / "u")
    answer = json.loads(_run(root, RUN_FIXTURES, str(event)).stdout)[str(event)]
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["info"]["title"] == "Docs"  # was a 500


def test_a_server_started_at_import_stops_the_probe_at_once_and_a_hung_import_after_probe_timeout(
        tmp_path, monkeypatch):
    app, entry = _echo_project(tmp_path)
    with open(entry, "a") as fh:  # a foreign server at import: the probe waited 120 s for it
        fh.write("from wsgiref.simple_server import make_server\n"
                 "make_server('127.0.0.1', 0, lambda e, s: []).serve_forever()\n")
    logged = []
    package.build(app, [entry], str(tmp_path / "f.zip"), bytecode=False, log=logged.append)
    assert len(logged) == 1 and "importing handler starts a server (socket.listen)" in logged[0], logged
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(60)\n")  # any import that never ends
    monkeypatch.setattr(slim, "PROBE_TIMEOUT", 1)
    seen = slim.probe(str(tmp_path), ["slow"])
    assert seen["error"].startswith("the entry did not finish importing within 1 s (a server or a loop"), seen
