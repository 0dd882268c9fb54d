"""The HTTP API on a real database: every test runs once on SQLite and once on PostgreSQL.

``api`` is the app built by ``create_app`` over a migrated database (a fresh SQLite file per
test, or this process's own PostgreSQL schema ``rescind_api_<pid>`` truncated before each
test), with policy v1, a handful of jobs (``JOBS``) and one user per role. The clock stands
still at SPEC's example moment, Monday 2026-11-23 10:00 in New York, until a test moves it.

``api.client(role)`` logs in through the API and returns a client sending that user's bearer
token; ``api.code_sent_for(job_id)`` reads the last 4-digit code from the outbox, as the
homeowner would read the email.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.db.repositories.by_version import forget_cached
from rescind.adapters.db.tables import Base
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.adapters.webhook_address import AddressGuard
from rescind.domain.access import Actor, Role
from rescind.domain.audit import AuditChannel, AuditContext, AuditRecord
from rescind.domain.email import EmailKind
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewItem,
    ReviewStatus,
    SalesRep,
)
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.entrypoints.site import create_app
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.auth import create_user
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from rescind.services.ports import UnitOfWork
from rescind.services.requests import open_request
from rescind.services.verification import verify_by_address_on_file
from tests.fakes import FixedClock
from tests.pg import postgres_schema

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient and warns once, at import, when it finds
    # only httpx; the client works the same. Installing httpx2 makes this moot.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
API = "/api/v1"

INSTALLER = InstallerCompany(id="INST-1", name="Sunny Roofs", email="ops@sunny.example")
OTHER_INSTALLER = InstallerCompany(id="INST-2", name="Shady Panels", email="ops@shady.example")
REP = SalesRep(id="REP-1", name="Sam Rep", email="sam@sales.example")
OTHER_REP = SalesRep(id="REP-2", name="Sue Rep", email="sue@sales.example")


def homeowner(n: int, name: str) -> Homeowner:
    first = name.split()[0].lower()
    return Homeowner(
        id=f"HO-{n}", name=name, email=f"{first}.{n}@home.example", phone=f"+1-555-010-{n:04d}"
    )


def _job(job_id: str, n: int, name: str, **changes: object) -> Job:
    fields: dict[str, object] = {
        "id": job_id,
        "homeowner": homeowner(n, name),
        "installer": INSTALLER,
        "sales_rep": REP,
        "product_model": ProductModel.REGULAR,
        "milestone": Milestone.M1,
        "contract_signed_date": date(2026, 10, 1),
        "installer_signed": True,
        "phase": Phase.OPERATIONS,
    }
    fields.update(changes)
    return Job(**fields)  # type: ignore[arg-type]


def seed_jobs() -> list[Job]:
    return [
        # Regular M1 with its review pending: rule 2, reject the items and submit first.
        _job(
            "JOB-001",
            1,
            "Ada Lovelace",
            review=MilestoneReview(
                status=ReviewStatus.PENDING_REVIEW,
                items=[ReviewItem("RI-1", "Signed contract"), ReviewItem("RI-2", "Utility bill")],
            ),
        ),
        # Regular M1, nothing pending: the plain eligible case.
        _job("JOB-002", 2, "Ben Reyes", sales_rep_signed=True),
        # Beam partner program: rule 1, never cancelled by support.
        _job(
            "JOB-003", 3, "Cora Beam", milestone=Milestone.M2, partner_program=PartnerProgram.BEAM
        ),
        # Direct Pay M1B with the invoice uploaded: rule 5, escalate to Deal Processing.
        _job(
            "JOB-004",
            4,
            "Dev Patel",
            product_model=ProductModel.DIRECT_PAY,
            milestone=Milestone.M1B,
            invoice_uploaded=True,
        ),
        # Still in the sales phase: the installer has no Cancel Workflow button.
        _job("JOB-005", 5, "Eve Sales", phase=Phase.SALES),
        # Another installer company's and another rep's job.
        _job(
            "JOB-006",
            6,
            "Fay Other",
            installer=OTHER_INSTALLER,
            sales_rep=OTHER_REP,
            product_model=ProductModel.DIRECT_PAY,
            milestone=Milestone.M1A,
        ),
        # M2 with the system photos uploaded: rule 7, not eligible.
        _job("JOB-007", 7, "Gus Photos", milestone=Milestone.M2, system_photos_uploaded=True),
    ]


JOBS = [job.id for job in seed_jobs()]

# One user per role; scoped users act for INST-1, REP-1 and HO-1 (Ada, JOB-001).
USERS: dict[Role, str | None] = {
    Role.AGENT: None,
    Role.BACK_OFFICE: None,
    Role.DEAL_PROCESSING: None,
    Role.INSTALLER: INSTALLER.id,
    Role.SALES_REP: REP.id,
    Role.HOMEOWNER: "HO-1",
    Role.ADMIN: None,
}


def password_of(role: Role) -> str:
    return f"{role.value}-test-password"


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def api_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def api_postgres_engine() -> Iterator[Engine]:
    """This process's own migrated schema (``rescind_api_<pid>``: xdist workers do not meet)."""
    with postgres_schema(f"rescind_api_{os.getpid()}") as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        shared: Engine = request.getfixturevalue("api_postgres_engine")
        quote = shared.dialect.identifier_preparer.quote
        names = ", ".join(quote(table.name) for table in Base.metadata.sorted_tables)
        with shared.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        forget_cached(shared)  # the versions went back: what the engine kept is not the data's
        yield shared
        return
    template: Path = request.getfixturevalue("api_sqlite_template")
    path = tmp_path / "rescind.sqlite3"
    shutil.copyfile(template, path)
    own = make_engine(f"sqlite:///{path}")
    try:
        yield own
    finally:
        own.dispose()


# --- the app -----------------------------------------------------------------------------------


@dataclass
class Api:
    app: FastAPI
    ctx: Context
    clock: FixedClock

    def client(self, role: Role) -> TestClient:
        """A client logged in (through the API, now) as the user of ``role``."""
        client = TestClient(self.app, base_url="http://testserver")
        answer = client.post(
            f"{API}/auth/token", json={"username": role.value, "password": password_of(role)}
        )
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client

    def anonymous(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")

    def uow(self) -> UnitOfWork:
        return self.ctx.uow()

    def code_sent_for(self, job_id: str) -> str:
        """The code in the last verification email of a job (as the homeowner reads it)."""
        with self.ctx.uow() as uow:
            codes = [e for e in uow.outbox.for_job(job_id) if e.kind is EmailKind.VERIFICATION_CODE]
        assert codes, f"no verification code was emailed for {job_id}"
        return str(codes[-1].context["code"])


@pytest.fixture
def api(api_engine: Engine) -> Api:
    return build_api(api_engine)


def build_api(engine: Engine) -> Api:
    """The app over ``engine`` (migrated, empty) with policy v1, ``seed_jobs`` and ``USERS``.

    A plain function besides the fixture: ``make fuzz`` builds the same app outside pytest.
    """
    sessions = make_session_factory(engine)
    clock = FixedClock(MONDAY)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(sessions),
        clock=clock,
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
        webhook_guard=AddressGuard(),  # as served: internal addresses refused
    )
    seed_policy(ctx, load_policy_document(default_policy_path()))
    with ctx.uow() as uow:
        for job in seed_jobs():
            uow.jobs.add(job)
        uow.commit()
    passwords = Argon2Passwords(time_cost=1, memory_cost=8192)
    for role, scope_id in USERS.items():
        create_user(
            ctx,
            passwords,
            actor=Actor.system("tests"),
            username=role.value,
            password=password_of(role),
            role=role,
            display_name=f"Test {role.value}",
            scope_id=scope_id,
        )
    return Api(app=create_app(ctx, passwords, Throttle()), ctx=ctx, clock=clock)


# --- If-Match ----------------------------------------------------------------------------------

# The writes that change a job, request or case, and so require If-Match.
STATE_CHANGE = re.compile(
    r"/(?:jobs/[^/]+/(?:restore|cancel)"
    r"|requests/[^/]+/(?:statement|verification/code/confirm|verification/address-on-file"
    r"|cancel|escalation|close)"
    r"|cases/[^/]+/(?:approve|deny|reassign|assign))$"
)
_REQUEST_CANCEL = re.compile(r"^(?P<api>.*)/requests/(?P<id>[^/]+)/cancel$")
_CHANGED = re.compile(r"^(?P<what>.*/(?:jobs|requests|cases)/[^/]+)/[a-z/-]+$")


def if_match(client: httpx.Client, write_path: str) -> dict[str, str]:
    """The ``If-Match`` a state change at ``write_path`` sends: the ETag of what it changes,
    read now by the same client (the job's, for a cancel through a request), as a client
    deciding on what it read would. A caller who may not read it (403/404) writes with ``*``,
    so the answer it gets is the write's own refusal."""
    cancel = _REQUEST_CANCEL.match(write_path)
    if cancel:
        read = client.get(f"{cancel['api']}/requests/{cancel['id']}")
        if read.status_code != 200:
            return {"If-Match": "*"}
        target = f"{cancel['api']}/jobs/{read.json()['job_id']}"
    else:
        changed = _CHANGED.match(write_path)
        assert changed, f"{write_path} changes no job, request or case"
        target = changed["what"]
    read = client.get(target)
    return {"If-Match": read.headers["ETag"] if read.status_code == 200 else "*"}


# --- races ---------------------------------------------------------------------------------------

RACE_ACTOR = Actor.system("race")


def verified_request(api: Api, job_id: str, homeowner_email: str) -> str:
    """A homeowner's email request from the address on file, with its written statement,
    verified. A job has one open request per requester (the database holds to it), so while
    the homeowner's is open, asking again gives that one: racers share it."""
    with api.ctx.uow() as uow:
        for open_one in uow.requests.for_job(job_id):
            if open_one.is_open and open_one.requester_role is RequesterRole.HOMEOWNER:
                return open_one.id
        request = open_request(
            uow,
            api.ctx,
            uow.jobs.get(job_id),
            AuditContext(actor=RACE_ACTOR.id, at=api.ctx.now(), channel=AuditChannel.EMAIL),
            RequestDraft(
                job_id=uow.jobs.get(job_id).id,
                channel=Channel.EMAIL,
                requester_role=RequesterRole.HOMEOWNER,
                requester_name="The Homeowner",
                statement=WrittenStatement(
                    kind=StatementKind.EMAIL,
                    content="Cancel, please.",
                    from_address=homeowner_email,
                ),
            ),
        )
        uow.commit()
    verify_by_address_on_file(
        api.ctx, request.id, sender=homeowner_email, authenticated=True, actor=RACE_ACTOR
    )
    return request.id


def fire_at_once(calls: list[Callable[[TestClient], Any]], token: str, api: Api) -> list[Any]:
    """Run every call from its own thread, all released together; answers in call order.

    Each thread has its own ``TestClient`` (so its own event loop) over the one app and its
    connection pool; a ``threading.Barrier`` releases them at the same instant.
    """
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[TestClient], Any]) -> Any:
        client = TestClient(api.app, base_url="http://testserver", raise_server_exceptions=False)
        client.headers["Authorization"] = token
        barrier.wait(timeout=60)
        return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


TRANSITIONS = {"workflow_cancel_pending", "workflow_restored", "workflow_cancelled"}


def replay_transitions(trail: list[AuditRecord]) -> tuple[str, list[str]]:
    """Replay a job's trail: each transition must start where the one before ended, and an
    "already pending" answer is recorded only while pending. Returns the status it ends in
    and the transitions in order."""
    assert [r.seq for r in trail] == list(range(1, len(trail) + 1))
    status = "active"
    transitions: list[str] = []
    for record in trail:
        if record.kind in TRANSITIONS:
            assert record.data["from"] == status, f"seq {record.seq}: {record.kind} from {status}"
            status = str(record.data["to"])
            transitions.append(record.kind)
        if record.kind == "workflow_already_pending":
            assert status == "cancel_pending", f"seq {record.seq}: already pending while {status}"
    return status, transitions
