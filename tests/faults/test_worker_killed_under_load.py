"""``rescind worker`` killed with SIGKILL mid-delivery while the API keeps writing.

Hundreds of jobs whose windows ended long ago wait for the sweep, and clients of a real
``rescind serve`` cancel other jobs meanwhile (each cancel queues a notice). The worker is
killed once it has sent part of the mail and holds leased rows; a new one finishes. Every due
job must be finalized exactly once, every outbox row sent and received by the SMTP server —
a row the dead worker held may arrive twice with the same Message-ID (README: the lease), but
none may be lost — and nothing is half-done.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from tests.faults.conftest import (
    Served,
    add_active_jobs,
    add_agent,
    add_verified_request,
    assert_nothing_half_done,
    cancel_load,
    context_for,
)
from tests.worker.conftest import (
    Processes,
    SinkServer,
    WorkerDatabase,
    add_due_jobs,
    cancelled,
    job_number,
    leased,
    outbox_ids,
    rows_leased_more_than_once,
    sent,
    wait_until,
)

pytestmark = pytest.mark.postgres

DUE_JOBS = 400
CANCELS = 80
POLL = "0.2"
DEADLINE_SECONDS = 150


def test_a_worker_killed_mid_delivery_under_api_load_loses_no_email_and_finalizes_once(
    postgres_worker_database: WorkerDatabase,
    served: Served,
    processes: Processes,
    mail_sink: SinkServer,
) -> None:
    db = postgres_worker_database
    ctx = context_for(db)
    add_agent(ctx)
    add_active_jobs(ctx, CANCELS)
    request_ids = {n: add_verified_request(ctx, n) for n in range(1, CANCELS + 1)}
    add_due_jobs(db.uow, DUE_JOBS)
    env = db.env(mail_sink.port, RESCIND_WORKER_POLL_SECONDS=POLL)
    served.env = env
    served.start()

    finish_load = cancel_load(served, served.token(), request_ids)
    first = processes.start("worker", env=env)
    wait_until(
        lambda: sent(db) >= DUE_JOBS // 4 and leased(db) > 0,
        timeout=DEADLINE_SECONDS,
        interval=0.01,
        what="a quarter sent and a batch in hand",
    )
    first.signal(signal.SIGKILL)
    assert first.wait(30) == -signal.SIGKILL
    at_kill = sent(db)
    # Its leases would end five minutes from now; the worker reads the wall clock, so move
    # the rows' next attempt into the past instead of waiting.
    with db.engine.begin() as connection:
        lost = connection.exec_driver_sql(
            "UPDATE outbox_message SET next_attempt_at = queued_at "
            "WHERE status = 'queued' AND attempts > 0"
        ).rowcount
    second = processes.start("worker", env=env)
    calls = finish_load()
    rows = DUE_JOBS + CANCELS  # a final email per due job, a notice per cancel
    wait_until(
        lambda: cancelled(db) == DUE_JOBS and sent(db) == rows,
        timeout=DEADLINE_SECONDS,
        what="every due job finalized and every email sent",
    )
    second.signal(signal.SIGTERM)
    assert second.wait(30) == 0, second.stderr
    assert "Traceback" not in second.stderr, second.stderr

    assert at_kill < rows, "the kill must land mid-delivery"
    assert lost > 0, "the kill must leave leased rows behind"
    assert [c.final.status_code for c in calls] == [200] * CANCELS
    due = [job_number(n) for n in range(1, DUE_JOBS + 1)]
    stories = assert_nothing_half_done(db, ctx, started_pending=due)
    finalized = [s for s in stories.values() if s.status == "cancelled"]
    assert len(finalized) == DUE_JOBS
    assert all((s.cancelled, s.finals) == (1, 1) for s in finalized)
    received = Counter(mail_sink.sink.message_ids())
    assert set(received) == outbox_ids(db)  # every row arrived; nothing that is not a row
    twice = {m for m, n in received.items() if n > 1}
    # Only a row the dead worker held may arrive twice, and no more of them than it held.
    assert twice <= rows_leased_more_than_once(db)
    assert len(twice) <= lost
    print(
        f"\nworker killed at {at_kill}/{rows} sent with {lost} leases lost; the server "
        f"received {received.total()} messages, {len(received)} distinct, {len(twice)} twice"
    )
