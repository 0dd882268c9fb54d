"""Policy versions in the console: the list, one version as its decision table, two side by
side, and publishing a draft with an effective date after seeing what it would change.

Reading versions is open to whoever may read jobs (as ``GET /policies`` is); simulating and
publishing are the admins' (``services.policy_simulation`` and ``services.policy`` check it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.adapters.policy_file import parse_policy_text, policy_text
from rescind.domain.errors import InvalidInput, NotFound, RescindError
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.context import Context
from rescind.services.policy import compare_policies, policy_versions, publish_policy
from rescind.services.policy_simulation import simulate_policy
from rescind.services.queues import get_policy

router = APIRouter()
PATH = "/admin/policies"


@router.get(PATH)
def read_policies(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    versions = policy_versions(ctx, actor=session.actor)
    return page(request, "admin_policies.html", session, versions=versions)


@router.get(PATH + "/compare")
def compare(
    request: Request, ctx: Ctx, session: CurrentSession, a: int = 0, b: int = 0
) -> Response:
    left, right, pairs = compare_policies(ctx, a, b, actor=session.actor)
    versions = policy_versions(ctx, actor=session.actor)
    return page(
        request,
        "admin_policy_compare.html",
        session,
        left=left,
        right=right,
        pairs=pairs,
        versions=versions,
        differing=sum(1 for p in pairs if p.differs),
    )


def draft_page(
    request: Request,
    ctx: Context,
    session: Session,
    *,
    draft: str,
    effective_at: str,
    status: int = 200,
    problems: Problems | None = None,
) -> Response:
    return page(
        request,
        "admin_policy_new.html",
        session,
        status=status,
        problems=problems,
        draft=draft,
        effective_at=effective_at,
        tz=ctx.tz.key,
    )


@router.get(PATH + "/new")
def new_draft(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    latest = max(policy_versions(ctx, actor=session.actor).tables, key=lambda t: t.version)
    draft = policy_text(latest.to_document())
    return draft_page(request, ctx, session, draft=draft, effective_at="")


@router.post(PATH + "/review")
def review(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    draft: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form()] = "",
) -> Response:
    """The step before publishing: what the draft would change, and its rows against today's."""
    try:
        when = _moment(ctx, effective_at)
        simulation = simulate_policy(ctx, parse_policy_text(draft), actor=session.actor)
    except RescindError as error:
        return draft_page(
            request,
            ctx,
            session,
            draft=draft,
            effective_at=effective_at,
            status=status_of(error),
            problems=problems_of(error, "draft"),
        )
    current = {r.number: r for r in simulation.current.rules}
    changed = {r.number for r in simulation.draft.rules if current.get(r.number) != r}
    return page(
        request,
        "admin_policy_review.html",
        session,
        draft=draft,
        effective_at=effective_at,
        when=when,
        result=simulation,
        changed=changed,
    )


@router.post(PATH + "/edit")
def edit_again(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    draft: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form()] = "",
) -> Response:
    return draft_page(request, ctx, session, draft=draft, effective_at=effective_at)


@router.post(PATH)
def publish(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    draft: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form()] = "",
) -> Response:
    try:
        table = publish_policy(
            ctx,
            parse_policy_text(draft),
            effective_at=_moment(ctx, effective_at),
            actor=session.actor,
        )
    except RescindError as error:
        return draft_page(
            request,
            ctx,
            session,
            draft=draft,
            effective_at=effective_at,
            status=status_of(error),
            problems=problems_of(error, "draft"),
        )
    return redirect(
        request,
        f"/console{PATH}/{table.version}",
        f"Published policy v{table.version}, effective {table.effective_at.isoformat()}.",
    )


def _moment(ctx: Context, value: str) -> datetime | None:
    """A ``datetime-local`` field, read in the company's time zone; empty: now."""
    if not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "give the date and time it takes effect, e.g. 2027-01-01 00:00", field="effective_at"
        ) from None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=ctx.tz).astimezone(UTC)


@router.get(PATH + "/{version}")
def read_policy(request: Request, ctx: Ctx, session: CurrentSession, version: str) -> Response:
    if not version.isdigit() or not 1 <= int(version) <= 1_000_000:
        raise NotFound(f"no policy version {version!r}")
    actor = session.actor
    table = get_policy(ctx, int(version), actor=actor)
    versions = policy_versions(ctx, actor=actor)
    return page(
        request,
        "admin_policy.html",
        session,
        table=table,
        versions=versions,
        status_word=versions.status(table, ctx.now()),
    )
