"""How a request ends without a cancel, and what the installer portal says up front: the
domain's rules, on their own."""

from __future__ import annotations

import pytest

from rescind.domain.authority import installer_verdict
from rescind.domain.errors import InvalidInput, NotAllowed
from rescind.domain.events import EventKind
from rescind.domain.job import JobStatus, Milestone, PartnerProgram, Phase
from rescind.domain.request import CloseReason, Outcome
from tests.unit.test_authority import ELIGIBLE, RULE_5, a_request
from tests.unit.test_eligibility import make_job, v1

BEAM = make_job(Milestone.M2, partner_program=PartnerProgram.BEAM)
RULE_1 = v1().decide(BEAM)


def test_a_refusal_under_rule_1_returns_its_event_naming_the_rule_and_the_version() -> None:
    request = a_request()

    event = request.close_with_reason(CloseReason.NOT_ELIGIBLE, "told", decision=RULE_1)

    assert event.kind is EventKind.REQUEST_CLOSED
    assert (event.data["rule_number"], event.data["policy_version"]) == (1, 1)
    assert event.data["note"] == "told"
    assert request.outcome is Outcome.NOT_ELIGIBLE
    assert not request.is_open


@pytest.mark.parametrize("decision", [ELIGIBLE, RULE_5, None])
def test_only_a_rule_that_says_stop_refuses_as_not_eligible(decision: object) -> None:
    request = a_request()
    with pytest.raises(NotAllowed):
        request.close_with_reason(CloseReason.NOT_ELIGIBLE, decision=decision)  # type: ignore[arg-type]
    assert request.is_open


def test_a_verified_request_cannot_be_closed_as_not_verified() -> None:
    with pytest.raises(NotAllowed, match="is verified"):
        a_request(verified=True).close_with_reason(CloseReason.NOT_VERIFIED)


def test_a_duplicate_must_name_another_request() -> None:
    request = a_request()
    with pytest.raises(InvalidInput):
        request.close_with_reason(CloseReason.DUPLICATE)
    with pytest.raises(InvalidInput):
        request.close_with_reason(CloseReason.DUPLICATE, duplicate_of=request.id)
    event = request.close_with_reason(CloseReason.DUPLICATE, duplicate_of="REQ-0")
    assert event.data["duplicate_of"] == "REQ-0"


def test_a_closed_request_cannot_be_closed_again() -> None:
    request = a_request()
    request.close_with_reason(CloseReason.WITHDRAWN)
    with pytest.raises(NotAllowed, match="is closed"):
        request.close_with_reason(CloseReason.WITHDRAWN)


def test_the_portal_offers_the_button_only_for_an_eligible_active_job_in_operations() -> None:
    eligible = make_job(Milestone.M1A)
    assert installer_verdict(eligible, JobStatus.ACTIVE, ELIGIBLE).can_cancel
    for status in (JobStatus.CANCEL_PENDING, JobStatus.CANCELLED):
        assert not installer_verdict(eligible, status, ELIGIBLE).can_cancel


def test_outside_operations_the_portal_asks_for_the_homeowners_written_request() -> None:
    verdict = installer_verdict(
        make_job(Milestone.M1A, phase=Phase.SALES), JobStatus.ACTIVE, ELIGIBLE
    )
    assert not verdict.can_cancel
    assert verdict.written_request_required
    assert "only available in the operations phase" in verdict.why


def test_an_ineligible_job_is_explained_with_its_rule_in_an_installers_words() -> None:
    verdict = installer_verdict(BEAM, JobStatus.ACTIVE, RULE_1)
    assert not verdict.can_cancel
    assert verdict.written_request_required
    assert verdict.why.startswith("Under rule 1 of our cancellation policy")
    assert "support" not in verdict.why
