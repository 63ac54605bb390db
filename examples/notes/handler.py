"""Entry module of the notes service: AWS `handler.handler`, Alibaba FC `handler.handler` (+ `handler.initialize`,
`handler.pre_stop`), Tencent SCF `handler.main_handler`."""
from __future__ import annotations

from notes.app import App
from notes.store import NoteStore

import koatty_lite


def health_check(app):
    """Before each invocation: the store pings its connection and reconnects after a thaw."""
    app.get(NoteStore).check()


handler = koatty_lite.handler(App, health_check=health_check)
main_handler = handler
initialize = handler.initialize
pre_stop = handler.pre_stop
