"""Benchmark 1's reference: the leanest Python that does the database work of one HTTP cancel.

A bare ASGI app (no framework) served by uvicorn, as ``rescind serve`` is, over async psycopg
with a small pool of its own (an ``asyncio.Queue`` of connections). ``POST
/api/v1/requests/{id}/cancel`` runs, in **one** transaction, the statements rescind's cancel
runs in its use-case transaction (``make bench-cancel-statements --echo``): the same tables
read, the same rows written — the job to Cancel Pending (its review items rejected when the
review is pending, as rule 2 asks), the event and the feed comment, the signers' notice in the
outbox, the request closed, the trail's records in one INSERT with the stream head upserted,
the insight counters. What it leaves out is what the benchmark compares against: the ORM,
the token and idempotency transactions, the policy engine (the decision is taken as rule 6,
"eligible"), the hashing beyond one sha256 a record, logging and metrics.

    .venv/bin/python -m bench.reference_cancel --url postgresql://… --port 8001

It answers as rescind does where the benchmark reads the answer (``already_pending`` false,
200), and the benchmark checks the database afterwards the same way for both.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import psycopg
import uvicorn
from psycopg.rows import TupleRow

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/api/v1/requests/"
SUFFIX = "/cancel"
BUSINESS_DAYS = 14

READ_REQUEST = (
    "SELECT r.id, r.job_id, r.channel, r.filed_at, r.due_at, r.within_cooling_off, r.verified,"
    " r.reason, r.outcome, r.version, s.request_id, s.kind, s.content, s.received_at"
    " FROM cancellation_request r LEFT OUTER JOIN written_statement s ON s.request_id = r.id"
    " WHERE r.id = %s"
)
READ_JOB = (
    "SELECT j.id, j.homeowner_id, j.installer_id, j.milestone, j.review_status, j.status,"
    " j.version, h.name, h.email, i.email, s.email FROM job j"
    " JOIN homeowner h ON j.homeowner_id = h.id"
    " JOIN installer_company i ON j.installer_id = i.id"
    " JOIN sales_rep s ON j.sales_rep_id = s.id WHERE j.id = %s"
)
READ_REVIEW = "SELECT job_id, id, status FROM review_item WHERE job_id = ANY(%s)"
READ_POLICY = "SELECT version, document FROM policy_version ORDER BY version"
READ_HEAD = "SELECT seq, head_hash FROM audit_stream WHERE stream = %s"
READ_CALENDAR = (
    "SELECT holiday_date, name, CAST(NULL AS INTEGER) AS version FROM company_holiday"
    " UNION ALL SELECT CAST(NULL AS DATE), CAST(NULL AS VARCHAR), version"
    " FROM calendar_revision WHERE id = %s"
)
INSERT_EVENT = (
    "INSERT INTO event (public_id, type, occurred_at, job_id, data)"
    " SELECT u.public_id, u.type, u.occurred_at, u.job_id, u.data"
    " FROM json_to_recordset(CAST(%s AS JSON)) AS u(public_id VARCHAR, type VARCHAR,"
    " occurred_at TIMESTAMP WITH TIME ZONE, job_id VARCHAR, data JSON)"
)
READ_WEBHOOKS = "SELECT id, url, event_types FROM webhook_endpoint WHERE active IS true"
UPDATE_JOB = (
    "UPDATE job SET review_status = %s, status = 'cancel_pending', pending_since_at = %s,"
    " final_at = %s, calendar_version = %s, version = job.version + 1"
    " WHERE id = %s AND version = %s"
)
UPDATE_REVIEW_ITEM = "UPDATE review_item SET status = 'rejected' WHERE job_id = %s AND id = %s"
INSERT_FEED = (
    "INSERT INTO feed_comment (id, homeowner_id, job_id, author, body, created_at, automatic)"
    " VALUES (%s, %s, %s, %s, %s, %s, true)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox_message (message_id, kind, job_id, sender, to_addrs, cc_addrs, context,"
    " secret_keys, status, attempts, next_attempt_at, queued_at, sent_at, last_error)"
    " VALUES (%s, 'cancellation_notice', %s, 'support', %s, '[]', %s, '[]', 'queued', 0, %s, %s,"
    " NULL, '') RETURNING id"
)
UPDATE_REQUEST = (
    "UPDATE cancellation_request SET outcome = 'cancel_pending', outcome_detail = %s,"
    " version = cancellation_request.version + 1 WHERE id = %s AND version = %s"
)
READ_CASES = 'SELECT id, status FROM "case" WHERE job_id = %s ORDER BY created_at, id'
INSERT_AUDIT = (
    "INSERT INTO audit_event (stream, seq, occurred_at, actor, channel, policy_version, kind,"
    " prev_hash, hash, data, job_id) SELECT u.stream, u.seq, u.occurred_at, u.actor, u.channel,"
    " u.policy_version, u.kind, u.prev_hash, u.hash, u.data, u.job_id"
    " FROM json_to_recordset(CAST(%s AS JSON)) AS u(stream VARCHAR, seq INTEGER,"
    " occurred_at TIMESTAMP WITH TIME ZONE, actor VARCHAR, channel VARCHAR,"
    " policy_version INTEGER, kind VARCHAR, prev_hash VARCHAR, hash VARCHAR, data JSON,"
    " job_id VARCHAR)"
)
UPSERT_HEAD = (
    "INSERT INTO audit_stream (stream, seq, head_hash) VALUES (%s, %s, %s)"
    " ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, head_hash = excluded.head_hash"
)
READ_INSIGHT_JOB = "SELECT id, installer_id, milestone FROM job WHERE id = ANY(%s)"
READ_INSIGHT_REQUEST = (
    "SELECT id, filed_at, due_at, reason, within_cooling_off FROM cancellation_request"
    " WHERE id = ANY(%s)"
)
UPSERT_INSIGHT = (
    "INSERT INTO insight_day (scope, day, metric, dimension, value, count)"
    " VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (scope, day, metric, dimension, value)"
    " DO UPDATE SET count = insight_day.count + excluded.count"
)


class Pool:
    """A fixed set of open connections handed out one request at a time."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._conninfo, self._size = conninfo, size
        self._idle: asyncio.Queue[psycopg.AsyncConnection[TupleRow]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self._size):
            self._idle.put_nowait(await psycopg.AsyncConnection.connect(self._conninfo))

    async def close(self) -> None:
        while not self._idle.empty():
            await self._idle.get_nowait().close()

    async def cancel(self, request_id: str, now: dt.datetime) -> dict[str, Any] | None:
        conn = await self._idle.get()
        try:
            async with conn.transaction():
                return await cancel(conn, request_id, now)
        finally:
            self._idle.put_nowait(conn)


def final_at(start: dt.date, holidays: set[dt.date]) -> dt.datetime:
    """The end of the 14th business day after ``start`` (weekends and holidays skipped)."""
    day, counted = start, 0
    while counted < BUSINESS_DAYS:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)


def records(
    stream: str, seq: int, head: str, now: str, kinds: list[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The trail's new records, each hash over the previous one and its own data."""
    rows = []
    for kind, data in kinds:
        seq += 1
        digest = hashlib.sha256(f"{head}|{stream}|{seq}|{kind}|".encode())
        digest.update(json.dumps(data, sort_keys=True).encode())
        row = {"stream": stream, "seq": seq, "occurred_at": now, "actor": "agent:agent"}
        row |= {"channel": "email", "policy_version": 1, "kind": kind, "prev_hash": head}
        head = digest.hexdigest()
        rows.append(row | {"hash": head, "data": data, "job_id": stream.removeprefix("job:")})
    return rows


async def cancel(
    conn: psycopg.AsyncConnection[TupleRow], request_id: str, now: dt.datetime
) -> dict[str, Any] | None:
    """Rescind's use-case statements, in its order; ``None`` when the request is not open."""
    request = await (await conn.execute(READ_REQUEST, [request_id])).fetchone()
    if request is None or request[8] not in ("open", "escalated"):
        return None
    job_id, request_version, channel = request[1], request[9], request[2]
    job = await (await conn.execute(READ_JOB, [job_id])).fetchone()
    if job is None or job[5] != "active":
        return None
    items = await (await conn.execute(READ_REVIEW, [[job_id]])).fetchall()
    await conn.execute(READ_POLICY)
    stream = f"job:{job_id}"
    head_row = await (await conn.execute(READ_HEAD, [stream])).fetchone()
    seq, head = head_row if head_row else (0, "")
    calendar = await (await conn.execute(READ_CALENDAR, [1])).fetchall()
    holidays = {row[0] for row in calendar if row[0] is not None}
    ends = final_at(now.date(), holidays)
    stamp, ends_on = now.isoformat(), (ends - dt.timedelta(days=1)).date().isoformat()
    reject = job[4] == "pending_review"
    change: dict[str, Any] = {
        "from": "active",
        "to": "cancel_pending",
        "final_at": ends.isoformat(),
    }
    change |= {"business_days": BUSINESS_DAYS, "request_id": request_id}
    event: dict[str, Any] = {
        "public_id": f"evt_{uuid.uuid4().hex}",
        "type": "workflow.cancel_pending",
    }
    event |= {"occurred_at": stamp, "job_id": job_id, "data": change}
    await conn.execute(INSERT_EVENT, [json.dumps([event])])
    await conn.execute(READ_WEBHOOKS)
    review_status = "rejected" if reject else job[4]
    updated = await conn.execute(UPDATE_JOB, [review_status, now, ends, 1, job_id, job[6]])
    if updated.rowcount != 1:
        return None
    if reject:
        for item in items:
            await conn.execute(UPDATE_REVIEW_ITEM, [job_id, item[1]])
    body = f"Workflow cancelled (Cancel Pending until {ends_on}). Reason: homeowner request"
    feed_id = f"FC-{uuid.uuid4().hex[:12]}"
    await conn.execute(INSERT_FEED, [feed_id, job[1], job_id, "agent:agent", body, now])
    context = json.dumps({"job_id": job_id, "homeowner": job[7], "final_date": ends_on})
    message_id = f"<{uuid.uuid4().hex}@rescind.invalid>"
    to = json.dumps([job[8]])
    await conn.execute(INSERT_OUTBOX, [message_id, job_id, to, context, now, now])
    detail = f"cancel pending until {ends_on}"
    await conn.execute(UPDATE_REQUEST, [detail, request_id, request_version])
    await conn.execute(READ_CASES, [job_id])
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("eligibility_decided", {"eligible": True, "rule_number": 6, "milestone": job[3]})
    ]
    if reject:
        kinds.append(("review_items_rejected", {"items": [item[1] for item in items]}))
        kinds.append(("review_submitted", {"request_id": request_id}))
    kinds += [
        ("workflow_cancel_pending", change),
        ("feed_commented", {"id": feed_id, "body": body}),
        ("email_queued", {"kind": "cancellation_notice", "message_id": message_id}),
        ("request_closed", {"request_id": request_id, "outcome": "cancel_pending"}),
    ]
    rows = records(stream, seq, head, stamp, kinds)
    await conn.execute(INSERT_AUDIT, [json.dumps(rows)])
    await conn.execute(UPSERT_HEAD, [stream, rows[-1]["seq"], rows[-1]["hash"]])
    await conn.execute(READ_INSIGHT_JOB, [[job_id]])
    await conn.execute(READ_INSIGHT_REQUEST, [[request_id]])
    day = now.date()
    counters = [("cancel_pending", "total", ""), ("cancel_pending", "channel", channel)]
    counters += [("cancel_pending", "installer", job[2]), ("cancel_pending", "milestone", job[3])]
    counters += [("decided", "total", ""), ("decided", "channel", channel)]
    counters += [("decided", "installer", job[2]), ("decided", "milestone", job[3])]
    counters += [("cancel_pending", "reason", ""), ("decided", "reason", request[7] or "")]
    counters += [("decided", "hours", "720")]
    async with conn.cursor() as cursor:
        await cursor.executemany(
            UPSERT_INSIGHT,
            [(scope, day, *c) for scope in ("*", job[2]) for c in counters],
        )
    return {
        "job_id": job_id,
        "request_id": request_id,
        "already_pending": False,
        "final_at": ends.isoformat(),
        "final_date": ends_on,
    }


def application(pool: Pool) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await pool.open()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path: str = scope["path"]
        more = True
        while more:  # the body is not read, but drained
            more = (await receive()).get("more_body", False)
        status, answer = 404, {"detail": "not found"}
        if scope["method"] == "POST" and path.startswith(PREFIX) and path.endswith(SUFFIX):
            found = await pool.cancel(path[len(PREFIX) : -len(SUFFIX)], dt.datetime.now(dt.UTC))
            status, answer = (200, found) if found else (409, {"detail": "not open"})
        payload = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a libpq URL of the database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=int, default=8, help="connections in the pool")
    args = parser.parse_args(argv)
    app = application(Pool(args.url, args.pool))
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
