"""Each benchmark runs end to end at a tiny size and says its table is complete.

Not speed tests (the goals live in ``bench/``): these prove that the loader writes rows the
service reads as its own (a valid audit chain, cancellable requests that really cancel) and
that each benchmark command starts its servers, measures every page and cleans up after
itself. They run on the real PostgreSQL server, in databases named after the test process.
"""

from __future__ import annotations

import os

import psycopg
import pytest
from bench.dataset import load
from bench.postgres import conninfo, create_database, drop_database, exists
from sqlalchemy.engine import make_url

from bench import audit_checkpoint, cancel_throughput, reads
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.access import Actor
from rescind.services.audit import verify_trail
from tests.pg import base_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def server() -> str:
    if os.environ.get("RESCIND_SKIP_POSTGRES") == "1":
        pytest.skip("RESCIND_SKIP_POSTGRES=1")
    return make_url(base_url()).set(database=None).render_as_string(hide_password=False)


def name(kind: str) -> str:
    return f"rescind_bench_smoke_{kind}_{os.getpid()}"


def test_the_loader_writes_jobs_whose_audit_trail_verifies(server: str) -> None:
    database = name("dataset")
    url = create_database(server, database)
    try:
        loaded = load(url, jobs=300, events=3000)
        with psycopg.connect(conninfo(url)) as conn:
            counts = {
                table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                for table in ("job", "homeowner", "audit_event", "cancellation_request", "case")
            }
            statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM job")}
        assert counts["job"] == counts["homeowner"] == (300,)
        # The trail of each job plus the policy the service seeded on the system stream.
        assert counts["audit_event"] == (loaded.events + 1,)
        assert loaded.events == 3000
        assert counts["cancellation_request"] == (loaded.counts["cancellation_request"],)
        assert statuses == {"active", "cancel_pending", "cancelled"}
        app = bootstrap(Settings(database_url=url))
        check = verify_trail(app.ctx, actor=Actor.system("bench"))
        app.engine.dispose()
        assert check.ok, check.problems[:3]
        assert check.records == loaded.events + 1
    finally:
        drop_database(server, database)


def test_cancel_throughput_cancels_every_request_with_rescind_and_the_reference_then_pgbench(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database, pgbench = name("cancel"), name("pgbench")
    code = cancel_throughput.main(
        ["--quick", "--url", server, "--database", database, "--pgbench-database", pgbench]
    )
    out = capsys.readouterr().out
    assert code == 0, out  # every cancel of both apps answered 200 and is in its database
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()]
    rows = {row[0].split()[0]: row[1:] for row in cells if row and row[0]}
    assert {"rescind", "reference", "pgbench"} <= rows.keys(), out
    for app in ("rescind", "reference"):
        done, *measured = rows[app]
        assert done == "40", out
        assert all(float(cell) >= 0 for cell in measured[1:]), out  # rates, latencies, costs
        assert float(measured[-2]) >= 10, out  # rows written per cancel: the same real work
    assert "of the reference's cancels/s" in out
    assert "of pgbench's TPS" in out
    assert not exists(server, database)
    assert not exists(server, f"{database}_reference")
    assert not exists(server, pgbench)


def test_reads_measures_every_page_and_keeps_the_database_with_reuse(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database = name("reads")
    try:
        code = reads.main(["--quick", "--url", server, "--database", database, "--reuse"])
        out = capsys.readouterr().out
        assert code == 0, out
        for page in reads.pages():
            assert page.name in out
        assert exists(server, database)
        again = reads.main(["--quick", "--url", server, "--database", database, "--reuse"])
        assert again == 0
        assert f"reusing {database}" in capsys.readouterr().out
    finally:
        drop_database(server, database)


def test_audit_checkpoint_issues_verifies_and_proves_then_drops_its_database(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database = name("checkpoint")
    code = audit_checkpoint.main(["--quick", "--url", server, "--database", database])
    out = capsys.readouterr().out
    assert code == 0, out
    for step in ("issue a checkpoint", "verify against it", "plain audit verify", "prove one job"):
        assert step in out
    assert "3,001" in out  # every record passed through the verification
    assert not exists(server, database)
