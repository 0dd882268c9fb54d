"""The installer's side (the seeds' "Telegram Process").

In the operations phase the installer has Engine's Cancel Workflow button and must pick a
reason; the cancel is the one every door runs, under the button's authority (no homeowner
verification; the decision table applies). Anywhere else the click is recorded as a request
closed for want of a written request from the homeowner, the installer is emailed, and
``WrittenRequestRequired`` says so to whichever door was used.
"""

from __future__ import annotations

from dataclasses import dataclass

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.authority import (
    Authority,
    InstallerVerdict,
    has_cancel_button,
    installer_verdict,
)
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import WrittenRequestRequired
from rescind.domain.recipients import Recipients
from rescind.domain.request import (
    CancellationRequest,
    CancelReason,
    Channel,
    Outcome,
    RequestDraft,
    RequesterRole,
    reason_label,
    validate_reason,
)
from rescind.services.access import job_for
from rescind.services.cancellation import CancelResult, cancel_request, close_request
from rescind.services.context import Context
from rescind.services.eligibility import policy_in_force
from rescind.services.queries import JobView, view_of
from rescind.services.records import expect_version, queue_email
from rescind.services.requests import open_request, open_request_of

WRITTEN_REQUEST_REQUIRED = (
    "A written cancellation request from the homeowner is required: ask the homeowner to email "
    "support from the address on file, or to send a Notice of Cancellation."
)


@dataclass(frozen=True)
class InstallerAnswer:
    request_id: str
    cancelled: CancelResult
    message: str


def installer_cancel_workflow(
    ctx: Context,
    job_id: str,
    *,
    requester_name: str,
    reason: CancelReason | None,
    reason_text: str = "",
    actor: Actor,
    expected_version: int | None = None,
) -> InstallerAnswer:
    """The Cancel Workflow button: operations phase only, reason required, table enforced.

    Raises ``WrittenRequestRequired`` (after committing the closed request and the email)
    outside the operations phase, as an eligibility refusal is raised after it is recorded.
    """
    validate_reason(reason, reason_text)
    now = ctx.now()
    with ctx.uow() as uow:
        # Another company's job reads as not found, so nothing leaks.
        job = job_for(uow, job_id, actor, Permission.INSTALLER_CANCEL)
        expect_version(f"job {job.id}", job.version, expected_version)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel.INSTALLER_PORTAL)
        # In the operations phase the click ends the installer's open request ("the homeowner
        # emailed us") rather than leave it open beside a new one; elsewhere the click itself
        # is what goes on record, and the open request stays for support to resolve.
        request = (
            open_request_of(uow, job.id, RequesterRole.INSTALLER)
            if has_cancel_button(job)
            else None
        ) or open_request(
            uow,
            ctx,
            job,
            actx,
            RequestDraft(
                job_id=job.id,
                channel=Channel.INSTALLER_PORTAL,
                requester_role=RequesterRole.INSTALLER,
                requester_name=requester_name,
                reason=reason,
                reason_text=reason_text,
            ),
        )
        request.reason, request.reason_text = reason, reason_text.strip()
        if not has_cancel_button(job):
            close_request(
                uow, request, actx, Outcome.WRITTEN_REQUEST_REQUIRED, WRITTEN_REQUEST_REQUIRED
            )
            queue_email(
                uow,
                OutgoingEmail(
                    kind=EmailKind.WRITTEN_REQUEST_REQUIRED,
                    recipients=Recipients(to=(job.installer.email,)),
                    job_id=job.id,
                    context={"job_id": job.id, "phase": job.phase.value},
                ),
                actx,
            )
            uow.commit()
            raise WrittenRequestRequired(
                WRITTEN_REQUEST_REQUIRED, cancellation_request_id=request.id
            )
        result = cancel_request(
            uow,
            ctx,
            request,
            job,
            authority=Authority.INSTALLER_BUTTON,
            actor=actor,
            channel=AuditChannel.INSTALLER_PORTAL,
            reason=reason_label(reason, reason_text),
            at=now,
        )
        uow.commit()
    return InstallerAnswer(request.id, result, result.message)


@dataclass(frozen=True)
class InstallerJob:
    """One job as the installer portal shows it, read in one transaction."""

    view: JobView
    verdict: InstallerVerdict
    requests: list[CancellationRequest]


def installer_job(ctx: Context, job_id: str, *, actor: Actor) -> InstallerJob:
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        view = view_of(job, now, ctx.operations_calendar(uow))
        decision = policy_in_force(uow, now).decide(job)
        return InstallerJob(
            view=view,
            verdict=installer_verdict(job, view.effective, decision),
            requests=uow.requests.for_job(job.id),
        )
