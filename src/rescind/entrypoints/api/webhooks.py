"""Webhooks (admins) and the event feed: endpoints, their deliveries, and ``GET /events``.

Adding an endpoint or rotating its secret answers with the secret, once; nothing else shows it.
Not even a replay with the same Idempotency-Key: the stored answer has ``secret: null`` and
says the secret was already shown (rotate again for a new one), so the idempotency table
never holds a plain secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from rescind.domain.errors import not_a_cursor
from rescind.domain.webhooks import (
    URL_PATTERN,
    WebhookDeliveryStatus,
    WebhookType,
)
from rescind.entrypoints.api.deps import NO_NUL, CurrentActor, Idempotent, State
from rescind.entrypoints.api.models import Out
from rescind.entrypoints.api.paging import DEFAULT_LIMIT, MAX_ROW_NUMBER, PageLimit
from rescind.services.context import Context
from rescind.services.webhooks import (
    add_endpoint,
    list_deliveries,
    list_endpoints,
    list_events,
    remove_endpoint,
    retry_delivery,
    rotate_secret,
)

router = APIRouter()

EndpointId = Annotated[str, Path(min_length=1, max_length=100, pattern=NO_NUL)]


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://engine.example.com/hooks/rescind",
                    "event_types": ["workflow.cancel_pending", "workflow.cancelled"],
                    "description": "Engine",
                }
            ]
        },
    )
    url: str = Field(max_length=2000, pattern=URL_PATTERN, description="http:// or https://")
    event_types: list[WebhookType] = Field(min_length=1, max_length=len(WebhookType))
    description: str = Field(default="", max_length=200, pattern=NO_NUL)


class EndpointOut(Out):
    id: str = Field(examples=["whe_3f2a9c0d1b7e4a55"])
    url: str
    event_types: list[WebhookType]
    description: str
    active: bool
    created_at: datetime
    previous_secret_until: datetime | None = Field(
        description="Until then the previous secret signs too (after a rotation)."
    )


# A sentence, not a secret.
SECRET_ALREADY_SHOWN = "already done with this Idempotency-Key; the secret was shown only in the first answer and is not shown again (rotate the secret for a new one)"  # noqa: E501, S105


class EndpointWithSecretOut(EndpointOut):
    secret: str | None = Field(
        description="The signing secret (`whsec_…`), shown only in this answer: keep it. "
        "Null in a replay (the same Idempotency-Key again): see `secret_note`.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    secret_note: str | None = Field(
        default=None, description="Why `secret` is null (a replay); absent otherwise."
    )

    def replayed(self) -> EndpointWithSecretOut:
        """What the idempotency table keeps: no secret."""
        return self.model_copy(update={"secret": None, "secret_note": SECRET_ALREADY_SHOWN})


class DeliveryOut(Out):
    id: int
    event_id: str = Field(description="The `webhook-id` of every attempt.")
    event_type: WebhookType
    endpoint_id: str
    url: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class EventOut(Out):
    """Validated from the event's ``payload()``: the body its deliveries carry."""

    id: str = Field(examples=["evt_5b0c2e8f0d9a4c6e8b1f3a7d2c4e6f80"])
    type: WebhookType
    timestamp: datetime
    data: dict[str, JsonValue]


class EventsOut(Out):
    items: list[EventOut]
    next_after: str = Field(
        description="Pass as `after` next time (the same value when nothing was new)."
    )


@router.get(
    "/events",
    tags=["events"],
    summary="Events after a cursor, oldest first (your company's only, for an installer)",
    description="The webhooks' events, for systems that poll: start without `after`, then "
    "pass `next_after` each time. An event's `id` is the `webhook-id` its webhooks carry.",
)
def read_events(
    state: State,
    actor: CurrentActor,
    after: Annotated[
        str | None, Query(pattern=r"^\d{1,10}$", description="`next_after` of the last page.")
    ] = None,
    limit: PageLimit = 100,
) -> EventsOut:
    cursor = int(after) if after is not None else None
    if cursor is not None and cursor > MAX_ROW_NUMBER:
        raise not_a_cursor("after")
    page = list_events(state.ctx, actor=actor, after=cursor, limit=limit)
    return EventsOut(
        items=[EventOut.model_validate(e.payload()) for e in page.items],
        next_after=str(page.next_after),
    )


@router.get("/webhooks", tags=["webhooks"], summary="Webhook endpoints (admins)")
def read_endpoints(state: State, actor: CurrentActor) -> list[EndpointOut]:
    return [EndpointOut.model_validate(e) for e in list_endpoints(state.ctx, actor=actor)]


@router.post(
    "/webhooks",
    tags=["webhooks"],
    status_code=201,
    summary="Register an endpoint for some event types (admins); answers with its secret",
    response_model=EndpointWithSecretOut,
)
def create_endpoint(
    body: EndpointIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    def action(ctx: Context) -> EndpointWithSecretOut:
        types = [t.value for t in body.event_types]
        endpoint = add_endpoint(ctx, body.url, types, actor=actor, description=body.description)
        return EndpointWithSecretOut.model_validate(endpoint)

    def location(model: BaseModel) -> dict[str, str]:
        assert isinstance(model, EndpointWithSecretOut)
        return {"Location": f"/api/v1/webhooks/{model.id}"}

    return idem.run(
        action, status_code=201, headers=location, stored_as=EndpointWithSecretOut.replayed
    )


@router.post(
    "/webhooks/{endpoint_id}/rotate",
    tags=["webhooks"],
    summary="A new secret; the old one keeps signing too for 24 h (admins)",
    response_model=EndpointWithSecretOut,
)
def rotate(
    endpoint_id: EndpointId, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    return idem.run(
        lambda ctx: EndpointWithSecretOut.model_validate(
            rotate_secret(ctx, endpoint_id, actor=actor)
        ),
        stored_as=EndpointWithSecretOut.replayed,
    )


@router.delete(
    "/webhooks/{endpoint_id}",
    tags=["webhooks"],
    summary="Stop delivering to an endpoint; its deliveries stay listed (admins)",
    response_model=EndpointOut,
)
def delete_endpoint(
    endpoint_id: EndpointId, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    return idem.run(
        lambda ctx: EndpointOut.model_validate(remove_endpoint(ctx, endpoint_id, actor=actor))
    )


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    tags=["webhooks"],
    summary="An endpoint's deliveries, newest first (admins)",
)
def read_deliveries(
    endpoint_id: EndpointId,
    state: State,
    actor: CurrentActor,
    status: Annotated[WebhookDeliveryStatus | None, Query(description="Only these.")] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> list[DeliveryOut]:
    found = list_deliveries(
        state.ctx, actor=actor, endpoint_id=endpoint_id, status=status, limit=limit
    )
    return [DeliveryOut.model_validate(d) for d in found]


@router.post(
    "/webhooks/deliveries/{delivery_id}/retry",
    tags=["webhooks"],
    summary="Deliver a failed delivery again, with the same webhook-id (admins)",
    response_model=DeliveryOut,
)
def retry(
    delivery_id: Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)],
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
) -> Response:
    return idem.run(
        lambda ctx: DeliveryOut.model_validate(retry_delivery(ctx, delivery_id, actor=actor))
    )
