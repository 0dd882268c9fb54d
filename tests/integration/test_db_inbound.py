"""Received emails: a job's statement step finds those filed on it or sent from its address."""

from __future__ import annotations

from datetime import datetime

from rescind.domain.inbound import InboundRecord, InboundStatus
from tests.integration.conftest import UowFactory, utc


def a_message(
    inbound_id: str,
    received_at: datetime,
    from_address: str,
    *,
    status: InboundStatus = InboundStatus.FILED,
    job_id: str | None = None,
) -> InboundRecord:
    return InboundRecord(
        id=inbound_id,
        received_at=received_at,
        message_id=f"<{inbound_id}@mail.example>",
        from_address=from_address,
        subject=f"About {job_id or 'nothing'}",
        raw=b"From: someone\r\n\r\nbody\x00\xff",
        status=status,
        reason="" if status is InboundStatus.FILED else "why it waits",
        job_id=job_id,
        request_id="req-1" if job_id else None,
    )


def test_a_jobs_email_is_filed_on_it_or_from_the_address_on_file_newest_first(
    uow_factory: UowFactory,
) -> None:
    filed = a_message("in-1", utc(2026, 11, 23, 9), "someone@else.example", job_id="job-1")
    from_home = a_message(
        "in-2", utc(2026, 11, 23, 10), "dana@example.com", status=InboundStatus.TRIAGE
    )
    mixed_case = a_message("in-3", utc(2026, 11, 23, 11), "Dana@Example.com", job_id="job-2")
    duplicate = a_message(
        "in-4", utc(2026, 11, 23, 12), "dana@example.com", status=InboundStatus.DUPLICATE
    )
    other_job = a_message("in-5", utc(2026, 11, 23, 13), "other@home.example", job_id="job-2")
    with uow_factory() as uow:
        for message in (other_job, duplicate, mixed_case, from_home, filed):
            uow.inbound.add(message)
        uow.commit()

    with uow_factory() as uow:
        found = uow.inbound.for_job("job-1", "DANA@example.com")
        assert found == [mixed_case, from_home, filed]
        assert [m.id for m in uow.inbound.for_job("job-1", "dana@example.com", 2)] == [
            "in-3",
            "in-2",
        ]
        assert [m.id for m in uow.inbound.for_job("job-1", "")] == ["in-1"]
        assert uow.inbound.for_job("job-9", "nobody@example.com") == []
