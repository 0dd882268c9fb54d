"""Fault tests: real ``rescind serve`` and ``rescind worker`` processes on real PostgreSQL,
killed, starved of their database or of their mail server mid-load.

The in-process race reuses the API tests' app (``api``); the process tests reuse the worker
tests' process runner (``processes``), their migrated PostgreSQL schema
(``postgres_worker_database``) and their counting SMTP server (``mail_sink``). What this module
adds is what every fault test needs on top: a served API on a port of its own with a logged-in
agent, homeowners' verified requests ready to cancel, and one check of the database that says
whether anything was left half-done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine

from rescind.adapters.clock import SystemClock
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.access import Actor, Role
from rescind.domain.job import Homeowner, JobStatus, Milestone, PartnerProgram, Phase, ProductModel
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.audit import verify_trail
from rescind.services.auth import create_user
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from rescind.services.requests import file_request
from rescind.services.verification import verify_by_address_on_file
from tests.api.conftest import (  # noqa: F401 - fixtures, re-exported for pytest
    STATE_CHANGE,
    api,
    api_engine,
    api_postgres_engine,
    api_sqlite_template,
)
from tests.integration.conftest import a_job
from tests.mail.conftest import free_port
from tests.worker.conftest import (  # noqa: F401 - fixtures, re-exported for pytest
    Process,
    Processes,
    WorkerDatabase,
    mail_sink,
    postgres_worker_database,
    processes,
    wait_until,
)

API = "/api/v1"
SYSTEM = Actor.system("faults")
AGENT = ("fault-agent", "fault-agent-password")
# Starting ``rescind serve`` costs a few seconds here, more when the two cores are busy.
START_SECONDS = 120


def context_for(db: WorkerDatabase) -> Context:
    """The services over the test's database, on the wall clock (as the processes are)."""
    ctx = Context(
        uow=db.uow,
        clock=SystemClock(),
        tz=ZoneInfo("America/New_York"),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(ctx, load_policy_document(default_policy_path()))
    return ctx


# --- jobs and verified requests ---------------------------------------------------------------


def active_job_id(n: int) -> str:
    return f"JOB-A{n:05d}"


def homeowner_email(n: int) -> str:
    return f"owner{n}@home.example"


def add_active_jobs(ctx: Context, count: int) -> list[str]:
    """Regular M1 jobs in operations, nothing pending: each eligible and cancelled in one step."""
    ids = [active_job_id(n) for n in range(1, count + 1)]
    with ctx.uow() as uow:
        for n, job_id in enumerate(ids, start=1):
            uow.jobs.add(
                a_job(
                    job_id,
                    homeowner=Homeowner(
                        id=f"HO-A{n:05d}", name=f"Owner {n}", email=homeowner_email(n), phone="555"
                    ),
                    product_model=ProductModel.REGULAR,
                    milestone=Milestone.M1,
                    partner_program=PartnerProgram.NONE,
                    invoice_uploaded=False,
                    system_photos_uploaded=False,
                    phase=Phase.OPERATIONS,
                    status=JobStatus.ACTIVE,
                )
            )
        uow.commit()
    return ids


def add_verified_request(ctx: Context, n: int) -> str:
    """Homeowner ``n``'s email request from the address on file, verified, with its statement."""
    request = file_request(
        ctx,
        RequestDraft(
            job_id=active_job_id(n),
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name=f"Owner {n}",
            statement=WrittenStatement(
                kind=StatementKind.EMAIL, content="Cancel, please.", from_address=homeowner_email(n)
            ),
        ),
        actor=SYSTEM,
    )
    verify_by_address_on_file(
        ctx, request.id, sender=homeowner_email(n), authenticated=True, actor=SYSTEM
    )
    return request.id


def add_agent(ctx: Context) -> None:
    create_user(
        ctx,
        Argon2Passwords(time_cost=1, memory_cost=8192),
        actor=SYSTEM,
        username=AGENT[0],
        password=AGENT[1],
        role=Role.AGENT,
        display_name="Fault Agent",
    )


# --- ``rescind serve`` on a port of its own ---------------------------------------------------


@dataclass
class Served:
    """One port, and whichever ``rescind serve`` process listens on it now."""

    processes: Processes
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Process:
        self.process = self.processes.start(
            "serve", "--host", "127.0.0.1", "--port", str(self.port), env=self.env
        )
        wait_until(self._answers, timeout=START_SECONDS, interval=0.2, what="rescind serve")
        return self.process

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.popen.poll() is not None:
            pytest.fail(f"rescind serve exited early:\n{self.process.stderr}")
        try:
            # Cheap and database-free: no token, so a 401 problem from the running app.
            return httpx.get(f"{self.base_url}{API}/auth/me", timeout=5).status_code == 401
        except httpx.TransportError:
            return False

    def token(self) -> str:
        answer = httpx.post(
            f"{self.base_url}{API}/auth/token",
            json={"username": AGENT[0], "password": AGENT[1]},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return f"Bearer {answer.json()['access_token']}"


@pytest.fixture
def served(processes: Processes) -> Served:  # noqa: F811 - the fixture re-exported above
    """Not started: the test gives it its environment first (``served.env = …``)."""
    return Served(processes, env={})


# --- nothing half-done ------------------------------------------------------------------------

_per_job_sql = """
SELECT j.id, j.status,
  (SELECT count(*) FROM audit_event a
     WHERE a.job_id = j.id AND a.kind = 'workflow_cancel_pending') AS pending,
  (SELECT count(*) FROM audit_event a
     WHERE a.job_id = j.id AND a.kind = 'workflow_restored') AS restored,
  (SELECT count(*) FROM audit_event a
     WHERE a.job_id = j.id AND a.kind = 'workflow_cancelled') AS cancelled,
  (SELECT count(*) FROM outbox_message o
     WHERE o.job_id = j.id AND o.kind = 'cancellation_notice') AS notices,
  (SELECT count(*) FROM outbox_message o
     WHERE o.job_id = j.id AND o.kind = 'final_cancellation') AS finals,
  (SELECT count(*) FROM cancellation_request r
     WHERE r.job_id = j.id AND r.outcome = 'cancel_pending') AS requests_cancelled
FROM job j ORDER BY j.id
"""


@dataclass(frozen=True)
class JobStory:
    job_id: str
    status: str
    pending: int
    restored: int
    cancelled: int
    notices: int
    finals: int
    requests_cancelled: int

    def problems(self, *, started_pending: bool = False) -> list[str]:
        """Where the job row, its audit events, its emails and its requests disagree
        (``started_pending``: the job was put in the database already pending, eventless)."""
        open_windows = self.pending - self.restored + (1 if started_pending else 0)
        expected_open = {"active": 0, "cancel_pending": 1, "cancelled": 1}.get(self.status)
        found = []
        if open_windows != expected_open:
            found.append(f"{self.pending} pending and {self.restored} restored events")
        if self.cancelled != (1 if self.status == "cancelled" else 0):
            found.append(f"{self.cancelled} finalizations")
        if self.notices != self.pending:
            found.append(f"{self.notices} notices for {self.pending} cancels")
        if self.finals != self.cancelled:
            found.append(f"{self.finals} final emails for {self.cancelled} finalizations")
        if self.requests_cancelled > self.pending:
            found.append(f"{self.requests_cancelled} requests closed by {self.pending} cancels")
        return [f"{self.job_id} ({self.status}): {p}" for p in found]


def job_stories(db: WorkerDatabase) -> dict[str, JobStory]:
    with db.reader.connect() as connection:
        rows = connection.exec_driver_sql(_per_job_sql).all()
    return {str(r[0]): JobStory(str(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in rows}


def assert_nothing_half_done(
    db: WorkerDatabase, ctx: Context, *, started_pending: Collection[str] = ()
) -> dict[str, JobStory]:
    """Every job's row, audit events, emails and requests tell one story; chains verify."""
    stories = job_stories(db)
    pending = set(started_pending)
    problems = [
        p
        for story in stories.values()
        for p in story.problems(started_pending=story.job_id in pending)
    ]
    assert problems == [], "\n".join(problems[:20])
    check = verify_trail(ctx, actor=SYSTEM)
    assert check.ok, check.problems
    return stories


# --- clients that retry until they get an answer ---------------------------------------------

# Every client call is bounded: an attempt by its timeout, the retries by this deadline.
RETRY_DEADLINE_SECONDS = 150
RETRY_PAUSE_SECONDS = 0.2


@dataclass
class Call:
    """One change a client wants made, retried with the same Idempotency-Key until answered."""

    method: str
    path: str
    key: str | None
    body: dict[str, object] | None = None
    statuses: list[int] = field(default_factory=list)  # every answer, in order
    lost: int = 0  # attempts that got no answer (connection refused, reset, closed)
    answer: httpx.Response | None = None  # the answer it settled on

    @property
    def final(self) -> httpx.Response:
        assert self.answer is not None, f"{self.method} {self.path} never settled"
        return self.answer

    @property
    def code(self) -> str:
        """The problem code of the final answer ('' for a success)."""
        final = self.final
        return "" if final.is_success else str(final.json().get("code", ""))


def retryable(answer: httpx.Response) -> bool:
    """Worth sending again as it is: the server (or its database) was not there to answer."""
    if answer.status_code in (502, 503, 504):
        return True
    if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        return answer.json().get("code") in ("idempotency_in_progress", "conflict")
    return False


def settle(client: httpx.Client, call: Call) -> Call:
    """Send ``call`` until it gets an answer that is not worth retrying (bounded in time)."""
    deadline = time.monotonic() + RETRY_DEADLINE_SECONDS
    headers = {"Idempotency-Key": call.key} if call.key else {}
    if STATE_CHANGE.search(call.path):
        # Blind on purpose: a retry after a kill or an outage cannot know the version.
        headers["If-Match"] = "*"
    while True:
        try:
            answer = client.request(call.method, call.path, json=call.body, headers=headers)
        except httpx.TransportError:
            call.lost += 1
        else:
            call.statuses.append(answer.status_code)
            if not retryable(answer):
                call.answer = answer
                return call
        if time.monotonic() > deadline:
            pytest.fail(f"{call.method} {call.path}: no final answer in {RETRY_DEADLINE_SECONDS} s")
        time.sleep(RETRY_PAUSE_SECONDS)


def api_client(served: Served, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{served.base_url}{API}", headers={"Authorization": token}, timeout=30
    )


def cancel_load(
    served: Served, token: str, request_ids: dict[int, str], *, clients: int = 4
) -> Callable[[], list[Call]]:
    """Start cancelling every request (one thread per client, each call settled with its own
    key); the returned function waits for the load to end and gives its calls."""
    pool = ThreadPoolExecutor(max_workers=clients)

    def cancel(n: int) -> Call:
        call = Call("POST", f"/requests/{request_ids[n]}/cancel", f"cancel-{n}", {"reason": "x"})
        with api_client(served, token) as client:
            return settle(client, call)

    futures = [pool.submit(cancel, n) for n in sorted(request_ids)]

    def finish() -> list[Call]:
        try:
            return [future.result(timeout=RETRY_DEADLINE_SECONDS) for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    return finish


# --- a PostgreSQL cluster of the test's own, to restart at will -------------------------------

# Never the shared server on 5432: other test runs use it. This one lives in a temporary
# directory and listens on a free port of 127.0.0.1 only. No fsync: the tests crash the
# server process, never the machine, so the OS keeps what was written. Commits stay
# synchronous, though: ``synchronous_commit=off`` would lose acknowledged commits in exactly
# the crash the tests make, and then a 2xx would rightly fail them.
_FAST = "-c fsync=off -c full_page_writes=off"


@dataclass
class PrivateCluster:
    bin_dir: Path
    root: Path  # owned by the user the server runs as
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(  # noqa: S603 - the server's own tools with our arguments
            [*_as_server_user(), str(self.bin_dir / tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{tool} {args}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} {_FAST}"
        )
        self.run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-o", options,
            "-w", "-t", "90", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "90", "stop")


def _as_server_user() -> list[str]:
    """initdb and pg_ctl refuse to run as root: as root, run them as ``postgres``."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _server_bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    bin_dir = _server_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="rescind-faults-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
        cluster = PrivateCluster(bin_dir, root, free_port())
        cluster.run(
            "initdb", "-D", str(cluster.data_dir), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def cluster_database(cluster: PrivateCluster, data_dir: Path) -> Iterator[WorkerDatabase]:
    """rescind's schema on the private cluster, with engines that reconnect after a restart."""
    upgrade(cluster.url)
    # The test reads across the restart it causes: its own engines ping before each use, where
    # rescind's answer one 503 and retry.
    engine = create_engine(cluster.url, pool_pre_ping=True)
    reader = create_engine(cluster.url, pool_pre_ping=True)
    try:
        yield WorkerDatabase("postgres", cluster.url, data_dir, engine, reader)
    finally:
        engine.dispose()
        reader.dispose()


@pytest.fixture
def cluster_db(private_cluster: PrivateCluster, tmp_path: Path) -> Iterator[WorkerDatabase]:
    yield from cluster_database(private_cluster, tmp_path)
