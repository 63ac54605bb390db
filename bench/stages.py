"""Per-stage µs of one koatty_lite invocation (the profile behind bench/ANALYSIS.md).

    python3 bench/stages.py [v1|v2|url|alb]

Times, with timeit (CPU time, best of 30: the machine is shared), each stage of
`koatty_lite.handler(App)` answering `GET /hello` (8 headers) with the bench app: detection, event →
Request (what a koatty_lite app reads), the app with its answer shaped straight into the platform
response (`koatty_answer`, what `handler()` runs), the app alone and the general shaping (what an
answer with cookies or an error takes), the whole call; and, for comparison, event → PEP 3333
environ (what a foreign WSGI app gets).
"""
from __future__ import annotations

import os
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE, os.path.join(HERE, "apps")]

from run import make_event  # noqa: E402

import koatty_app  # noqa: E402
from koatty_lite.serverless import FORMATS  # noqa: E402
from koatty_lite.serverless.http import clean_headers  # noqa: E402


def per_call(fn, n: int = 2000) -> float:
    """Best-of-30 µs of CPU time per call (CPU time: other processes' load does not count)."""
    fn()
    return min(timeit.repeat(fn, number=n, repeat=30, timer=time.process_time)) / n * 1e6


def main(kind: str = "v1") -> None:
    """Print one line per stage."""
    event = make_event(kind, "GET", "/hello")
    fmt = next(f for f in FORMATS if f.detect(event))
    app = koatty_app.handler.get_app().get_request_handler()
    request = fmt.to_request(event, None, "")
    status, headers, body = app.koatty_respond(fmt.to_request(event, None, ""))
    to_request = per_call(lambda: fmt.to_request(event, None, ""))
    stages = [
        ("detect the event kind", per_call(lambda: next(f for f in FORMATS if f.detect(event)))),
        ("event -> Request", to_request),
        ("the app + its answer (koatty_answer)",
         per_call(lambda: app.koatty_answer(fmt.to_request(event, None, ""), fmt.answer, fmt.to_response)) - to_request),
        ("(the app alone, koatty_respond)", per_call(lambda: app.koatty_respond(fmt.to_request(event, None, ""))) - to_request),
        ("(general shaping, to_response)", per_call(lambda: fmt.to_response(request, status, clean_headers(headers), body))),
        ("whole handler(event, None)", per_call(lambda: koatty_app.handler(dict(event), None))),
        ("(event -> environ, foreign apps)", per_call(lambda: fmt.to_environ(event, None, ""))),
    ]
    for name, us in stages:
        print(f"{name:38} {us:6.2f} µs")


if __name__ == "__main__":
    main(*sys.argv[1:2])
