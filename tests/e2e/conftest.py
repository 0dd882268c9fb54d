"""End-to-end: the real ``rescind`` command in a subprocess, on a database of its own.

Every test gets its own ``RESCIND_DATA_DIR`` (so its own SQLite file) and runs with no other
``RESCIND_*`` variable from the outside environment. Starting the command costs well over a
second here, so the slow part is shared: ``rescind demo`` runs once per session into a
template directory, and ``demo_copy`` hands each test its own copy of that SQLite file.

PostgreSQL tests (marked ``postgres``) get a fresh schema ``rescind_e2e_<pid>_<n>`` on the
server at ``RESCIND_TEST_POSTGRES_URL``, dropped afterwards; ``RESCIND_SKIP_POSTGRES=1`` skips
them, and an unreachable server otherwise fails them loudly.

Every run is checked for a traceback on stderr and for its exit code; a successful run must
also leave stderr empty unless the test says otherwise.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tests.pg import postgres_schema

SQLITE_NAME = "rescind.sqlite3"
# Generous: two cores shared with other test runs can make one start take many seconds.
TIMEOUT_SECONDS = 180


def rescind_command() -> list[str]:
    """The installed ``rescind`` script next to this interpreter, else the module itself."""
    script = Path(sys.executable).with_name("rescind")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "rescind.entrypoints.cli"]


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one line on stderr, which must start with ``error:``."""
        lines = self.err.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
        assert lines[0].startswith("error: "), lines[0]
        return lines[0]


@dataclass
class Rescind:
    """Runs ``rescind`` with a data directory (and optionally a database URL) of its own."""

    data_dir: Path
    database_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / SQLITE_NAME

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESCIND_")}
        env["RESCIND_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            env["RESCIND_DATABASE_URL"] = self.database_url
        # Wide enough that rich never wraps a table cell mid-word; no colour codes.
        env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
        env.update(self.extra_env)
        return env

    def __call__(
        self, *args: str, code: int = 0, stderr_ok: bool = False, stdin: str | None = None
    ) -> Result:
        done = subprocess.run(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), *args],
            input=stdin,
            env=self.env(),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        result = Result(args=args, code=done.returncode, out=done.stdout, err=done.stderr)
        shown = f"rescind {' '.join(args)}\n--- stdout\n{result.out}--- stderr\n{result.err}"
        assert "Traceback" not in result.err, shown
        assert result.code == code, f"exit {result.code}, expected {code}: {shown}"
        if code == 0 and not stderr_ok:
            assert result.err == "", shown
        return result


@dataclass(frozen=True)
class DemoFacts:
    """What the first ``rescind demo`` printed: the jobs it used and the window it opened."""

    first_run: Result
    template_dir: Path
    phone_job: str
    final_date: date
    beam_job: str

    def copy_into(self, data_dir: Path) -> Rescind:
        shutil.copyfile(self.template_dir / SQLITE_NAME, data_dir / SQLITE_NAME)
        return Rescind(data_dir)


@pytest.fixture
def rescind(tmp_path: Path) -> Rescind:
    """``rescind`` on a fresh, empty data directory."""
    return Rescind(tmp_path)


@pytest.fixture(scope="session")
def demo_facts(tmp_path_factory: pytest.TempPathFactory) -> DemoFacts:
    template = tmp_path_factory.mktemp("demo-template")
    first = Rescind(template)("demo")
    # A running SQLite file may have a WAL beside it; a finished one must not, or copies lie.
    assert sorted(p.name for p in template.iterdir()) == [SQLITE_NAME]
    cancelled = re.search(
        r"job (JOB-\d+) is now cancel pending until the end of (\d{4}-\d{2}-\d{2})", first.out
    )
    beam = re.search(r"A Beam customer asks to cancel job (JOB-\d+)", first.out)
    assert cancelled, first.out
    assert beam, first.out
    return DemoFacts(
        first_run=first,
        template_dir=template,
        phone_job=cancelled[1],
        final_date=date.fromisoformat(cancelled[2]),
        beam_job=beam[1],
    )


@pytest.fixture
def demo_copy(demo_facts: DemoFacts, tmp_path: Path) -> Rescind:
    """``rescind`` on this test's own copy of the demo-loaded database."""
    return demo_facts.copy_into(tmp_path)


# --- PostgreSQL -------------------------------------------------------------------------------

_schema_numbers = itertools.count(1)


@pytest.fixture
def postgres_rescind(tmp_path: Path) -> Iterator[Rescind]:
    """``rescind`` on a fresh, empty (not yet migrated) schema of the real PostgreSQL server."""
    with postgres_schema(f"rescind_e2e_{os.getpid()}_{next(_schema_numbers)}") as url:
        yield Rescind(tmp_path, database_url=url)
