"""The CLI run against a benchmark's database, as an operator would: a subprocess each time.

The databases themselves come from ``bench.postgres`` (fresh, named ``rescind_bench_*``, so a
run never touches the tests' ``test`` database).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text


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
