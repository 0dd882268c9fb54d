"""PostgreSQL restarted under load, under a running ``rescind serve`` and ``rescind worker``.

On a private cluster (never the shared server), clients cancel verified requests and read
jobs while the worker finalizes due windows and sends mail; mid-load the cluster is stopped
with ``-m immediate`` (a crash, in effect), left down a few seconds and started again. While
it is down the API answers a clean, retryable ``503 application/problem+json`` — never a 500
— and afterwards the same server and worker processes carry on by themselves: every request
done exactly once, every due job finalized once, every email sent, nothing half-done.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.faults.conftest import (
    PrivateCluster,
    Served,
    add_active_jobs,
    add_agent,
    add_verified_request,
    api_client,
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
    sent,
    wait_until,
)

pytestmark = pytest.mark.postgres

CANCELS = 150
DUE_JOBS = 200
DOWN_SECONDS = 3
DEADLINE_SECONDS = 90


def closed_requests(db: WorkerDatabase) -> int:
    return db.count("SELECT count(*) FROM cancellation_request WHERE outcome <> 'open'")


def test_a_postgres_restart_mid_load_gets_503s_then_the_service_recovers_by_itself(
    private_cluster: PrivateCluster,
    cluster_db: WorkerDatabase,
    served: Served,
    processes: Processes,
    mail_sink: SinkServer,
) -> None:
    db = cluster_db
    ctx = context_for(db)
    add_agent(ctx)
    add_active_jobs(ctx, CANCELS)
    request_ids = {n: add_verified_request(ctx, n) for n in range(1, CANCELS + 1)}
    add_due_jobs(db.uow, DUE_JOBS)  # the worker sweeps, then sends, all through the load
    env = db.env(
        mail_sink.port, RESCIND_WORKER_POLL_SECONDS="0.2", RESCIND_IDEMPOTENCY_LEASE_SECONDS="3"
    )
    served.env = env
    server = served.start()
    worker = processes.start("worker", env=env)
    token = served.token()

    # A reader polls all along, to see what the API says while the database is gone.
    reads: Counter[tuple[int, str]] = Counter()
    outage_answers: list[httpx.Response] = []
    down = threading.Event()
    stop_reading = threading.Event()

    def read() -> None:
        with api_client(served, token) as client:
            while not stop_reading.is_set():
                try:
                    answer = client.get("/jobs", params={"limit": 5})
                except httpx.TransportError:  # only at the end, when the server is stopped
                    reads[(0, "no answer")] += 1
                    continue
                reads[(answer.status_code, answer.headers.get("content-type", ""))] += 1
                if down.is_set() and answer.status_code != 200:
                    outage_answers.append(answer)
                time.sleep(0.05)

    reader = threading.Thread(target=read, name="reader", daemon=True)
    reader.start()
    finish_load = cancel_load(served, token, request_ids, clients=2)
    # The worker must be up first: one that starts while the database is down exits (1).
    wait_until(
        lambda: sent(db) > 0 and closed_requests(db) >= CANCELS // 3,
        timeout=DEADLINE_SECONDS,
        what="the worker sending and a third of the cancels done",
    )
    private_cluster.stop("immediate")
    down.set()
    time.sleep(DOWN_SECONDS)
    wait_until(lambda: len(outage_answers) > 0, timeout=30, what="an answer during the outage")
    private_cluster.start()
    down.clear()

    calls = finish_load()
    rows = CANCELS + DUE_JOBS
    try:
        wait_until(
            lambda: cancelled(db) == DUE_JOBS and sent(db) == rows,
            timeout=DEADLINE_SECONDS,
            what="every due job finalized and every email sent after the restart",
        )
    except pytest.fail.Exception:
        print(
            f"\nfinalized {cancelled(db)}/{DUE_JOBS}, sent {sent(db)}/{rows}, outbox "
            f"{db.count('SELECT count(*) FROM outbox_message')}, leased {leased(db)}\n"
            f"--- worker\n{worker.stderr[-4000:]}\n--- server\n{server.stderr[-2000:]}"
        )
        raise
    stop_reading.set()
    reader.join(timeout=30)

    print(
        f"\nreads: {dict(reads)}; cancels' answers: {Counter(s for c in calls for s in c.statuses)}"
    )
    # While the database was gone: clean, retryable problems.
    for answer in outage_answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["Retry-After"].isdigit()
        assert answer.json()["code"] == "database_unavailable"
    assert not [status for status, _ in reads if status >= 500 and status != 503]
    assert not [s for c in calls for s in c.statuses if s >= 500 and s != 503]
    # The same processes recovered: nobody restarted them.
    assert server.popen.poll() is None
    assert worker.popen.poll() is None
    after = httpx.get(
        f"{served.base_url}/api/v1/jobs", headers={"Authorization": token}, timeout=30
    )
    assert after.status_code == 200, after.text
    # Each cancel settled on its success, or (committed just before the crash, answer lost)
    # on the refusal that says its request is closed already.
    for call in calls:
        if call.final.status_code != 200:
            assert (call.final.status_code, call.code) == (409, "not_allowed"), call.final.text
            assert 503 in call.statuses or call.lost
    due = [job_number(n) for n in range(1, DUE_JOBS + 1)]
    stories = assert_nothing_half_done(db, ctx, started_pending=due)
    assert all(stories[job].requests_cancelled == 1 for job in stories if job not in due)
    assert set(mail_sink.sink.message_ids()) == outbox_ids(db)

    server.signal(signal.SIGTERM)
    worker.signal(signal.SIGTERM)
    assert server.wait(60) == 0, server.stderr
    assert worker.wait(60) == 0, worker.stderr
    for process in (server, worker):
        assert "Traceback" not in process.stderr, process.stderr
