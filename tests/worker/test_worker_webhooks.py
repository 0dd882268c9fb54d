"""``rescind worker`` as a real process, killed mid-delivery of webhooks: none lost.

Hundreds of jobs whose windows ended long ago are put straight into the database with an
endpoint subscribed to ``workflow.cancelled``; a real HTTP receiver (verifying every signature
with ``standardwebhooks``) answers slowly enough that a SIGKILL lands with deliveries leased.
What must hold: every event reaches the receiver, signed; a repeat carries the same
webhook-id (at least once, recognisably); every delivery ends delivered, recorded once.
"""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime

from rescind.domain.webhooks import WebhookEndpoint, WebhookType
from rescind.services.webhooks import new_secret
from tests.webhook_receiver import webhook_receiver
from tests.worker.conftest import (
    Processes,
    WorkerDatabase,
    add_due_jobs,
    cancelled,
    wait_until,
)

JOBS = 300
DEADLINE_SECONDS = 150


def delivered(db: WorkerDatabase) -> int:
    return db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'delivered'")


def leased(db: WorkerDatabase) -> int:
    return db.count(
        "SELECT count(*) FROM webhook_delivery WHERE status = 'pending' AND attempts > 0"
    )


def ids(db: WorkerDatabase, sql: str) -> set[str]:
    with db.reader.connect() as connection:
        return {str(row[0]) for row in connection.exec_driver_sql(sql).all()}


def test_a_worker_killed_mid_delivery_loses_no_webhook_and_a_repeat_has_the_same_webhook_id(
    worker_database: WorkerDatabase, processes: Processes
) -> None:
    db = worker_database
    secret = new_secret()
    with webhook_receiver(secrets=[secret], delay=0.02) as receiver:
        with db.uow() as uow:
            uow.webhooks.add_endpoint(
                WebhookEndpoint(
                    "whe_test",
                    receiver.url,
                    (WebhookType.WORKFLOW_CANCELLED,),
                    secret,
                    datetime.now(UTC),
                )
            )
            uow.commit()
        add_due_jobs(db.uow, JOBS)
        env = db.env(
            RESCIND_WORKER_POLL_SECONDS="0.2", RESCIND_WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true"
        )

        first = processes.start("worker", env=env)
        wait_until(
            lambda: len(receiver.accepted()) >= JOBS // 5 and leased(db) > 0,
            timeout=DEADLINE_SECONDS,
            interval=0.01,
            what="a fifth delivered and a batch in hand",
        )
        first.signal(signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
        at_kill = delivered(db)
        assert at_kill < JOBS, "the kill must land mid-delivery"
        assert leased(db) > 0, "the kill must leave leased deliveries behind"
        # The dead worker's leases end two minutes from now; the worker reads the wall clock,
        # so move them into the past instead of waiting.
        with db.engine.begin() as connection:
            lost = connection.exec_driver_sql(
                "UPDATE webhook_delivery SET next_attempt_at = created_at "
                "WHERE status = 'pending' AND attempts > 0"
            ).rowcount

        second = processes.start("worker", env=env)
        wait_until(
            lambda: cancelled(db) == JOBS and delivered(db) == JOBS,
            timeout=DEADLINE_SECONDS,
            what="every webhook delivered",
        )
        second.signal(signal.SIGTERM)
        assert second.wait(30) == 0, second.stderr
        assert "Traceback" not in second.stderr, second.stderr

        accepted = receiver.accepted()
    events = ids(db, "SELECT public_id FROM event WHERE type = 'workflow.cancelled'")
    assert len(events) == JOBS
    received = Counter(r.webhook_id for r in accepted)
    assert set(received) == events  # none lost, nothing that is not an event
    assert all(r.verified_by == (0,) for r in accepted)  # every one signed with the secret
    twice = {i for i, n in received.items() if n > 1}
    # Only a delivery whose worker died before recording it arrives twice, with its id.
    retried = ids(
        db,
        "SELECT e.public_id FROM webhook_delivery d JOIN event e ON e.id = d.event_id "
        "WHERE d.attempts > 1",
    )
    assert twice <= retried
    assert len(twice) <= lost
    print(
        f"\n[{db.kind}] killed at {at_kill}/{JOBS} delivered with {lost} leases lost; the "
        f"receiver accepted {len(accepted)} posts, {len(received)} distinct webhook-ids, "
        f"{len(twice)} twice"
    )
