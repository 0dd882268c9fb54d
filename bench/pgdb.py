"""Databases of the benchmarks' own on the shared PostgreSQL server, and the CLI run against them.

Each benchmark creates a fresh database named after the branch that owns it (so it can never
touch the tests' ``test`` database), upgrades it with ``rescind db upgrade`` and drops it at
the end unless asked to keep it. The CLI always runs as a subprocess, as an operator would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _admin(server: str) -> Engine:
    return create_engine(database_url(server, "postgres"), isolation_level="AUTOCOMMIT")


def create_database(server: str, name: str) -> str:
    """A new empty database ``name`` (dropped first if a previous run left it); its URL."""
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    engine = _admin(server)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    engine = _admin(server)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class CliRun:
    seconds: float
    stdout: str
    stderr: str


def rescind(url: str, args: Sequence[str], *, timeout: float = 3600) -> CliRun:
    """Run ``rescind ARGS`` against ``url``; a non-zero exit raises with its output."""
    executable = Path(sys.executable).with_name("rescind")
    env = {**os.environ, "RESCIND_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own CLI, arguments built here
        [str(executable), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"rescind {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return CliRun(seconds, done.stdout, done.stderr)


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def print_table(title: str, rows: Sequence[tuple[str, str]]) -> None:
    """A two-column table on stdout (what was measured, and its value)."""
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 3 + max(len(value) for _, value in rows)))
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")
