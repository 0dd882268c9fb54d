"""Requests, code challenges, cases and feed comments round-trip through storage."""

from __future__ import annotations

import pytest

from rescind.domain.access import EVERY_JOB, JobScope
from rescind.domain.case import AssignmentStatus, CaseStatus, Queue, open_deal_processing_escalation
from rescind.domain.errors import Conflict, DuplicateRequest, NotFound
from rescind.domain.feed import FeedComment
from rescind.domain.job import InstallerCompany, SalesRep
from rescind.domain.request import Outcome, RequesterRole
from rescind.domain.verification import ChallengeStatus, issue_challenge
from tests.integration.conftest import UowFactory, a_job, a_request, utc


@pytest.fixture
def with_job(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job())
        uow.commit()


@pytest.mark.usefixtures("with_job")
def test_a_request_comes_back_with_its_statement_and_every_field(uow_factory: UowFactory) -> None:
    request = a_request()
    bare = a_request(
        "req-2",
        statement=None,
        verification_method=None,
        verified_at=None,
        reason=None,
        due_at=utc(2026, 11, 24),
        requester_role=RequesterRole.SALES_REP,  # one open request per requester and job
    )
    with uow_factory() as uow:
        uow.requests.add(request)
        uow.requests.add(bare)
        uow.commit()

    with uow_factory() as uow:
        assert uow.requests.get("req-1") == request
        assert uow.requests.get("req-2") == bare
        assert [r.id for r in uow.requests.for_job("job-1")] == ["req-1", "req-2"]
        assert [r.id for r in uow.requests.open_requests()] == ["req-2", "req-1"]
        with pytest.raises(NotFound):
            uow.requests.get("req-404")


@pytest.mark.usefixtures("with_job")
def test_saving_a_request_closes_it_and_refuses_a_stale_copy(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.requests.add(a_request(statement=None))
        uow.commit()
    with uow_factory() as uow:
        stale = uow.requests.get("req-1")
    with uow_factory() as uow:
        fresh = uow.requests.get("req-1")
        fresh.statement = a_request().statement
        fresh.close(Outcome.CANCEL_PENDING, "pending until 2026-12-14")
        uow.requests.save(fresh)
        uow.commit()

    with uow_factory() as uow, pytest.raises(Conflict):
        uow.requests.save(stale)
    with uow_factory() as uow:
        assert uow.requests.get("req-1") == fresh
        assert uow.requests.open_requests() == []


@pytest.mark.usefixtures("with_job")
def test_code_challenges_are_listed_oldest_first_and_saved(uow_factory: UowFactory) -> None:
    first, _ = issue_challenge("ch-1", "req-1", utc(2026, 11, 23, 14))
    second, code = issue_challenge("ch-2", "req-1", utc(2026, 11, 23, 14, 5))
    with uow_factory() as uow:
        uow.requests.add(a_request())
        uow.challenges.add(second)
        uow.challenges.add(first)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.challenges.for_request("req-1")
        assert [c.id for c in loaded] == ["ch-1", "ch-2"]
        loaded[1].confirm(code, utc(2026, 11, 23, 14, 6))
        uow.challenges.save(loaded[1])
        uow.commit()
    with uow_factory() as uow:
        saved = uow.challenges.for_request("req-1")[1]
    assert (saved.status, saved.attempts) == (ChallengeStatus.VERIFIED, 1)


@pytest.mark.usefixtures("with_job")
def test_a_deal_processing_case_round_trips_with_its_assignments(uow_factory: UowFactory) -> None:
    case, _ = open_deal_processing_escalation(
        case_id="case-1",
        job_id="job-1",
        request_id=None,
        requested_by=RequesterRole.INSTALLER,
        created_by="agent:alex",
        now=utc(2026, 11, 23, 16),
    )
    with uow_factory() as uow:
        uow.cases.add(case)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.cases.get("case-1")
        assert loaded == case
        assert [c.id for c in uow.cases.in_queue(Queue.BACK_OFFICE)] == ["case-1"]
        loaded.approve("dp:jo", utc(2026, 11, 24, 10), "paid by installer")
        uow.cases.save(loaded)
        uow.commit()

    with uow_factory() as uow:
        decided = uow.cases.get("case-1")
        assert decided == loaded
        assert decided.status is CaseStatus.APPROVED
        assert decided.assignments[0].status is AssignmentStatus.DONE
        assert uow.cases.in_queue(Queue.BACK_OFFICE) == []
        assert [c.id for c in uow.cases.in_queue(Queue.BACK_OFFICE, open_only=False)] == ["case-1"]
        assert [c.id for c in uow.cases.for_job("job-1")] == ["case-1"]


def test_feed_comments_for_a_new_job_are_stored_in_the_same_unit_of_work(
    uow_factory: UowFactory,
) -> None:
    job = a_job()
    comment = FeedComment(
        id="fc-1",
        homeowner_id=job.homeowner.id,
        job_id=job.id,
        author="system",
        body="Workflow cancelled",
        created_at=utc(2026, 11, 23, 15),
        automatic=True,
    )
    with uow_factory() as uow:
        uow.feed.add(comment)  # added before its job and homeowner: the flush orders them
        uow.jobs.add(job)
        uow.commit()
    with uow_factory() as uow:
        assert uow.feed.for_homeowner(job.homeowner.id, EVERY_JOB) == [comment]


def test_the_feed_a_scoped_reader_gets_holds_only_comments_on_jobs_it_may_see(
    uow_factory: UowFactory,
) -> None:
    ours = a_job("job-1")
    theirs = a_job(
        "job-2",
        homeowner=ours.homeowner,
        installer=InstallerCompany(id="inst-2", name="Shady Panels", email="ops@shady.test"),
        sales_rep=SalesRep(id="rep-2", name="Sue Rep", email="sue@sales.test"),
    )

    def comment(comment_id: str, job_id: str | None, hour: int) -> FeedComment:
        return FeedComment(
            id=comment_id,
            homeowner_id=ours.homeowner.id,
            job_id=job_id,
            author="agent:alex",
            body=f"About {job_id}",
            created_at=utc(2026, 11, 23, hour),
        )

    on_ours = comment("fc-1", "job-1", 9)
    on_theirs = comment("fc-2", "job-2", 10)
    on_none = comment("fc-3", None, 11)
    with uow_factory() as uow:
        uow.jobs.add(ours)
        uow.jobs.add(theirs)
        for c in (on_ours, on_theirs, on_none):
            uow.feed.add(c)
        uow.commit()

    with uow_factory() as uow:
        feed = uow.feed.for_homeowner
        assert feed(ours.homeowner.id, JobScope(installer_id="inst-1")) == [on_ours]
        assert feed(ours.homeowner.id, JobScope(sales_rep_id="rep-2")) == [on_theirs]
        assert feed(ours.homeowner.id, JobScope(homeowner_id=ours.homeowner.id)) == [
            on_ours,
            on_theirs,
        ]
        assert feed(ours.homeowner.id, EVERY_JOB) == [on_ours, on_theirs, on_none]
        assert feed("ho-someone-else", EVERY_JOB) == []


@pytest.mark.usefixtures("with_job")
def test_a_second_open_request_of_one_requester_is_refused_by_the_database_as_a_duplicate(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.requests.add(a_request("req-1"))
        uow.commit()
    # Past the service's own check (as a racing filing is): the unique index refuses it.
    with uow_factory() as uow:
        uow.requests.add(a_request("req-2"))
        with pytest.raises(DuplicateRequest):
            uow.commit()
    # Another requester, or the same one once the first is closed, may file.
    with uow_factory() as uow:
        uow.requests.add(a_request("req-3", requester_role=RequesterRole.SALES_REP))
        first = uow.requests.get("req-1")
        first.outcome = Outcome.WITHDRAWN
        uow.requests.save(first)
        uow.commit()
    with uow_factory() as uow:
        uow.requests.add(a_request("req-4"))
        uow.commit()
