"""What `import koatty_lite` + handler(App) + a first Lambda GET defines: the rare halves of the core
modules (classes, big functions) live in koatty_lite.context_extra (or are made on first use), so a cold
start neither unmarshals nor creates them (issue 14: ~70k instructions a class, ~13k a code object)."""
import json
import os
import subprocess
import sys

import pytest

from test_core_imports import COLD_APP, ROOT

# name -> the module of the cold path that no longer defines it (each was there before issue 14's trim)
OFF_THE_COLD_PATH = {
    "koatty_lite.output": ["HeaderList", "_headers", "_facts", "_json_bytes", "_json_encode", "WsgiApp", "render",
                           "finish"],
    "koatty_lite.routes": ["_is_response_tuple", "_unpack"],
    # served by the module's __getattr__ from aspects.py / schedule.py / logsetup.py, loaded on first use
    "koatty_lite.decorators": ["Before", "After", "BeforeEach", "AfterEach", "_aspect", "Scheduled"],
    "koatty_lite.log": ["printable", "is_json", "level_from_env", "current_request_id", "next_invocation"],
    # serverless/http.py's (HttpFormat, load_format, formats_for: serverless.__getattr__), or folded into their callers
    "koatty_lite.serverless": ["_record_class", "_FIELDS", "_LOADED", "load_format", "formats_for", "HttpFormat",
                               "_load_auto", "_pairs_of", "_flatten", "_has_host"],
}

def _cold(probe: str) -> "object":
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FC_", "SCF_", "TENCENTCLOUD_"))}
    env["AWS_LAMBDA_FUNCTION_NAME"] = "fn"
    prog = f"import sys; sys.path.insert(0, {ROOT!r}); " + COLD_APP.replace(
        "print(_j.dumps(sorted(m for m in sys.modules if m.startswith('koatty_lite'))))", probe)
    out = subprocess.run([sys.executable, "-I", "-S", "-c", prog], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_cold_get_defines_none_of_the_rare_halves():
    found = _cold(f"print(_j.dumps({{m: [n for n in ns if n in vars(sys.modules[m])] for m, ns in {OFF_THE_COLD_PATH!r}.items()}}))")
    assert found == {m: [] for m in OFF_THE_COLD_PATH}


def test_the_names_moved_off_the_cold_path_are_still_served_where_they_were():
    """Each name of OFF_THE_COLD_PATH that is public is still its module's attribute (loaded on first use)."""
    import koatty_lite
    from koatty_lite import aspects, context_extra, decorators, environ, log, logsetup, output, schedule

    for name in ("Before", "After", "BeforeEach", "AfterEach"):
        assert getattr(decorators, name) is getattr(aspects, name) is getattr(koatty_lite, name)
    assert decorators.Scheduled is schedule.Scheduled is koatty_lite.Scheduled
    assert (output.render, output.finish, output.WsgiApp) == (context_extra.render, context_extra.finish, environ.WsgiApp)
    for name in ("printable", "is_json", "level_from_env", "current_request_id", "next_invocation"):
        assert getattr(log, name) is getattr(logsetup, name)
    assert log.printable("a\nb") == "a\\nb" and log.level_from_env({"LOG_LEVEL": "warn"}) == 30
    assert {"Before", "Scheduled"} <= set(dir(decorators))


@pytest.mark.parametrize("module", ["koatty_lite.errors", "koatty_lite.decorators", "koatty_lite.output",
                                    "koatty_lite.routes", "koatty_lite.context"])
def test_the_path_probe_of_a_from_import_formats_no_message(module):
    """``from <module> import x`` makes import.c look up ``__path__``: the module __getattr__ raises it bare (no
    message formatted, ~2.6k instructions each, 8 on a cold GET); a user's miss keeps the usual message."""
    import importlib

    mod = importlib.import_module(module)
    with pytest.raises(AttributeError) as probe:
        mod.__getattr__("__path__")
    assert str(probe.value) == "__path__" and not hasattr(mod, "__path__")
    with pytest.raises(AttributeError, match=f"module '{module}' has no attribute 'nope'"):
        mod.nope


def _qualnames(module: str) -> set:
    """The qualified names of every code object compiled from koatty_lite/<module>.py."""
    with open(os.path.join(ROOT, "koatty_lite", module + ".py"), encoding="utf-8") as fh:
        todo, names = [compile(fh.read(), module, "exec")], set()
    while todo:
        for const in todo.pop().co_consts:
            if hasattr(const, "co_qualname"):
                names.add(const.co_qualname)
                todo.append(const)
    return names


def test_the_cold_modules_import_modules_not_names():
    """At import time a ``from x import y`` of a module asks it for ``__path__`` first (a failed lookup that builds an
    AttributeError, ~7k instructions, or runs its __getattr__), and a ``from .package import`` runs importlib's
    _handle_fromlist: the code cache's modules import modules (``import x``, at most one ``from . import``) and read
    the names from them (entry, routes, context: cold v2 GET -0.1M instructions; log, decorators, output, app,
    serverless/__init__: -0.15M)."""
    import ast

    for module in ("entry", "routes", "context", "log", "decorators", "output", "app", "serverless/__init__"):
        with open(os.path.join(ROOT, "koatty_lite", module + ".py"), encoding="utf-8") as fh:
            froms = [node for node in ast.parse(fh.read()).body if isinstance(node, ast.ImportFrom)]
        assert len(froms) <= 1 and all(node.module is None for node in froms), module


def test_the_cold_modules_compile_none_of_their_rare_code():
    """Each code object of a module in the code cache is unmarshalled at every cold start (~11k instructions), run
    or not: the Pattern and Extractor classes routes.py makes on first use, Context's rare members and entry's
    undecodable-event path live in context_extra.py / kinds.py, decorators' injection-error helpers are folded into
    _injection_error, and these modules use loops, not comprehensions (code objects of their own)."""
    rare = {
        "routes": {"__getattr__.<locals>.Pattern", "__getattr__.<locals>.Extractor", "_pick"},
        "decorators": {"_label", "_dedupe"},
        "context": {"Context.environ", "Context.__repr__", "Context._has_body", "_load_payload"},
        "entry": {"_undecoded"},
    }
    for module, names in rare.items():
        found = _qualnames(module)
        assert not found & names, module
        assert not [n for n in found if n.endswith(("<listcomp>", "<genexpr>"))], module


def test_the_route_classes_are_made_without_slots():
    """A class with __slots__ costs more to make at every cold start (a member descriptor per slot): Router (one per
    app) and Route (one per route) have none; their attributes read as fast per request."""
    from koatty_lite.routes import Route, Router

    assert "__slots__" not in vars(Router) and "__slots__" not in vars(Route)


def test_a_cold_get_makes_no_status_line_and_lines_are_made_as_before():
    """errors._LINES fills as statuses are first answered, KNOWN_LINES is made on first use (a cold GET's plain
    answer needs neither: -84k instructions); the lines are those of before, whatever the number's type."""
    assert _cold("e = sys.modules['koatty_lite.errors']; print(_j.dumps([e._LINES, 'KNOWN_LINES' in vars(e)]))") == [
        {}, False]
    from http import HTTPStatus

    from koatty_lite import errors

    assert [errors.status_line(s) for s in (HTTPStatus.CREATED, 201.0, 201, 299, True)] == [
        "201 Created", "201 Created", "201 Created", "299 Unknown", "True Unknown"]
    assert errors.KNOWN_LINES == {f"{code} {reason}" for code, reason in errors.REASONS.items()}
    errors.check_status("418 I'm a teapot")
    with pytest.raises(ValueError):
        errors.check_status("２００ OK")


def test_the_router_has_no_find():
    """Router.find was ``match()[:3]``, called by tests only: a code object less at every cold start."""
    from koatty_lite.routes import Router

    assert not hasattr(Router, "find")


def test_a_cookie_answer_loads_the_general_header_list():
    """The general path (a Set-Cookie: its own header shaping) still gets render's header list with
    ``koatty_facts``, now from context_extra."""
    got = _cold("r = h(get('/cookie'), None); import koatty_lite.context_extra as x; "
                "print(_j.dumps([r['statusCode'], r['cookies'], type(x.headers(type('C', (), {'_out': [], "
                "'request_id': 'r'})(), None, b'')).__name__, x.HeaderList.__module__]))")
    assert got == [200, ["sid=1; Path=/"], "HeaderList", "koatty_lite.context_extra"]


def test_a_response_tuple_is_still_applied():
    from core_support import client

    from koatty_lite import Controller, GetMapping, Koatty

    @Controller("/")
    class T:
        @GetMapping("/t")
        def t(self):
            return {"made": True}, 201, [("X-A", "1"), ("X-A", "2")]

        @GetMapping("/array")
        def array(self):
            return (1, 2)

        @GetMapping("/three")
        def three(self):
            return ("a", 200, "not headers")

    class App(Koatty):
        components = [T]

    web = client(App)[0]
    answer = web.get("/t", status=201)
    assert answer.json == {"made": True} and answer.headers.getall("X-A") == ["1", "2"]
    assert web.get("/array").json == [1, 2]
    assert web.get("/three").json == ["a", 200, "not headers"]


# The classes each core module makes on a Lambda cold start (import, handler(App), one GET), exactly: a class
# costs ~70-130k instructions to make. Made on first use instead: InjectionError (the first failed injection),
# the parameter markers and AppEvent (decorators.__getattr__); gone: log.AppLoggerAttribute (app.logger is a
# functools.cached_property), app._Next (``next`` is a bound method of app._next), app.Chain (``compose`` returns
# a bound method of app._run), output.HeaderList, output.WsgiApp (the app is its own PEP 3333 callable; the
# class is environ.py's, made when that module loads); routes.MarkerSource (made by the first read of MARKERS, see
# below), routes.Pattern (a route path of the common shape is matched by routes._match) and routes.Extractor (the
# readers are functools.partial objects);
# KoattyException and HttpException (errors.__getattr__: the first raise or import of one); Config (in
# koatty_lite.config, served by decorators.__getattr__).
COLD_CLASSES = {
    "koatty_lite.app": ["Koatty"],
    "koatty_lite.context": ["Context", "_Extra"],
    "koatty_lite.decorators": ["Autowired", "Container", "Param"],
    "koatty_lite.errors": [],
    "koatty_lite.log": [],
    "koatty_lite.output": [],
    "koatty_lite.routes": ["Route", "Router"],
}


def test_a_cold_get_makes_only_these_classes_in_the_core_modules():
    found = _cold("print(_j.dumps({m: sorted({v.__name__ for v in vars(sys.modules[m]).values() if isinstance(v, type) "
                  f"and v.__module__ == m}}) for m in {sorted(COLD_CLASSES)!r}}}))")
    assert found == COLD_CLASSES


def test_the_app_is_its_own_pep3333_callable_and_wsgiapp_still_wraps_one():
    """``get_request_handler()`` is the app (no WsgiApp made at a cold start); ``output.WsgiApp`` (environ.py's)
    wraps an app by hand and answers as the app does, errors through the app's @ExceptionHandler included."""
    from koatty_lite import Controller, ExceptionHandler, GetMapping, Koatty, create_application
    from koatty_lite import output

    @Controller("/")
    class C:
        @GetMapping("/ok")
        def ok(self):
            return {"ok": 1}

        @GetMapping("/boom")
        def boom(self):
            raise LookupError("x")

    @ExceptionHandler()
    class Handler:
        def handle(self, ctx, exc):
            ctx.status = 418
            return {"caught": type(exc).__name__}

    class App(Koatty):
        components = [C, Handler]

    app = create_application(App)
    assert app.get_request_handler() is app is app.callback()
    wrapped = output.WsgiApp(app)
    assert isinstance(wrapped, output.WsgiApp) and wrapped.app is app and wrapped.koatty_timed is False
    for path in ("/ok", "/boom", "/none"):
        seen = []
        env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "koatty.request_id": "r"}
        answers = [w(dict(env), lambda s, h: seen.append((s, h))) for w in (app, wrapped)]
        assert answers[0] == answers[1] and seen[0] == seen[1]
        assert wrapped.koatty_respond(dict(env)) == app.koatty_respond(dict(env))
    assert seen[0][0] == "418 Unknown" and json.loads(answers[0][0]) == {"caught": "HttpException"}
    assert app.koatty_respond({"REQUEST_METHOD": "GET", "PATH_INFO": "/boom"})[2] == b'{"caught":"LookupError"}'


def test_injection_error_is_made_on_first_use_as_one_class():
    import koatty_lite.decorators as d
    from koatty_lite import Autowired, Koatty, Service, create_application

    @Service()
    class NeedsMissing:
        other: "Nowhere" = Autowired()  # noqa: F821

    class App(Koatty):
        components = [NeedsMissing]

    try:
        create_application(App)
    except Exception as exc:  # noqa: BLE001
        raised = exc
    assert type(raised) is d.InjectionError is d._injection_error("x").__class__
    assert issubclass(d.InjectionError, RuntimeError) and d.InjectionError.__module__ == "koatty_lite.decorators"
    assert d.InjectionError.__doc__ and "InjectionError" in dir(d)


def test_next_takes_no_arguments_and_runs_once():
    """``next`` is a bound method now (app._next over [chain, i, ctx]), no object of a class of ours."""
    from koatty_lite.app import Chain

    seen = []

    def first(ctx, next):
        with pytest.raises(TypeError, match="positional argument"):
            next(ctx)
        seen.append(next())
        with pytest.raises(RuntimeError, match="called multiple times"):
            next()
        return "first"

    assert Chain([first], lambda ctx: ctx + 1)(41) == "first" and seen == [42]
    assert Chain([], lambda ctx: ctx)(None) is None and Chain([])(1) is None


def test_app_logger_is_the_process_logger_unless_the_app_sets_its_own():
    from koatty_lite import Koatty
    from koatty_lite.logsetup import app_logger

    class Mine(Koatty):
        def init(self):
            self.logger = "mine"

    assert Koatty().logger is app_logger and Mine().logger == "mine"


def test_the_exceptions_are_made_once_on_first_use_and_pickle():
    import pickle

    import koatty_lite
    import koatty_lite.errors as e
    from koatty_lite import HttpException, KoattyException
    from koatty_lite.errors import HttpException as H2

    assert HttpException is H2 is e.HttpException is koatty_lite.HttpException and issubclass(H2, KoattyException)
    assert KoattyException.__module__ == H2.__module__ == "koatty_lite.errors" and KoattyException.__doc__
    assert {"HttpException", "KoattyException"} <= set(dir(koatty_lite)) and H2.__qualname__ == "HttpException"
    err = pickle.loads(pickle.dumps(H2("gone", 3, 410, data={"a": 1})))
    assert type(err) is H2 and (err.message, err.code, err.status, err.data) == ("gone", 3, 410, {"a": 1})
    assert pickle.loads(pickle.dumps(KoattyException)) is KoattyException
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        e.Nope  # noqa: B018


def test_a_cold_404_makes_the_exceptions():
    assert _cold("r = h(get('/nowhere'), None); print(_j.dumps([r['statusCode'], sorted(n for n in "
                 "vars(sys.modules['koatty_lite.errors']) if n.endswith('Exception'))]))") == [
        404, ["HttpException", "KoattyException"]]


def test_the_routers_rare_paths_live_in_context_extra():
    """Pattern's token matcher (a pattern _simple_segments refuses) and Router's other-method search (a matched
    path without the method): two code objects a cold GET of the usual routes neither unmarshals nor runs."""
    from koatty_lite import context_extra
    from koatty_lite.routes import MARKERS, Pattern, Router

    assert not hasattr(Pattern, "_match_tokens") and not hasattr(Router, "_other_method")
    assert Pattern("/:a-:b.:ext").match("/x-y.json") == {"a": "x", "b": "y", "ext": "json"}
    r = Router()
    r.add("GET", "/x/:id", "get")
    r.add("DELETE", "/x/:nid", "delete")
    r.add("PUT", "/x/:key", "put")
    assert r.match("DELETE", "/x/1") == ("delete", {"nid": "1"}, {"DELETE": "delete"}, "/x/:nid")
    assert r.match("POST", "/x/1")[0] is None and sorted(r.match("POST", "/x/1")[2]) == ["DELETE", "GET", "PUT"]
    assert context_extra.match_tokens and context_extra.other_method
    assert [(s, *MARKERS[s][2:]) for s in ("path", "file", "param", "body-all")] == [
        ("path", "path parameter", True, True), ("file", "uploaded file", False, False),
        ("param", "query/path parameter", False, True), ("body-all", "request body", False, False)]


def test_config_is_loaded_on_first_use_as_one_class_and_still_injects():
    import pickle

    import koatty_lite
    import koatty_lite.decorators as d
    from koatty_lite import Autowired, Config, Koatty, Service, create_application
    from koatty_lite.decorators import Config as C2

    assert Config is C2 is d.Config is koatty_lite.Config and Config.__module__ == "koatty_lite.decorators"
    assert d._MARKS == (Autowired, Config) and "Config" in dir(d) and "Config" in dir(koatty_lite)
    marker = pickle.loads(pickle.dumps(Config("db.port", 5)))
    assert type(marker) is Config and (marker.key, marker.default) == ("db.port", 5)
    assert repr(marker) == "Config('db.port')"

    @Service()
    class Db:
        port: int = Config("db.port", 5)
        host = Config("db.host")

    @Service()
    class Bad:
        host = Config

    class App(Koatty):
        components = [Db]
        config = {"db": {"port": "6"}}

    assert (create_application(App).get(Db).port, create_application(App).get(Db).host) == (6, None)

    class App2(Koatty):
        components = [Bad]

    with pytest.raises(TypeError, match="without parentheses"):
        create_application(App2)


def test_marker_records_are_named_when_first_asked_for():
    """The built-in parameter sources are plain tuples of a record's fields until MARKERS, MarkerSource,
    register_marker or marker_source asks: then every record is a MarkerSource (one class)."""
    got = _cold("import koatty_lite.routes as r; before = [type(v).__name__ for v in r._MARKERS.values()]; "
                "m = r.MARKERS; print(_j.dumps([sorted(set(before)), 'MarkerSource' in vars(r), "
                "sorted({type(v).__name__ for v in m.values()}), m['query'].where, m is r._MARKERS]))")
    assert got == [["tuple"], True, ["MarkerSource"], "query parameter", True]
    from koatty_lite import Get
    from koatty_lite.routes import MARKERS, MarkerSource, marker_source

    assert marker_source(Get("q")) is MARKERS["query"] and type(MARKERS["query"]) is MarkerSource
    assert MarkerSource.__qualname__ == "MarkerSource" and MarkerSource.__module__ == "koatty_lite.routes"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        import koatty_lite.routes

        koatty_lite.routes.Nope  # noqa: B018


def test_a_common_dynamic_route_makes_no_pattern_class():
    """A route path of the common shape (literal, ``:name`` or a final ``*`` segments) is matched by routes._match
    bound to its parts; the Pattern class is made by the first other shape (the token matcher) or use."""
    got = _cold("import koatty_lite.routes as r; t = r.Router(); t.add('GET', '/users/:id', 1); t.add('GET', '/f/*', 2); "
                "a = 'Pattern' in vars(r); m = [t.match('GET', '/users/7')[1], t.match('GET', '/f/a/b')[1]]; "
                "t.add('GET', '/v:ver', 3); print(_j.dumps([a, m, 'Pattern' in vars(r), t.match('GET', '/v2')[1], "
                "r.Pattern.__qualname__, r.Pattern('/x/:id').match('/x/1')]))")
    assert got == [False, [{"id": "7"}, {"wildcard": "a/b"}], True, {"ver": "2"}, "Pattern", {"id": "1"}]
    from koatty_lite.routes import Pattern, Router

    for path in ("/:a/:a", "/:a-:a"):
        with pytest.raises(ValueError, match="duplicate path parameter 'a'"):
            Pattern(path)
        with pytest.raises(ValueError, match="duplicate path parameter 'a'"):
            Router().add("GET", path, 1)


def test_a_class_refused_by_members_stays_refused():
    """Container.members (the class walk, inlined for the cold start) keeps a class's members only once the walk
    succeeded: a bare ``Autowired`` fails every ask, not only the first."""
    from koatty_lite import Autowired, Koatty, Service

    @Service()
    class Notes:
        svc = Autowired

    container = Koatty().container
    for _ in range(2):
        with pytest.raises(TypeError, match="Notes.svc uses Autowired without parentheses"):
            container.members(Notes)


def test_a_route_reads_its_arguments_without_the_extractor_class():
    """A route's argument readers are functools.partial objects of routes._extract carrying the fields as
    attributes; routes.Extractor (the same reader as a class) is made by its first use."""
    got = _cold("import koatty_lite as k, koatty_lite.routes as r\n"
                "@k.Controller('/')\nclass U:\n    @k.GetMapping('/u/:id')\n"
                "    def u(self, id: int = k.PathVariable('id'), q=k.Get('q', 'z')):\n        return {'id': id, 'q': q}\n"
                "class A(k.Koatty):\n    components = [U]\n"
                "h2 = k.handler(A); x = h2(dict(get('/u/7'), rawQueryString='q=w'), None)\n"
                "e = h2.app.router.dynamic[0][2]['GET'].extractors\n"
                "print(_j.dumps([x['body'], 'Extractor' in vars(r), [(n, type(v).__name__, v.key, v.where) for n, v in e],"
                " r.Extractor('q', k.Get(), None).where, 'Extractor' in vars(r)]))")
    assert got == ['{"id":7,"q":"w"}', False, [["id", "partial", "id", "path parameter 'id'"],
                                                ["q", "partial", "q", "query parameter 'q'"]], "query parameter 'q'", True]


def test_a_cold_get_keeps_no_set_tables():
    """The garbage collector traverses every set at each collection (a frozenset of 77 characters is a 512-slot
    table), and never a string, a tuple of strings or a dict of atomic values: the cold modules' lookup tables are
    those (cold v2 GET -0.26M instructions); only a set that is filled later and one holding types stay sets."""
    probe = ("print(_j.dumps(sorted(f'{m}.{n}' for m, mod in list(sys.modules.items()) if m.startswith('koatty_lite')"
             " for n, v in vars(mod).items() if isinstance(v, (set, frozenset)))))")
    assert _cold(probe) == ["koatty_lite.routes._PLAIN", "koatty_lite.serverless._SELF_KEYS"]


def test_the_character_checks_read_as_the_sets_did():
    """``not s.strip(chars)`` is "every character of s is one of chars", as ``frozenset(chars).issuperset(s)`` was."""
    from koatty_lite import context, routes, serverless

    assert context._is_token("X-Powered-By") and not context._is_token("a b") and not context._is_token("")
    assert not context._is_token("é") and not context._is_token("a:b")
    for chars in (context._TOKEN_CHARS, context._REQUEST_ID_CHARS, serverless._TCHARS, routes._DIGITS):
        for s in ("", "abc", "a.b-c", "12", "a b", "x\u00e9", "--", "9_9"):
            assert (not s.strip(chars)) == frozenset(chars).issuperset(s), (chars, s)
    assert routes._to_int("42") == 42 and routes._to_int("-7") == -7 and routes._to_float("1.5e3") == 1500.0
    for bad in ("1_0", " 1", "٣", "+", "1.0.0x"):
        with pytest.raises(ValueError):
            routes._to_int(bad)
