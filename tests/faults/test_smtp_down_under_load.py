"""The mail server down while the API and the sweep queue mail, then back: nothing lost.

``rescind worker`` points at a port of 127.0.0.1 where nothing listens yet. Clients cancel
verified requests (a notice each) while the worker finalizes due windows (a final email
each); every send fails as "cannot reach", and the rows back off (30 s first). Then a real
SMTP server starts on that port and, with nobody touching the worker, every message arrives,
each exactly once, and every row is recorded sent.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from tests.faults.conftest import (
    Served,
    add_active_jobs,
    add_agent,
    add_verified_request,
    assert_nothing_half_done,
    cancel_load,
    context_for,
)
from tests.mail.conftest import free_port
from tests.worker.conftest import (
    MailSink,
    Processes,
    WorkerDatabase,
    add_due_jobs,
    cancelled,
    job_number,
    outbox_ids,
    sent,
    wait_until,
)

pytestmark = pytest.mark.postgres

CANCELS = 100
DUE_JOBS = 100
# The first retry comes 30 s after the first failure; rows queued later fail later.
DEADLINE_SECONDS = 120


def test_mail_queued_while_the_smtp_server_is_down_all_arrives_once_it_is_back(
    postgres_worker_database: WorkerDatabase, served: Served, processes: Processes
) -> None:
    db = postgres_worker_database
    ctx = context_for(db)
    add_agent(ctx)
    add_active_jobs(ctx, CANCELS)
    request_ids = {n: add_verified_request(ctx, n) for n in range(1, CANCELS + 1)}
    add_due_jobs(db.uow, DUE_JOBS)
    smtp_port = free_port()  # nothing listens here yet
    env = db.env(smtp_port, RESCIND_WORKER_POLL_SECONDS="0.2")
    served.env = env
    served.start()
    worker = processes.start("worker", env=env)

    calls = cancel_load(served, served.token(), request_ids)()
    rows = CANCELS + DUE_JOBS

    def unreachable() -> int:
        return db.count(
            "SELECT count(*) FROM outbox_message WHERE status = 'queued' AND last_error LIKE :e",
            e=f"%cannot reach 127.0.0.1:{smtp_port}%",
        )

    wait_until(
        lambda: unreachable() == rows,
        timeout=DEADLINE_SECONDS,
        what="every email tried, and found the mail server down",
    )
    assert sent(db) == 0
    assert cancelled(db) == DUE_JOBS

    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        wait_until(
            lambda: sent(db) == rows,
            timeout=DEADLINE_SECONDS,
            what="every email sent once the mail server is back",
        )
    finally:
        controller.stop()
    worker.signal(signal.SIGTERM)
    assert worker.wait(60) == 0, worker.stderr
    assert "Traceback" not in worker.stderr, worker.stderr

    assert [c.final.status_code for c in calls] == [200] * CANCELS
    received = Counter(sink.message_ids())
    assert set(received) == outbox_ids(db)
    assert [m for m, n in received.items() if n > 1] == []  # nobody died: none twice
    assert db.count("SELECT count(*) FROM outbox_message WHERE status <> 'sent'") == 0
    assert db.count("SELECT min(attempts) FROM outbox_message") >= 2
    assert_nothing_half_done(
        db, ctx, started_pending=[job_number(n) for n in range(1, DUE_JOBS + 1)]
    )
    print(f"\n{rows} emails queued with the mail server down; {received.total()} arrived after")
