"""A fast bulk loader: N realistic jobs and M audit events into a migrated PostgreSQL database.

What it writes (see ``dataset_rows.py`` for the shapes): homeowners with names, emails and
phones and their search keys; jobs across every product model, milestone, partner program
and signer combination; review items where a review is pending; cancellation requests (open,
closed, escalated) with written statements; open Direct Pay M1B cases in the Back Office queue
with a Deal Processing assignment; Cancel Pending and cancelled jobs with their feed comment
and emails; and each job's audit trail, hash-chained (``rescind audit verify`` passes). The
policy (v1) is seeded the service's own way, by ``bootstrap``.

Rows go in by PostgreSQL COPY in chunks, not through the ORM; the audit table's secondary
indexes are dropped during the load and rebuilt once at the end (one sort instead of ten
million index insertions). ``--cancellable`` makes every job an eligible, active job with one
open homeowner request, verified and with its written statement: the cancel benchmark's input.

    .venv/bin/python -m bench.dataset --database rescind_bench_reads \
        --jobs 1000000 --events 10000000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from bench.dataset_columns import COLUMNS, TABLE_ORDER
from bench.dataset_rows import JobMaker, Rows, Shares
from bench.postgres import DEFAULT_SERVER, conninfo, create_database
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.eligibility import DecisionTable
from rescind.entrypoints.cli.demo_jobs import INSTALLERS, REPS
from rescind.services.policy import SEED_EFFECTIVE_AT

CHUNK = 20_000
# Rebuilt after the load: (index name, its definition).
AUDIT_INDEXES = (
    (
        "uq_audit_event_stream_seq",
        "ALTER TABLE audit_event ADD CONSTRAINT uq_audit_event_stream_seq UNIQUE (stream, seq)",
    ),
    ("ix_audit_event_job_id", "CREATE INDEX ix_audit_event_job_id ON audit_event (job_id)"),
)


@dataclass
class Loaded:
    """What went in, for the benchmark's report."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    cancellable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def jobs(self) -> int:
        return self.counts["job"]

    @property
    def events(self) -> int:
        return self.counts["audit_event"]


def load(
    url: str,
    *,
    jobs: int,
    events: int,
    seed: int = 7,
    cancellable: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Fill the (migrated, empty) database at ``url``; ``events`` is a total over all jobs."""
    started = time.perf_counter()
    app = bootstrap(Settings(database_url=url))  # seeds policy v1 as the service does
    with app.ctx.uow() as uow:
        calendar = app.ctx.operations_calendar(uow)
    app.engine.dispose()
    table = DecisionTable.from_document(
        load_policy_document(default_policy_path()), version=1, effective_at=SEED_EFFECTIVE_AT
    )
    maker = JobMaker(
        table=table,
        calendar=calendar,
        now=app.ctx.now(),
        events_per_job=events / max(jobs, 1),
        shares=Shares(cancellable=cancellable),
        seed=seed,
    )
    loaded = Loaded()
    with psycopg.connect(conninfo(url)) as conn:
        _people(conn)
        for name, _ in AUDIT_INDEXES:
            conn.execute(
                sql.SQL("ALTER TABLE audit_event DROP CONSTRAINT IF EXISTS {}").format(
                    sql.Identifier(name)
                )
            )
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        for first in range(1, jobs + 1, CHUNK):
            rows = Rows()
            for n in range(first, min(first + CHUNK, jobs + 1)):
                request = maker.make(n, rows)
                if request is not None:
                    loaded.cancellable.append(request)
            _copy(conn, rows, loaded)
            conn.commit()
            if progress is not None:
                progress(loaded.jobs)
        for _, definition in AUDIT_INDEXES:
            conn.execute(sql.SQL(definition))
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    loaded.seconds = time.perf_counter() - started
    return loaded


def _people(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY installer_company (id, name, email) FROM STDIN") as copy:
            for row in INSTALLERS:
                copy.write_row(row)
        with cur.copy("COPY sales_rep (id, name, email) FROM STDIN") as copy:
            for row in REPS:
                copy.write_row(row)


def _copy(conn: psycopg.Connection[tuple[object, ...]], rows: Rows, loaded: Loaded) -> None:
    with conn.cursor() as cur:
        for table in TABLE_ORDER:
            batch = rows.tables[table]
            if not batch:
                continue
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
            )
            with cur.copy(statement) as copy:
                for row in batch:
                    copy.write_row(row)
            loaded.counts[table] += len(batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server")
    parser.add_argument("--database", default="rescind_bench_dataset", help="created afresh")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--cancellable", action="store_true")
    args = parser.parse_args(argv)
    url = create_database(args.url, args.database)
    loaded = load(
        url,
        jobs=args.jobs,
        events=args.events,
        cancellable=args.cancellable,
        progress=lambda n: print(f"  {n:,} jobs", file=sys.stderr, flush=True),
    )
    for table, count in loaded.counts.items():
        print(f"{table:22} {count:>12,}")
    print(f"loaded in {loaded.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
