"""@Scheduled expressions, validation at boot, task lookup, and the listen()-mode scheduler."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from koatty_lite import Koatty, Scheduled, Service, create_application
from koatty_lite.schedule import Scheduler, ScheduleError, find_task, parse, start_scheduler, validate

NOW = "2026-11-24 19:43:13"  # a Tuesday


def ts(text):
    """'YYYY-MM-DD HH:MM:SS' in UTC → unix timestamp."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def iso(stamp):
    """unix timestamp → 'YYYY-MM-DD HH:MM:SS' UTC."""
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("expression,expected", [
    ("rate(5 minutes)", "2026-11-24 19:48:13"),
    ("rate(1 hour)", "2026-11-24 20:43:13"),
    ("rate(2 days)", "2026-11-26 19:43:13"),
    ("rate(30 seconds)", "2026-11-24 19:43:43"),
    ("@every 1h30m", "2026-11-24 21:13:13"),
    ("@every 1.5h", "2026-11-24 21:13:13"),
    ("cron(0 12 * * ? *)", "2026-11-25 12:00:00"),
    ("cron(0/15 * * * ? *)", "2026-11-24 19:45:00"),
    ("cron(0 18 ? * MON-FRI *)", "2026-11-25 18:00:00"),
    ("cron(0 8 1 JAN,JUL ? *)", "2027-01-01 08:00:00"),
    ("cron(0 0 L * ? *)", "2026-11-30 00:00:00"),
    ("cron(15 10 ? * 6L 2027)", "2027-01-29 10:15:00"),
    ("cron(0 9 ? * 2#1 *)", "2026-12-07 09:00:00"),
    ("cron(0 9 ? * 1 *)", "2026-11-29 09:00:00"),
    ("*/5 * * * *", "2026-11-24 19:45:00"),
    ("0 0 * * 0", "2026-11-29 00:00:00"),
    ("0 0 * * 7", "2026-11-29 00:00:00"),
    ("0 0 13 * 5", "2026-11-27 00:00:00"),
    ("30 2 1-3 * *", "2026-12-01 02:30:00"),
    ("0 0 29 2 *", "2028-02-29 00:00:00"),
    ("0 */10 * * * *", "2026-11-24 19:50:00"),
    ("0 0 4 * * *", "2026-11-25 04:00:00"),
    ("0 0 2 1 * * 2027", "2027-01-01 02:00:00"),
    ("CRON_TZ=Asia/Shanghai 0 0 8 * * *", "2026-11-25 00:00:00"),
])
def test_next_fire_time(expression, expected):
    assert iso(parse(expression).next_after(ts(NOW))) == expected


def test_next_after_is_strictly_after():
    cron = parse("cron(0 12 * * ? *)")
    assert iso(cron.next_after(ts("2026-11-25 12:00:00"))) == "2026-11-26 12:00:00"
    assert iso(cron.next_after(ts("2026-11-25 11:59:59"))) == "2026-11-25 12:00:00"


@pytest.mark.parametrize("expression,message", [
    ("cron(0 12 * * * *)", "'?' in exactly one"),
    ("cron(0 12 ? * ? *)", "'?' in exactly one"),
    ("cron(0 12 * *)", "6 fields"),
    ("0 0 30 2 *", "never fires"),
    ("cron(0 0 1 1 ? 2020)", "never fires"),
    ("rate(0 minutes)", "N >= 1"),
    ("rate(5 fortnights)", "expected rate"),
    ("cron(0 0 1W * ? *)", "'W'"),
    ("61 * * * *", "outside 0-59"),
    ("0 0 * 13 *", "outside 1-12"),
    ("*/0 * * * *", "invalid step"),
    ("5-1 * * * *", "backwards"),
    ("0 0 * * FUNDAY", "invalid value"),
    ("cron(0 0 ? * 2#6 *)", "#1 to #5"),
    ("@every 5x", "@every"),
    ("CRON_TZ=Nowhere/Land 0 0 * * *", "unknown time zone"),
    ("every day", "expected rate"),
    ("", "non-empty"),
], ids=lambda v: v or "empty")
def test_bad_expressions_raise_schedule_error(expression, message):
    with pytest.raises(ScheduleError, match=message.replace("?", r"\?").replace("(", r"\(")):
        parse(expression)


def make_app(*specs):
    """An app with one @Service whose methods carry the given (expression, name) specs."""
    ran = []
    attrs = {}
    for i, (expression, name) in enumerate(specs):
        def task(self, i=i):
            ran.append(i)
            if i == 99:
                raise RuntimeError("task failed")
        task.__name__ = f"task{i}"
        attrs[f"task{i}"] = Scheduled(expression, name=name)(task)
    Jobs = Service()(type("Jobs", (), attrs))

    class App(Koatty):
        components = [Jobs]

    return create_application(App), ran


def test_create_application_refuses_a_bad_expression_naming_the_task():
    # docs/handler.md: expressions are parsed at boot, by create_application itself (not only handler()/listen()).
    with pytest.raises(ScheduleError, match="@Scheduled task 'broken': 'cron"):
        make_app(("rate(5 minutes)", "ok"), ("cron(0 12 * * * *)", "broken"))


def test_create_application_refuses_duplicate_names():
    with pytest.raises(ScheduleError, match="two @Scheduled tasks are named 'same'"):
        make_app(("rate(5 minutes)", "same"), ("rate(1 hour)", "same"))


def test_validate_names_the_bad_task():
    app, _ = make_app(("rate(5 minutes)", "ok"))
    app.scheduled_tasks.append(("broken", "cron(0 12 * * * *)", lambda: None))
    with pytest.raises(ScheduleError, match="'broken'"):
        validate(app)


def test_scheduled_on_a_controller_method_fails_the_boot():
    from koatty_lite import Controller, GetMapping

    @Controller("/jobs")
    class Jobs:
        @GetMapping("/")
        def index(self):
            return []

        @Scheduled("rate(5 minutes)")
        def sweep(self):
            pass

    class App(Koatty):
        components = [Jobs]

    with pytest.raises(TypeError) as info:
        create_application(App)
    assert str(info.value) == ("@Scheduled on controller method Jobs.sweep: controllers are created per request; "
                               "put it on a @Service() or @Component() method")


def test_async_scheduled_method_fails_the_boot():
    @Service()
    class AsyncJobs:
        @Scheduled("rate(5 minutes)")
        async def sweep(self):
            pass

    class App(Koatty):
        components = [AsyncJobs]

    with pytest.raises(TypeError, match="@Scheduled method AsyncJobs.sweep is async: the core is synchronous"):
        create_application(App)


def test_an_app_without_scheduled_tasks_does_not_load_the_parser():
    import json
    import subprocess
    import sys

    code = ("import sys, json; from koatty_lite import create_application, Koatty, Service\n"
            "@Service()\nclass S: pass\n"
            "class App(Koatty): components = [S]\n"
            "create_application(App); print(json.dumps('koatty_lite.schedule' in sys.modules))")
    root = __import__("os").path.dirname(__import__("os").path.dirname(__import__("os").path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert json.loads(out.stdout) is False


def test_find_task_by_full_name_then_method_name():
    app, _ = make_app(("rate(5 minutes)", "nightly-report"), ("rate(1 hour)", None))
    assert find_task(app, ["nightly-report"])[0] == "nightly-report"
    assert find_task(app, ["Jobs.task1"])[0] == "Jobs.task1"
    assert find_task(app, ["unknown", "task1"])[0] == "Jobs.task1"
    assert find_task(app, ["unknown"]) is None and find_task(app, []) is None


def test_tick_runs_due_tasks_once_and_skips_missed_runs():
    app, ran = make_app(("rate(1 minute)", "a"), ("cron(0 * * * ? *)", "b"))
    start = ts("2026-11-24 19:59:30")
    scheduler = Scheduler(app, start)
    assert iso(scheduler.next_due()) == "2026-11-24 20:00:00"
    assert iso(scheduler.tick(start + 10)) == "2026-11-24 20:00:00" and ran == []
    assert iso(scheduler.tick(ts("2026-11-24 20:00:00"))) == "2026-11-24 20:00:30" and ran == [1]
    assert iso(scheduler.tick(ts("2026-11-24 20:00:30"))) == "2026-11-24 20:01:30" and ran == [1, 0]
    ran.clear()
    scheduler.tick(ts("2026-11-24 23:10:00"))  # three hours late: each task runs once, not 190 times
    assert sorted(ran) == [0, 1]
    assert iso(scheduler.next_due()) == "2026-11-24 23:10:30"


def test_a_failing_task_is_logged_and_the_scheduler_goes_on(caplog):
    app, ran = make_app(("rate(1 minute)", "fails"), ("rate(1 minute)", "works"))
    app.scheduled_tasks[0] = ("fails", "rate(1 minute)", lambda: 1 / 0)
    scheduler = Scheduler(app, 0.0)
    with caplog.at_level(logging.ERROR, logger="koatty"):
        scheduler.tick(60.0)
    assert ran == [1]
    assert any("@Scheduled task fails failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert scheduler.next_due() == 120.0


def test_start_scheduler_runs_on_a_thread_and_stops():
    app, ran = make_app(("rate(1 minute)", "a"))
    clock = [1000.0]
    stop = start_scheduler(app, now=lambda: clock[0])
    try:
        assert stop.thread.is_alive() and stop.thread.daemon
    finally:
        stop()
    stop()  # idempotent
    assert not stop.thread.is_alive() and ran == []


def test_listen_starts_the_real_scheduler_and_app_stop_ends_it():
    app, _ = make_app(("rate(1 hour)", "hourly"))
    server = app.listen(0, "127.0.0.1")
    try:
        import threading

        assert any(t.name == "koatty-scheduler" for t in threading.enumerate())
    finally:
        app.stop()
    assert server is not None
    import threading

    assert not any(t.name == "koatty-scheduler" and t.is_alive() for t in threading.enumerate())
