"""The two things every use case does on its way out: audit what happened, queue what to send.

Both write inside the caller's unit of work, so they commit (or vanish) with the change itself.
Recording is also where the events for other systems come from: whatever audit event the one
mapping in ``domain/webhooks.py`` names is written to the event outbox in the same
transaction, so no door can change something without the webhook that reports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from rescind.domain.audit import SYSTEM_STREAM, AuditContext, job_stream
from rescind.domain.email import OutgoingEmail
from rescind.domain.errors import PreconditionFailed
from rescind.domain.events import Event, EventKind
from rescind.domain.webhooks import WebhookEvent, derive
from rescind.services.ports import UnitOfWork


def new_id(prefix: str) -> str:
    """Short, unguessable, sortable-enough ids; the prefix tells a person what it names."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def expect_version(what: str, current: int, expected: int | None) -> None:
    """If-Match: refuse a write decided on a version that is no longer current."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"{what} is at version {current}, not {expected}: someone changed it since you "
            "read it; reload it and decide again"
        )


def record(
    uow: UnitOfWork, job_id: str | None, actx: AuditContext, events: Sequence[Event]
) -> None:
    if events:
        stream = job_stream(job_id) if job_id else SYSTEM_STREAM
        uow.audit.append(stream, actx, events)
        uow.webhooks.add_events(webhook_events(job_id, actx, events))


def record_many(
    uow: UnitOfWork, actx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
) -> None:
    """``record`` for many jobs at once (by job id), each job's events in order."""
    uow.audit.append_many(actx, [(job_stream(job_id), events) for job_id, events in entries])
    uow.webhooks.add_events(
        [w for job_id, events in entries for w in webhook_events(job_id, actx, events)]
    )


def webhook_events(
    job_id: str | None, actx: AuditContext, events: Sequence[Event]
) -> list[WebhookEvent]:
    """The recorded events other systems are told of, each with its public ``evt_`` id."""
    derived = (derive(f"evt_{uuid.uuid4().hex}", job_id, actx.at, e) for e in events)
    return [w for w in derived if w is not None]


def queue_email(uow: UnitOfWork, email: OutgoingEmail, actx: AuditContext) -> str:
    message_id = uow.outbox.add(email, queued_at=actx.at)
    record(uow, email.job_id, actx, [email_queued(message_id, email)])
    return message_id


def queue_emails(
    uow: UnitOfWork, emails: Sequence[OutgoingEmail], actx: AuditContext
) -> list[Event]:
    """Queue a batch of messages; each one's ``email_queued`` event, in order, for the caller
    to record with the change that caused it (one audit append per job, not two)."""
    message_ids = uow.outbox.add_many(emails, queued_at=actx.at)
    return [email_queued(m, e) for m, e in zip(message_ids, emails, strict=True)]


def email_queued(message_id: str, email: OutgoingEmail) -> Event:
    return Event(
        EventKind.EMAIL_QUEUED,
        {
            "message_id": message_id,
            "kind": email.kind.value,
            "from": email.sender.value,
            "to": list(email.recipients.to),
            "cc": list(email.recipients.cc),
        },
    )
