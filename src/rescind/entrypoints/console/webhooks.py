"""The admins' webhooks page: endpoints (add, rotate, remove), deliveries, failures to retry.

Adding and rotating answer with the page itself, the new secret on it once, rather than a
redirect: a redirect would have to carry the secret in a cookie. The same service functions
as ``/api/v1/webhooks`` and ``rescind webhooks`` do the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.errors import RescindError
from rescind.domain.webhooks import WebhookDeliveryStatus, WebhookEndpoint, WebhookType
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
    shown: WebhookEndpoint | None = None,
    shown_why: str = "",
    form: dict[str, object] | None = None,
) -> Response:
    actor = session.actor
    return page(
        request,
        "webhooks.html",
        session,
        status=status,
        problems=problems,
        shown=shown,
        shown_why=shown_why,
        form=form or {"url": "", "description": "", "event_types": []},
        webhook_types=[t.value for t in WebhookType],
        endpoints=list_endpoints(ctx, actor=actor),
        recent=list_deliveries(ctx, actor=actor, limit=50),
        failures=list_deliveries(ctx, actor=actor, status=WebhookDeliveryStatus.FAILED, limit=200),
    )


@router.get(PATH)
def read_webhooks(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    return webhooks_page(request, ctx, session)


@router.get(PATH + "/{endpoint_id}/deliveries")
def read_endpoint_deliveries(
    request: Request, ctx: Ctx, session: CurrentSession, endpoint_id: str
) -> Response:
    """One endpoint's deliveries, newest first (the API's ``GET /webhooks/{id}/deliveries``)."""
    deliveries = list_deliveries(ctx, actor=session.actor, endpoint_id=endpoint_id, limit=200)
    endpoints = list_endpoints(ctx, actor=session.actor)
    endpoint = next((e for e in endpoints if e.id == endpoint_id), None)
    return page(
        request,
        "webhook_deliveries.html",
        session,
        endpoint=endpoint,
        endpoint_id=endpoint_id,
        deliveries=deliveries,
    )


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
    url: Annotated[str, Form(max_length=2000)] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    types = event_types or []
    try:
        endpoint = add_endpoint(ctx, url, types, actor=session.actor, description=description)
    except RescindError as error:
        form: dict[str, object] = {"url": url, "description": description, "event_types": types}
        return webhooks_page(
            request,
            ctx,
            session,
            status=status_of(error),
            problems=problems_of(error),
            form=form,
        )
    return webhooks_page(request, ctx, session, shown=endpoint, shown_why="added")


@router.post(PATH + "/{endpoint_id}/rotate")
def rotate(request: Request, ctx: Ctx, session: PostSession, endpoint_id: str) -> Response:
    try:
        endpoint = rotate_secret(ctx, endpoint_id, actor=session.actor)
    except RescindError as error:
        return webhooks_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return webhooks_page(request, ctx, session, shown=endpoint, shown_why="rotated")


@router.post(PATH + "/{endpoint_id}/remove")
def remove(request: Request, ctx: Ctx, session: PostSession, endpoint_id: str) -> Response:
    try:
        endpoint = remove_endpoint(ctx, endpoint_id, actor=session.actor)
    except RescindError as error:
        return webhooks_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return redirect(
        request,
        "/console" + PATH,
        f"Endpoint {endpoint.id} removed: nothing more is delivered to {endpoint.url}.",
    )
