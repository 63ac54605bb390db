"""A throw-away PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder on a loopback port.

Needs the server binaries (the Debian `postgresql` package: /usr/lib/postgresql/*/bin, which `.ci/run`
installs). PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (which
the Debian package creates) through runuser. Every reason it cannot start is a skip reason.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def pg_bin() -> str | None:
    """The folder holding initdb and pg_ctl: PATH first, then the Debian layout (newest version first)."""
    found = shutil.which("initdb")
    dirs = [os.path.dirname(os.path.realpath(found))] if found else []
    dirs += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2] or 0)
                   if d.split("/")[-2].isdigit() else 0, reverse=True)
    for d in dirs:
        if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "pg_ctl")):
            return d
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """`with PostgresServer() as pg: pg.url` — a server with trust auth for user postgres on 127.0.0.1."""

    def __init__(self):
        self.bin = pg_bin()
        if self.bin is None:
            raise Unavailable("no PostgreSQL server binaries (initdb, pg_ctl): install the Debian package "
                              "`postgresql` (.ci/run does)")
        self.prefix = []
        self.user = None
        if os.geteuid() == 0:
            import pwd

            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no `postgres` user to run the server as") from None
            runuser = shutil.which("runuser") or shutil.which("setpriv")
            if runuser is None:
                raise Unavailable("running as root without runuser/setpriv to start the server as `postgres`")
            if os.path.basename(runuser) == "runuser":
                self.prefix = [runuser, "-u", "postgres", "--"]
            else:
                self.prefix = [runuser, f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                               "--init-groups", "--"]
        self.dir = None
        self.port = None

    def _run(self, *args, timeout=120):
        p = subprocess.run(self.prefix + list(args), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, cwd="/")
        if p.returncode != 0:
            raise Unavailable(f"{os.path.basename(args[0])} failed: {(p.stderr or p.stdout).strip()[-400:]}")
        return p

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="koatty-pg-")
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        data = os.path.join(self.dir, "data")
        try:
            self._run(os.path.join(self.bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--locale=C", "--no-sync")
            self._start(data)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def _start(self, data: str, attempts: int = 5) -> None:
        """Start on a free loopback port. Why the retries: the port is free when picked, but another
        test run (two `pytest` at once, each with its own server) may bind it before this server does;
        the clash shows in the server's log as "Address already in use", and a new port is tried."""
        log = os.path.join(self.dir, "log")
        for attempt in range(attempts):
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
            try:
                self._run(os.path.join(self.bin, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o", opts,
                          "start")
                return
            except Unavailable:
                try:
                    with open(log, errors="replace") as fh:
                        clash = "already in use" in fh.read()
                except OSError:
                    clash = False
                if not clash or attempt == attempts - 1:
                    raise
                os.truncate(log, 0)

    @property
    def url(self) -> str:
        """postgresql:// URL of the `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def __exit__(self, *exc):
        try:
            subprocess.run(self.prefix + [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                          "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60, cwd="/")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
