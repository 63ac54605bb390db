"""NoteStore: the notes table on sqlite3 (the default) or PostgreSQL (`DATABASE_URL`, driver pg8000).

How it holds its connection, as a function platform wants it:
- lazily: nothing is opened at import or boot; the first query connects (a cold start that answers
  from a cache, or a health probe, never pays for a database it does not use);
- one connection per process under `koatty_lite.handler()` (`server.serverless`: one invocation at a
  time), one per thread under `listen()` (a connection is not shared between concurrent requests);
  a thread's connection is closed when the thread ends;
- `check()` is the handler's `health_check`: before each invocation it pings the open connection and
  reconnects when the ping fails (a Lambda thawed after minutes may find its socket closed by the
  server or a NAT); if reconnecting fails too, the invocation gets a 503 and the platform retries;
- closed at `appStop` (SIGTERM, FC's pre_stop, `app.stop()`).
"""
from __future__ import annotations

import threading
import weakref

from koatty_lite import Component, Config, OnEvent

SCHEMA = {
    "sqlite": "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, "
              "title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '')",
    "postgres": "CREATE TABLE IF NOT EXISTS notes (id SERIAL PRIMARY KEY, title TEXT NOT NULL, "
                "body TEXT NOT NULL DEFAULT '')",
}


def _close(conn) -> None:
    try:
        conn.close()
    except Exception:  # why: closing a connection the server already dropped may raise; it is gone either way
        pass


def connect_postgres(url: str):
    """A pg8000 DB-API connection for `postgresql://user:password@host:port/db[?sslmode=require]`."""
    from urllib.parse import parse_qs, unquote, urlsplit

    import pg8000.dbapi  # why: imported on first connect; an sqlite deployment never loads it

    u = urlsplit(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL must start with postgresql://, got {u.scheme}://")
    query = {k: v[-1] for k, v in parse_qs(u.query).items()}
    kw = {"user": unquote(u.username or "postgres"), "database": unquote(u.path.lstrip("/")) or None,
          "timeout": 5, "application_name": "koatty-notes"}
    if u.password:
        kw["password"] = unquote(u.password)
    if query.get("host", "").startswith("/"):  # libpq's socket directory form: ?host=/run/postgresql
        kw["unix_sock"] = f"{query['host']}/.s.PGSQL.{u.port or 5432}"
    else:
        kw["host"], kw["port"] = u.hostname or "localhost", u.port or 5432
    if query.get("sslmode") in ("require", "verify-ca", "verify-full"):
        kw["ssl_context"] = True  # TLS verified against the system's CAs
    conn = pg8000.dbapi.connect(**kw)
    conn.autocommit = True
    return conn


class _Slot:
    """Holds one thread's connection; when the thread ends this goes, and a finalizer closes the connection."""

    __slots__ = ("conn", "__weakref__")


@Component()
class NoteStore:
    """Notes in sqlite3 at `database.path`, or in PostgreSQL when `database.url` (DATABASE_URL) is set."""

    url: str = Config("database.url", "")
    path: str = Config("database.path", "/tmp/notes.sqlite3")
    serverless: bool = Config("server.serverless", False)

    def __init__(self):
        self.kind = "postgres" if self.url else "sqlite"
        self._ph = "%s" if self.kind == "postgres" else "?"  # pg8000's paramstyle is "format"
        self._lock = threading.Lock()
        self._local = threading.local()
        self._process_slot = _Slot()
        self._process_slot.conn = None
        self._finalizers = []  # one per connection opened: calling it closes that connection once
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    # --- connections ------------------------------------------------------------------------------
    def _slot(self) -> _Slot:
        if self.serverless:
            return self._process_slot
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = _Slot()
            slot.conn = None
        return slot

    def _open(self, slot: _Slot):
        if self.kind == "postgres":
            conn = connect_postgres(self.url)
        else:
            import sqlite3  # why: sqlite3 costs import time; only an app that queries pays for it

            # check_same_thread=False: appStop closes it from another thread; a slot is never shared.
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
        try:
            self._ensure_schema(conn)
        except BaseException:
            _close(conn)  # why: never leak a connection whose set-up failed
            raise
        slot.conn = conn
        with self._lock:
            self._finalizers = [f for f in self._finalizers if f.alive]
            self._finalizers.append(weakref.finalize(slot, _close, conn))
        return conn

    def _ensure_schema(self, conn) -> None:
        if self.kind == "sqlite":
            self._query(conn, SCHEMA["sqlite"])  # cheap, and a ":memory:" database is per connection
            return
        if self._schema_ready:
            return
        with self._schema_lock:  # why: one CREATE per process, not one per worker thread
            if self._schema_ready:
                return
            try:
                self._query(conn, SCHEMA["postgres"])
            except Exception:
                # Why: CREATE TABLE IF NOT EXISTS is not atomic in PostgreSQL: instances cold-starting
                # together on a fresh database race, and the loser gets a unique violation although
                # the table now exists. Only a table that is still missing is an error.
                self._query(conn, "SELECT 1 FROM notes LIMIT 1")
            self._schema_ready = True

    def connection(self):
        """This process's (serverless) or this thread's (listen mode) connection, opened on first use."""
        slot = self._slot()
        return slot.conn if slot.conn is not None else self._open(slot)

    def check(self) -> None:
        """health_check: ping the open connection; reconnect when it is gone. Opens nothing if none is open."""
        slot = self._slot()
        if slot.conn is None:
            return  # lazy: nothing opened yet, nothing to check
        try:
            self._query(slot.conn, "SELECT 1")
        except Exception:
            old, slot.conn = slot.conn, None
            _close(old)
            self._query(self._open(slot), "SELECT 1")  # raises: the invocation gets a 503, the platform retries

    @OnEvent("appStop")
    def close(self, app=None) -> None:
        """Close every connection this store opened (appStop)."""
        with self._lock:
            finalizers, self._finalizers = self._finalizers, []
        for fin in finalizers:
            fin()
        self._process_slot.conn = None
        self._local = threading.local()

    # --- queries ----------------------------------------------------------------------------------
    def _query(self, conn, sql: str, args: tuple = ()) -> list:
        cur = conn.cursor()
        try:
            cur.execute(sql.replace("?", self._ph), args)
            return cur.fetchall() if cur.description else []
        finally:
            cur.close()

    def _run(self, sql: str, args: tuple = ()) -> list:
        return self._query(self.connection(), sql, args)

    def list(self) -> list:
        """Every note, oldest first."""
        return [self._note(r) for r in self._run("SELECT id, title, body FROM notes ORDER BY id")]

    def get(self, id: int) -> dict | None:
        """A note by id, or None."""
        rows = self._run("SELECT id, title, body FROM notes WHERE id = ?", (id,))
        return self._note(rows[0]) if rows else None

    def add(self, title: str, body: str = "") -> dict:
        """Insert a note and return it."""
        if self.kind == "postgres":
            new_id = self._run("INSERT INTO notes (title, body) VALUES (?, ?) RETURNING id", (title, body))[0][0]
        else:
            cur = self.connection().execute("INSERT INTO notes (title, body) VALUES (?, ?)", (title, body))
            new_id = cur.lastrowid
        return {"id": new_id, "title": title, "body": body}

    def update(self, id: int, title: str, body: str) -> dict | None:
        """Replace a note's title and body; None when there is no such note."""
        if self.get(id) is None:
            return None
        self._run("UPDATE notes SET title = ?, body = ? WHERE id = ?", (title, body, id))
        return {"id": id, "title": title, "body": body}

    def delete(self, id: int) -> bool:
        """Delete a note; False when there was none."""
        if self.get(id) is None:
            return False
        self._run("DELETE FROM notes WHERE id = ?", (id,))
        return True

    @staticmethod
    def _note(row) -> dict:
        return {"id": row[0], "title": row[1], "body": row[2]}
