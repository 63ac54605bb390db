"""A tiny user store on stdlib sqlite3, opened lazily on first use."""
from __future__ import annotations

from koatty_lite import Component, Config


@Component()
class UserStore:
    """Users in a sqlite3 database at config ``db.path`` (default: in memory)."""

    path: str = Config("db.path", ":memory:")

    def __init__(self):
        self._db = None

    def db(self):
        """The connection, opened (and the table created) on first use."""
        if self._db is None:
            import sqlite3  # Why: sqlite3 costs import time; only requests that touch the store pay it.

            # check_same_thread=False: the wsgiref server serves each request on its own thread.
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        return self._db

    def add(self, name: str) -> dict:
        """Insert a user and return it."""
        cur = self.db().execute("INSERT INTO users (name) VALUES (?)", (name,))
        return {"id": cur.lastrowid, "name": name}

    def get(self, id: int) -> dict | None:
        """A user by id, or None."""
        row = self.db().execute("SELECT id, name FROM users WHERE id = ?", (id,)).fetchone()
        return None if row is None else {"id": row[0], "name": row[1]}

    def close(self) -> None:
        """Close the connection if it was opened."""
        if self._db is not None:
            self._db.close()
            self._db = None
