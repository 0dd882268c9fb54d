"""Under whose authority a job is cancelled, and which of the procedure's checks it passes.

Every door runs the same cancel; the authority is the one thing that differs:

- ``HOMEOWNER_VERIFIED``: support, on the homeowner's verified request with a written
  statement (phone, chat, email, mail, telegram; the CLI's demo too).
- ``INSTALLER_BUTTON``: the installer's own Cancel Workflow button in the operations phase,
  with a reason (SPEC "Installer requests"): Engine's button, so no homeowner verification,
  but the decision table still applies.
- ``DEAL_PROCESSING_APPROVAL``: Deal Processing approved the request's escalation. It stands
  in for the "escalate" rule (rule 5 in v1) only: the request must still be the verified
  homeowner's, with the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rescind.domain.eligibility import Action, Decision
from rescind.domain.errors import NotEligible, NotVerified, StatementMissing
from rescind.domain.job import Job, JobStatus, Phase
from rescind.domain.request import CancellationRequest


class Authority(StrEnum):
    HOMEOWNER_VERIFIED = "homeowner_verified"
    INSTALLER_BUTTON = "installer_button"
    DEAL_PROCESSING_APPROVAL = "deal_processing_approval"


def support_authority(request: CancellationRequest) -> Authority:
    """An agent cancelling a request Deal Processing approved acts on that approval."""
    if request.approved_by_case_id is not None:
        return Authority.DEAL_PROCESSING_APPROVAL
    return Authority.HOMEOWNER_VERIFIED


def eligibility_refusal(
    decision: Decision, request: CancellationRequest, authority: Authority
) -> NotEligible | None:
    """Step 1: None when the decision lets this authority cancel."""
    if decision.eligible:
        return None
    if (
        authority is Authority.DEAL_PROCESSING_APPROVAL
        and request.approved_by_case_id is not None
        and decision.action is Action.ESCALATE_TO_DEAL_PROCESSING
    ):
        return None
    return not_eligible_error(decision)


def evidence_refusal(
    request: CancellationRequest, authority: Authority
) -> NotVerified | StatementMissing | None:
    """Step 2: the verified homeowner's written request, unless the installer's button."""
    if authority is Authority.INSTALLER_BUTTON:
        return None
    return request.homeowner_evidence_missing()


def cancel_refusal(
    decision: Decision, request: CancellationRequest, authority: Authority
) -> NotEligible | NotVerified | StatementMissing | None:
    """Why the cancel may not run now (the first step that stops it), or None."""
    return eligibility_refusal(decision, request, authority) or evidence_refusal(request, authority)


def not_eligible_error(decision: Decision) -> NotEligible:
    return NotEligible(
        f"not eligible for cancellation by support (rule {decision.rule_number}: "
        f"{decision.rule_text}, policy v{decision.policy_version}): {decision.guidance}",
        rule_number=decision.rule_number,
        policy_version=decision.policy_version,
    )


def has_cancel_button(job: Job) -> bool:
    """Engine shows the installer its Cancel Workflow button in the operations phase only."""
    return job.phase is Phase.OPERATIONS


@dataclass(frozen=True)
class InstallerVerdict:
    """What the installer portal says about one job, in an installer's words."""

    can_cancel: bool  # the Cancel Workflow button is offered
    headline: str
    why: str
    written_request_required: bool = False  # only the homeowner's written request can start it


def installer_verdict(job: Job, status: JobStatus, decision: Decision) -> InstallerVerdict:
    """The same checks the button's cancel runs (the phase, then the table), said up front."""
    rule = f"rule {decision.rule_number} of our cancellation policy: {decision.rule_text}"
    match status:
        case JobStatus.CANCEL_PENDING:
            return InstallerVerdict(False, "Cancellation in progress", "Nothing to do.")
        case JobStatus.CANCELLED:
            return InstallerVerdict(False, "Cancelled", "This job is cancelled for good.")
        case JobStatus.ACTIVE:
            pass
    if not has_cancel_button(job):
        return InstallerVerdict(
            False,
            "You cannot cancel this job from the portal",
            f"The Cancel Workflow button is only available in the operations phase; this job "
            f"is in the {job.phase.value} phase.",
            written_request_required=True,
        )
    if decision.eligible:
        return InstallerVerdict(
            True,
            "You can cancel this job",
            f"It is eligible under {rule}. Cancel Workflow puts it in Cancel Pending for "
            "14 business days; the homeowner and the signers are told.",
        )
    if decision.action is Action.ESCALATE_TO_DEAL_PROCESSING:
        why = f"Under {rule}, the invoice will need to be paid, so Deal Processing decides."
    else:
        why = f"Under {rule}, this job cannot be cancelled."
    return InstallerVerdict(
        False,
        "You cannot cancel this job from the portal",
        why,
        written_request_required=True,
    )
