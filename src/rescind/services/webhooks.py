"""Webhook endpoints (an admin's), their deliveries, and the event feed systems poll.

Each change of an endpoint is audited on the system stream. A secret is shown once, in the
answer to the call that made it (add, rotate); lists never carry it.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.errors import NotAllowed
from rescind.domain.events import Event, EventKind
from rescind.domain.webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    check_types,
    check_url,
)
from rescind.services.context import Context
from rescind.services.paging import page_size, read_page
from rescind.services.records import record


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def add_endpoint(
    ctx: Context, url: str, event_types: Collection[str], *, actor: Actor, description: str = ""
) -> WebhookEndpoint:
    require(actor, Permission.MANAGE_WEBHOOKS)
    url = check_url(url)
    if ctx.webhook_guard is not None:
        ctx.webhook_guard.check(url)  # and again before every delivery (DNS may change)
    endpoint = WebhookEndpoint(
        id=f"whe_{uuid.uuid4().hex[:16]}",
        url=url,
        event_types=check_types(event_types),
        secret=new_secret(),
        created_at=ctx.now(),
        description=description.strip()[:200],
    )
    with ctx.uow() as uow:
        uow.webhooks.add_endpoint(endpoint)
        record(uow, None, _actx(ctx, actor), [endpoint.added()])
        uow.commit()
    return endpoint


def list_endpoints(ctx: Context, *, actor: Actor) -> list[WebhookEndpoint]:
    require(actor, Permission.MANAGE_WEBHOOKS)
    with ctx.uow() as uow:
        return uow.webhooks.endpoints()


def rotate_secret(ctx: Context, endpoint_id: str, *, actor: Actor) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs too, for a day, so a receiver can
    switch over without missing a delivery."""
    require(actor, Permission.MANAGE_WEBHOOKS)
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(endpoint_id)
        event = endpoint.rotate(new_secret(), ctx.now())
        uow.webhooks.save_endpoint(endpoint)
        record(uow, None, _actx(ctx, actor), [event])
        uow.commit()
    return endpoint


def remove_endpoint(ctx: Context, endpoint_id: str, *, actor: Actor) -> WebhookEndpoint:
    require(actor, Permission.MANAGE_WEBHOOKS)
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(endpoint_id)
        event = endpoint.remove()
        uow.webhooks.save_endpoint(endpoint)
        record(uow, None, _actx(ctx, actor), [event])
        uow.commit()
    return endpoint


def list_deliveries(
    ctx: Context,
    *,
    actor: Actor,
    endpoint_id: str | None = None,
    status: WebhookDeliveryStatus | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """Newest first."""
    require(actor, Permission.MANAGE_WEBHOOKS)
    with ctx.uow() as uow:
        if endpoint_id is not None:
            uow.webhooks.endpoint(endpoint_id)  # NotFound for an unknown one, not []
        return uow.webhooks.deliveries(
            endpoint_id=endpoint_id, status=status, limit=page_size(limit)
        )


def retry_delivery(ctx: Context, delivery_id: int, *, actor: Actor) -> WebhookDelivery:
    """A failed delivery is due again now, with eight more attempts (the same webhook-id)."""
    require(actor, Permission.MANAGE_WEBHOOKS)
    with ctx.uow() as uow:
        delivery = uow.webhooks.delivery(delivery_id)
        if delivery.status is not WebhookDeliveryStatus.FAILED:
            raise NotAllowed(
                f"delivery {delivery_id} is {delivery.status.value}; only a failed one is retried"
            )
        if not uow.webhooks.endpoint(delivery.endpoint_id).active:
            raise NotAllowed(f"webhook endpoint {delivery.endpoint_id} was removed")
        uow.webhooks.requeue(delivery_id, ctx.now())
        event = Event(
            EventKind.WEBHOOK_DELIVERY_RETRIED,
            {"delivery_id": delivery_id, "event_id": delivery.event_id},
        )
        record(uow, None, _actx(ctx, actor), [event])
        uow.commit()
        return uow.webhooks.delivery(delivery_id)


@dataclass(frozen=True)
class EventPage:
    items: list[WebhookEvent]
    next_after: int  # pass as ``after`` next time; the same value when nothing was new


def list_events(
    ctx: Context, *, actor: Actor, after: int | None = None, limit: int = 100
) -> EventPage:
    """Events after the cursor, oldest first, only those of jobs the actor may see."""
    require(actor, Permission.READ_EVENTS)
    with ctx.uow() as uow:
        rows = read_page(lambda n: uow.webhooks.events_after(after, n, actor.scope), limit)
    last = rows.items[-1][0] if rows.items else (after or 0)
    return EventPage(items=[e for _, e in rows.items], next_after=last)


def _actx(ctx: Context, actor: Actor) -> AuditContext:
    return AuditContext(actor=actor.id, at=ctx.now(), channel=AuditChannel.ADMIN)
