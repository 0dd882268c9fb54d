"""Received emails: a job's statement step finds those filed on it or sent from its address."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.mail.inbound import parse_email
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.access import EVERY_JOB, JobScope
from rescind.domain.inbound import InboundRecord, InboundStatus
from rescind.domain.job import Homeowner, InstallerCompany
from rescind.services.context import Context
from rescind.services.inbound import receive_email
from rescind.services.policy import seed_policy
from tests.fakes import FixedClock
from tests.integration.conftest import UowFactory, a_job, utc


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
        found = uow.inbound.for_job("job-1", "DANA@example.com", EVERY_JOB)
        assert found == [mixed_case, from_home, filed]
        assert [m.id for m in uow.inbound.for_job("job-1", "dana@example.com", EVERY_JOB, 2)] == [
            "in-3",
            "in-2",
        ]
        assert [m.id for m in uow.inbound.for_job("job-1", "", EVERY_JOB)] == ["in-1"]
        assert uow.inbound.for_job("job-9", "nobody@example.com", EVERY_JOB) == []


def test_a_scoped_reader_finds_the_homeowners_email_only_on_jobs_of_its_own(
    uow_factory: UowFactory,
) -> None:
    dana = Homeowner(id="ho-dana", name="Dana Homeowner", email="dana@example.com", phone="5")
    other = InstallerCompany(id="inst-2", name="Shady Panels", email="ops@shady.test")
    ours, theirs = a_job("job-1", homeowner=dana), a_job("job-2", homeowner=dana, installer=other)
    on_ours = a_message("in-1", utc(2026, 11, 23, 9), "dana@example.com", job_id="job-1")
    on_theirs = a_message("in-2", utc(2026, 11, 23, 10), "dana@example.com", job_id="job-2")
    on_none = a_message(
        "in-3", utc(2026, 11, 23, 11), "dana@example.com", status=InboundStatus.TRIAGE
    )
    with uow_factory() as uow:
        uow.jobs.add(ours)
        uow.jobs.add(theirs)
        for message in (on_ours, on_theirs, on_none):
            uow.inbound.add(message)
        uow.commit()

    with uow_factory() as uow:
        installer = JobScope(installer_id="inst-1")
        assert uow.inbound.for_job("job-1", dana.email, installer) == [on_ours]
        assert uow.inbound.for_job("job-1", dana.email, JobScope(homeowner_id="ho-dana")) == [
            on_theirs,
            on_ours,
        ]
        assert uow.inbound.for_job("job-1", dana.email, EVERY_JOB) == [on_none, on_theirs, on_ours]


# What the email fuzzer found: the parser handed on NUL (PostgreSQL's text refuses it) and
# undecodable header bytes as lone surrogates (no UTF-8 driver encodes them), so filing such a
# message raised on both databases and the receiver answered 451 to it forever.
UNSTORABLE = [
    b"From: Dana <dana@example.com>\r\nSubject: job-1 cancel\x00 now\r\n\r\nplease\x00 cancel\r\n",
    b"From: Ben <be\xee.reyes@homeowner.example>\r\nSubject: Signed \xff form\r\n"
    b"Message-ID: <m\xfe@x>\r\n\r\nThe form is attached.\r\n",
]


@pytest.mark.parametrize("raw", UNSTORABLE, ids=["NUL", "undecodable bytes"])
def test_a_message_with_nul_or_undecodable_bytes_is_filed_or_triaged_and_kept_as_received(
    uow_factory: UowFactory, raw: bytes
) -> None:
    ctx = Context(
        uow=uow_factory,
        clock=FixedClock(utc(2026, 11, 23, 15)),
        tz=ZoneInfo("America/New_York"),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(ctx, load_policy_document(default_policy_path()))
    with uow_factory() as uow:
        uow.jobs.add(a_job("JOB-000001"))
        uow.commit()

    result = receive_email(ctx, parse_email(raw), raw)

    assert result.status in (InboundStatus.FILED, InboundStatus.TRIAGE)
    with uow_factory() as uow:
        kept = [m for m in uow.inbound.triage() if m.id == result.inbound_id] + [
            m for m in uow.inbound.for_job("JOB-000001", "", EVERY_JOB) if m.id == result.inbound_id
        ]
    assert [m.raw for m in kept] == [raw]
