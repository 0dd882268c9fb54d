"""Cancellation requests: the written statement, the installer's reason, open and closed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rescind.domain.errors import InvalidInput, NotAllowed
from rescind.domain.request import (
    CLOSED_OUTCOMES,
    CancellationRequest,
    CancelReason,
    Channel,
    Outcome,
    RequesterRole,
    StatementKind,
    WrittenStatement,
    reason_label,
    validate_reason,
)

RECEIVED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_a_statement_needs_its_text_or_a_reference_to_the_kept_file() -> None:
    with pytest.raises(InvalidInput):
        WrittenStatement(kind=StatementKind.EMAIL, content="  ", received_at=RECEIVED)
    by_text = WrittenStatement(kind=StatementKind.EMAIL, content="cancel", received_at=RECEIVED)
    by_ref = WrittenStatement(
        kind=StatementKind.CHAT_TRANSCRIPT, content="", received_at=RECEIVED, source_ref="chat-9"
    )
    assert by_text.content == "cancel"
    assert by_ref.source_ref == "chat-9"


@pytest.mark.parametrize("kind", [StatementKind.MAIL_NOTICE, StatementKind.TELEGRAM_NOTICE])
def test_a_notice_needs_its_sent_date(kind: StatementKind) -> None:
    with pytest.raises(InvalidInput) as refused:
        WrittenStatement(kind=kind, content="I cancel", received_at=RECEIVED)
    assert refused.value.field == "sent_date"


def test_a_notice_keeps_both_its_sent_and_received_dates() -> None:
    notice = WrittenStatement(
        kind=StatementKind.MAIL_NOTICE,
        content="I cancel",
        received_at=RECEIVED,
        sent_date=date(2026, 11, 17),
    )
    assert (notice.sent_date, notice.received_at) == (date(2026, 11, 17), RECEIVED)


def test_a_notice_cannot_be_sent_after_it_was_received() -> None:
    # One day of slack: a local postmark may be a calendar day ahead of the UTC receipt.
    WrittenStatement(
        kind=StatementKind.MAIL_NOTICE,
        content="x",
        received_at=RECEIVED,
        sent_date=date(2026, 11, 21),
    )
    with pytest.raises(InvalidInput, match="after the date it was received"):
        WrittenStatement(
            kind=StatementKind.TELEGRAM_NOTICE,
            content="x",
            received_at=RECEIVED,
            sent_date=date(2026, 11, 22),
        )


def test_a_reason_is_required_and_other_needs_text() -> None:
    with pytest.raises(InvalidInput, match="pick a cancellation reason") as missing:
        validate_reason(None, "")
    assert "milestone_aged" in missing.value.message
    with pytest.raises(InvalidInput) as other:
        validate_reason(CancelReason.OTHER, "  ")
    assert other.value.field == "reason_text"
    validate_reason(CancelReason.OTHER, "roof too small")
    for reason in CancelReason:
        if reason is not CancelReason.OTHER:
            validate_reason(reason, "")


def test_reason_labels_read_like_words() -> None:
    assert reason_label(CancelReason.HOMEOWNER_REQUEST, "") == "Homeowner request cancellation"
    assert reason_label(CancelReason.PRODUCT_CHANGE_REQUESTED, "to batteries") == (
        "Product change requested: to batteries"
    )
    assert reason_label(CancelReason.OTHER, "roof too small") == "roof too small"
    assert reason_label(None, "said on the phone") == "said on the phone"


def make_request() -> CancellationRequest:
    return CancellationRequest(
        id="REQ-1",
        job_id="JOB-1",
        channel=Channel.PHONE,
        requester_role=RequesterRole.HOMEOWNER,
        requester_name="Pat",
        filed_by="agent:alex",
        filed_at=RECEIVED,
        due_at=RECEIVED,
    )


def test_open_and_escalated_requests_are_open_every_other_outcome_is_closed() -> None:
    assert frozenset(Outcome) - CLOSED_OUTCOMES == {Outcome.OPEN, Outcome.ESCALATED}
    request = make_request()
    assert request.is_open
    request.close(Outcome.ESCALATED, "case CASE-1")
    request.require_open()
    request.close(Outcome.DENIED, "invoice paid")
    assert not request.is_open
    assert request.outcome_detail == "invoice paid"
    with pytest.raises(NotAllowed, match="closed"):
        request.require_open()
