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


VALIDATION = """Validated Valid IsDefined IsNotEmpty IsEmail IsIP IsPhoneNumber IsUrl IsHash IsIn IsNotIn IsDate
Equals NotEquals Contains Gt Gte Lt Lte Length Matches IsCnName IsIdNumber IsZipCode IsMobile IsPlateNumber""".split()
OPTIONAL = ["koatty_lite.validation", "koatty_lite.rules", "koatty_lite.openapi"]


def test_import_does_not_load_validation_or_openapi():
    loaded = run_isolated("import json as _j, koatty_lite; "
                          f"print(_j.dumps([m for m in {OPTIONAL!r} if m in sys.modules]))")
    assert loaded == []


@pytest.mark.parametrize("name", VALIDATION)
def test_validation_names_are_lazy(name):
    """Each name loads its module on first use (and stays out of __all__, so `import *` loads nothing)."""
    code = ("import json as _j, koatty_lite; "
            f"obj = getattr(koatty_lite, {name!r}); "
            "print(_j.dumps([obj.__module__, 'typing' in sys.modules]))")
    module, typing_loaded = run_isolated(code)
    assert module in ("koatty_lite.rules", "koatty_lite.validation")
    assert not typing_loaded
    assert name not in __import__("koatty_lite").__all__


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


# The modules a Lambda cold start of a plain HTTP app loads (COLD_PATH below), by file.
EAGER = ("__init__", "app", "decorators", "context", "routes", "errors", "log", "output", "entry",
         "serverless/__init__", "serverless/aws")
_BUILTIN_NAMES = {"str", "int", "bool", "dict", "list", "tuple", "bytes", "float", "type", "object", "set",
                  "frozenset", "bytearray"}


def test_eager_modules_keep_annotations_free_without_future_import():
    """Annotations stay free at runtime in the modules of the cold path: each is a string
    literal (what `from __future__ import annotations` made them), a builtin name or None. The future
    import itself is not used there: it imports the stdlib `__future__` module at every cold start
    (~0.7M instructions, issue 14)."""
    import ast

    pkg = os.path.join(ROOT, "koatty_lite")
    bad = []
    for name in EAGER:
        with open(os.path.join(pkg, name + ".py"), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                bad.append(f"{name}: from __future__ import")
            notes = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                notes = [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
                         if x is not None and x.annotation is not None] + [node.returns]
            elif isinstance(node, ast.AnnAssign):
                notes = [node.annotation]
            for ann in notes:
                if ann is None or (isinstance(ann, ast.Constant) and (ann.value is None or isinstance(ann.value, str))):
                    continue
                if isinstance(ann, ast.Name) and ann.id in _BUILTIN_NAMES:
                    continue
                bad.append(f"{name}:{ann.lineno}: {ast.unparse(ann)} (quote it)")
    assert bad == []


def test_the_cold_path_does_not_load_future():
    """Neither `import koatty_lite` nor a Lambda boot + GET of a plain HTTP app imports `__future__`."""
    assert run_isolated("import json as _j, koatty_lite; print(_j.dumps('__future__' in sys.modules))") is False
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + COLD_APP.replace(
        "print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
        "print(_j.dumps('__future__' in sys.modules))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) is False


OBS_MODULES = ["koatty_lite.observe", "koatty_lite.metrics", "koatty_lite.tracing", "koatty_lite.logjson", "logging",
               "opentelemetry"]
OBS_APP = """
import json as _j, os
from koatty_lite import Controller, GetMapping, Koatty, handler
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        use = os.environ.get('OBS_USE')
        if use == 'metrics':
            self.ctx.metrics.add('Hits', 1)
        elif use == 'trace':
            self.ctx.trace.headers()
        return {'hello': 'world'}
class App(Koatty):
    components = [C]
    config = _j.loads(os.environ.get('OBS_CONFIG') or '{}')
h = handler(App, event_handlers={'sqs': lambda event, context, app: {}})
ev = {'version': '2.0', 'rawPath': '/hello', 'rawQueryString': '', 'headers': {'host': 'x'},
      'requestContext': {'http': {'method': 'GET', 'path': '/hello', 'sourceIp': '1.2.3.4'}}}
assert h(ev, None)['statusCode'] == 200
# A non-HTTP invocation too: it may write metrics (metrics.current()), and pays nothing when it does not.
assert h({'Records': [{'eventSource': 'aws:sqs', 'messageId': 'm-1', 'body': 'x'}]}, None) == {}
print(_j.dumps(sorted(m for m in %r if m in sys.modules)), file=sys.stderr)
""" % (OBS_MODULES,)


@pytest.mark.parametrize("env, loaded", [
    ({}, []),
    ({"OBS_USE": "metrics"}, ["koatty_lite.metrics"]),
    ({"OBS_USE": "trace"}, ["koatty_lite.tracing"]),
    ({"OBS_CONFIG": '{"server_timing": true}'}, ["koatty_lite.observe"]),
    ({"OBS_CONFIG": '{"metrics": {"cold_start": true}}'}, ["koatty_lite.metrics", "koatty_lite.observe"]),
    ({"OBS_CONFIG": '{"log": {"request": true}}'}, ["koatty_lite.observe", "logging"]),
    ({"KOATTY_LOG_FORMAT": "json"}, ["koatty_lite.logjson", "koatty_lite.observe", "koatty_lite.tracing", "logging"]),
])
def test_observability_is_paid_for_only_when_used(env, loaded):
    """Boot through handler() and one GET: only the modules of what the app turned on are loaded."""
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + OBS_APP
    full = {k: v for k, v in os.environ.items() if k not in ("AWS_LAMBDA_LOG_FORMAT", "KOATTY_LOG_FORMAT")}
    full.update(env)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=full)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stderr.strip().splitlines()[-1]) == loaded


PLAIN_APP = """
import json as _j
from koatty_lite import Controller, GetMapping, PostMapping, Get, Header, PathVariable, RequestBody, Koatty, handler
@Controller('/')
class C:
    @GetMapping('/u/:id')
    def u(self, id: int = PathVariable('id'), q: 'str | None' = Get('q', default=None),
          h: str = Header('x-h', default='')):
        return {'id': id}
    @PostMapping('/p')
    def p(self, body: dict = RequestBody()):
        return body
class App(Koatty):
    components = [C]
h = handler(App)
def ev(method, path, qs='', body=None):
    return {'version': '2.0', 'rawPath': path, 'rawQueryString': qs, 'body': body,
            'headers': {'host': 'x', 'content-type': 'application/json', 'x-h': 'v'},
            'requestContext': {'http': {'method': method, 'path': path, 'sourceIp': '192.0.2.1'}}}
codes = [h(ev('GET', '/u/1', 'q=x'), None)['statusCode'], h(ev('GET', '/u/x'), None)['statusCode'],
         h(ev('POST', '/p', '', '{"a": 1}'), None)['statusCode'], h(ev('POST', '/p', '', '{bad'), None)['statusCode'],
         h(ev('GET', '/nowhere'), None)['statusCode']]
print(_j.dumps([codes, [m for m in %r if m in sys.modules]]))
"""


def test_an_app_without_validation_pays_nothing_for_it():
    """Boot through handler() and serve typed, untyped, failing and unknown requests: neither validation,
    rules nor openapi is loaded, nor typing (issue 15: pay for what you use)."""
    codes, loaded = run_isolated(PLAIN_APP % (OPTIONAL + ["typing"],))
    assert codes == [200, 400, 200, 400, 404]
    assert loaded == []


# The whole cold path of a plain HTTP app on Lambda (issue 14): what `import koatty_lite` + handler(App)
# + one GET load, exactly. A module added to this path (a cloud's formats, a feature the app does not
# use, a split that costs an import) fails here: each costs ~0.3M instructions at every cold start.
# Left out, each loaded on first use (the tests below): serverless.http (the general serving path, the
# AWS formats' rare half: a foreign app's environ, a cookie's response shaping, a 400, a query string, a
# bytes event: ~2.6M instructions), serverless.wsgi (serve_http, the adapters).
COLD_PATH = ["koatty_lite", "koatty_lite.app", "koatty_lite.context", "koatty_lite.decorators", "koatty_lite.entry",
             "koatty_lite.errors", "koatty_lite.log", "koatty_lite.output", "koatty_lite.routes",
             "koatty_lite.serverless", "koatty_lite.serverless.aws"]
COLD_APP = """
import json as _j, sys
from koatty_lite import Controller, GetMapping, Koatty, Middleware, handler
@Middleware()
class M:
    def run(self, options, app):
        def mw(ctx, next):
            next()
            ctx.set('X-Powered-By', 'koatty_lite')
        return mw
@Controller('/')
class C:
    @GetMapping('/hello')
    def hello(self):
        return {'hello': 'world'}
    @GetMapping('/cookie')
    def cookie(self):
        self.ctx.set('Set-Cookie', 'sid=1; Path=/')
        return {'cookie': 'set'}
    @GetMapping('/header')
    def header(self):
        return {'header': self.ctx.get('x-k')}
class App(Koatty):
    components = [M, C]
    config = {'middleware': {'list': ['M']}}
h = handler(App)
# As API Gateway sends it (requestContext.requestId; on Lambda the context has one too)
ev = {'version': '2.0', 'rawPath': '/hello', 'rawQueryString': '', 'headers': {'host': 'x'},
      'requestContext': {'http': {'method': 'GET', 'path': '/hello', 'sourceIp': '1.2.3.4'}, 'requestId': 'r-1'}}
assert h(ev, None)['statusCode'] == 200
def get(path, **more):
    event = dict(ev, rawPath=path, **more)
    event['requestContext'] = dict(ev['requestContext'], http=dict(ev['requestContext']['http'], path=path))
    return event
print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))
"""


# A GET of each Lambda HTTP format a koatty_lite app's function receives first, as AWS sends it (the bench's
# shapes: bench/run.py make_event): REST v1, HTTP API v2, a Function URL, ALB (single- and multi-value).
COLD_EVENTS = {
    "v1": "{'resource': '/hello', 'path': '/hello', 'httpMethod': 'GET', 'headers': {'Host': 'x'}, "
          "'multiValueHeaders': {'Host': ['x']}, 'queryStringParameters': None, "
          "'multiValueQueryStringParameters': None, 'requestContext': {'requestId': 'r-1', 'stage': 'prod', "
          "'identity': {'sourceIp': '1.2.3.4'}, 'domainName': 'x'}, 'body': None, 'isBase64Encoded': False}",
    "v2": "ev",
    "url": "dict(ev, requestContext=dict(ev['requestContext'], domainName='abc.lambda-url.us-east-1.on.aws'))",
    "alb": "{'path': '/hello', 'httpMethod': 'GET', 'headers': {'host': 'x'}, 'queryStringParameters': {}, "
           "'requestContext': {'elb': {'targetGroupArn': 'arn'}}, 'body': '', 'isBase64Encoded': False}",
    "alb-multi": "{'path': '/hello', 'httpMethod': 'GET', 'multiValueHeaders': {'host': ['x']}, "
                 "'multiValueQueryStringParameters': {}, 'requestContext': {'elb': {'targetGroupArn': 'arn'}}, "
                 "'body': '', 'isBase64Encoded': False}",
}


@pytest.mark.parametrize("kind", sorted(COLD_EVENTS))
def test_the_cold_path_on_lambda_loads_exactly_the_lean_set(kind):
    """Boot + the first GET of each Lambda HTTP format loads COLD_PATH, no module more (python -X importtime
    shows the same list). Fails on the old code: serverless/http.py was loaded by serverless/aws.py."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    app = COLD_APP.replace("assert h(ev, None)['statusCode'] == 200",
                           f"r = h({COLD_EVENTS[kind]}, None)\nassert r['statusCode'] == 200, r")
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + app
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == COLD_PATH


MADE_ON_USE = ["PathVariable", "Get", "Post", "Header", "RequestBody", "File", "RequestParam", "AppEvent"]


def test_the_cold_path_makes_no_marker_class_it_does_not_use():
    """The built-in parameter markers and AppEvent are classes made when first imported (each costs ~80k
    instructions to create): a boot + GET of an app importing none of them makes none."""
    prog = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                            "import koatty_lite.decorators as d; "
                            f"print(_j.dumps([n for n in {MADE_ON_USE!r} if n in vars(d)]))")
    assert run_isolated(prog) == []


def test_marker_classes_made_on_first_use_from_two_threads_are_one_class_each():
    """Threads asking for the same lazily made class at once all get one class, the module's; it works as a
    marker (an app boots and answers with it) and as AppEvent."""
    code = """
import json as _j, threading
import koatty_lite, koatty_lite.decorators as d
names = %r
got, barrier = [], threading.Barrier(8)
def ask():
    barrier.wait()
    got.append([getattr(koatty_lite if i %% 2 else d, n) for i, n in enumerate(names)])
threads = [threading.Thread(target=ask) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
same = all(all(a is b for a, b in zip(row, got[0])) for row in got) and len(got) == 8
mine = all(getattr(d, n) is getattr(koatty_lite, n) is c for n, c in zip(names, got[0]))
from koatty_lite import Controller, GetMapping, Koatty, PathVariable, Header, Get, create_application
@Controller('/')
class C:
    @GetMapping('/u/:id')
    def u(self, id: int = PathVariable('id'), h: str = Header('x-h', default='-'), q: str = Get('q', default='')):
        return {'id': id, 'h': h, 'q': q}
class App(Koatty):
    components = [C]
h = create_application(App).get_request_handler()
out = []
body = h({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/u/7', 'QUERY_STRING': 'q=x', 'HTTP_X_H': 'v'}, lambda s, hs: out.append(s))
print(_j.dumps([same, mine, out[0], b''.join(body).decode(), koatty_lite.AppEvent.appReady,
                issubclass(koatty_lite.File, koatty_lite.Param), repr(koatty_lite.RequestParam('p')),
                koatty_lite.Header.__module__, koatty_lite.Header.__qualname__]))
""" % (MADE_ON_USE,)
    assert run_isolated(code) == [True, True, "200 OK", '{"id":7,"h":"v","q":"x"}', "appReady", True,
                                  "RequestParam('p')", "koatty_lite.decorators", "Header"]


def test_context_extras_are_installed_by_their_first_use_from_eight_threads_at_once():
    """The Context members few requests use live in koatty_lite.context_extra: a missing name outside
    EXTRAS loads nothing; eight threads using eight different extras at once each get the right answer,
    and every extra is then an ordinary attribute of the class."""
    code = """
import json as _j, threading
from koatty_lite.context import Context, EXTRAS
from koatty_lite.errors import KoattyException
def ctx():
    return Context({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/a', 'QUERY_STRING': 'k=1&k=2',
                    'HTTP_COOKIE': 'sid=abc; x="y"', 'HTTP_HOST': 'h.example', 'REMOTE_ADDR': '192.0.2.9'})
before = 'koatty_lite.context_extra' in sys.modules
try:
    ctx().nope
except AttributeError as exc:
    nope = str(exc)
still_out = 'koatty_lite.context_extra' not in sys.modules
def thrown(c):
    try:
        c.throw(404)
    except KoattyException as exc:
        return [exc.status, exc.message]
def redirected(c):
    c.redirect('/b c')
    return [c.status, c.response_header('Location')]
uses = [lambda c: c.cookies, lambda c: c.query_list('k'), lambda c: c.url, lambda c: c.host, lambda c: c.ip,
        thrown, redirected, lambda c: (c.append('X-A', '1'), c.response_headers)[1]]
got, barrier = {}, threading.Barrier(len(uses))
def use(i):
    c = ctx()
    barrier.wait()
    got[i] = uses[i](c)
threads = [threading.Thread(target=use, args=(i,)) for i in range(len(uses))]
[t.start() for t in threads]; [t.join() for t in threads]
installed = sorted(n for n in EXTRAS if n in Context.__dict__) == sorted(EXTRAS)
print(_j.dumps([before, nope, still_out, [got[i] for i in range(len(uses))], installed]))
"""
    before, nope, still_out, got, installed = run_isolated(code)
    assert before is False and still_out is True
    assert nope == "'Context' object has no attribute 'nope'"
    assert got == [{"sid": "abc", "x": "y"}, ["1", "2"], "/a?k=1&k=2", "h.example", "192.0.2.9",
                   [404, "Not Found"], [302, "/b%20c"], [["X-A", "1"]]]
    assert installed is True


def test_an_extra_assigned_before_its_first_use_follows_the_members_rules():
    """``ctx.url = ...`` on a fresh process went into the instance dict (Context.__getattr__ never ran),
    while after any request that had used an extra it was the property's AttributeError: the answer
    depended on the process's history. The stand-ins load the members first, so it is always the
    member's rule; and Context keeps no ``__getattr__``, which would cost every ``ctx.x`` its
    specialised read (koatty_app ALB GET +6k instructions)."""
    code = """
import json as _j
from koatty_lite.context import Context
c = Context({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/a', 'QUERY_STRING': 'k=1'})
try:
    c.url = '/elsewhere'
    refused = False
except AttributeError:
    refused = True
c.throw = 'mine'  # a method: an instance attribute may shadow it, as for any method
print(_j.dumps([refused, c.url, c.throw, '__getattr__' in Context.__dict__]))
"""
    assert run_isolated(code) == [True, "/a?k=1", "mine", False]


@pytest.mark.parametrize("module", ["koatty_lite.context_extra", "koatty_lite.aspects", "koatty_lite.config"])
def test_the_cold_path_loads_no_extra(module):
    """import + boot + GET of the bench-like app (COLD_APP) use no Context extra, no error answer and no
    renderer of a non-JSON type (all three in koatty_lite.context_extra, once output_extra)."""
    prog = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))",
                            f"print(_j.dumps({module!r} in sys.modules))")
    assert run_isolated(prog) is False


def test_context_extra_serves_errors_and_renderers_once_loaded():
    """The first failing request loads the error answer, the first non-JSON value the renderers: a 404,
    a 500 and a Decimal/date/set body come out as before, from eight threads at once."""
    code = """
import json as _j, threading, decimal, datetime
from koatty_lite import Controller, GetMapping, Koatty, create_application
@Controller('/')
class C:
    @GetMapping('/boom')
    def boom(self):
        raise RuntimeError('x')
    @GetMapping('/types')
    def types(self):
        return {'d': decimal.Decimal('1.10'), 'day': datetime.date(2024, 1, 2), 's': {1}}
class App(Koatty):
    components = [C]
h = create_application(App).get_request_handler()
before = 'koatty_lite.context_extra' in sys.modules
def get(path):
    out = []
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'wsgi.errors': __import__('io').StringIO()}
    body = b''.join(h(env, lambda s, hs: out.append(s)))
    return [out[0], _j.loads(body).get('message', _j.loads(body).get('d'))]
got, barrier = {}, threading.Barrier(8)
def use(i):
    barrier.wait()
    got[i] = get(['/nowhere', '/boom', '/types'][i % 3])
threads = [threading.Thread(target=use, args=(i,)) for i in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(_j.dumps([before, [got[i] for i in range(8)]]))
"""
    before, got = run_isolated(code)
    assert before is False
    expect = [["404 Not Found", "Not Found"], ["500 Internal Server Error", "Internal Server Error"], ["200 OK", "1.10"]]
    assert got == [expect[i % 3] for i in range(8)]


# Each piece the cold path leaves out loads on first use (issue 14): off a plain GET, and working after.
LAZY_APP = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))", """
import threading
def loaded(name):
    return ('koatty_lite.' + name) in sys.modules
before = {name: loaded(name) for name in %r}
answers = []
def first_use():
    answers.append(USE())
%s
threads = [threading.Thread(target=first_use) for _ in range(2)]  # two first uses at once
for t in threads: t.start()
for t in threads: t.join()
print(_j.dumps({"before": before, "after": {name: loaded(name) for name in before}, "answers": answers}))
""")


LAZY = ["serverless.wsgi", "serverless.http"]
NOT_YET = {"serverless.wsgi": False, "serverless.http": False}
LOADED = {"serverless.wsgi": False, "serverless.http": True}  # the general path, the AWS formats' rare half


def run_lazy(names: list, use: str) -> dict:
    """Boot the cold app on Lambda, one GET, then ``USE()`` from two threads at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + LAZY_APP % (names, use)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_a_bytes_event_loads_the_general_serving_path():
    """A bytes event (as FC 3.0 sends them) is served by the general path (serverless/http.py), loaded by
    the first one."""
    seen = run_lazy(LAZY, "def USE():\n    return h(_j.dumps(ev).encode(), None)['statusCode']")
    assert seen == {"before": NOT_YET, "after": LOADED, "answers": [200, 200]}


def test_a_foreign_wsgi_app_loads_its_environ_when_it_boots():
    """handler(wsgi_app) loads a foreign app's server (serverless/http.py) and its format's environ
    (serverless/http.py) when it boots, and serves through its guard."""
    seen = run_lazy(LAZY, """
def wsgi(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hi']
def USE():
    r = handler(wsgi)(dict(ev), None)
    return [r['statusCode'], r['body'], 'X-Request-Id' in r['headers']]""")
    assert seen == {"before": NOT_YET, "after": LOADED,
                    "answers": [[200, "hi", True], [200, "hi", True]]}


def test_a_header_read_loads_nothing_more():
    """The header view is the Request model's (serverless/__init__.py): an app reading a header loads no
    module of the general path (PERF: serverless/http.py costs ~1.5M instructions to import)."""
    seen = run_lazy(LAZY, """
def USE():
    r = h(get('/header', headers={'host': 'x', 'X-K': 'v'}), None)
    return [r['statusCode'], r['body']]""")
    assert seen == {"before": NOT_YET, "after": NOT_YET,
                    "answers": [[200, '{"header":"v"}']] * 2}


def test_the_general_answer_loads_the_formats_source():
    """An answer that is not plain (Set-Cookie) is shaped by the format's to_response, which its source
    (serverless/aws.py, serverless/http.py) shape: served, from two threads at once."""
    seen = run_lazy(LAZY, """
def USE():
    r = h(get('/cookie'), None)
    return [r['statusCode'], r['cookies'], r['body']]""")
    assert seen == {"before": NOT_YET, "after": LOADED,
                    "answers": [[200, ["sid=1; Path=/"], '{"cookie":"set"}']] * 2}


def test_a_malformed_event_loads_the_400():
    """A malformed HTTP v2 event is the format's 400 (bad_request in aws.py)."""
    seen = run_lazy(LAZY, """
def USE():
    r = h(dict(get('/hello'), headers=['not', 'a', 'map']), None)
    return [r['statusCode'], _j.loads(r['body'])['message']]""")
    assert seen == {"before": NOT_YET, "after": LOADED,
                    "answers": [[400, "headers must be an object"]] * 2}


def test_another_format_and_a_query_load_what_they_need():
    """A REST v1 event with a query string (its encoding: http.py) on the same function."""
    seen = run_lazy(LAZY, """
def USE():
    r = h({'resource': '/hello', 'path': '/hello', 'httpMethod': 'GET', 'headers': {'Host': 'x'},
           'queryStringParameters': {'a': 'b c'}, 'requestContext': {'requestId': 'r-2', 'stage': 'prod'},
           'body': None, 'isBase64Encoded': False}, None)
    return [r['statusCode'], r['body']]""")
    assert seen == {"before": NOT_YET, "after": LOADED,
                    "answers": [[200, '{"hello":"world"}']] * 2}


def test_a_base64_body_a_query_and_the_rarer_formats_load_their_half_on_first_use():
    """After a cold GET, what it did not load works on first use (serverless/http.py, the AWS formats' rare
    half): a base64 body (decoded, or a 400 when malformed), an ALB query, a VPC Lattice v1 and v2 event, a
    REST v1 event without its request line (the 400), from two threads at once."""
    seen = run_lazy(LAZY, """
import base64
def USE():
    out = []
    for b64 in (base64.b64encode(b'{}').decode(), '@@'):
        r = h(dict(get('/hello'), body=b64, isBase64Encoded=True,
                   requestContext=dict(ev['requestContext'], http={'method': 'POST', 'path': '/hello'})), None)
        out.append([r['statusCode'], _j.loads(r['body'])['message']])
    r = h({'path': '/hello', 'httpMethod': 'GET', 'headers': {'host': 'x'}, 'queryStringParameters': {'a': 'b+c'},
           'requestContext': {'elb': {'targetGroupArn': 'arn'}}, 'body': '', 'isBase64Encoded': False}, None)
    out.append([r['statusCode'], r['statusDescription'], r['body']])
    r = h({'raw_path': '/hello?a=1', 'method': 'GET', 'headers': {'host': 'x'}, 'body': '', 'is_base64_encoded': False}, None)
    out.append([r['statusCode'], r['statusDescription'], r['body']])
    r = h({'version': '2.0', 'path': '/hello', 'method': 'GET', 'headers': {'host': ['x']}, 'body': '',
           'isBase64Encoded': False, 'requestContext': {}}, None)
    out.append([r['statusCode'], r['statusDescription'], r['body']])
    r = h({'resource': '/hello', 'path': '/hello', 'httpMethod': '', 'headers': {}, 'requestContext': {'requestId': 'r-3'}},
          None)
    out.append([r['statusCode'], _j.loads(r['body'])['message'], r['multiValueHeaders']['X-Request-Id']])
    return out""")
    hello = '{"hello":"world"}'
    assert seen == {"before": NOT_YET, "after": LOADED, "answers": [[
        [405, "Method Not Allowed"], [400, "body is marked base64 but is not valid base64"],
        [200, "200 OK", hello], [200, "200 OK", hello], [200, "200 OK", hello],
        [400, "httpMethod must be a non-empty string", ["r-3"]]]] * 2}


def test_the_registry_api_loads_on_first_use():
    """register_format (serverless/http.py) from outside (a new cloud) works after a cold start."""
    seen = run_lazy(LAZY, """
from koatty_lite import serverless
def USE():
    try:
        serverless.register_format('zz-http', 'zz', lambda e: False, lambda e, c, b='': {}, lambda *a: {},
                                   lambda k, m: {})
    except ValueError as exc:  # the other thread registered it first
        assert 'already registered' in str(exc)
    return sorted(serverless.platforms())""")
    assert seen == {"before": NOT_YET, "after": LOADED,
                    "answers": [["alicloud", "auto", "aws", "tencent", "zz"]] * 2}


def test_dir_lists_the_names_made_or_loaded_on_first_use_without_loading_them():
    """dir(koatty_lite) and dir(koatty_lite.decorators) list the marker classes made on first use, `handler`
    and the validation names (help() and completion read dir()); listing them makes and loads nothing.
    Fails on the old code: dir() omitted PathVariable, Get, ..., handler."""
    code = (f"import sys\nsys.path.insert(0, {ROOT!r})\nimport koatty_lite, koatty_lite.decorators as d\n"
            "names, dnames = dir(koatty_lite), dir(d)\n"
            "print(all(n in names for n in ('PathVariable', 'Get', 'AppEvent', 'handler', 'Validated', 'IsEmail', 'run')),"
            " all(n in dnames for n in ('PathVariable', 'RequestBody', 'AppEvent')),"
            " 'PathVariable' in vars(d), any(m in sys.modules for m in ('koatty_lite.entry', 'koatty_lite.validation')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "False", "False"]


def test_the_rare_paths_exceptions_are_made_off_the_cold_path_and_import_by_their_names():
    """BadEvent and HealthCheckError (serverless/http.py: a class costs ~0.07M instructions to make) are not made
    by a cold GET; imported by their old names they are the same classes, and a malformed event is still the 400."""
    prog = COLD_APP.replace("print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))", """
import koatty_lite.entry as entry, koatty_lite.serverless as s
before = ['BadEvent' in vars(s), 'HealthCheckError' in vars(entry), 'koatty_lite.serverless.http' in sys.modules]
from koatty_lite.serverless import BadEvent
from koatty_lite.entry import HealthCheckError
from koatty_lite.serverless import http
r = h(dict(get('/hello'), headers=['not', 'a', 'map']), None)
print(_j.dumps([before, BadEvent is http.BadEvent, HealthCheckError is http.HealthCheckError,
                issubclass(BadEvent, ValueError), issubclass(HealthCheckError, RuntimeError), r['statusCode']]))""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {ROOT!r}); " + prog],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [[False, False, False], True, True, True, True, 400]


def test_the_header_half_of_the_request_loads_with_the_first_header_read():
    """A cold GET loads no serverless/request_extra.py (the header view, Request.pairs/headers/server_name/
    trace_id); the first header read does, once, from two threads at once, and both answer it. Fails on the
    old code: the header view was in serverless/__init__.py (the code cache), loaded by every cold start."""
    seen = run_lazy(["serverless.request_extra"], """
def USE():
    r = h(get('/header', headers={'Host': 'x', 'X-K': 'v'}), None)
    return [r['statusCode'], r['body']]""")
    assert seen == {"before": {"serverless.request_extra": False}, "after": {"serverless.request_extra": True},
                    "answers": [[200, '{"header":"v"}']] * 2}
