"""The notes App: `python -m koatty_lite serve notes.app:App` from examples/notes (PYTHONPATH=../..)."""
from __future__ import annotations

from koatty_lite import Koatty

from .controller import NoteController
from .store import NoteStore


class App(Koatty):
    """A store component and a controller; the database is chosen by the environment."""

    components = [NoteStore, NoteController]
    config = {
        # DATABASE_URL=postgresql://user:password@host:5432/db selects PostgreSQL (pg8000, pure Python);
        # unset, notes live in sqlite3 at NOTES_DB (Lambda and FC can write /tmp only).
        "database": {"url": "${DATABASE_URL:}", "path": "${NOTES_DB:/tmp/notes.sqlite3}"},
    }
