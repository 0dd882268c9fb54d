"""Every cancellation request, open or closed, filtered by status and paged with the cursor
like the job list: the list the open-requests queue does not give (closed ones too)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from rescind.entrypoints.console.render import page
from rescind.entrypoints.console.session import Ctx, CurrentSession
from rescind.services.queries import request_list

router = APIRouter()
LIST_LIMIT = 50
STATUSES = (("", "Any"), ("open", "Open"), ("closed", "Closed"))


@router.get("/requests")
def requests(
    request: Request,
    ctx: Ctx,
    session: CurrentSession,
    # Plain text, as the form sends "" for "Any"; anything else reads as "Any" too.
    status: Annotated[str, Query(max_length=20)] = "",
    after: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    chosen = status if status in ("open", "closed") else ""
    cursor = after.replace("\x00", "")
    listed = request_list(
        ctx,
        actor=session.actor,
        open_only={"open": True, "closed": False}.get(chosen),
        limit=LIST_LIMIT,
        after=cursor or None,
    )
    kept = {"status": chosen} if chosen else {}
    items = listed.items
    return page(
        request,
        "requests.html",
        session,
        items=items,
        more=listed.more,
        next_url="/console/requests?" + urlencode(kept | {"after": items[-1].id})
        if listed.more
        else None,
        first_url="/console/requests?" + urlencode(kept) if cursor else None,
        chosen=chosen,
        statuses=STATUSES,
    )
