"""The "koatty" logger: request id in each record, no duplicate handler under a configured root."""
from __future__ import annotations

import logging

from core_support import client as make_client
from koatty_lite import Controller, GetMapping, Koatty
from koatty_lite import log as klog


@Controller()
class LogController:
    @GetMapping("/")
    def index(self):
        klog.get_logger().warning("inside")
        return {}


class App(Koatty):
    components = [LogController]


def test_request_id_on_log_records(caplog):
    c = make_client(App)[0]
    res = c.get("/", headers={"X-Request-Id": "req-42"})
    assert res.headers["X-Request-Id"] == "req-42"
    records = [r for r in caplog.records if r.getMessage() == "inside"]
    assert [r.request_id for r in records] == ["req-42"]


def test_no_own_handler_when_root_has_one():
    # pytest's logging plugin gives the root logger handlers during tests, like the Lambda runtime does.
    assert logging.getLogger().handlers
    logger = klog.get_logger()
    assert logger is logging.getLogger("koatty")
    assert not any(isinstance(h, logging.StreamHandler) and h.formatter and "request_id" in h.formatter._fmt
                   for h in logger.handlers)


def test_own_handler_format_without_root_handler():
    import os
    import re
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", "from koatty_lite.log import get_logger; get_logger().warning('hi')"],
                         cwd=root, capture_output=True, text=True)
    assert re.fullmatch(r"\[\d{4}-\d\d-\d\d [\d:,]+\] \[WARNING\] \[-\] hi\n", out.stderr), out.stderr
