"""The outbox, as ``GET /outbox`` shows it: every email queued, sent or failed, oldest first,
a page at a time (the code in a verification email is never shown)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rescind.domain.email import DeliveryStatus
from rescind.domain.errors import InvalidInput
from rescind.entrypoints.console.render import page
from rescind.entrypoints.console.session import Ctx, CurrentSession
from rescind.services.queues import list_outbox

router = APIRouter()
PAGE = 50


@router.get("/outbox")
def read_outbox(
    request: Request, ctx: Ctx, session: CurrentSession, status: str = "", after: str = ""
) -> Response:
    try:
        chosen = DeliveryStatus(status) if status else None
    except ValueError:
        raise InvalidInput(f"no such status {status!r}", field="status") from None
    start = int(after) if after.isdigit() and len(after) <= 10 else None
    found = list_outbox(ctx, actor=session.actor, status=chosen, limit=PAGE, after=start)
    return page(
        request,
        "outbox.html",
        session,
        emails=found.items,
        next_after=found.next_after,
        chosen_status=chosen.value if chosen else "",
        statuses=[s.value for s in DeliveryStatus],
    )
