"""Delivering the outbox: at least once, recorded once, never lost.

A worker leases a batch of due messages (their next attempt moves a lease ahead, so others
skip them), sends each outside any transaction, and records the outcome in a short one. If
it dies mid-way the lease runs out and another worker sends again with the *same*
Message-ID, so a duplicate is recognisable; the row is still one row, marked sent once.

If instead the *database* goes away mid-batch (a restart), the worker is alive and knows what
it sent: ``Carry`` keeps those outcomes, and the rows still leased to it, for its next round.
Once the database is back it records them first and goes on with its batch, rather than
leaving sent mail to be sent again, and unsent mail to wait for its lease to run out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from rescind.domain.audit import AuditContext
from rescind.domain.email import DeliveryStatus, QueuedEmail, retry_delay
from rescind.domain.errors import RescindError
from rescind.domain.events import Event, EventKind
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import record
from rescind.services.sending import Composer, PermanentFailure, Sender, TransientFailure

LEASE = timedelta(minutes=5)
LEASE_MARGIN = timedelta(seconds=30)
MAX_ATTEMPTS = 8
WORKER = "system:worker"


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


@dataclass(frozen=True)
class Outcome:
    """One attempt, as it is to be recorded."""

    message_id: str
    result: Literal["sent", "retrying", "failed"]
    at: datetime
    note: str = ""
    retry_at: datetime | None = None
    job_id: str | None = None


@dataclass
class Carry:
    """What one worker did that the database has not heard of yet (it went away mid-batch)."""

    outcomes: list[Outcome] = field(default_factory=list)
    leased: list[QueuedEmail] = field(default_factory=list)
    lease_ends_at: datetime | None = None


def deliver_due(
    ctx: Context,
    composer: Composer,
    sender: Sender,
    *,
    batch_size: int = 50,
    max_attempts: int = MAX_ATTEMPTS,
    carry: Carry | None = None,
) -> DeliveryReport:
    """Send what is due now; transient failures back off exponentially, then give up.

    With a ``carry`` (a worker's, kept between rounds) a database failure while recording
    keeps what is not yet recorded there, and the next call records it before anything else.
    """
    carry = carry if carry is not None else Carry()
    report = DeliveryReport()
    _record_carried(ctx, carry, report)
    now = ctx.now()
    if carry.leased and carry.lease_ends_at is not None and now < carry.lease_ends_at:
        leased, lease_ends_at = carry.leased, carry.lease_ends_at
    else:
        with ctx.uow() as uow:
            leased = uow.outbox.claim(now, batch_size, LEASE)
            uow.commit()
        lease_ends_at = now + LEASE
    carry.leased, carry.lease_ends_at = [], None
    # Stop before the lease runs out (a slow or silent server): rows not tried yet come due
    # again when their lease ends, instead of being sent by two workers at once.
    send_until = lease_ends_at - LEASE_MARGIN
    for n, email in enumerate(leased):
        if ctx.now() >= send_until:
            break
        outcome = _attempt(ctx, composer, sender, email, max_attempts)
        try:
            _record(ctx, outcome)
        except RescindError:
            raise  # not the database going away: nothing to keep for later
        except Exception:
            carry.outcomes.append(outcome)
            carry.leased, carry.lease_ends_at = leased[n + 1 :], lease_ends_at
            raise
        _report(report, outcome)
    return report


def _attempt(
    ctx: Context, composer: Composer, sender: Sender, email: QueuedEmail, max_attempts: int
) -> Outcome:
    now = ctx.now()
    try:
        refused = sender.send(composer.compose(email, now=now))
    except TransientFailure as e:
        at = ctx.now()
        if email.attempts >= max_attempts:
            return Outcome(
                email.message_id,
                "failed",
                at,
                f"gave up after {email.attempts} attempts: {e}",
                job_id=email.job_id,
            )
        return Outcome(
            email.message_id, "retrying", at, str(e), retry_at=at + retry_delay(email.attempts)
        )
    except PermanentFailure as e:
        return Outcome(email.message_id, "failed", ctx.now(), str(e), job_id=email.job_id)
    note = f"refused by the server for: {', '.join(refused)}" if refused else ""
    return Outcome(email.message_id, "sent", ctx.now(), note)


def _record(ctx: Context, outcome: Outcome) -> None:
    with ctx.uow() as uow:
        if outcome.result == "sent":
            uow.outbox.mark_sent(outcome.message_id, outcome.at, note=outcome.note)
        else:
            uow.outbox.mark_attempt_failed(
                outcome.message_id, outcome.at, outcome.note, retry_at=outcome.retry_at
            )
            if outcome.result == "failed":
                _record_failure(uow, outcome)
        uow.commit()


def _record_failure(uow: UnitOfWork, outcome: Outcome) -> None:
    """Failed for good is worth an audit event (and so the ``email.failed`` webhook), unless
    another worker's copy was recorded as sent first."""
    failed = uow.outbox.get(outcome.message_id)
    if failed.status is not DeliveryStatus.FAILED:
        return
    record(
        uow,
        outcome.job_id,
        AuditContext(actor=WORKER, at=outcome.at),
        [
            Event(
                EventKind.EMAIL_FAILED,
                {
                    "message_id": failed.message_id,
                    "kind": failed.kind.value,
                    "to": list(failed.recipients.to),
                    "error": outcome.note[:500],
                },
            )
        ],
    )


def _record_carried(ctx: Context, carry: Carry, report: DeliveryReport) -> None:
    """Record what the last round could not. A sent message is recorded whenever that is
    (the first record stands); a failed attempt only while its lease is still this
    worker's, since after that another worker may be sending the row."""
    lease_holds = carry.lease_ends_at is not None and ctx.now() < carry.lease_ends_at
    while carry.outcomes:
        outcome = carry.outcomes[0]
        if outcome.result == "sent" or lease_holds:
            try:
                _record(ctx, outcome)  # raises while the database is still away: kept
            except RescindError:
                pass  # the row is gone or changed under us: nothing left to record
            else:
                _report(report, outcome)
        carry.outcomes.pop(0)


def _report(report: DeliveryReport, outcome: Outcome) -> None:
    {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}[
        outcome.result
    ].append(outcome.message_id)
