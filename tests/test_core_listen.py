"""listen() serves real requests; run()/serve stop gracefully on SIGTERM and fire appStop once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest

from core_listen_app import App
from koatty_lite import create_application

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fetch(url: str) -> tuple:
    with urllib.request.urlopen(url, timeout=10) as res:
        return res.status, dict(res.headers), json.loads(res.read())


def test_listen_serves_a_real_request_on_a_free_port():
    app = create_application(App)
    events = []
    app.on("appStop", lambda a: events.append("stop"))
    server = app.listen(port=0, host="127.0.0.1")
    try:
        host, port = server.server_address[:2]
        status, headers, body = fetch(f"http://{host}:{port}/")
        assert status == 200 and body == {"ok": True}
        assert headers["X-Request-Id"]
    finally:
        app.stop()
    app.stop()
    assert events == ["stop"]
    assert server.socket.fileno() == -1  # closed


def test_listen_before_ready_raises():
    with pytest.raises(RuntimeError):
        App().listen(port=0)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_cli_stops_gracefully_on_signal(sig):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "koatty_lite", "serve", "core_listen_app:App", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "serving App on http://" in line, line + proc.stderr.read()
        url = line.split("on ", 1)[1].split(" ", 1)[0]
        assert proc.stdout.readline().strip() == "appStart"
        result = {}

        def slow():
            result["res"] = fetch(url + "/slow?t=0.5")

        t = threading.Thread(target=slow)
        t.start()
        assert proc.stdout.readline().strip() == "slow-start"
        proc.send_signal(sig)  # while the slow request is in flight
        t.join(10)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert result["res"][0] == 200 and result["res"][2] == {"slept": 0.5}  # the in-flight request finished
    assert out.split() == ["appStop"]  # exactly once
    assert proc.returncode == 0, err


# A script whose last line is app.listen(), as a Koatty user writes it (Node keeps such a process serving).
LISTEN_SCRIPT = """
from koatty_lite import create_application
from core_listen_app import App
app = create_application(App)
server = app.listen(0, "127.0.0.1")
print("port", server.server_address[1], flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_script_ending_with_app_listen_serves_until_a_signal_then_stops_gracefully(sig):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", LISTEN_SCRIPT], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "appStart"
        port = proc.stdout.readline().split()[1]  # printed by the script's last line: its main module has ended
        result = {}
        t = threading.Thread(target=lambda: result.update(res=fetch(f"http://127.0.0.1:{port}/slow?t=0.5")))
        t.start()  # on the old code the process had exited: connection refused
        assert proc.stdout.readline().strip() == "slow-start"
        proc.send_signal(sig)  # while the request is in flight
        out, err = proc.communicate(timeout=10)
        t.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert result["res"][0] == 200 and result["res"][2] == {"slept": 0.5}  # drained, as run() does
    assert out.split() == ["appStop"] and proc.returncode == 0, err  # appStop once, no traceback


def test_listen_restores_the_signal_handlers_it_set_once_the_app_stops():
    earlier = {sig: signal.signal(sig, default) for sig, default in  # another test's handler may be left
               ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler))}
    try:
        check_listen_restores_the_handlers()
    finally:
        for sig, handler in earlier.items():
            signal.signal(sig, handler)


def check_listen_restores_the_handlers():
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    app = create_application(App)
    app.listen(port=0, host="127.0.0.1")
    try:
        assert signal.getsignal(signal.SIGTERM) is not before[0]  # graceful SIGTERM while serving
        holds = [t for t in threading.enumerate() if t.name == "koatty-listen-hold"]
        assert len(holds) == 1 and not holds[0].daemon  # what keeps the process serving
    finally:
        app.stop()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    holds[0].join(10)
    assert not holds[0].is_alive()  # the process may exit


def start_serve(shutdown: str):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]), PYTHONUNBUFFERED="1",
               KOATTY_TEST_SHUTDOWN=shutdown)
    proc = subprocess.Popen([sys.executable, "-m", "koatty_lite", "serve", "core_listen_app:App", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert "serving App on http://" in line, line + proc.stderr.read()
    assert proc.stdout.readline().strip() == "appStart"
    host, port = line.split("http://", 1)[1].split(" ", 1)[0].rsplit(":", 1)
    return proc, (host, int(port))


def idle_clients(addr) -> list:
    """Three connections that never send a byte and two kept alive after one request."""
    import http.client
    import socket

    fresh = [socket.create_connection(addr, timeout=60) for _ in range(3)]
    kept = []
    for _ in range(2):
        c = http.client.HTTPConnection(*addr, timeout=60)
        c.request("GET", "/")
        c.getresponse().read()
        kept.append(c)
    return fresh + kept


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_with_idle_and_in_flight_clients_finishes_the_request_runs_app_stop_and_exits():
    proc, addr = start_serve("10")
    clients = []
    try:
        clients = idle_clients(addr)  # wsgiref waited 10 s per idle connection: the platform killed it first
        result = {}
        t = threading.Thread(target=lambda: result.update(res=fetch(f"http://{addr[0]}:{addr[1]}/slow?t=0.5")))
        t.start()
        assert proc.stdout.readline().strip() == "slow-start"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=8)  # well inside the 10 s deadline
        t.join(10)
    finally:
        for c in clients:
            c.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert result["res"][0] == 200 and result["res"][2] == {"slept": 0.5}
    assert out.split() == ["appStop"] and proc.returncode == 0, err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_deadline_holds_when_a_request_outlasts_it():
    proc, addr = start_serve("1")
    clients = []
    try:
        clients = idle_clients(addr)
        errors = []

        def slow():
            try:
                fetch(f"http://{addr[0]}:{addr[1]}/slow?t=60")
            except OSError as exc:
                errors.append(exc)

        t = threading.Thread(target=slow, daemon=True)
        t.start()
        assert proc.stdout.readline().strip() == "slow-start"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)  # 1 s deadline (+ margin), not the request's 60 s
        t.join(10)
    finally:
        for c in clients:
            c.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert out.split() == ["appStop"] and proc.returncode == 0, err
    assert errors  # the request outliving the deadline was cut off


def test_listen_starts_and_stops_the_scheduler_when_tasks_exist(monkeypatch):
    import types

    from koatty_lite import Koatty, Scheduled, Service

    calls = []
    fake = types.ModuleType("koatty_lite.schedule")

    def start_scheduler(app):
        calls.append(("start", [name for name, _, _ in app.scheduled_tasks]))
        return lambda: calls.append(("stop", None))

    fake.start_scheduler = start_scheduler
    fake.validate = lambda app: calls.append(("validate", None))
    monkeypatch.setitem(sys.modules, "koatty_lite.schedule", fake)

    @Service()
    class Jobs:
        @Scheduled("rate(1 minute)")
        def tick(self):
            pass

    class A(Koatty):
        components = [Jobs]

    app = create_application(A)
    assert calls == [("validate", None)]
    app.listen(port=0)
    assert calls[1:] == [("start", ["Jobs.tick"])]
    app.stop()
    assert calls[1:] == [("start", ["Jobs.tick"]), ("stop", None)]


def test_listen_without_tasks_does_not_touch_the_scheduler(monkeypatch):
    monkeypatch.setitem(sys.modules, "koatty_lite.schedule", None)  # importing it would fail
    app = create_application(App)
    app.listen(port=0)
    app.stop()
