"""The admins' webhooks page: endpoints, recent deliveries, and failures to retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.errors import RescindError
from rescind.domain.webhooks import DeliveryStatus, WebhookEndpoint, WebhookType
from rescind.entrypoints.console.render import (
    Problems,
    page,
    problems_of,
    redirect,
    status_of,
)
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.context import Context
from rescind.services.webhooks import (
    add_endpoint,
    list_deliveries,
    list_endpoints,
    remove_endpoint,
    retry_delivery,
    rotate_secret,
)

router = APIRouter()
PATH = "/webhooks"


def webhooks_page(
    request: Request,
    ctx: Context,
    session: Session,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    revealed: WebhookEndpoint | None = None,
) -> Response:
    """``revealed``: an endpoint whose new secret this answer shows, once."""
    actor = session.actor
    return page(
        request,
        "webhooks.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        chosen=chosen or [],
        revealed=revealed,
        event_types=[t.value for t in WebhookType],
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


@router.post(PATH)
def add(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = event_types or []
    try:
        endpoint = add_endpoint(ctx, url, chosen, actor=session.actor, description=description)
    except RescindError as error:
        return webhooks_page(
            request,
            ctx,
            session,
            status=status_of(error),
            problems=problems_of(error),
            values={"url": url, "description": description},
            chosen=chosen,
        )
    return webhooks_page(request, ctx, session, revealed=endpoint)


@router.post(PATH + "/{endpoint_id}/rotate")
def rotate(request: Request, ctx: Ctx, session: PostSession, endpoint_id: str) -> Response:
    try:
        endpoint = rotate_secret(ctx, endpoint_id, actor=session.actor)
    except RescindError as error:
        return webhooks_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return webhooks_page(request, ctx, session, revealed=endpoint)


@router.post(PATH + "/{endpoint_id}/remove")
def remove(request: Request, ctx: Ctx, session: PostSession, endpoint_id: str) -> Response:
    try:
        endpoint = remove_endpoint(ctx, endpoint_id, actor=session.actor)
    except RescindError as error:
        return webhooks_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return redirect(
        request, "/console" + PATH, f"Removed {endpoint.url}: nothing more is sent to it."
    )
