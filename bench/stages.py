"""Per-stage µs of one koatty_lite invocation (the profile behind bench/ANALYSIS.md).

    python3 bench/stages.py [v1|v2|alb]

Times, with timeit, each stage of `koatty_lite.handler(App)` answering `GET /hello` with the bench
app: detection, event → environ, the app (`koatty_respond`), response shaping, and the whole call.
"""
from __future__ import annotations

import os
import sys
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE, os.path.join(HERE, "apps")]

from run import make_event  # noqa: E402

import koatty_app  # noqa: E402
from koatty_lite.serverless import DETECTORS  # noqa: E402
from koatty_lite.serverless.http import clean_headers  # noqa: E402


def per_call(fn, n: int = 20000) -> float:
    """Best-of-5 µs per call."""
    fn()
    return min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6


def main(kind: str = "v1") -> None:
    """Print one line per stage."""
    event = make_event(kind, "GET", "/hello")
    row = next(r for r in DETECTORS if r[2](event))
    app = koatty_app.handler.get_app().get_request_handler()
    environ = row[3](event, None, "")
    status, headers, body = app.koatty_respond(row[3](event, None, ""))
    stages = [
        ("detect the event kind", lambda: next(r for r in DETECTORS if r[2](event))),
        ("event -> environ", lambda: row[3](event, None, "")),
        ("the app (koatty_respond)", lambda: app.koatty_respond(row[3](event, None, ""))),
        ("response shaping", lambda: row[4](environ, status, clean_headers(headers), body)),
        ("whole handler(event, None)", lambda: koatty_app.handler(dict(event), None)),
    ]
    base = per_call(stages[1][1])
    for name, fn in stages:
        us = per_call(fn)
        if name == "the app (koatty_respond)":
            us -= base  # it rebuilds the environ each call; report the app alone
        print(f"{name:30} {us:6.2f} µs")


if __name__ == "__main__":
    main(*sys.argv[1:2])
