"""``rescind serve`` killed with SIGKILL in the middle of a load, and a new one started.

Eight clients cancel a verified request on each of many jobs (each call with its own
Idempotency-Key), read the job back, and restore every third one. Mid-load the server is
killed; a new one starts on the same port. Each client retries whatever failed or got no
answer, with the same key, until it gets a real answer. Then the database must show every
request done exactly once, every job's row, audit events and emails in agreement, and the
audit chains intact; no client ever saw a 5xx (losing the connection is the only trouble).

A killed attempt leaves its key reserved and unanswered; the server here takes such keys over
after a short lease (``RESCIND_IDEMPOTENCY_LEASE_SECONDS``), so retries settle within seconds.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import (
    START_SECONDS,
    Call,
    Served,
    active_job_id,
    add_active_jobs,
    add_agent,
    add_verified_request,
    api_client,
    assert_nothing_half_done,
    context_for,
    settle,
)
from tests.worker.conftest import WorkerDatabase, wait_until

pytestmark = pytest.mark.postgres

JOBS = 100
CLIENTS = 8
RESTORE_EVERY = 3
LEASE_SECONDS = "3"


def test_a_server_killed_mid_load_loses_nothing_and_repeats_nothing_once_clients_retry(
    postgres_worker_database: WorkerDatabase, served: Served
) -> None:
    db = postgres_worker_database
    ctx = context_for(db)
    add_agent(ctx)
    add_active_jobs(ctx, JOBS)
    request_ids = {n: add_verified_request(ctx, n) for n in range(1, JOBS + 1)}
    served.env = db.env(RESCIND_IDEMPOTENCY_LEASE_SECONDS=LEASE_SECONDS)
    first = served.start()
    token = served.token()

    calls: list[Call] = []
    finished = Counter[str]()
    lock = threading.Lock()

    def one_job(n: int) -> None:
        job = active_job_id(n)
        mine = [
            Call("POST", f"/requests/{request_ids[n]}/cancel", f"cancel-{n}", {"reason": "kill"}),
            Call("GET", f"/jobs/{job}", None),
        ]
        if n % RESTORE_EVERY == 0:
            mine.append(Call("POST", f"/jobs/{job}/restore", f"restore-{n}", {"why": "kill"}))
        with api_client(served, token) as client:
            for call in mine:
                settle(client, call)
                with lock:
                    calls.append(call)
                    finished["calls"] += 1

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(one_job, n) for n in range(1, JOBS + 1)]
        wait_until(lambda: finished["calls"] >= JOBS // 2, timeout=START_SECONDS, what="load")
        first.signal(signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
        killed_at = finished["calls"]
        second = served.start()
        for future in futures:
            future.result(timeout=START_SECONDS)

    total = JOBS * 2 + JOBS // RESTORE_EVERY
    assert killed_at < total, "the kill must land mid-load"
    assert len(calls) == total
    seen = Counter(status for call in calls for status in call.statuses)
    lost = sum(call.lost for call in calls)
    print(
        f"\nkilled after {killed_at}/{total} calls; {lost} attempts lost their connection; "
        f"answers seen: {dict(sorted(seen.items()))}"
    )
    assert lost > 0, "the kill must cut some calls off"
    assert not [s for s in seen if s >= 500], "a 5xx reached a client"

    # Each call settled on its own success, or (its first attempt killed after it committed)
    # on the refusal that says it was done already.
    for call in calls:
        final = call.final
        if call.method == "GET":
            assert final.status_code == 200, final.text
        elif final.status_code != 200:
            assert call.lost or 409 in call.statuses, (call, final.text)
            assert (final.status_code, call.code) in (
                (409, "not_allowed"),  # the cancel was done; its request is closed
                (409, "invalid_transition"),  # the restore was done; the job is active
            ), final.text

    stories = assert_nothing_half_done(db, ctx)
    for n in range(1, JOBS + 1):
        story = stories[active_job_id(n)]
        restored = n % RESTORE_EVERY == 0
        assert (story.pending, story.restored, story.requests_cancelled) == (
            1,
            1 if restored else 0,
            1,
        ), story
        assert story.status == ("active" if restored else "cancel_pending"), story

    second.signal(signal.SIGTERM)
    assert second.wait(60) == 0, second.stderr
    assert "Traceback" not in second.stderr, second.stderr
