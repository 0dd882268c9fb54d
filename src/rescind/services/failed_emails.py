"""The failed-email queue acts: send a failed email again as it is, or fix one of its addresses.

Both keep the Message-ID (it is the same message), start its attempts afresh and record who
did it and why in the job's trail, in one transaction. The new address arrives validated by
the door that took it in (``adapters.contact``); the domain decides which address may change.
"""

from __future__ import annotations

from collections.abc import Callable

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.email import QueuedEmail, readdress_failed, resend_failed
from rescind.domain.events import Event
from rescind.domain.recipients import Recipients
from rescind.services.context import Context
from rescind.services.records import record


def resend_email(
    ctx: Context, message_id: str, *, actor: Actor, channel: AuditChannel = AuditChannel.CONSOLE
) -> QueuedEmail:
    """A failed email is due again now, to the same recipients."""
    return _requeue(ctx, message_id, actor, channel, resend_failed)


def fix_email_address(
    ctx: Context,
    message_id: str,
    old_address: str,
    new_address: str,
    *,
    actor: Actor,
    channel: AuditChannel = AuditChannel.CONSOLE,
) -> QueuedEmail:
    """A failed email is due again now, with ``old_address`` replaced by ``new_address``."""
    return _requeue(
        ctx, message_id, actor, channel, lambda e: readdress_failed(e, old_address, new_address)
    )


def _requeue(
    ctx: Context,
    message_id: str,
    actor: Actor,
    channel: AuditChannel,
    change: Callable[[QueuedEmail], tuple[Recipients, Event]],
) -> QueuedEmail:
    require(actor, Permission.RESEND_EMAIL)
    now = ctx.now()
    with ctx.uow() as uow:
        email = uow.outbox.get(message_id)
        recipients, event = change(email)
        uow.outbox.requeue(message_id, now, recipients)
        record(uow, email.job_id, AuditContext(actor=actor.id, at=now, channel=channel), [event])
        uow.commit()
        return uow.outbox.get(message_id)
