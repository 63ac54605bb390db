"""The example app in examples/demo, as `make run` serves it."""
from __future__ import annotations

import pytest

from core_support import client as make_client
from examples.demo.app import App


@pytest.fixture
def demo():
    c, app = make_client(App)
    yield c, app
    app.stop()


def test_index_and_hello(demo):
    c, _ = demo
    assert c.get("/").json["name"] == "koatty_lite demo"
    res = c.get("/hello?name=Ann")
    assert res.text == "Hello, Ann!"
    assert res.headers["X-Response-Time"].endswith("ms")  # the timing middleware
    assert c.get("/hello").text == "Hello, world!"


def test_users_roundtrip_on_sqlite(demo):
    c, app = demo
    assert app.get("UserStore")._db is None  # opened lazily, on first use
    created = c.post_json("/users", {"name": "Ann"}, status=201).json
    assert created == {"id": 1, "name": "Ann"}
    assert c.post("/users", {"name": "Bo"}, status=201).json == {"id": 2, "name": "Bo"}
    assert c.get("/users/1").json == created


def test_exception_handler_shape(demo):
    c, _ = demo
    res = c.get("/users/99", status=404)
    assert res.json == {"code": 1, "message": "user 99 not found", "data": None,
                        "requestId": res.headers["X-Request-Id"]}
    assert c.get("/users/abc", status=400).json["message"].startswith("invalid parameter 'id'")
    blank = c.post("/users", {"name": "  "}, status=400).json
    assert blank["message"] == "body.name: name must be 1 to 40 characters, not blank"
    assert blank["data"] == {"errors": [{"loc": ["body", "name"], "rule": "IsNotEmpty",
                                         "message": "name must be 1 to 40 characters, not blank"}]}
    assert c.post_json("/users", {}, status=400).json["data"]["errors"] == [
        {"loc": ["body", "name"], "rule": "IsDefined", "message": "is required"}]
    bad = c.post_json("/users", {"name": 5, "email": "x"}, status=400).json["data"]["errors"]
    assert [(e["loc"], e["rule"]) for e in bad] == [(["body", "name"], "type"), (["body", "email"], "IsEmail")]
    # Koa's onerror: an error answer drops the headers set before the failure (the timing header too).
    assert "X-Response-Time" in c.get("/").headers
    missing = c.get("/nowhere", status=404).headers
    assert "X-Response-Time" not in missing and missing["X-Request-Id"]


def test_config_injection(monkeypatch, tmp_path):
    db = tmp_path / "demo.db"
    monkeypatch.setenv("DEMO_DB", str(db))
    c, app = make_client(App)
    try:
        assert app.get("UserStore").path == str(db)
        c.post_json("/users", {"name": "Cy"}, status=201)
    finally:
        app.stop()
    assert db.exists()
    assert app.get("UserStore")._db is None  # closed on appStop


def test_demo_answers_every_post_with_its_own_id_under_concurrent_load_in_listen_mode():
    """Issue 12: the store's connection was shared by the listen threads, so lastrowid raced and a
    POST /users answered another row's id. Every answer of a bounded loopback load is checked."""
    import http.client
    import json
    import threading

    from koatty_lite import create_application

    app = create_application(App)
    server = app.listen(0, "127.0.0.1")
    port = server.server_address[1]
    answers, failures = [], []

    def client(worker):
        for i in range(40):
            name = f"w{worker}-{i}"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", "/users", json.dumps({"name": name}), {"Content-Type": "application/json"})
                res = conn.getresponse()
                body = json.loads(res.read())
                if res.status != 201:
                    failures.append((res.status, body))
                else:
                    answers.append((name, body))
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))
            finally:
                conn.close()

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        store = app.get("UserStore")
        wrong = [(name, body) for name, body in answers
                 if body["name"] != name or store.get(body["id"]) != {"id": body["id"], "name": name}]
    finally:
        app.stop()
    assert failures == [] and len(answers) == 320
    assert wrong == [] and len({body["id"] for _, body in answers}) == 320
