"""The worker and the mail commands against real databases and a real SMTP server.

In-process tests reuse the integration fixtures (``engine``, ``uow_factory``: every test on
SQLite and on PostgreSQL) and the mail tests' aiosmtpd server (``smtp_server``). Process-level
tests run the real ``rescind`` command: ``worker_database`` gives each one an empty, migrated
database of its own (a SQLite file in a data directory, or a fresh PostgreSQL schema) with
the environment that points ``rescind`` at it.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, create_engine, text

from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.domain.job import Homeowner, Job, JobStatus, Milestone, PartnerProgram, ProductModel
from tests.e2e.conftest import rescind_command
from tests.integration.conftest import (  # noqa: F401 - fixtures, re-exported for pytest
    UowFactory,
    a_job,
    db_url,
    engine,
    postgres_engine,
    session_factory,
    sqlite_template,
    uow_factory,
)
from tests.mail.conftest import (  # noqa: F401 - a fixture, re-exported for pytest
    Inbox,
    SmtpServer,
    free_port,
    smtp_server,
)
from tests.pg import postgres_schema

# --- databases for subprocesses ---------------------------------------------------------------

_schema_numbers = itertools.count(1)


@dataclass
class WorkerDatabase:
    """An empty, migrated database and the ``RESCIND_*`` environment that points at it."""

    kind: str  # sqlite | postgres
    url: str
    data_dir: Path
    engine: Engine  # rescind's own: on SQLite every transaction takes the write lock
    reader: Engine  # plain: on SQLite (WAL) it reads without waiting for a writer

    def env(self, smtp_port: int | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESCIND_")}
        env["RESCIND_DATA_DIR"] = str(self.data_dir)
        if self.kind == "postgres":
            env["RESCIND_DATABASE_URL"] = self.url
        if smtp_port is not None:
            env["RESCIND_SMTP_HOST"] = "127.0.0.1"
            env["RESCIND_SMTP_PORT"] = str(smtp_port)
        env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
        env.update(extra)
        return env

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(make_session_factory(self.engine))

    def count(self, sql: str, **params: object) -> int:
        with self.reader.connect() as connection:
            value = connection.execute(text(sql), params).scalar_one()
        return int(value)


def open_worker_database(kind: str, data_dir: Path) -> Iterator[WorkerDatabase]:
    with ExitStack() as stack:
        if kind == "postgres":
            name = f"rescind_worker_{os.getpid()}_{next(_schema_numbers)}"
            url = stack.enter_context(postgres_schema(name))
        else:
            url = f"sqlite:///{data_dir / 'rescind.sqlite3'}"
        upgrade(url)
        engine, reader = make_engine(url), create_engine(url)
        try:
            yield WorkerDatabase(kind, url, data_dir, engine, reader)
        finally:
            engine.dispose()
            reader.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def worker_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkerDatabase]:
    yield from open_worker_database(request.param, tmp_path)


@pytest.fixture
def postgres_worker_database(tmp_path: Path) -> Iterator[WorkerDatabase]:
    yield from open_worker_database("postgres", tmp_path)


# --- an SMTP server for thousands of messages ------------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class MailSink:
    """An aiosmtpd handler that only notes each message's Message-ID and recipients: parsing
    every message in full would make the server, not the worker, the slow part."""

    received: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        found = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
        message_id = found.group(1).decode("ascii", "replace") if found else ""
        self.received.append((message_id, tuple(str(r) for r in envelope.rcpt_tos)))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [message_id for message_id, _ in list(self.received)]


@dataclass
class SinkServer:
    port: int
    sink: MailSink


@pytest.fixture
def mail_sink() -> Iterator[SinkServer]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SinkServer(port, sink)
    finally:
        controller.stop()


# --- jobs whose window has ended --------------------------------------------------------------

# Long past, so every window counts as ended whatever the wall clock says.
PENDING_SINCE = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 1, 27, 5, 0, tzinfo=UTC)


def job_number(n: int) -> str:
    return f"JOB-{n:06d}"


def due_job(n: int, final_at: datetime = FINAL_AT) -> Job:
    """A pending job whose 14-business-day window ends at ``final_at`` (long ago unless
    told), with a homeowner of its own."""
    job_id = job_number(n)
    return a_job(
        job_id,
        homeowner=Homeowner(
            id=f"HO-{n:06d}", name=f"Homeowner {n}", email=f"ho{n}@home.example", phone="555"
        ),
        product_model=ProductModel.REGULAR,
        milestone=Milestone.M1,
        partner_program=PartnerProgram.NONE,
        invoice_uploaded=False,
        system_photos_uploaded=False,
        status=JobStatus.CANCEL_PENDING,
        pending_since_at=PENDING_SINCE,
        final_at=final_at + timedelta(microseconds=n),  # oldest first, in number order
        calendar_version=1,
    )


def add_due_jobs(
    new_uow: Callable[[], SqlUnitOfWork],
    count: int,
    *,
    final_at: datetime = FINAL_AT,
    batch: int = 500,
) -> None:
    for start in range(1, count + 1, batch):
        with new_uow() as uow:
            for n in range(start, min(start + batch, count + 1)):
                uow.jobs.add(due_job(n, final_at))
            uow.commit()


# --- what the workers did, read straight from the database ----------------------------------


def cancelled(db: WorkerDatabase) -> int:
    return db.count("SELECT count(*) FROM job WHERE status = 'cancelled'")


def sent(db: WorkerDatabase) -> int:
    return db.count("SELECT count(*) FROM outbox_message WHERE status = 'sent'")


def leased(db: WorkerDatabase) -> int:
    """Rows a worker holds right now (claimed, not yet recorded)."""
    return db.count("SELECT count(*) FROM outbox_message WHERE status = 'queued' AND attempts > 0")


def all_sent(db: WorkerDatabase, jobs: int) -> bool:
    return sent(db) == jobs and cancelled(db) == jobs


def outbox_ids(db: WorkerDatabase) -> set[str]:
    with db.reader.connect() as connection:
        rows = connection.exec_driver_sql("SELECT message_id FROM outbox_message").all()
    return {str(row[0]) for row in rows}


def sent_ids(db: WorkerDatabase) -> list[str]:
    with db.reader.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT message_id FROM outbox_message WHERE status = 'sent'"
        ).all()
    return [str(row[0]) for row in rows]


def rows_leased_more_than_once(db: WorkerDatabase) -> set[str]:
    with db.reader.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT message_id FROM outbox_message WHERE attempts > 1"
        ).all()
    return {str(row[0]) for row in rows}


# --- the ``rescind worker`` process ----------------------------------------------------------


@dataclass
class Process:
    """A ``rescind`` subprocess whose output goes to files (a pipe nobody reads could fill)."""

    name: str
    popen: subprocess.Popen[bytes]
    out_path: Path
    err_path: Path
    files: list[IO[bytes]] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def signal(self, signum: signal.Signals) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        finally:
            for f in self.files:
                f.close()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.wait(30)


@dataclass
class Processes:
    tmp_path: Path
    started: list[Process] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def start(self, *args: str, env: dict[str, str]) -> Process:
        name = f"{args[0]}-{next(self._numbers)}"
        out_path = self.tmp_path / f"{name}.out"
        err_path = self.tmp_path / f"{name}.err"
        out, err = out_path.open("wb"), err_path.open("wb")
        popen = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), *args], env=env, cwd=self.tmp_path, stdout=out, stderr=err
        )
        process = Process(name, popen, out_path, err_path, [out, err])
        self.started.append(process)
        return process


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Starts ``rescind`` subprocesses and kills whatever is still running at the end."""
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        for process in running.started:
            process.kill()


def wait_until(
    condition: Callable[[], bool], *, timeout: float, interval: float = 0.05, what: str = ""
) -> float:
    """Poll until ``condition()``; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(interval)
    return time.monotonic() - start
