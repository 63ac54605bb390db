"""Dependency injection: Autowired by annotation/name/string, Config, missing and circular dependencies."""
from __future__ import annotations

import pytest

from core_support import client as make_client
from koatty_lite import (Autowired, Component, Config, Controller, GetMapping, Koatty, Service,
                         create_application)
from koatty_lite.container import InjectionError


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
