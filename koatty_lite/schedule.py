"""``@Scheduled`` expressions (rate, AWS cron, Unix / Koatty / FC / SCF cron, ``@every``) and the listen()-mode timer.

Loaded only by apps that declare ``@Scheduled`` tasks. Accepted expressions (times are UTC unless a
``CRON_TZ=Zone`` prefix names a zone):

- ``rate(5 minutes)``: AWS EventBridge; units minute(s), hour(s), day(s), and second(s) as a
  koatty_lite extension for ``listen()`` mode (EventBridge refuses it).
- ``cron(0 12 * * ? *)``: AWS, six fields ``Min Hour Day-of-month Month Day-of-week Year``; day of
  week 1-7 = SUN-SAT; ``?`` in one of the day fields; ``L`` (last day of the month), ``5L`` (last
  Thursday), ``2#1`` (first Monday).
- ``*/5 * * * *``: Unix cron, five fields ``Min Hour Day-of-month Month Day-of-week`` (0-7, 0 and 7 = Sunday).
- ``0 */5 * * * *``: six fields with seconds first, ``Sec Min Hour Day-of-month Month Day-of-week``
  (Koatty's node-cron, Alibaba FC timers); seven fields add ``Year`` (Tencent SCF timers).
- ``@every 1h30m``: Alibaba FC (units h, m, s).

In the bare (not ``cron(...)``) forms, when both day fields are restricted a day matching either
runs the task (Unix cron semantics).
"""
from __future__ import annotations

import time

from .decorators import _bare

__all__ = ["ScheduleError", "parse", "validate", "find_task", "Scheduler", "start_scheduler"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}  # Unix numbering, SUN=0
_RATE_UNITS = {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600,
               "day": 86400, "days": 86400}
_EVERY_UNITS = {"h": 3600, "m": 60, "s": 1}
_SEARCH_DAYS = 366 * 8  # why: covers Feb 29 with a leap-year gap of 8 years (e.g. 2096 → 2104)


class ScheduleError(ValueError):
    """A ``@Scheduled`` expression that cannot be parsed or can never fire."""


class Rate:
    """A fixed period: ``rate(N unit)`` or ``@every``; runs ``period`` seconds after the last run."""

    def __init__(self, expression: str, period: float):
        self.expression = expression
        self.period = period

    def next_after(self, ts: float) -> float:
        """The next fire time after ``ts`` (the previous run, or the scheduler's start)."""
        return ts + self.period


class Cron:
    """A calendar schedule; ``next_after`` searches day by day, then hour/minute/second."""

    def __init__(self, expression: str, seconds: list, minutes: list, hours: list, months: set,
                 years: set | None, dom: tuple, dow: tuple, either: bool, zone: Any):
        self.expression = expression
        self.seconds, self.minutes, self.hours = seconds, minutes, hours
        self.months, self.years = months, years
        self.dom, self.dow = dom, dow  # (days set, last_day flag) / (weekdays set, {(wd, nth)}, {wd last})
        self.either = either  # both day fields restricted: a day matching either counts
        self.zone = zone

    def _day_matches(self, d: Any) -> bool:
        import calendar

        days, last = self.dom
        dom_all = days is None and not last
        weekdays, nths, lasts = self.dow
        dow_all = weekdays is None and not nths and not lasts
        month_len = calendar.monthrange(d.year, d.month)[1]
        dom_ok = dom_all or (days is not None and d.day in days) or (last and d.day == month_len)
        dow_ok = dow_all or self._weekday_matches(d, month_len)
        if self.either and not dom_all and not dow_all:
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    def _weekday_matches(self, d: Any, month_len: int) -> bool:
        """The day-of-week field: a weekday, the nth weekday (``#``) or the last one (``L``) of the month."""
        weekdays, nths, lasts = self.dow
        wd = (d.weekday() + 1) % 7  # Unix numbering: SUN=0
        return (weekdays is not None and wd in weekdays) or (wd, (d.day - 1) // 7 + 1) in nths \
            or (wd in lasts and d.day + 7 > month_len)

    def next_after(self, ts: float) -> float:
        """The first fire time strictly after unix timestamp ``ts``."""
        from datetime import datetime, timedelta, timezone

        zone = self.zone or timezone.utc
        start = datetime.fromtimestamp(int(ts), zone)
        after = (start.hour, start.minute, start.second)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if (day.month in self.months and (self.years is None or day.year in self.years)
                    and self._day_matches(day)):
                hms = self._first_time(after)
                if hms is not None:
                    at = datetime(day.year, day.month, day.day, *hms, tzinfo=zone).timestamp()
                    if at > ts:
                        return at
                    after = hms  # why: a DST fold can put a wall-clock time before ts; go on
                    continue
            if self.years is not None and day.year > max(self.years):
                break
            day += timedelta(days=1)
            after = None
        raise ScheduleError(f"{self.expression!r} never fires after {start.isoformat()}")

    def _first_time(self, after: tuple | None) -> tuple | None:
        """The first (h, m, s) of the day strictly after ``after`` (None: from midnight)."""
        for h in self.hours:
            if after is not None and h < after[0]:
                continue
            same_h = after is not None and h == after[0]
            for m in self.minutes:
                if same_h and m < after[1]:
                    continue
                same_m = same_h and m == after[1]
                for s in self.seconds:
                    if same_m and s <= after[2]:
                        continue
                    return h, m, s
        return None


def _numbers(text: str, lo: int, hi: int, names: dict, what: str, expression: str) -> set:
    """One field's comma-separated items (``*``, ``a``, ``a-b``, each with an optional ``/step``)."""
    out = set()

    def value(token: str) -> int:
        token = token.upper()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"{expression!r}: {what} has an invalid value {token!r}")
        number = int(token)
        if not lo <= number <= hi:
            raise ScheduleError(f"{expression!r}: {what} value {number} is outside {lo}-{hi}")
        return number

    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{expression!r}: {what} has an invalid step {item!r}")
            step = int(step_text)
        else:
            step = 1
        if base in ("*", "?"):
            first, last = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = value(a), value(b)
            if first > last:
                raise ScheduleError(f"{expression!r}: {what} range {base!r} runs backwards")
        else:
            first = value(base)
            last = hi if slash else first
        out.update(range(first, last + 1, step))
    return out


def _dom(text: str, expression: str) -> tuple:
    if text in ("*", "?"):
        return None, False
    last = False
    items = []
    for item in text.split(","):
        if item.upper() == "L":
            last = True
        elif "W" in item.upper():
            raise ScheduleError(f"{expression!r}: 'W' (nearest weekday) is not supported")
        else:
            items.append(item)
    days = _numbers(",".join(items), 1, 31, {}, "day-of-month", expression) if items else set()
    return days, last


def _dow(text: str, aws: bool, expression: str) -> tuple:
    """Day-of-week items → (Unix weekdays or None, {(weekday, nth)}, {weekday last in month})."""
    if text in ("*", "?"):
        return None, set(), set()
    lo, hi, names = (1, 7, {k: v + 1 for k, v in _DAYS.items()}) if aws else (0, 7, _DAYS)

    def unix(n: int) -> int:
        return (n - 1) % 7 if aws else n % 7

    weekdays, nths, lasts = set(), set(), set()
    for item in text.split(","):
        upper = item.upper()
        if "#" in upper:
            day, _, nth = upper.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise ScheduleError(f"{expression!r}: day-of-week {item!r} needs #1 to #5")
            nths.add((unix(min(_numbers(day, lo, hi, names, "day-of-week", expression))), int(nth)))
        elif upper.endswith("L") and upper != "L":
            lasts.add(unix(min(_numbers(upper[:-1], lo, hi, names, "day-of-week", expression))))
        elif upper == "L":
            lasts.add(6)  # why: a lone L in day-of-week is the last Saturday (Quartz)
        else:
            weekdays.update(unix(n) for n in _numbers(item, lo, hi, names, "day-of-week", expression))
    return (weekdays or (None if not (nths or lasts) else set())), nths, lasts


def _cron(expression: str, fields: list, aws: bool, zone: Any) -> Cron:
    if aws:
        minute, hour, dom, month, dow, year = fields
        second = "0"
        if (dom == "?") == (dow == "?"):
            raise ScheduleError(f"{expression!r}: AWS cron needs '?' in exactly one of day-of-month and day-of-week")
    elif len(fields) == 5:
        minute, hour, dom, month, dow = fields
        second, year = "0", "*"
    else:
        second, minute, hour, dom, month, *rest = fields
        dow = rest[0] if rest else "*"
        year = rest[1] if len(rest) > 1 else "*"
    years = None if year in ("*", "?") else _numbers(year, 1970, 2199, {}, "year", expression)
    cron = Cron(expression,
                sorted(_numbers(second, 0, 59, {}, "second", expression)),
                sorted(_numbers(minute, 0, 59, {}, "minute", expression)),
                sorted(_numbers(hour, 0, 23, {}, "hour", expression)),
                _numbers(month, 1, 12, _MONTHS, "month", expression),
                years, _dom(dom, expression), _dow(dow, aws, expression), not aws, zone)
    # why: Feb 30, a past year and the like fail at boot, not silently never
    cron.next_after(time.time() if years is None else max(time.time(), _year_start(min(years)) - 1))
    return cron


def _year_start(year: int) -> float:
    from datetime import datetime, timezone

    return datetime(year, 1, 1, tzinfo=timezone.utc).timestamp()


def parse(expression: str) -> Rate | Cron:
    """Parse a schedule expression (see the module docstring); raise ScheduleError when it is invalid."""
    if not isinstance(expression, str) or not expression.strip():
        raise ScheduleError(f"a schedule expression must be a non-empty string, not {expression!r}")
    zone, text = _zone_prefix(expression.strip(), expression)
    lower = text.lower()
    if lower.startswith("rate(") and lower.endswith(")"):
        return _rate(text, expression)
    if lower.startswith("@every"):
        return Rate(expression, _every(text[6:].strip(), expression))
    if lower.startswith("cron(") and lower.endswith(")"):
        fields = text[5:-1].split()
        if len(fields) != 6:
            raise ScheduleError(f"{expression!r}: AWS cron() takes 6 fields (Min Hour Day Month Weekday Year)")
        return _cron(expression, fields, True, zone)
    fields = text.split()
    if len(fields) not in (5, 6, 7):
        raise ScheduleError(f"{expression!r}: expected rate(...), cron(...), @every or a cron of 5, 6 or 7 fields")
    return _cron(expression, fields, False, zone)


def _zone_prefix(text: str, expression: str) -> tuple:
    """``(zone or None, the rest)`` of an expression that may start with ``CRON_TZ=`` / ``TZ=``."""
    if not text.startswith(("CRON_TZ=", "TZ=")):
        return None, text
    name, _, text = text.partition("=")[2].partition(" ")
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(name)
    except Exception:
        raise ScheduleError(f"{expression!r}: unknown time zone {name!r}") from None
    return zone, text.strip()


def _rate(text: str, expression: str) -> Rate:
    """``rate(N unit)`` (EventBridge)."""
    parts = text[5:-1].split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1 or parts[1].lower() not in _RATE_UNITS:
        raise ScheduleError(f"{expression!r}: expected rate(N minutes|hours|days), N >= 1")
    return Rate(expression, int(parts[0]) * _RATE_UNITS[parts[1].lower()])


def _every(text: str, expression: str) -> float:
    total = 0.0
    number = ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in _EVERY_UNITS and number:
            try:
                total += float(number) * _EVERY_UNITS[ch]
            except ValueError:
                break
            number = ""
        else:
            number = "x"
            break
    if number or total < 1:
        raise ScheduleError(f"{expression!r}: expected @every followed by a duration such as 30m, 1h30m or 1.5h")
    return total


def validate(app: Any) -> None:
    """Parse every task of ``app.scheduled_tasks`` and refuse duplicate names (raises ScheduleError)."""
    seen = set()
    for name, expression, _ in app.scheduled_tasks:
        if name in seen:
            raise ScheduleError(f"two @Scheduled tasks are named {name!r}: give one a name= of its own")
        seen.add(name)
        try:
            parse(expression)
        except ScheduleError as exc:
            raise ScheduleError(f"@Scheduled task {name!r}: {exc}") from None


def find_task(app: Any, names: list) -> tuple | None:
    """The first task named by one of ``names`` (its full name, then its method name), or None."""
    tasks = app.scheduled_tasks
    for candidate in names:
        for task in tasks:
            if task[0] == candidate:
                return task
    for candidate in names:
        for task in tasks:
            if task[0].rpartition(".")[2] == candidate:
                return task
    return None


class Scheduler:
    """Runs ``app.scheduled_tasks`` on their schedules; ``tick(now)`` does one step (tests drive it)."""

    def __init__(self, app: Any, now: float):
        self.app = app
        self.entries = []  # [name, schedule, fn, next_ts]
        for name, expression, fn in app.scheduled_tasks:
            schedule = parse(expression)
            self.entries.append([name, schedule, fn, schedule.next_after(now)])

    def next_due(self) -> float:
        """The earliest next fire time of any task."""
        return min(entry[3] for entry in self.entries)

    def tick(self, now: float) -> float:
        """Run each task whose time has come (once, however late), then return the next due time."""
        for entry in self.entries:
            name, schedule, fn, due = entry
            if due > now:
                continue
            try:
                fn()
            except Exception:
                from . import log

                log.get_logger().exception("@Scheduled task %s failed", name)
            nxt = schedule.next_after(due if isinstance(schedule, Rate) else now)
            while nxt <= now:  # why: missed runs (a slow task, a suspended laptop) are skipped, not replayed
                nxt = schedule.next_after(nxt if isinstance(schedule, Rate) else now)
            entry[3] = nxt
        return self.next_due()


def start_scheduler(app: Any, now: Callable = time.time) -> Callable:
    """Run the app's tasks on a daemon thread; return ``stop()`` (idempotent; waits for a running task)."""
    import threading

    scheduler = Scheduler(app, now())
    stopping = threading.Event()

    def loop() -> None:
        due = scheduler.next_due()
        while not stopping.wait(max(0.0, min(due - now(), 3600.0))):
            due = scheduler.tick(now())

    thread = threading.Thread(target=loop, name="koatty-scheduler", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        if thread is not threading.current_thread():
            thread.join(10)

    stop.scheduler = scheduler
    stop.thread = thread
    return stop


# The decorator (koatty_lite and koatty_lite.decorators serve it from here: PERF, two code objects out of every
# cold start's code cache).
def Scheduled(expression: str, name: "str | None" = None) -> "Callable":
    """Run this singleton method on a schedule (``rate(...)``/``cron(...)``, see schedule.py)."""
    _bare("Scheduled", expression, "@Scheduled(\"rate(5 minutes)\") (an expression)")

    def deco(fn):
        fn.__koatty_scheduled__ = (expression, name)
        return fn

    return deco
