"""The request's JSON shape reads the domain request; ``overdue`` is as of a given now."""

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.request import CancellationRequest, Channel, Outcome, RequesterRole
from rescind.entrypoints.api.requests import RequestOut

FILED = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
DUE = FILED + timedelta(days=2)


def request(outcome: Outcome = Outcome.OPEN) -> CancellationRequest:
    return CancellationRequest(
        id="REQ-1",
        job_id="JOB-002",
        channel=Channel.PHONE,
        requester_role=RequesterRole.HOMEOWNER,
        requester_name="Ben Reyes",
        filed_by="agent:alex",
        filed_at=FILED,
        due_at=DUE,
        outcome=outcome,
    )


@pytest.mark.parametrize(
    ("outcome", "now", "overdue"),
    [
        (Outcome.OPEN, DUE, False),
        (Outcome.OPEN, DUE + timedelta(seconds=1), True),
        (Outcome.WITHDRAWN, DUE + timedelta(days=1), False),
    ],
    ids=["open_at_due", "open_past_due", "closed_past_due"],
)
def test_a_request_is_overdue_only_while_open_and_past_its_due_time(
    outcome: Outcome, now: datetime, overdue: bool
) -> None:
    shown = RequestOut.model_validate(request(outcome), context={"now": now})

    assert shown.overdue is overdue
    assert shown.channel is Channel.PHONE
    assert shown.model_dump(mode="json")["outcome"] == outcome.value


def test_a_request_shown_without_a_now_fails_loudly() -> None:
    with pytest.raises(TypeError, match="overdue is derived from now"):
        RequestOut.model_validate(request())
