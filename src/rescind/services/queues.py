"""Read models for the back-office screens: queues, cases, the outbox, policies, holidays.

Each read checks the actor's permission like a write does, so the API and the console show a
person only what the people table lets them see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.case import Case, Queue
from rescind.domain.eligibility import DecisionTable
from rescind.domain.email import DeliveryStatus, QueuedEmail
from rescind.domain.user import User
from rescind.services.access import case_for
from rescind.services.context import Context
from rescind.services.escalation import team_of
from rescind.services.paging import MAX_PAGE, Paged, read_page


def queue_items(
    ctx: Context, queue: Queue, *, actor: Actor, limit: int = MAX_PAGE, after: str | None = None
) -> Paged[Case]:
    """A page of a queue's open cases, oldest first, continuing after case ``after`` (a
    person works from the top; a queue of thousands read whole took longer than a page
    should)."""
    require(actor, Permission.READ_QUEUES)
    with ctx.uow() as uow:
        return read_page(lambda n: uow.cases.in_queue(queue, limit=n, after=after), limit)


@dataclass(frozen=True)
class CaseView:
    case: Case
    history: list[AuditRecord]  # the job's records about this case; [] without READ_AUDIT
    names: dict[str, str]  # people's names by actor id, for the history and the assignee
    team: list[User]  # whom the case can be assigned to; [] without REASSIGN_CASE


def case_view(ctx: Context, case_id: str, *, actor: Actor) -> CaseView:
    """What a case page shows, read in one transaction."""
    with ctx.uow() as uow:
        case, _ = case_for(uow, case_id, actor, Permission.READ_JOBS)
        history = (
            [
                r
                for r in uow.audit.records(job_stream(case.job_id))
                if r.data.get("case_id") == case.id
            ]
            if actor.may(Permission.READ_AUDIT)
            else []
        )
        users = uow.users.list()
    return CaseView(
        case=case,
        history=history,
        names={user.actor.id: user.display_name for user in users},
        team=team_of(users) if actor.may(Permission.REASSIGN_CASE) else [],
    )


def get_case(ctx: Context, case_id: str, *, actor: Actor) -> Case:
    """Whoever may read the case's job may read the case (as the job's overview shows it)."""
    with ctx.uow() as uow:
        case, _ = case_for(uow, case_id, actor, Permission.READ_JOBS)
        return case


@dataclass(frozen=True)
class OutboxPage:
    items: list[QueuedEmail]
    next_after: int | None  # the row number to continue after; None: no more


def list_outbox(
    ctx: Context,
    *,
    actor: Actor,
    status: DeliveryStatus | None = None,
    limit: int = 50,
    after: int | None = None,
) -> OutboxPage:
    """Emails oldest first; a full page says where the next one starts."""
    require(actor, Permission.READ_OUTBOX)
    with ctx.uow() as uow:
        rows = read_page(lambda n: uow.outbox.list(status=status, limit=n, after=after), limit)
    return OutboxPage(
        items=[email for _, email in rows.items],
        next_after=rows.items[-1][0] if rows.more else None,
    )


def list_policies(ctx: Context, *, actor: Actor) -> list[DecisionTable]:
    """Every published version of the decision table, oldest first."""
    require(actor, Permission.READ_JOBS)
    with ctx.uow() as uow:
        history = uow.policies.history()
    return sorted(history.tables, key=lambda t: t.version)


def get_policy(ctx: Context, version: int, *, actor: Actor) -> DecisionTable:
    require(actor, Permission.READ_JOBS)
    with ctx.uow() as uow:
        return uow.policies.history().version(version)


@dataclass(frozen=True)
class Holidays:
    calendar_version: int
    company_holidays: dict[date, str]  # by day, in date order


def list_holidays(ctx: Context, *, actor: Actor) -> Holidays:
    """The admins' company holidays (federal holidays come from the calendar itself)."""
    require(actor, Permission.READ_JOBS)
    with ctx.uow() as uow:
        holidays = uow.calendar.company_holidays()
        version = uow.calendar.version()
    return Holidays(calendar_version=version, company_holidays=dict(sorted(holidays.items())))
