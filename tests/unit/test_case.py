"""Cases for Deal Processing: opened with who asked, decided once, reassigned while open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.case import (
    AssignmentStatus,
    Case,
    CaseStatus,
    Queue,
    open_deal_processing_escalation,
)
from rescind.domain.errors import InvalidInput, InvalidTransition
from rescind.domain.events import EventKind
from rescind.domain.request import RequesterRole

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def open_case(role: RequesterRole = RequesterRole.HOMEOWNER, detail: str = "") -> Case:
    case, _ = open_deal_processing_escalation(
        case_id="CASE-1",
        job_id="JOB-1",
        request_id="REQ-1",
        requested_by=role,
        created_by="agent:alex",
        now=NOW,
        detail=detail,
    )
    return case


@pytest.mark.parametrize(
    ("role", "words"),
    [
        (RequesterRole.HOMEOWNER, "the homeowner"),
        (RequesterRole.SALES_REP, "the sales rep"),
        (RequesterRole.INSTALLER, "the installer"),
    ],
)
def test_an_escalation_says_who_asked_assigns_dp_and_lands_in_back_office(
    role: RequesterRole, words: str
) -> None:
    case, events = open_deal_processing_escalation(
        case_id="CASE-1",
        job_id="JOB-1",
        request_id="REQ-1",
        requested_by=role,
        created_by="agent:alex",
        now=NOW,
        detail="HO called twice",
    )
    assert f"Cancellation requested by {words}." in case.description
    assert "HO called twice" in case.description
    assert "invoice" in case.description
    assert case.queue is Queue.BACK_OFFICE
    assert case.status is CaseStatus.OPEN
    assert [(a.team, a.status, a.assigned_at) for a in case.assignments] == [
        (Queue.DEAL_PROCESSING, AssignmentStatus.OPEN, NOW)
    ]
    assert [e.kind for e in events] == [EventKind.CASE_OPENED, EventKind.CASE_REASSIGNED]
    assert events[0].data["requested_by"] == role.value
    assert events[1].data == {"case_id": "CASE-1", "from": "deal_processing", "to": "back_office"}


def test_approval_decides_the_case_and_closes_the_dp_assignment() -> None:
    case = open_case()
    event = case.approve("dp:dana", NOW + timedelta(hours=1), "ok")
    assert event.kind is EventKind.CASE_APPROVED
    assert (case.status, case.decided_by, case.decided_at, case.decision_reason) == (
        CaseStatus.APPROVED,
        "dp:dana",
        NOW + timedelta(hours=1),
        "ok",
    )
    assert all(a.status is AssignmentStatus.DONE for a in case.assignments)


def test_denial_needs_a_reason_and_keeps_it() -> None:
    case = open_case()
    with pytest.raises(InvalidInput):
        case.deny("dp:dana", NOW, "   ")
    assert case.status is CaseStatus.OPEN
    event = case.deny("dp:dana", NOW, "invoice is paid")
    assert event.kind is EventKind.CASE_DENIED
    assert event.data["reason"] == "invoice is paid"
    assert (case.status, case.decision_reason) == (CaseStatus.DENIED, "invoice is paid")


def test_a_decided_case_cannot_be_decided_again_or_reassigned() -> None:
    case = open_case()
    case.approve("dp:dana", NOW)
    with pytest.raises(InvalidTransition, match="already approved"):
        case.approve("dp:dana", NOW)
    with pytest.raises(InvalidTransition):
        case.deny("dp:dana", NOW, "no")
    with pytest.raises(InvalidTransition):
        case.reassign(Queue.DEAL_PROCESSING)


def test_an_open_case_can_move_between_queues() -> None:
    case = open_case()
    event = case.reassign(Queue.DEAL_PROCESSING)
    assert case.queue is Queue.DEAL_PROCESSING
    assert event.data["from"] == "back_office"
    assert event.data["to"] == "deal_processing"
