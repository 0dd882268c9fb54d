"""The admins' webhooks page: endpoints, recent deliveries, and failures to retry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rescind.domain.errors import RescindError
from rescind.domain.webhooks import DeliveryStatus
from rescind.entrypoints.console.render import (
    Problems,
    page,
    problems_of,
    redirect,
    status_of,
)
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.context import Context
from rescind.services.webhooks import list_deliveries, list_endpoints, retry_delivery

router = APIRouter()
PATH = "/webhooks"


def webhooks_page(
    request: Request,
    ctx: Context,
    session: Session,
    *,
    status: int = 200,
    problems: Problems | None = None,
) -> Response:
    actor = session.actor
    return page(
        request,
        "webhooks.html",
        session,
        status=status,
        problems=problems,
        endpoints=list_endpoints(ctx, actor=actor),
        recent=list_deliveries(ctx, actor=actor, limit=50),
        failures=list_deliveries(ctx, actor=actor, status=DeliveryStatus.FAILED, limit=200),
    )


@router.get(PATH)
def read_webhooks(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    return webhooks_page(request, ctx, session)


@router.post(PATH + "/deliveries/{delivery_id}/retry")
def retry(request: Request, ctx: Ctx, session: PostSession, delivery_id: int) -> Response:
    try:
        delivery = retry_delivery(ctx, delivery_id, actor=session.actor)
    except RescindError as error:
        return webhooks_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return redirect(
        request,
        "/console" + PATH,
        f"Delivery {delivery.id} of {delivery.event_id} is queued again (same webhook-id).",
    )
