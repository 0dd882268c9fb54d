"""How much a Prometheus scrape and a readiness check cost on a big PostgreSQL database.

    .venv/bin/python bench/metrics_scrape.py --url postgresql+psycopg://postgres@127.0.0.1:5432/ops_metrics

The database must be empty and migrated (``rescind db upgrade``). It is filled with SQL
(``generate_series``, in a few seconds a million jobs) in proportions like a busy year:
``--jobs`` jobs of which 10 % cancelled and 2 % cancel pending, a request for every fifth job
(a few hundred still open), three emails per request (a thousand queued, a hundred failed),
cases and their assignments, inbound email. Then it prints, for every query a scrape runs,
PostgreSQL's own plan and time (``EXPLAIN (ANALYZE, BUFFERS)``, captured from the probe's
real statements), and the time of whole scrapes (``SqlProbe.backlog``) and readiness checks
(``SqlProbe.problems``). Not a test: the goal (a scrape well under 100 ms) is read off the
table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from rescind.adapters.db.probe import SqlProbe

FILL = [
    # Three installers and reps are enough: the scrape never looks at them.
    """INSERT INTO installer_company (id, name, email)
       SELECT 'INST-' || n, 'Installer ' || n, 'ops' || n || '@inst.example'
       FROM generate_series(1, 3) n""",
    """INSERT INTO sales_rep (id, name, email)
       SELECT 'REP-' || n, 'Rep ' || n, 'rep' || n || '@sales.example'
       FROM generate_series(1, 3) n""",
    """INSERT INTO homeowner (id, name, email, phone, email_key, name_key, phone_key)
       SELECT 'HO-' || n, 'Owner ' || n, 'o' || n || '@home.example', '555' || n,
              'o' || n || '@home.example', 'owner ' || n, '555' || n
       FROM generate_series(1, :jobs) n""",
    """INSERT INTO job (id, homeowner_id, installer_id, sales_rep_id, product_model, milestone,
                        review_status, invoice_uploaded, system_photos_uploaded,
                        partner_program, installer_signed, sales_rep_signed,
                        contract_signed_date, phase, status, pending_since_at, final_at,
                        calendar_version, cancelled_at, version)
       SELECT 'JOB-' || lpad(n::text, 7, '0'), 'HO-' || n, 'INST-' || (n % 3 + 1),
              'REP-' || (n % 3 + 1), 'regular', 'M1', 'not_submitted', false, false, 'none',
              true, true, DATE '2026-01-01' + (n % 300), 'operations',
              CASE WHEN n % 100 < 10 THEN 'cancelled'
                   WHEN n % 100 < 12 THEN 'cancel_pending' ELSE 'active' END,
              CASE WHEN n % 100 < 12 THEN now() - interval '10 days' END,
              CASE WHEN n % 100 < 12 THEN now() + interval '10 days' END,
              CASE WHEN n % 100 < 12 THEN 1 END,
              CASE WHEN n % 100 < 10 THEN now() - interval '1 day' END, 1
       FROM generate_series(1, :jobs) n""",
    """INSERT INTO cancellation_request (id, job_id, channel, requester_role, requester_name,
                        filed_by, filed_at, due_at, within_cooling_off, verified,
                        verification_method, verified_at, reason, reason_text, outcome,
                        outcome_detail, version)
       SELECT 'REQ-' || n, 'JOB-' || lpad((n * 5)::text, 7, '0'), 'phone', 'homeowner', 'x',
              'agent', now() - interval '30 days', now() - interval '28 days', false, true,
              'code', now(), NULL, '',
              CASE WHEN n % 400 = 0 THEN 'open' WHEN n % 401 = 0 THEN 'escalated'
                   ELSE 'cancel_pending' END, '', 1
       FROM generate_series(1, :jobs / 5) n""",
    """INSERT INTO outbox_message (message_id, kind, job_id, sender, to_addrs, cc_addrs,
                        context, secret_keys, status, attempts, next_attempt_at, queued_at)
       SELECT '<m' || n || '@bench>', 'cancellation_notice', NULL, 'notifications',
              '[]', '[]', '{}', '[]',
              CASE WHEN n % 600 = 0 THEN 'queued' WHEN n % 6000 = 1 THEN 'failed'
                   ELSE 'sent' END, 1, now(), now()
       FROM generate_series(1, :jobs * 3 / 5) n""",
    """INSERT INTO "case" (id, job_id, request_id, requested_by, subject, description, queue,
                        created_at, created_by, status, decided_by, decided_at,
                        decision_reason, version)
       SELECT 'CASE-' || n, 'JOB-' || lpad((n * 50)::text, 7, '0'), NULL, 'homeowner', 's',
              'd', CASE WHEN n % 2 = 0 THEN 'back_office' ELSE 'deal_processing' END, now(),
              'agent', CASE WHEN n % 50 = 0 THEN 'open' ELSE 'approved' END, '', NULL, '', 1
       FROM generate_series(1, :jobs / 50) n""",
    """INSERT INTO case_assignment (case_id, team, assigned_at, status)
       SELECT 'CASE-' || n, 'deal_processing', now(),
              CASE WHEN n % 50 = 0 THEN 'open' ELSE 'done' END
       FROM generate_series(1, :jobs / 50) n""",
    """INSERT INTO inbound_email (id, received_at, message_id, from_address, subject, raw,
                        status, reason, job_id, request_id)
       SELECT 'IN-' || n, now(), '<in' || n || '@x>', 'a@b.example', 's', '\\x00',
              CASE WHEN n % 20 = 0 THEN 'triage' ELSE 'filed' END, '', NULL, NULL
       FROM generate_series(1, :jobs / 50) n""",
]


def fill(engine: Engine, jobs: int) -> float:
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement), {"jobs": jobs})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # as autovacuum would have, for a fair plan
    return time.perf_counter() - started


def captured_statements(engine: Engine, probe: SqlProbe) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        probe.backlog()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return [row[0] for row in cursor.fetchall()]
    finally:
        raw.close()


def timed(action: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="an empty, migrated PostgreSQL database")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--skip-fill", action="store_true", help="the data is already there")
    args = parser.parse_args()
    engine = create_engine(args.url, pool_pre_ping=True)
    if not args.skip_fill:
        print(f"filled {args.jobs:,} jobs in {fill(engine, args.jobs):.1f} s")
    probe = SqlProbe(engine)
    print(f"backlog: {probe.backlog()}")
    for statement, parameters in captured_statements(engine, probe):
        print("\n" + " ".join(statement.split()))
        for line in explain(engine, statement, parameters):
            print("   ", line)
    print(f"\n| what (ms, {args.repeat} runs) | p50 | p95 | max |\n|---|---|---|---|")
    for name, action in (
        ("scrape: SqlProbe.backlog()", probe.backlog),
        ("readiness: SqlProbe.problems()", probe.problems),
    ):
        times = sorted(timed(action, args.repeat))
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
