"""Delivering the outbox: at least once, recorded once, never lost.

A worker leases a batch of due messages (their next attempt moves a lease ahead, so others
skip them), sends each outside any transaction, and records the outcome in a short one. If
it dies mid-way the lease runs out and another worker sends again with the *same*
Message-ID, so a duplicate is recognisable; the row is still one row, marked sent once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from rescind.domain.email import QueuedEmail, retry_delay
from rescind.services.context import Context
from rescind.services.sending import Composer, PermanentFailure, Sender, TransientFailure

LEASE = timedelta(minutes=5)
LEASE_MARGIN = timedelta(seconds=30)
MAX_ATTEMPTS = 8


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


def deliver_due(
    ctx: Context,
    composer: Composer,
    sender: Sender,
    *,
    batch_size: int = 50,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Send what is due now; transient failures back off exponentially, then give up."""
    report = DeliveryReport()
    now = ctx.now()
    with ctx.uow() as uow:
        leased = uow.outbox.claim(now, batch_size, LEASE)
        uow.commit()
    # Stop before the lease runs out (a slow or silent server): rows not tried yet come due
    # again when their lease ends, instead of being sent by two workers at once.
    send_until = now + LEASE - LEASE_MARGIN
    for email in leased:
        if ctx.now() >= send_until:
            break
        try:
            refused = sender.send(composer.compose(email, now=now))
        except TransientFailure as e:
            if email.attempts >= max_attempts:
                _failed(ctx, email, f"gave up after {email.attempts} attempts: {e}", report)
            else:
                _retry(ctx, email, str(e), report)
            continue
        except PermanentFailure as e:
            _failed(ctx, email, str(e), report)
            continue
        note = f"refused by the server for: {', '.join(refused)}" if refused else ""
        with ctx.uow() as uow:
            uow.outbox.mark_sent(email.message_id, ctx.now(), note=note)
            uow.commit()
        report.sent.append(email.message_id)
    return report


def _retry(ctx: Context, email: QueuedEmail, error: str, report: DeliveryReport) -> None:
    now = ctx.now()
    with ctx.uow() as uow:
        uow.outbox.mark_attempt_failed(
            email.message_id, now, error, retry_at=now + retry_delay(email.attempts)
        )
        uow.commit()
    report.retrying.append(email.message_id)


def _failed(ctx: Context, email: QueuedEmail, error: str, report: DeliveryReport) -> None:
    with ctx.uow() as uow:
        uow.outbox.mark_attempt_failed(email.message_id, ctx.now(), error, retry_at=None)
        uow.commit()
    report.failed.append(email.message_id)
