"""Delivering webhooks: at least once, with the same ``webhook-id``, never lost.

As with email (``delivery.py``): a worker leases a batch of due deliveries in one short
transaction, POSTs each outside any transaction, and records each outcome in another. A worker
killed mid-batch leaves its leases to run out; the next worker posts again with the same
webhook-id (the event's id), so the receiver sees a duplicate it can drop, never a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from rescind.domain.webhooks import MAX_ATTEMPTS, DueDelivery, retry_delay
from rescind.services.context import Context

LEASE = timedelta(minutes=2)
# Stop starting attempts this long before the lease ends: one attempt takes at most the
# receiver's timeout (10 s), so none is still running when another worker may take the row.
LEASE_MARGIN = timedelta(seconds=30)


class PostFailed(Exception):
    """No answer (refused, timed out, TLS) or an answer that is not 2xx."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Poster(Protocol):
    def post(self, delivery: DueDelivery, *, now: datetime) -> int:
        """Sign and POST; the 2xx status code, or ``PostFailed``."""
        ...


@dataclass
class WebhookReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)


def deliver_due_webhooks(
    ctx: Context, poster: Poster, *, batch_size: int = 50, max_attempts: int = MAX_ATTEMPTS
) -> WebhookReport:
    """POST what is due now; failures back off (30 s doubling to 6 h), the last one fails."""
    report = WebhookReport()
    now = ctx.now()
    with ctx.uow() as uow:
        leased = uow.webhooks.claim(now, batch_size, LEASE)
        uow.commit()
    send_until = now + LEASE - LEASE_MARGIN
    for due in leased:
        if ctx.now() >= send_until:
            break  # the rest come due again when their lease ends
        _attempt(ctx, poster, due, max_attempts, report)
    return report


def _attempt(
    ctx: Context, poster: Poster, due: DueDelivery, max_attempts: int, report: WebhookReport
) -> None:
    try:
        status_code = poster.post(due, now=ctx.now())
    except PostFailed as e:
        at = ctx.now()
        last = due.attempts >= max_attempts
        note = f"gave up after {due.attempts} attempts: {e}" if last else str(e)
        retry_at = None if last else at + retry_delay(due.attempts)
        with ctx.uow() as uow:
            uow.webhooks.mark_attempt_failed(
                due.delivery_id, at, note, e.status_code, retry_at=retry_at
            )
            uow.commit()
        (report.failed if last else report.retrying).append(due.delivery_id)
        return
    with ctx.uow() as uow:
        uow.webhooks.mark_delivered(due.delivery_id, ctx.now(), status_code)
        uow.commit()
    report.delivered.append(due.delivery_id)
