"""One fuzzed email through the whole inbound path: parser, filing service, database.

Whatever the bytes, ``parse_email`` returns a message or a ``Malformed`` (never raises), and
``receive_email`` ends in filed (a request on a job), triage (with a reason) or duplicate, with
the message stored byte for byte under the id it answered: nothing received is lost. The
database is a real one (SQLite in a temporary folder, or a PostgreSQL schema of its own),
seeded with jobs the seed corpus (``mime_shapes``) writes about.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from fuzz.mime_shapes import HOMEOWNER, TWO_JOBS
from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.db.tables import InboundEmailRow
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.mail.inbound import parse_email
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.inbound import InboundEmail, InboundStatus, Malformed
from rescind.domain.job import Homeowner, Job
from rescind.services.context import Context
from rescind.services.inbound import receive_email
from tests.fakes import FixedClock, add_jobs, job_factory, seed_policy_v1
from tests.pg import base_url

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
POSTGRES_SCHEMA = "fuzz_mail"  # one fixed name: a run that dies leaves it for the next to drop
STORES = ("sqlite", "postgres")


def seed_jobs() -> list[Job]:
    """Jobs JOB-000001…7; JOB-000002 is HOMEOWNER's, JOB-000003/4 are both TWO_JOBS's."""

    def owner(n: int, email: str) -> Homeowner:
        return Homeowner(id=f"HO-{n}", name=f"Owner {n}", email=email, phone="555-0100")

    emails = {2: HOMEOWNER, 3: TWO_JOBS, 4: TWO_JOBS}
    return [
        job_factory(id=f"JOB-{n:06d}", homeowner=owner(n, emails.get(n, f"owner{n}@home.example")))
        for n in range(1, 8)
    ]


@dataclass
class Filing:
    """A seeded database and the check each fuzzed input must pass; counts what it saw."""

    engine: Engine
    ctx: Context
    cleanup: list[str] = field(default_factory=list)
    executions: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def check(self, data: bytes) -> None:
        # The seeds' receiving server is trusted, so the Authentication-Results path is fuzzed.
        parsed = parse_email(data, authserv_ids=("mx.solar.example",))
        assert isinstance(parsed, InboundEmail | Malformed), f"parse_email gave {parsed!r}"
        result = receive_email(self.ctx, parsed, data)
        if result.status is InboundStatus.FILED:
            assert result.job_id, f"filed on no job: {result}"
            assert result.request_id, f"filed as no request: {result}"
        else:
            assert result.reason, f"{result.status.value} without a reason: {result}"
        with self.engine.connect() as connection:
            stored = connection.execute(
                select(InboundEmailRow.status, InboundEmailRow.raw).where(
                    InboundEmailRow.id == result.inbound_id
                )
            ).one_or_none()
        assert stored is not None, f"{result.inbound_id} answered but was not stored"
        assert stored.status == result.status.value
        assert bytes(stored.raw) == data, "the stored message is not the bytes received"
        self.executions += 1
        self.outcomes[result.status.value] += 1
        self.outcomes["malformed" if isinstance(parsed, Malformed) else "parsed"] += 1

    def close(self) -> None:
        self.engine.dispose()
        for what in self.cleanup:
            if what.startswith("schema:"):
                _drop_schema(what.removeprefix("schema:"))
            else:
                shutil.rmtree(what, ignore_errors=True)


def open_filing(store: str) -> Filing:
    """A migrated, seeded database on ``store`` ("sqlite" or "postgres"); ``close`` drops it."""
    if store == "sqlite":
        folder = tempfile.mkdtemp(prefix="rescind-fuzz-")
        url = f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
        cleanup = [folder]
    elif store == "postgres":
        _drop_schema(POSTGRES_SCHEMA)
        with create_engine(base_url()).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{POSTGRES_SCHEMA}"'))
        url = (
            make_url(base_url())
            .update_query_dict({"options": f"-csearch_path={POSTGRES_SCHEMA}"})
            .render_as_string(hide_password=False)
        )
        cleanup = [f"schema:{POSTGRES_SCHEMA}"]
    else:
        raise ValueError(f"store is one of {STORES}, not {store!r}")
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(sessions),
        clock=FixedClock(MONDAY),
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy_v1(ctx)
    add_jobs(ctx, *seed_jobs())
    return Filing(engine=engine, ctx=ctx, cleanup=cleanup)


def _drop_schema(name: str) -> None:
    admin = create_engine(base_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()
