"""CPU a benchmark run spends in PostgreSQL and in the app, read from Linux ``/proc``.

``pg_stat_statements`` is not preloaded on this server (``shared_preload_libraries`` is
empty), so PostgreSQL's share is read where the kernel keeps it: the user + system CPU of
the server's backend processes serving the benchmark's database, found in
``pg_stat_activity`` before and after the run. A backend that starts during the run counts
from zero; one that exits before the end is missed (the benchmarks' pools keep theirs open).
The server's shared processes (WAL writer, checkpointer, background writer) are left out:
they serve every database on the server. The app's share is the same reading for the
benchmark's own server processes (``Server.cpu_seconds``).
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from bench.postgres import conninfo, database_url


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends(server: str, database: str) -> dict[int, float]:
    """CPU seconds so far of every backend connected to ``database`` (this query's excepted)."""
    with psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return {pid: process_cpu(pid) for (pid,) in pids}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used between two ``backends`` readings."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


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
