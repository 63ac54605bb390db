"""An app for the listen()/SIGTERM tests (run in a subprocess by test_core_listen.py)."""
from __future__ import annotations

import sys
import time

from koatty_lite import Controller, Get, GetMapping, Koatty


@Controller()
class SlowController:
    @GetMapping("/")
    def index(self):
        return {"ok": True}

    @GetMapping("/slow")
    def slow(self, t: float = Get("t", default=0.5)):
        print("slow-start", flush=True)
        time.sleep(t)
        return {"slept": t}


class App(Koatty):
    components = [SlowController]
    # The SIGTERM tests shorten the deadline through the environment (config placeholders).
    config = {"server": {"shutdown_timeout": "${KOATTY_TEST_SHUTDOWN:10}"}}

    def init(self):
        self.on("appStart", lambda app: print("appStart", flush=True))
        self.on("appStop", lambda app: print("appStop", flush=True))
        self.on("appStop", lambda app: sys.stdout.flush())
