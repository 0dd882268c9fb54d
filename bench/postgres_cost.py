"""CPU a benchmark run spends in PostgreSQL and in the app, read from Linux ``/proc``.

``pg_stat_statements`` is not preloaded on this server (``shared_preload_libraries`` is
empty), so PostgreSQL's share is read where the kernel keeps it: the user + system CPU of
the server's backend processes serving the benchmark's database. ``Backends`` finds them in
``/proc`` (children of the postmaster whose title names the database) every 50 ms while the
run lasts: a backend that starts during the run counts from zero, one that exits counts up to
its last sighting, so an app whose pool opens and closes connections (SQLAlchemy's overflow)
is under-counted by what its short-lived backends did between sightings: a lower bound.
The server's shared processes (WAL writer, checkpointer, background writer) are left out:
they serve every database on the server. The app's share is the same reading for the
benchmark's own server processes (``Server.cpu_seconds``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

import psycopg

from bench.postgres import conninfo, database_url


def database_work(server: str, database: str) -> tuple[int, int]:
    """Committed transactions and rows written (inserted + updated + deleted) so far.

    Backends report their counts when they go idle or exit, so read this after the app's
    connections are closed to see all of them.
    """
    with psycopg.connect(conninfo(database_url(server, database)), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        commits = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        rows = conn.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
        ).fetchone()
    return (int(commits[0]) if commits else 0), (int(rows[0]) if rows else 0)


def _postmaster(server: str) -> int:
    with psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True) as conn:
        found = conn.execute("SELECT pg_backend_pid()").fetchone()
        pid = found[0] if found else 0
        # Read while the connection is open: its backend exits (and its /proc entry goes)
        # as soon as the connection closes.
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


class Backends:
    """``with Backends(server, database) as pg:`` … ``pg.cpu_seconds``, ``pg.seen``."""

    def __init__(self, server: str, database: str, interval: float = 0.05) -> None:
        self._parent, self._title = _postmaster(server), f" {database} "
        self._interval = interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _sample(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[1]) != self._parent:
                    continue
                if self._title not in (entry / "cmdline").read_text():
                    continue
            except (OSError, IndexError, ValueError):
                continue
            ticks = os.sysconf("SC_CLK_TCK")
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
        return found

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self._last.update(self._sample())

    def __enter__(self) -> Backends:
        self._first = self._sample()
        self._last = dict(self._first)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._sample())

    @property
    def cpu_seconds(self) -> float:
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())

    @property
    def started(self) -> int:
        """Backends that started during the run: connections the app opened."""
        return len(self._last.keys() - self._first.keys())
