"""examples/notes (issue 13 point 5): a store component on sqlite3 and on a real PostgreSQL server.

The PostgreSQL tests start their own server (tests/pg_support.py) and skip, saying why, where the
machine has no PostgreSQL server binaries or no pg8000; `.ci/run` installs both.
"""
from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
import zipfile

import pytest

from conftest import ROOT

NOTES = os.path.join(ROOT, "examples", "notes")
if NOTES not in sys.path:
    sys.path.insert(0, NOTES)  # the example imports its app as `notes`, as its own zip does

import koatty_lite  # noqa: E402
from koatty_lite.cli.event import HttpRequest, build_event, default_headers  # noqa: E402
from notes.app import App  # noqa: E402
from notes.store import NoteStore  # noqa: E402
from tests.pg_support import PostgresServer, Unavailable  # noqa: E402


@pytest.fixture(scope="module")
def pg_server():
    try:
        import pg8000  # noqa: F401
    except ImportError:
        pytest.skip("pg8000 is not installed (requirements-test.txt has it)")
    try:
        with PostgresServer() as pg:
            yield pg
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")


def _admin(url):
    """A connection of the tests' own (not named koatty-notes, so it is never counted or terminated)."""
    from urllib.parse import urlsplit

    import pg8000.dbapi

    u = urlsplit(url)
    conn = pg8000.dbapi.connect(user="postgres", host=u.hostname, port=u.port, database=u.path.lstrip("/"),
                                application_name="koatty-tests")
    conn.autocommit = True
    return conn


def _sql(conn, sql, args=()):
    cur = conn.cursor()
    cur.execute(sql, args)
    rows = cur.fetchall() if cur.description else []
    cur.close()
    return rows


@pytest.fixture
def pg_url(pg_server):
    """A fresh database on the test server; dropped afterwards."""
    name = "notes_" + uuid.uuid4().hex[:12]
    admin = _admin(pg_server.url)
    _sql(admin, f"CREATE DATABASE {name}")
    try:
        yield pg_server.url.rsplit("/", 1)[0] + "/" + name
    finally:
        _sql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        _sql(admin, f"DROP DATABASE IF EXISTS {name}")
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path, monkeypatch):
    """The environment that selects each store: NOTES_DB (sqlite3) or DATABASE_URL (PostgreSQL)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("NOTES_DB", str(tmp_path / "notes.sqlite3"))
    if request.param == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
    return request.param


def backends_connections(url):
    """How many connections the notes store holds on the server."""
    admin = _admin(url)
    try:
        return _sql(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'koatty-notes'")[0][0]
    finally:
        admin.close()


@pytest.fixture
def fresh_handler():
    """koatty_lite.handler for a new App subclass (one booted app per class), stopped afterwards."""
    made = []

    def make(health=True):
        app_cls = type("NotesApp%d" % len(made), (App,), {})
        h = koatty_lite.handler(app_cls, health_check=(lambda app: app.get(NoteStore).check()) if health else None)
        made.append(h)
        return h

    yield make
    for h in made:
        h.get_app().stop()


def call(h, method, path, body=None):
    raw = b"" if body is None else json.dumps(body).encode()
    r = h(build_event("apigw-v2", HttpRequest(method, path, "", default_headers(raw), raw)), None)
    return r["statusCode"], (json.loads(r["body"]) if r.get("body") else None)


def test_crud(backend, fresh_handler):
    h = fresh_handler()
    assert call(h, "POST", "/notes", {"title": "tea", "body": "green"}) == (201, {"id": 1, "title": "tea", "body": "green"})
    assert call(h, "POST", "/notes", {"title": "milk"})[0] == 201
    status, listing = call(h, "GET", "/notes")
    assert status == 200 and listing["store"] == backend
    assert [n["title"] for n in listing["notes"]] == ["tea", "milk"]
    assert call(h, "PUT", "/notes/1", {"title": "tea", "body": "black"}) == (200, {"id": 1, "title": "tea", "body": "black"})
    assert call(h, "GET", "/notes/1")[1]["body"] == "black"
    assert call(h, "DELETE", "/notes/1") == (204, None)
    assert call(h, "GET", "/notes/1")[0] == 404 and call(h, "DELETE", "/notes/1")[0] == 404
    status, err = call(h, "POST", "/notes", {"body": "no title"})
    assert status == 400 and "title" in err["message"]
    assert call(h, "GET", "/notes/x")[0] == 400


def test_connects_lazily_on_first_use(backend, fresh_handler, tmp_path):
    h = fresh_handler()
    store = h.get_app().get(NoteStore)
    assert store._process_slot.conn is None and not (tmp_path / "notes.sqlite3").exists()
    store.check()  # the health check before the first invocation opens nothing either
    assert store._process_slot.conn is None
    call(h, "GET", "/notes")
    assert store._process_slot.conn is not None


def _drop_connection(backend, conn):
    """What a freeze of minutes does to a connection: the other end is gone."""
    if backend == "postgres":
        admin = _admin(os.environ["DATABASE_URL"])
        _sql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'koatty-notes'")
        admin.close()
    else:
        conn.close()


def test_health_check_reconnects_after_a_thaw(backend, fresh_handler):
    h = fresh_handler()
    assert call(h, "POST", "/notes", {"title": "before"})[0] == 201
    store = h.get_app().get(NoteStore)
    old = store._process_slot.conn
    _drop_connection(backend, old)
    with pytest.raises(Exception):
        store._query(old, "SELECT 1")  # the old connection is really dead
    status, listing = call(h, "GET", "/notes")
    assert status == 200 and [n["title"] for n in listing["notes"]] == ["before"]
    assert store._process_slot.conn is not old


def test_without_the_health_check_a_dropped_connection_fails_the_request(pg_url, monkeypatch, fresh_handler):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    h = fresh_handler(health=False)
    call(h, "GET", "/notes")
    _drop_connection("postgres", None)
    assert call(h, "GET", "/notes")[0] == 500  # why the example installs the health check


def test_a_database_that_stays_away_is_a_503_the_platform_retries(pg_url, monkeypatch, fresh_handler):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    h = fresh_handler()
    call(h, "GET", "/notes")
    store = h.get_app().get(NoteStore)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    store.url = f"postgresql://postgres@127.0.0.1:{closed_port}/x"  # the server is unreachable now
    _drop_connection("postgres", None)
    status, body = call(h, "GET", "/notes")
    assert status == 503


def test_one_connection_per_process_under_the_handler(backend, fresh_handler):
    h = fresh_handler()
    call(h, "GET", "/notes")
    store = h.get_app().get(NoteStore)
    seen = []
    t = threading.Thread(target=lambda: seen.append(store.connection()))
    t.start()
    t.join()
    assert seen == [store.connection()] and store.connection() is store._process_slot.conn
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 1


def test_one_connection_per_thread_in_listen_mode_closed_when_the_thread_ends(backend):
    app = koatty_lite.create_application(type("ListenNotes", (App,), {}))
    store = app.get(NoteStore)
    assert store.serverless is False
    mine = store.connection()
    assert store.connection() is mine
    theirs = []

    def worker():
        theirs.append(store.connection())
        store.add("from a thread")

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in theirs + [mine]}) == 4
    assert [n["title"] for n in store.list()] == ["from a thread"] * 3
    del theirs[:]
    gc.collect()
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 1  # the ended threads' are closed
    app.stop()
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 0
    with pytest.raises(Exception):
        mine.cursor().execute("SELECT 1")


def test_first_connections_opened_together_on_a_fresh_database(backend, tmp_path, monkeypatch):
    """Worker threads (and instances) that connect at the same moment all get a working store:
    PostgreSQL's CREATE TABLE IF NOT EXISTS is not atomic, and racing it failed some of them."""
    errors = []
    for round_ in range(10):  # why: a race; ten fresh databases make the old failure near certain
        if backend == "postgres":
            admin = _admin(os.environ["DATABASE_URL"])
            _sql(admin, "DROP TABLE IF EXISTS notes")
            admin.close()
        else:
            monkeypatch.setenv("NOTES_DB", str(tmp_path / f"race{round_}.sqlite3"))
        stores = [koatty_lite.create_application(type(f"RaceNotes{i}", (App,), {})).get(NoteStore) for i in range(2)]
        barrier = threading.Barrier(8)

        def first_query(store):
            barrier.wait()
            try:
                store.list()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=first_query, args=(stores[i % 2],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for store in stores:
            store.close()
    assert errors == []


def test_listen_mode_over_http_keeps_at_most_one_connection_per_worker(backend):
    """`serve`/`listen()`: concurrent requests on the worker pool, each worker thread with its own connection."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    app = koatty_lite.create_application(type("HttpNotes", (App,), {"config": {**App.config,
                                                                              "server": {"workers": 4}}}))
    server = app.listen(0, "127.0.0.1")
    base = "http://127.0.0.1:%d/notes" % server.server_address[1]

    def post(i):
        req = urllib.request.Request(base, data=json.dumps({"title": f"n{i}"}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status

    try:
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(post, range(40))) == [201] * 40
        with urllib.request.urlopen(base, timeout=10) as r:
            assert sorted(n["title"] for n in json.loads(r.read())["notes"]) == sorted(f"n{i}" for i in range(40))
        if backend == "postgres":
            assert 1 <= backends_connections(os.environ["DATABASE_URL"]) <= 4  # never one per request
    finally:
        app.stop()
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 0


def test_app_stop_closes_the_connection(backend, fresh_handler):
    h = fresh_handler()
    call(h, "GET", "/notes")
    conn = h.get_app().get(NoteStore)._process_slot.conn
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 1
    h.get_app().stop()
    with pytest.raises(Exception):
        conn.cursor().execute("SELECT 1")
    if backend == "postgres":
        assert backends_connections(os.environ["DATABASE_URL"]) == 0


def test_the_entry_module_itself(tmp_path):
    """examples/notes/handler.py as the CLI runs it (its own process: one booted app per class)."""
    env = dict(os.environ, PYTHONPATH=ROOT, NOTES_DB=str(tmp_path / "n.sqlite3"))
    env.pop("DATABASE_URL", None)
    ev = tmp_path / "e.json"
    ev.write_text(json.dumps(build_event("apigw-v2", HttpRequest("GET", "/notes", "", default_headers()))))
    p = subprocess.run([sys.executable, "-m", "koatty_lite", "invoke", "handler:handler", "--event", str(ev)],
                       cwd=NOTES, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(json.loads(p.stdout)["body"]) == {"notes": [], "store": "sqlite"}


def _pypi_reachable():
    try:
        with socket.create_connection(("pypi.org", 443), timeout=3):
            return True
    except OSError:
        return False


def test_packaged_with_pg8000_runs_in_the_aws_runtime_client_on_postgres(pg_url, tmp_path):
    """package.sh (--requirements: pg8000 for Linux from PyPI) → unzip → awslambdaric with DATABASE_URL."""
    pytest.importorskip("awslambdaric")
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable: pg8000 cannot be packaged for the platform here")
    from tests.lambda_runtime_emulator import RuntimeApiEmulator
    from tests.test_package import check_bytecode

    out = tmp_path / "function.zip"
    runtime = "python%d.%d" % sys.version_info[:2]
    p = subprocess.run(["bash", os.path.join(NOTES, "package.sh"), "--runtime", runtime, "-o", str(out)],
                       env=dict(os.environ, PYTHON=sys.executable), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    with zipfile.ZipFile(out) as zf:
        got = zf.namelist()
        zf.extractall(tmp_path / "task")
    assert "pg8000/__init__.py" in got and "notes/store.py" in got and "handler.py" in got
    check_bytecode(out)
    task = str(tmp_path / "task")
    with RuntimeApiEmulator() as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
        env.update(AWS_LAMBDA_RUNTIME_API=emu.address, AWS_LAMBDA_FUNCTION_NAME="notes",
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                   LAMBDA_TASK_ROOT=task, PYTHONPATH=task, DATABASE_URL=pg_url)
        proc = subprocess.Popen([sys.executable, "-m", "awslambdaric", "handler.handler"], cwd=task, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            body = json.dumps({"title": "from lambda"})
            post = HttpRequest("POST", "/notes", "", default_headers(body.encode()), body)
            kind, resp = emu.invoke(build_event("apigw-v2", post), timeout=60)
            assert kind == "response" and resp["statusCode"] == 201, resp
            kind, resp = emu.invoke(build_event("apigw-v2", HttpRequest("GET", "/notes", "", default_headers())),
                                    timeout=60)
            assert kind == "response" and json.loads(resp["body"]) == {
                "notes": [{"id": 1, "title": "from lambda", "body": ""}], "store": "postgres"}
        finally:
            proc.kill()
            proc.wait(10)
    admin = _admin(pg_url)
    try:
        assert _sql(admin, "SELECT title FROM notes") == (["from lambda"],)  # written to the real database
    finally:
        admin.close()


def test_the_test_server_moves_to_another_port_when_its_port_is_taken(monkeypatch):
    """Two test runs at once each start their own server (own folder, own port), but the port picked as
    free can be taken by the other run before this server binds it: the start then tried no other port
    and every PostgreSQL test skipped. Here the first port offered is held by a listening socket."""
    import socket

    from tests import pg_support

    try:
        import pg8000  # noqa: F401
    except ImportError:
        pytest.skip("pg8000 is not installed (requirements-test.txt has it)")
    if pg_support.pg_bin() is None:
        pytest.skip("no PostgreSQL server binaries (.ci/run installs the Debian package `postgresql`)")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        offered = []
        real = pg_support._free_port

        def free_port():
            offered.append(busy if not offered else real())
            return offered[-1]

        monkeypatch.setattr(pg_support, "_free_port", free_port)
        try:
            server = PostgresServer()
        except Unavailable as exc:
            pytest.skip(f"no PostgreSQL server for the tests: {exc}")
        with server as pg:
            assert offered[0] == busy and pg.port == offered[-1] != busy
            admin = _admin(pg.url)
            try:
                assert list(_sql(admin, "SELECT 1")[0]) == [1]
            finally:
                admin.close()
