"""Cases, case assignments and queues: the Direct Pay M1B escalation to Deal Processing.

Support does not cancel an M1B job with an invoice: it opens a case saying who asked, assigns
it to Deal Processing and puts it in the Back Office queue. DP decides; only DP's approval
cancels the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rescind.domain.eligibility import Action, Decision
from rescind.domain.errors import InvalidInput, InvalidTransition, NotAllowed
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.request import RequesterRole


class Queue(StrEnum):
    BACK_OFFICE = "back_office"
    DEAL_PROCESSING = "deal_processing"


class CaseStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    DENIED = "denied"
    CLOSED = "closed"  # its request ended without Deal Processing's decision


class AssignmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass
class CaseAssignment:
    team: Queue
    assigned_at: datetime
    status: AssignmentStatus = AssignmentStatus.OPEN


@dataclass
class Case:
    id: str
    job_id: str
    request_id: str | None
    requested_by: RequesterRole
    subject: str
    description: str
    queue: Queue
    created_at: datetime
    created_by: str
    status: CaseStatus = CaseStatus.OPEN
    assignments: list[CaseAssignment] = field(default_factory=list)
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""
    assignee: str = ""  # the team user working it (their actor id); "": whoever picks it up
    version: int = 0

    def reassign(self, queue: Queue) -> Event:
        self._require_open()
        previous = self.queue
        self.queue = queue
        return Event(EventKind.CASE_REASSIGNED, {"case_id": self.id, "from": previous, "to": queue})

    def assign(self, user_id: str) -> Event:
        self._require_open()
        previous = self.assignee
        self.assignee = user_id
        return Event(EventKind.CASE_ASSIGNED, {"case_id": self.id, "from": previous, "to": user_id})

    def approve(self, by: str, now: datetime, note: str = "") -> Event:
        self._decide(CaseStatus.APPROVED, by, now, note)
        return Event(EventKind.CASE_APPROVED, {"case_id": self.id, "by": by, "note": note})

    def deny(self, by: str, now: datetime, reason: str) -> Event:
        if not reason.strip():
            raise InvalidInput(
                "a denial must say why: the requester is told this reason", field="reason"
            )
        self._decide(CaseStatus.DENIED, by, now, reason)
        return Event(EventKind.CASE_DENIED, {"case_id": self.id, "by": by, "reason": reason})

    def close(self, by: str, now: datetime, reason: str) -> Event:
        """The request it was opened for ended (withdrawn, refused, cancelled another way):
        nothing is left to decide, so the case leaves its queues."""
        self._decide(CaseStatus.CLOSED, by, now, reason)
        for assignment in self.assignments:
            assignment.status = AssignmentStatus.DONE
        return Event(EventKind.CASE_CLOSED, {"case_id": self.id, "by": by, "reason": reason})

    def _decide(self, status: CaseStatus, by: str, now: datetime, reason: str) -> None:
        self._require_open()
        self.status = status
        self.decided_by = by
        self.decided_at = now
        self.decision_reason = reason
        for assignment in self.assignments:
            if assignment.team is Queue.DEAL_PROCESSING:
                assignment.status = AssignmentStatus.DONE

    def _require_open(self) -> None:
        if self.status is not CaseStatus.OPEN:
            raise InvalidTransition(
                f"case {self.id} was already {self.status.value} at {iso(self.decided_at)}"
            )


def not_for_deal_processing(decision: Decision, job_id: str) -> NotAllowed | None:
    """Only a job whose decision says "escalate" (rule 5 in v1) becomes a DP case."""
    if decision.action is Action.ESCALATE_TO_DEAL_PROCESSING:
        return None
    return NotAllowed(
        f"job {job_id} is not a Deal Processing case (rule {decision.rule_number}: "
        f"{decision.rule_text}); {decision.guidance or 'follow the normal procedure'}"
    )


def already_escalated(request_id: str, cases: list[Case]) -> NotAllowed | None:
    """A request becomes one case at most (its job's ``cases``, any status)."""
    for existing in cases:
        if existing.request_id == request_id:
            return NotAllowed(f"request {request_id} is already escalated as case {existing.id}")
    return None


def open_deal_processing_escalation(
    *,
    case_id: str,
    job_id: str,
    request_id: str | None,
    requested_by: RequesterRole,
    created_by: str,
    now: datetime,
    detail: str = "",
) -> tuple[Case, tuple[Event, ...]]:
    """Seeds: create a case stating who asked, assign it to DP, reassign it to Back Office."""
    who = {
        RequesterRole.HOMEOWNER: "the homeowner",
        RequesterRole.SALES_REP: "the sales rep",
        RequesterRole.INSTALLER: "the installer",
    }[requested_by]
    case = Case(
        id=case_id,
        job_id=job_id,
        request_id=request_id,
        requested_by=requested_by,
        subject=f"Cancellation request for job {job_id} (Direct Pay M1B, invoice uploaded)",
        description=(
            f"Cancellation requested by {who}. The invoice is uploaded and will need to be paid; "
            "Deal Processing must approve or deny." + (f"\n\n{detail}" if detail else "")
        ),
        queue=Queue.DEAL_PROCESSING,
        created_at=now,
        created_by=created_by,
        assignments=[CaseAssignment(team=Queue.DEAL_PROCESSING, assigned_at=now)],
    )
    opened = Event(
        EventKind.CASE_OPENED,
        {
            "case_id": case_id,
            "requested_by": requested_by.value,
            "assignment": Queue.DEAL_PROCESSING.value,
        },
    )
    return case, (opened, case.reassign(Queue.BACK_OFFICE))
