"""Dependency injection: Autowired by annotation/name/string, Config, missing and circular dependencies."""
from __future__ import annotations

import pytest

from core_support import client as make_client
from koatty_lite import (Autowired, Component, Config, Controller, GetMapping, Koatty, Service,
                         create_application)
from koatty_lite.decorators import InjectionError


@Service()
class Repo:
    def __init__(self):
        self.items = ["a"]


@Service()
class ByStringAnnotation:
    # Under `from __future__ import annotations` this annotation is the string "Repo".
    repo: Repo = Autowired()


@Service("named")
class NamedService:
    value = 42


@Service()
class ByName:
    other = Autowired("named")
    by_class = Autowired(Repo)


@Service()
class WithConfig:
    host: str = Config("db.host")
    port: int = Config("db.port", 5432)
    repo: Repo = Autowired()

    def __init__(self):
        # __init__ runs after injection, so injected values are usable here.
        self.url = f"{self.host}:{self.port}/{len(self.repo.items)}"


@Controller("/di")
class DiController:
    s: ByStringAnnotation = Autowired()
    n: ByName = Autowired()
    c: WithConfig = Autowired()

    @GetMapping("/")
    def show(self):
        return {"same": self.s.repo is self.n.by_class, "named": self.n.other.value, "url": self.c.url,
                "ctx": self.ctx.path, "app": self.app.env}


class App(Koatty):
    components = [Repo, ByStringAnnotation, NamedService, ByName, WithConfig, DiController]
    config = {"db": {"host": "h"}}


def test_injection_kinds():
    c, app = make_client(App)
    assert c.get("/di").json == {"same": True, "named": 42, "url": "h:5432/1", "ctx": "/di", "app": app.env}
    assert app.get(Repo) is app.get("Repo")


def test_controller_instances_are_per_request():
    seen = []

    @Controller()
    class C:
        @GetMapping("/x")
        def x(self):
            seen.append(self)
            return {}

    class A(Koatty):
        components = [C]

    c, _ = make_client(A)
    c.get("/x")
    c.get("/x")
    assert len(seen) == 2 and seen[0] is not seen[1]


def test_controller_init_with_ctx_is_called():
    @Controller()
    class C:
        def __init__(self, ctx):
            self.seen = ctx.path

        @GetMapping("/x")
        def x(self):
            return {"seen": self.seen}

    class A(Koatty):
        components = [C]

    assert make_client(A)[0].get("/x").json == {"seen": "/x"}


def test_missing_dependency_names_the_chain():
    @Service()
    class Missing:
        pass

    @Service()
    class Needs:
        m: Missing = Autowired()

    class A(Koatty):
        components = [Needs]

    with pytest.raises(InjectionError, match=r"missing dependency: .*Needs\.m -> Missing"):
        create_application(A)


def test_circular_dependency_names_the_chain():
    ns = {}
    exec(
        "from koatty_lite import Service, Autowired\n"
        "@Service()\nclass AService:\n    b: 'BService' = Autowired()\n"
        "@Service()\nclass BService:\n    a: 'AService' = Autowired()\n",
        ns,
    )

    class A(Koatty):
        components = [ns["AService"], ns["BService"]]

    with pytest.raises(InjectionError, match=r"circular dependency: AService -> BService -> AService"):
        create_application(A)


def test_autowired_without_annotation_or_name():
    @Service()
    class S:
        x = Autowired()

    class A(Koatty):
        components = [S]

    with pytest.raises(InjectionError, match="annotation or a name"):
        create_application(A)


def test_undecorated_component_refused():
    class Plain:
        pass

    class A(Koatty):
        components = [Plain]

    with pytest.raises(TypeError, match="not decorated"):
        create_application(A)


def test_duplicate_names_refused():
    @Service("dup")
    class S1:
        pass

    @Service("dup")
    class S2:
        pass

    class A(Koatty):
        components = [S1, S2]

    with pytest.raises(InjectionError, match="two components named 'dup'"):
        create_application(A)


def test_subclass_is_not_taken_for_its_decorated_base():
    @Service()
    class Base:
        pass

    class Sub(Base):  # not decorated itself
        pass

    class A(Koatty):
        components = [Sub]

    with pytest.raises(TypeError, match="not decorated"):
        create_application(A)


def test_singletons_shared_and_app_set():
    @Component()
    class One:
        pass

    class A(Koatty):
        components = [One, Repo]

    app = create_application(A)
    assert app.get(One) is app.get("One")
    assert app.get(One).app is app


# --- Config values converted by the annotation (issue 13.7) ------------------------------------


@Service()
class TypedConfig:
    max: int = Config("app.max")
    ratio: float = Config("app.ratio")
    debug: bool = Config("app.debug")
    name: str = Config("app.port")
    optional: int | None = Config("app.absent")
    raw = Config("app.max")
    nested: dict = Config("app.nested")


def _typed_app(config):
    class TypedApp(Koatty):
        components = [TypedConfig]

    TypedApp.config = config
    return TypedApp


def test_config_injection_converts_by_the_annotation(monkeypatch):
    monkeypatch.delenv("APP_MAX", raising=False)
    monkeypatch.setenv("APP_DEBUG", "false")
    app = create_application(_typed_app({"app": {"max": "${APP_MAX:7}", "ratio": "0.5", "debug": "${APP_DEBUG}",
                                                 "port": 8080, "nested": {"a": 1}}}))
    svc = app.get(TypedConfig)
    assert (svc.max, svc.ratio, svc.debug, svc.name) == (7, 0.5, False, "8080")
    assert svc.optional is None  # an absent key without a default stays None
    assert svc.raw == "7"  # no annotation: as configured
    assert svc.nested == {"a": 1}


def test_config_value_that_cannot_be_converted_fails_the_boot(monkeypatch):
    monkeypatch.setenv("APP_MAX", "many")
    with pytest.raises(InjectionError) as info:
        create_application(_typed_app({"app": {"max": "${APP_MAX:7}"}}))
    assert str(info.value) == "cannot inject TypedConfig.max: config 'app.max' is 'many', expected int"


# --- decorators used without parentheses (issue 13.15) -------------------------------------------


def test_bare_class_decorators_name_the_fix():
    from koatty_lite import Aspect, Bootstrap, ExceptionHandler, Middleware, Plugin

    for deco, fix in [(Service, "@Service()"), (Component, "@Component()"), (Middleware, "@Middleware()"),
                      (Plugin, "@Plugin()"), (Aspect, "@Aspect()"), (ExceptionHandler, "@ExceptionHandler()"),
                      (Controller, '@Controller() or @Controller("/prefix")'),
                      (Bootstrap, "@Bootstrap() or @Bootstrap(boot_func)")]:
        class NoteService:
            pass

        with pytest.raises(TypeError) as info:
            deco(NoteService)
        assert str(info.value) == f"@{deco.__name__} is used without parentheses on " \
                                  f"test_bare_class_decorators_name_the_fix.<locals>.NoteService: write {fix}"


def test_bare_method_decorators_name_the_fix():
    from koatty_lite import After, Before, OnEvent, PostMapping, RequestMapping, Scheduled

    def create(self):
        pass

    for deco, fix in [(GetMapping, '@GetMapping() or @GetMapping("/path")'),
                      (PostMapping, '@PostMapping() or @PostMapping("/path")'),
                      (RequestMapping, '@RequestMapping("/path", method) (or @GetMapping("/path"), ...)'),
                      (Before, "@Before(AspectClass)"), (After, "@After(AspectClass)"),
                      (OnEvent, '@OnEvent("appReady") (an event name)'),
                      (Scheduled, '@Scheduled("rate(5 minutes)") (an expression)')]:
        with pytest.raises(TypeError, match=r"^@\w+ is used without parentheses on .*create: write ") as info:
            deco(create)
        assert str(info.value).endswith("write " + fix)


def test_decorators_with_arguments_still_work():
    from koatty_lite import Before, Bootstrap

    def boot(app):
        pass

    assert Service("name") and Controller("/x") and GetMapping("/y") and Before("AuthAspect")
    assert Bootstrap(boot) and Bootstrap()


def test_an_empty_config_value_takes_the_default_of_a_typed_attribute(monkeypatch):
    monkeypatch.delenv("DB_PORT", raising=False)

    @Service()
    class Db:
        port: int = Config("db.port", 5432)
        name: str = Config("db.name", "notes")
        pool: int = Config("db.pool")

    class A(Koatty):
        components = [Db]
        config = {"db": {"port": "${DB_PORT}", "name": "${DB_NAME}"}}

    db = create_application(A).get(Db)
    assert (db.port, db.name, db.pool) == (5432, "", None)
    A.config = {"db": {"pool": "${DB_POOL}"}}
    with pytest.raises(InjectionError, match="cannot inject Db.pool: config 'db.pool' is '', expected int"):
        create_application(A)


def test_aspect_decorators_refuse_what_is_not_an_aspect():
    from koatty_lite import AfterEach, Aspect, BeforeEach

    class Notes:
        pass

    for deco in (BeforeEach, AfterEach):
        with pytest.raises(TypeError) as info:
            deco(Notes)
        assert str(info.value) == (f"@{deco.__name__}(test_aspect_decorators_refuse_what_is_not_an_aspect.<locals>.Notes): "
                                   f"test_aspect_decorators_refuse_what_is_not_an_aspect.<locals>.Notes is not an "
                                   f"@Aspect() class (@{deco.__name__} used without parentheses?): "
                                   f"write @{deco.__name__}(AspectClass)")

    @Aspect()
    class Audit:
        def run(self, ctx, *args):
            pass

    assert BeforeEach(Audit)(Notes) is Notes


def test_markers_used_without_parentheses_name_the_fix():
    """Audit of issue 13.15: `svc = Autowired`, `n: int = Config` and `id: int = PathVariable` booted and
    injected the marker class itself; `@Before(Auth)` on a class was an AttributeError naming nothing."""
    from koatty_lite import Before, BeforeEach, Get, PathVariable, create_application

    @Service()
    class Notes:
        svc = Autowired

    @Service()
    class Limits:
        n: int = Config

    for cls, fix in [(Notes, "Notes.svc uses Autowired without parentheses: write Autowired()"),
                     (Limits, 'Limits.n uses Config without parentheses: write Config("key", default)')]:
        with pytest.raises(TypeError) as info:
            create_application(type("A", (Koatty,), {"components": [cls]}))
        assert str(info.value).endswith(fix)

    for marker in (PathVariable, Get):
        @Controller("/")
        class Ctl:
            @GetMapping("/:id")
            def get(self, id: int = marker):
                return id

        with pytest.raises(TypeError) as info:
            create_application(type("A", (Koatty,), {"components": [Ctl]}))
        assert str(info.value) == (f"Ctl.get: argument 'id' uses {marker.__name__} without parentheses: "
                                   f"write {marker.__name__}() or {marker.__name__}('id')")

    with pytest.raises(TypeError) as info:
        @Before("Auth")
        class Guarded:
            pass
    assert str(info.value) == ("@Before goes on a controller method; on the class "
                               "test_markers_used_without_parentheses_name_the_fix.<locals>.Guarded write "
                               "@BeforeEach(Auth)")
    assert BeforeEach("Auth")(type("Fine", (), {})) is not None


def test_of_type_sees_a_registration_made_after_it_was_asked():
    """Container.of_type groups the classes once per registration (boot PERF): a class registered later
    (a plugin's run, boot_func, a built-in middleware) is in the next answer; members() reads a class once."""
    from koatty_lite.decorators import Container

    @Service()
    class A:
        def a(self):
            return 1

    @Service()
    class B:
        pass

    container = Container(None)
    container.register(A)
    assert container.of_type("SERVICE") == [A]
    container.of_type("SERVICE").append(B)  # a copy: the caller's list is its own
    assert container.of_type("SERVICE") == [A]
    container.register(B)
    assert container.of_type("SERVICE") == [A, B] and container.of_type("CONTROLLER") == []
    assert list(container.members(A)[1]) == ["a"] and container.members(A) is container.members(A)
