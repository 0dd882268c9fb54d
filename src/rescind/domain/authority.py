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

from enum import StrEnum

from rescind.domain.eligibility import Action, Decision
from rescind.domain.errors import NotEligible, NotVerified, StatementMissing
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
