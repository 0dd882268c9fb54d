"""The admins' what-if page: paste a draft policy, see what it would change; nothing is written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.adapters.policy_file import default_policy_path, parse_policy_text
from rescind.domain.access import Permission, require
from rescind.domain.errors import RescindError
from rescind.entrypoints.console.render import page, problems_of, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession
from rescind.services.policy_simulation import simulate_policy

router = APIRouter()
PATH = "/policies/simulate"


def _example() -> str:
    return default_policy_path().read_text(encoding="utf-8")


@router.get(PATH)
def simulate_form(request: Request, session: CurrentSession) -> Response:
    require(session.actor, Permission.PUBLISH_POLICY)
    return page(request, "policy_simulate.html", session, draft=_example(), result=None)


@router.post(PATH)
def simulate(
    request: Request, ctx: Ctx, session: PostSession, draft: Annotated[str, Form()] = ""
) -> Response:
    try:
        result = simulate_policy(ctx, parse_policy_text(draft), actor=session.actor)
    except RescindError as error:
        return page(
            request,
            "policy_simulate.html",
            session,
            status=status_of(error),
            problems=problems_of(error, "draft"),
            draft=draft,
            result=None,
        )
    current = {r.number: r for r in result.current.rules}
    # A draft row is highlighted when the current table has no rule of that number, or another.
    changed = {r.number for r in result.draft.rules if current.get(r.number) != r}
    return page(
        request, "policy_simulate.html", session, draft=draft, result=result, changed=changed
    )
