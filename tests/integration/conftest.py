"""Real databases for integration tests: every test runs once on SQLite and once on PostgreSQL.

Isolation, and why it is cheap:
- SQLite: the migrations run once per session into a template file; each test gets its own
  copy of that file (a copy is far faster than migrating).
- PostgreSQL: one schema per test process (``rescind_test_<pid>``, so pytest-xdist workers do
  not meet), dropped and recreated and migrated once; every table is truncated before each
  test. Tests here commit for real (they test commits), so a rolled-back outer transaction
  would not do.

PostgreSQL comes from ``RESCIND_TEST_POSTGRES_URL``. If it cannot be reached the postgres
tests fail loudly, unless ``RESCIND_SKIP_POSTGRES=1`` says to skip them.

Fixtures: ``db_url`` (migrated, empty), ``engine``, ``session_factory``, and ``uow_factory``
(call it for a fresh ``SqlUnitOfWork``). Helpers ``a_job``, ``a_request``, ``utc`` build
domain objects with every field set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.db.repositories.by_version import forget_cached
from rescind.adapters.db.tables import Base
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    JobStatus,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewItem,
    ReviewItemStatus,
    ReviewStatus,
    SalesRep,
)
from rescind.domain.request import (
    CancellationRequest,
    CancelReason,
    Channel,
    RequesterRole,
    StatementKind,
    VerificationMethod,
    WrittenStatement,
)
from tests.pg import postgres_schema

UowFactory = Callable[[], SqlUnitOfWork]


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """An engine whose connections see only this process's freshly migrated schema."""
    with postgres_schema(f"rescind_test_{os.getpid()}") as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _truncate_all(engine: Engine) -> None:
    quote = engine.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.name) for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    forget_cached(engine)  # the versions went back: what the engine kept is not the data's


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "postgres":
        shared: Engine = request.getfixturevalue("postgres_engine")
        _truncate_all(shared)
        yield shared
        return
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "rescind.sqlite3"
    shutil.copyfile(template, path)
    own = make_engine(f"sqlite:///{path}")
    try:
        yield own
    finally:
        own.dispose()


@pytest.fixture
def db_url(engine: Engine) -> str:
    """The URL of the test database (password included), e.g. for ``migrate.check``."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def uow_factory(session_factory: sessionmaker[Session]) -> UowFactory:
    return lambda: SqlUnitOfWork(session_factory)


# --- domain objects --------------------------------------------------------------------------


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, 0, micro, tzinfo=UTC)


def a_job(job_id: str = "job-1", **changes: object) -> Job:
    """A Direct Pay job at M1B with every field set to a non-default value."""
    fields: dict[str, object] = {
        "id": job_id,
        "homeowner": Homeowner(
            id=f"ho-{job_id}", name="Dana Homeowner", email="dana@example.com", phone="555-0100"
        ),
        "installer": InstallerCompany(id="inst-1", name="Sunny Installs", email="ops@sunny.test"),
        "sales_rep": SalesRep(id="rep-1", name="Sam Rep", email="sam@sales.test"),
        "product_model": ProductModel.DIRECT_PAY,
        "milestone": Milestone.M1B,
        "contract_signed_date": date(2026, 11, 2),
        "review": MilestoneReview(
            status=ReviewStatus.PENDING_REVIEW,
            items=[
                ReviewItem(id="item-1", description="Signed contract"),
                ReviewItem(
                    id="item-2", description="Utility bill", status=ReviewItemStatus.APPROVED
                ),
            ],
        ),
        "invoice_uploaded": True,
        "system_photos_uploaded": True,
        "partner_program": PartnerProgram.CONCERT,
        "installer_signed": True,
        "sales_rep_signed": True,
        "phase": Phase.INSTALLATION,
        "status": JobStatus.ACTIVE,
    }
    fields.update(changes)
    return Job(**fields)  # type: ignore[arg-type]


def a_pending_job(job_id: str, final_at: datetime) -> Job:
    return a_job(
        job_id,
        status=JobStatus.CANCEL_PENDING,
        pending_since_at=utc(2026, 11, 23, 15),
        final_at=final_at,
        calendar_version=3,
    )


def a_request(
    request_id: str = "req-1", job_id: str = "job-1", **changes: object
) -> CancellationRequest:
    fields: dict[str, object] = {
        "id": request_id,
        "job_id": job_id,
        "channel": Channel.MAIL,
        "requester_role": RequesterRole.HOMEOWNER,
        "requester_name": "Dana Homeowner",
        "filed_by": "agent:alex",
        "filed_at": utc(2026, 11, 23, 14, 30, 123456),
        "due_at": utc(2026, 11, 25, 14, 30),
        "within_cooling_off": True,
        "statement": WrittenStatement(
            kind=StatementKind.MAIL_NOTICE,
            content="I cancel this contract.",
            received_at=utc(2026, 11, 23, 9),
            sent_date=date(2026, 11, 20),
            source_ref="scan-0042.pdf",
            from_address="",
        ),
        "verified": True,
        "verification_method": VerificationMethod.CODE,
        "verified_at": utc(2026, 11, 23, 14, 45),
        "reason": CancelReason.OTHER,
        "reason_text": "moving abroad",
    }
    fields.update(changes)
    return CancellationRequest(**fields)  # type: ignore[arg-type]
