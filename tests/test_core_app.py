"""App boot, lifecycle events, config, the request handler."""
from __future__ import annotations

import socket

import pytest

from core_support import client as make_client
from koatty_lite import (AppEvent, Autowired, Bootstrap, Component, Controller, GetMapping, Koatty, OnEvent,
                         PathVariable, Plugin, Scheduled, Service, create_application)
from koatty_lite.app import EVENTS, fill_placeholders

BOOT_EVENTS = ["appBoot", "loadConfigure", "loadComponent", "loadPlugin", "loadMiddleware", "loadService",
               "loadController", "loadRouter", "loadServe", "appReady"]


@Service()
class UserService:
    def find(self, id):
        return {"id": id}


@Controller("/")
class HelloController:
    users: UserService = Autowired()

    @GetMapping("/")
    def index(self):
        return {"hello": "world"}

    @GetMapping("/users/:id")
    def detail(self, id: int = PathVariable("id")):
        return self.users.find(id)


class HelloApp(Koatty):
    components = [UserService, HelloController]


@pytest.fixture
def client():
    return make_client(HelloApp)[0]


def test_thin_path_json(client):
    res = client.get("/")
    assert res.status_int == 200
    assert res.headers["Content-Type"] == "application/json; charset=utf-8"
    assert res.json == {"hello": "world"}
    assert client.get("/users/7").json == {"id": 7}


def test_events_fire_in_koatty_order():
    seen = []

    @Component()
    class Recorder:
        def __init__(self):
            self.events = []

    for name in BOOT_EVENTS[2:] + ["appStart", "appStop"]:
        setattr(Recorder, "on_" + name, OnEvent(name)(lambda self, app, n=name: seen.append(("hook", n))))

    def boot(app):
        seen.append(("boot_func", None))
        for name in EVENTS:
            app.on(name, lambda a, n=name: seen.append(("on", n)))

    class App(Koatty):
        components = [Recorder]

        def init(self):
            seen.append(("init", None))

    app = create_application(App, boot)
    assert app.is_ready
    ons = [n for kind, n in seen if kind == "on"]
    assert ons == BOOT_EVENTS
    assert seen[:2] == [("init", None), ("boot_func", None)]
    hooks = [n for kind, n in seen if kind == "hook"]
    assert hooks == BOOT_EVENTS[2:]  # components are loaded at loadComponent; appStart only on listen
    app.stop()
    app.stop()
    assert [n for kind, n in seen if n == "appStop"] == ["appStop", "appStop"]  # one app.on + one hook, once each


def test_app_event_constants():
    assert [getattr(AppEvent, e) for e in EVENTS] == list(EVENTS)


def test_create_application_opens_no_socket(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("create_application opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    app = create_application(HelloApp)
    assert app.is_ready
    assert app.server is None


def test_handler_before_ready_raises():
    app = HelloApp()
    with pytest.raises(RuntimeError, match="create_application"):
        app.get_request_handler()


@pytest.mark.parametrize("protocol", ["grpc", "ws", "graphql"])
def test_other_protocols_refused(protocol):
    app = create_application(HelloApp)
    with pytest.raises(ValueError, match="HTTP only"):
        app.get_request_handler(protocol)


def test_callback_is_the_same_cached_callable():
    app = create_application(HelloApp)
    assert app.callback() is app.get_request_handler() is app.get_request_handler("http")


def test_adding_after_ready_raises():
    app = create_application(HelloApp)
    with pytest.raises(RuntimeError):
        app.use(lambda ctx, next: next())
    with pytest.raises(RuntimeError):
        app.router.add("GET", "/late", lambda ctx: None)
    with pytest.raises(RuntimeError):
        app.register(UserService)


def test_boot_func_registers_components():
    class App(Koatty):
        components = [UserService]

    c, app = make_client(App, lambda app: app.register(HelloController))
    assert c.get("/users/2").json == {"id": 2}


def test_bootstrap_decorator_records_boot_func():
    calls = []

    @Bootstrap(lambda app: calls.append(app))
    class App(Koatty):
        components = [UserService, HelloController]

    app = create_application(App)
    assert calls == [app]


def test_not_an_app_class():
    with pytest.raises(TypeError):
        create_application(object)


# --- config ---------------------------------------------------------------------------------------


def test_config_defaults_env_overlay_and_placeholders(monkeypatch):
    monkeypatch.setenv("KOATTY_ENV", "production")
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.delenv("DB_PORT", raising=False)

    class App(Koatty):
        config = {"db": {"host": "${DB_HOST}", "port": "${DB_PORT:5432}", "name": "dev", "url": "x-${NOPE}-y"},
                  "payload": {"limit": 10}}
        env_config = {"production": {"db": {"name": "prod"}}, "development": {"db": {"name": "never"}}}

    app = create_application(App)
    assert app.env == "production"
    assert app.config["db"] == {"host": "db.internal", "port": "5432", "name": "prod", "url": "x--y"}
    assert app.get_config("db.host") == "db.internal"
    assert app.get_config("db.missing", 7) == 7
    assert app.get_config("server") == {"host": "127.0.0.1", "port": 3000, "serverless": False}
    assert app.get_config("middleware") == {"list": [], "config": {}}
    assert app.get_config("payload.limit") == 10
    assert App.config["db"]["name"] == "dev"  # the class declaration is not mutated


def test_default_env_is_development(monkeypatch):
    monkeypatch.delenv("KOATTY_ENV", raising=False)
    monkeypatch.setenv("ENV", "production")  # only KOATTY_ENV counts

    class App(Koatty):
        config = {"x": 1}
        env_config = {"production": {"x": 2}}

    app = create_application(App)
    assert app.env == "development"
    assert app.get_config("x") == 1
    assert app.get_config("payload.limit") == 6 * 1024 * 1024


def test_fill_placeholders_in_lists():
    assert fill_placeholders({"a": ["${A}", 1, "${B:z}"]}, {"A": "1"}) == {"a": ["1", 1, "z"]}


def test_the_config_is_a_copy_sharing_nothing_with_the_defaults_or_the_class():
    """fill_placeholders copies every dict and list of the merged config (its loops, issue 14): mutating
    app.config never reaches DEFAULT_CONFIG, the App class's config or its env_config overlay."""
    from koatty_lite.app import DEFAULT_CONFIG

    class App(Koatty):
        config = {"middleware": {"list": []}, "tags": ["a", {"b": "${NOPE_X:1}"}]}
        env_config = {"development": {"extra": {"items": [1]}}}

    before = repr((DEFAULT_CONFIG, App.config, App.env_config))
    app = create_application(App)
    assert app.config["tags"] == ["a", {"b": "1"}] and app.config["extra"] == {"items": [1]}
    app.config["payload"]["limit"] = 1
    app.config["plugin"]["list"].append("x")
    app.config["middleware"]["list"].append("y")
    app.config["tags"][1]["b"] = "z"
    app.config["extra"]["items"].append(2)
    assert repr((DEFAULT_CONFIG, App.config, App.env_config)) == before
    assert fill_placeholders({"a": ("${A}",)}, {"A": "1"}) == {"a": ("${A}",)}  # a tuple is kept as it is


# --- plugins, scheduled tasks ---------------------------------------------------------------------


def test_plugins_run_in_configured_order_with_options():
    ran = []

    @Plugin()
    class APlugin:
        def run(self, options, app):
            ran.append(("A", options))

    @Plugin()
    class BPlugin:
        def run(self, options, app):
            ran.append(("B", options))

    class App(Koatty):
        components = [APlugin, BPlugin]
        config = {"plugin": {"list": ["BPlugin", "APlugin"], "config": {"APlugin": {"x": 1}}}}

    create_application(App)
    assert ran == [("B", {}), ("A", {"x": 1})]


def test_scheduled_tasks_collected_from_singletons():
    @Service()
    class Jobs:
        @Scheduled("rate(5 minutes)")
        def cleanup(self):
            return "cleaned"

        @Scheduled("cron(0 12 * * ? *)", name="noon")
        def report(self):
            return "report"

    class App(Koatty):
        components = [Jobs]

    app = create_application(App)
    tasks = sorted(app.scheduled_tasks)
    assert [(n, e) for n, e, _ in tasks] == [("Jobs.cleanup", "rate(5 minutes)"), ("noon", "cron(0 12 * * ? *)")]
    assert tasks[0][2]() == "cleaned"
    assert Jobs.cleanup.__koatty_scheduled__ == ("rate(5 minutes)", None)


def test_stop_is_thread_safe_and_once():
    import threading

    app = create_application(HelloApp)
    calls = []
    app.on("appStop", lambda a: calls.append(1))
    threads = [threading.Thread(target=app.stop) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]


def test_app_stop_listener_error_is_logged_not_raised(caplog):
    app = create_application(HelloApp)
    calls = []

    def boom(a):
        raise RuntimeError("boom")

    app.on("appStop", boom)
    app.on("appStop", lambda a: calls.append(1))
    app.stop()
    assert calls == [1]
    assert "appStop listener" in caplog.text
