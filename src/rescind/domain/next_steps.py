"""What a person may do next on one request, asked of the rules the services enforce.

Each answer is None (the service would go ahead) or the very error the service would raise,
found by the same named checks the service runs, in the same order: the permission
(``access.permission_refusal``), the request still open (``open_refusal``), the homeowner's
own request (``homeowner_only_refusal``), the decision (``authority.cancel_refusal``,
``case.not_for_deal_processing``), a final job (``workflow.final_refusal``), one case per
request (``case.already_escalated``) and the window (``workflow.restore_refusal``). A page
shows its buttons from these answers, so a button and its service cannot disagree; the
service still checks everything when it runs (what a person types in, a code's limits, a
stale page's version).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from rescind.domain.access import Actor, Permission, permission_refusal
from rescind.domain.authority import cancel_refusal, support_authority
from rescind.domain.case import Case, already_escalated, not_for_deal_processing
from rescind.domain.eligibility import Decision
from rescind.domain.errors import RescindError
from rescind.domain.job import Job
from rescind.domain.request import CancellationRequest, homeowner_only_refusal
from rescind.domain.workflow import final_refusal, restore_refusal


@dataclass(frozen=True)
class RequestSteps:
    """For each action the request page offers: None (allowed) or why the service refuses."""

    send_code: RescindError | None
    confirm_code: RescindError | None
    verify_address: RescindError | None
    attach_statement: RescindError | None
    cancel: RescindError | None
    escalate: RescindError | None
    restore: RescindError | None
    close: RescindError | None

    def allowed(self) -> frozenset[str]:
        return frozenset(f.name for f in fields(self) if getattr(self, f.name) is None)


def _first(*checks: RescindError | None) -> RescindError | None:
    return next((c for c in checks if c is not None), None)


def request_steps(
    actor: Actor,
    request: CancellationRequest,
    job: Job,
    decision: Decision,
    cases: list[Case],
    now: datetime,
) -> RequestSteps:
    """The answers for ``actor`` on ``request`` of ``job`` (whose ``cases`` are all of the
    job's), with ``decision`` the table's answer for the job now."""

    def may(permission: Permission) -> RescindError | None:
        return permission_refusal(actor, permission)

    is_open = request.open_refusal()
    homeowner = homeowner_only_refusal(request)
    return RequestSteps(
        send_code=_first(may(Permission.SEND_CODE), is_open, homeowner),
        confirm_code=_first(may(Permission.CONFIRM_CODE), is_open, homeowner),
        verify_address=_first(may(Permission.VERIFY_ADDRESS), is_open, homeowner),
        attach_statement=_first(may(Permission.ATTACH_STATEMENT), is_open),
        cancel=_first(
            may(Permission.CANCEL),
            is_open,
            cancel_refusal(decision, request, support_authority(request)),
            final_refusal(job, now),
        ),
        escalate=_first(
            may(Permission.ESCALATE),
            is_open,
            not_for_deal_processing(decision, job.id),
            already_escalated(request.id, cases),
        ),
        restore=job_steps(actor, job, now).restore,
        close=_first(may(Permission.CLOSE_REQUEST), is_open),
    )


@dataclass(frozen=True)
class JobSteps:
    """What the job page offers on the job itself: None (allowed) or the service's refusal."""

    restore: RescindError | None


def job_steps(actor: Actor, job: Job, now: datetime) -> JobSteps:
    return JobSteps(
        restore=_first(permission_refusal(actor, Permission.RESTORE), restore_refusal(job, now))
    )
