"""The demo App: ``python3 -m koatty_lite serve examples.demo.app:App --port 3000`` (or ``make run``)."""
from __future__ import annotations

from koatty_lite import Koatty

from .controller import IndexController
from .errors import DemoExceptionHandler
from .middleware import TimingMiddleware
from .service import UserService
from .store import UserStore


class App(Koatty):
    """Components are listed explicitly: nothing is discovered by scanning files."""

    components = [UserStore, UserService, TimingMiddleware, DemoExceptionHandler, IndexController]
    config = {
        "db": {"path": "${DEMO_DB::memory:}"},
        "middleware": {"list": ["TimingMiddleware"], "config": {"TimingMiddleware": {"header": "X-Response-Time"}}},
        # GET /openapi.json serves the OpenAPI 3.1 document (docs/openapi.md); off unless a path is set.
        "openapi": {"path": "/openapi.json", "title": "koatty_lite demo", "version": "0.1.0"},
    }
    env_config = {"production": {"server": {"host": "0.0.0.0"}}}
