"""The scale benchmarks still run end to end (tiny sizes, seconds): the import and the sweep.

They are benchmarks, not timed tests: nothing here asserts a speed. Each benchmark checks its
own outcome (row counts, one audit record and one email per finalized job) and exits non-zero
if it is wrong; these tests run them on a database of their own and read their table.
"""

from __future__ import annotations

import os
import re

import pytest
from bench.cli_runs import rescind
from bench.postgres import database_url, drop_database
from sqlalchemy.engine import make_url

from bench import import_jobs, sweep_scale
from tests.pg import base_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def server() -> str:
    if os.environ.get("RESCIND_SKIP_POSTGRES") == "1":
        pytest.skip("RESCIND_SKIP_POSTGRES=1")
    return make_url(base_url()).set(database="postgres").render_as_string(hide_password=False)


def test_the_import_benchmark_imports_every_row_of_its_csv_with_the_cli(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"rescind_bench_smoke_import_{os.getpid()}"
    assert import_jobs.main(["--quick", "--url", server, "--database", name]) == 0

    table = capsys.readouterr().out
    assert "jobs in the database after    | 3,000" in table
    assert "imported 3000 jobs; 0 rows rejected" in table


def test_the_sweep_benchmark_finalizes_every_due_job_and_leaves_valid_audit_chains(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"rescind_bench_smoke_sweep_{os.getpid()}"
    try:
        assert sweep_scale.main(["--quick", "--url", server, "--database", name, "--keep"]) == 0
        verified = rescind(database_url(server, name), ["audit", "verify"])
    finally:
        drop_database(server, name)

    table = capsys.readouterr().out
    assert "2,000 jobs: due finalized" in table
    assert "200 in 1 batches of 500, 0 conflicts" in table
    assert "ix_job_pending_final_at" in table
    # 200 finalized jobs with three records each, 20 open windows with one (and the system's).
    found = re.search(r"audit trail intact: (\d+) streams, (\d+) records", verified.stdout)
    assert found is not None, verified.stdout
    assert int(found[1]) >= 220
    assert int(found[2]) >= 200 * 3 + 20
