"""Under whose authority a cancel runs: DP's approval stands in for rule 5 and nothing else;
the installer's button needs no homeowner verification; everyone else needs the verified
homeowner's written statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.authority import (
    Authority,
    cancel_refusal,
    eligibility_refusal,
    support_authority,
)
from rescind.domain.errors import NotEligible, NotVerified, StatementMissing
from rescind.domain.job import Milestone
from rescind.domain.request import (
    APPROVED,
    APPROVED_READY,
    APPROVED_WAITING,
    CancellationRequest,
    Channel,
    Outcome,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from tests.unit.test_eligibility import make_job, v1

FILED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
RULE_5 = v1().decide(make_job(Milestone.M1B, invoice_uploaded=True))
RULE_8 = v1().decide(make_job(Milestone.M3))
ELIGIBLE = v1().decide(make_job(Milestone.M1A))


def a_request(
    *, verified: bool = False, statement: bool = False, approved: str | None = None
) -> CancellationRequest:
    return CancellationRequest(
        id="REQ-1",
        job_id="job-1",
        channel=Channel.PHONE,
        requester_role=RequesterRole.HOMEOWNER,
        requester_name="Pat",
        filed_by="agent:alex",
        filed_at=FILED,
        due_at=FILED + timedelta(days=2),
        verified=verified,
        statement=WrittenStatement(StatementKind.EMAIL, "cancel", FILED) if statement else None,
        approved_by_case_id=approved,
    )


def test_an_approved_request_is_cancelled_on_deal_processings_authority() -> None:
    assert support_authority(a_request()) is Authority.HOMEOWNER_VERIFIED
    assert support_authority(a_request(approved="CASE-1")) is Authority.DEAL_PROCESSING_APPROVAL


def test_the_approval_stands_in_for_rule_5_only() -> None:
    approved = a_request(verified=True, statement=True, approved="CASE-1")
    assert eligibility_refusal(RULE_5, approved, Authority.DEAL_PROCESSING_APPROVAL) is None
    refused = eligibility_refusal(RULE_8, approved, Authority.DEAL_PROCESSING_APPROVAL)
    assert isinstance(refused, NotEligible)
    assert refused.rule_number == 8


def test_claiming_deal_processings_authority_without_an_approval_does_not_pass_rule_5() -> None:
    unapproved = a_request(verified=True, statement=True)
    refused = cancel_refusal(RULE_5, unapproved, Authority.DEAL_PROCESSING_APPROVAL)
    assert isinstance(refused, NotEligible)


@pytest.mark.parametrize(
    ("verified", "statement", "refusal"),
    [(False, False, NotVerified), (False, True, NotVerified), (True, False, StatementMissing)],
)
def test_the_approval_never_stands_in_for_verification_or_the_statement(
    verified: bool, statement: bool, refusal: type[Exception]
) -> None:
    request = a_request(verified=verified, statement=statement, approved="CASE-1")
    assert isinstance(cancel_refusal(RULE_5, request, Authority.DEAL_PROCESSING_APPROVAL), refusal)
    assert request.approval_note == APPROVED_WAITING


def test_the_installers_button_needs_no_homeowner_verification_but_obeys_the_table() -> None:
    unverified = a_request()
    assert cancel_refusal(ELIGIBLE, unverified, Authority.INSTALLER_BUTTON) is None
    assert isinstance(cancel_refusal(RULE_5, unverified, Authority.INSTALLER_BUTTON), NotEligible)
    assert isinstance(
        cancel_refusal(ELIGIBLE, unverified, Authority.HOMEOWNER_VERIFIED), NotVerified
    )


def test_the_approval_note_follows_the_request() -> None:
    request = a_request(verified=True, statement=True, approved="CASE-1")
    assert request.approval_note == APPROVED_READY
    event = request.close(Outcome.CANCEL_PENDING, "cancel pending until 2026-12-14")
    assert request.approval_note == APPROVED
    assert (event.kind, event.data["request_id"], event.data["outcome"]) == (
        "request_closed",
        "REQ-1",
        "cancel_pending",
    )
    assert a_request().approval_note is None
