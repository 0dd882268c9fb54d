"""Lists in storage: job search with keyset paging, the outbox by status, and the two queues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import update

from rescind.adapters.db.tables import OutboxMessageRow
from rescind.domain.access import JobScope
from rescind.domain.case import AssignmentStatus, Case, CaseAssignment, CaseStatus, Queue
from rescind.domain.email import DeliveryStatus, EmailKind, OutgoingEmail
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    JobStatus,
    Milestone,
    PartnerProgram,
    ProductModel,
    SalesRep,
)
from rescind.domain.recipients import Recipients
from rescind.domain.request import RequesterRole
from rescind.services.ports import JobQuery, UnitOfWork
from tests.fakes import FakeStore, FakeUnitOfWork
from tests.integration.conftest import UowFactory, a_job, utc


def homeowner(n: int, name: str, email: str, phone: str) -> Homeowner:
    return Homeowner(id=f"ho-{n}", name=name, email=email, phone=phone)


OTHER_INSTALLER = InstallerCompany(id="inst-2", name="Shady Panels", email="ops@shady.test")
OTHER_REP = SalesRep(id="rep-2", name="Sue Rep", email="sue@sales.test")


def jobs() -> list[Job]:
    return [
        a_job(
            "job-01",
            homeowner=homeowner(1, "Dana Whitfield", "Dana.W@Example.com", "(555) 010-0100"),
            partner_program=PartnerProgram.NONE,
        ),
        a_job(
            "job-02",
            homeowner=homeowner(2, "Danielle  Ortiz", "dortiz@example.com", "555-010-0200"),
            status=JobStatus.CANCELLED,
            installer=OTHER_INSTALLER,
        ),
        a_job(
            "job-03",
            homeowner=homeowner(3, "Émile Zola", "emile@example.fr", "+1 555 777 0300"),
            product_model=ProductModel.REGULAR,
            milestone=Milestone.M2,
            sales_rep=OTHER_REP,
        ),
        a_job(
            "job-04",
            homeowner=homeowner(1, "Dana Whitfield", "Dana.W@Example.com", "(555) 010-0100"),
            partner_program=PartnerProgram.BEAM,
        ),
        a_job(
            "job-05",
            homeowner=homeowner(5, "Pat 50% Smith_Jones", "pat@example.com", "555 999 0500"),
        ),
    ]


@pytest.fixture
def stored(uow_factory: UowFactory) -> UowFactory:
    with uow_factory() as uow:
        for job in jobs():
            uow.jobs.add(job)
        uow.commit()
    return uow_factory


def ids(uow_factory: UowFactory, **filters: object) -> list[str]:
    with uow_factory() as uow:
        return [job.id for job in uow.jobs.search(JobQuery(**filters))]  # type: ignore[arg-type]


def test_with_no_filter_every_job_comes_in_id_order_with_its_people(stored: UowFactory) -> None:
    with stored() as uow:
        found = uow.jobs.search(JobQuery())
    assert [j.id for j in found] == ["job-01", "job-02", "job-03", "job-04", "job-05"]
    assert found == sorted(jobs(), key=lambda j: j.id)


FILTER_CASES: list[tuple[dict[str, object], list[str]]] = [
    ({"status": JobStatus.CANCELLED}, ["job-02"]),
    ({"status": JobStatus.ACTIVE}, ["job-01", "job-03", "job-04", "job-05"]),
    ({"milestone": Milestone.M2}, ["job-03"]),
    ({"product_model": ProductModel.REGULAR}, ["job-03"]),
    ({"partner_program": PartnerProgram.BEAM}, ["job-04"]),
    ({"scope": JobScope(installer_id="inst-2")}, ["job-02"]),
    ({"installer_id": "inst-2"}, ["job-02"]),
    ({"installer_id": "inst-2", "status": JobStatus.ACTIVE}, []),
    ({"scope": JobScope(sales_rep_id="rep-2")}, ["job-03"]),
    ({"scope": JobScope(homeowner_id="ho-1")}, ["job-01", "job-04"]),
    (
        {"scope": JobScope(homeowner_id="ho-1"), "partner_program": PartnerProgram.BEAM},
        ["job-04"],
    ),
    ({"scope": JobScope(installer_id="inst-2"), "status": JobStatus.ACTIVE}, []),
    ({"status": JobStatus.ACTIVE, "limit": 2, "after_id": "job-01"}, ["job-03", "job-04"]),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_every_filter_narrows_the_list(
    stored: UowFactory, filters: dict[str, object], expected: list[str]
) -> None:
    assert ids(stored, **filters) == expected


def test_pages_follow_the_last_id_seen(stored: UowFactory) -> None:
    assert ids(stored, limit=2) == ["job-01", "job-02"]
    assert ids(stored, limit=2, after_id="job-02") == ["job-03", "job-04"]
    assert ids(stored, limit=2, after_id="job-04") == ["job-05"]
    assert ids(stored, limit=2, after_id="job-05") == []
    assert ids(stored, status=JobStatus.ACTIVE, limit=2, after_id="job-01") == [
        "job-03",
        "job-04",
    ]


TEXT_CASES: list[tuple[str, list[str]]] = [
    # A job id, whole, in any case, with or without its prefix and leading zeros.
    ("job-03", ["job-03"]),
    (" job-03 ", ["job-03"]),
    ("JOB-03", ["job-03"]),
    ("job-3", ["job-03"]),
    ("3", ["job-03"]),
    ("job 003", ["job-03"]),
    ("job-0", []),
    # The homeowner's email, whole or from its start, in any case.
    ("dana.w@example.com", ["job-01", "job-04"]),
    ("DANA.W@EXAMPLE.COM", ["job-01", "job-04"]),
    ("dana.w@example", ["job-01", "job-04"]),
    ("dortiz", ["job-02"]),
    ("dortiz@example.co", ["job-02"]),
    ("dortiz@other", []),
    # A prefix of the homeowner's full name or surname, in any case, spaces folded.
    ("dan", ["job-01", "job-02", "job-04"]),
    ("DANIELLE o", ["job-02"]),
    ("danielle   ortiz", ["job-02"]),
    ("émile", ["job-03"]),
    ("ÉMILE ZOLA", ["job-03"]),
    ("whitfield", ["job-01", "job-04"]),
    ("Whitf", ["job-01", "job-04"]),
    ("zola", ["job-03"]),
    ("whitfield dana", []),
    # LIKE's wildcards are plain characters in a name.
    ("pat 50%", ["job-05"]),
    ("pat 5_", []),
    ("%", []),
    ("_", []),
    # A prefix of the phone's digits, however it is punctuated.
    ("555-010", ["job-01", "job-02", "job-04"]),
    ("(555) 010-0200", ["job-02"]),
    ("555 010 0200", ["job-02"]),
    ("5550100100", ["job-01", "job-04"]),
    ("+1 555 777", ["job-03"]),
    ("55", []),  # too short to be read as a phone
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_text_finds_a_job_by_id_or_its_homeowner_s_email_name_or_phone(
    stored: UowFactory, text: str, expected: list[str]
) -> None:
    assert ids(stored, text=text) == expected


def test_text_combines_with_filters_and_paging(stored: UowFactory) -> None:
    assert ids(stored, text="dan", status=JobStatus.ACTIVE) == ["job-01", "job-04"]
    assert ids(stored, text="dan", limit=1, after_id="job-01") == ["job-02"]


def test_a_homeowner_renamed_by_a_later_job_is_found_by_the_new_name(
    stored: UowFactory,
) -> None:
    renamed = a_job(
        "job-06",
        homeowner=homeowner(1, "Dana Fairweather", "dana.f@example.com", "555 123 4567"),
    )
    with stored() as uow:
        uow.jobs.add(renamed)
        uow.commit()
    assert ids(stored, text="dana fair") == ["job-01", "job-04", "job-06"]
    assert ids(stored, text="dana.f@EXAMPLE.com") == ["job-01", "job-04", "job-06"]
    assert ids(stored, text="555-123") == ["job-01", "job-04", "job-06"]
    assert ids(stored, text="dana whit") == []
    assert ids(stored, text="fairweather") == ["job-01", "job-04", "job-06"]
    assert ids(stored, text="whitfield") == []


def test_a_homeowner_renamed_by_an_imported_batch_is_found_by_the_new_name(
    stored: UowFactory,
) -> None:
    """The import's path (``add_many``): the earlier jobs follow their homeowner's new name."""
    renamed = a_job(
        "job-06",
        homeowner=homeowner(1, "Dana Fairweather", "dana.f@example.com", "555 123 4567"),
    )
    with stored() as uow:
        uow.jobs.add_many([renamed])
        uow.commit()
    assert ids(stored, text="dana fair") == ["job-01", "job-04", "job-06"]
    assert ids(stored, text="dana whit") == []


@pytest.mark.parametrize("adding", ["one by one", "as one batch"])
def test_the_last_name_given_for_a_homeowner_is_the_one_every_job_is_found_by(
    uow_factory: UowFactory, adding: str
) -> None:
    """Two jobs of one new homeowner in one unit of work, the second renaming them."""
    first = a_job("job-10", homeowner=homeowner(9, "Kim Oldham", "kim@x.test", ""))
    second = a_job("job-11", homeowner=homeowner(9, "Kim Newton", "kim@x.test", ""))
    with uow_factory() as uow:
        if adding == "one by one":
            uow.jobs.add(first)
            uow.jobs.add(second)
        else:
            uow.jobs.add_many([first, second])
        uow.commit()
    assert ids(uow_factory, text="kim new") == ["job-10", "job-11"]
    assert ids(uow_factory, text="kim old") == []
    with uow_factory() as uow:
        assert {job.homeowner.name for job in uow.jobs.search(JobQuery())} == {"Kim Newton"}


def test_a_rename_changes_no_job_s_version(stored: UowFactory) -> None:
    """The name key is derived: a job read before the rename still saves at its version."""
    with stored() as uow:
        before = uow.jobs.get("job-01")
    with stored() as uow:
        uow.jobs.add(a_job("job-06", homeowner=homeowner(1, "Dana Fairweather", "d@x.test", "")))
        uow.commit()
    with stored() as uow:
        assert uow.jobs.get("job-01").version == before.version
        job = uow.jobs.get("job-01")
        job.status = JobStatus.CANCELLED
        uow.jobs.save(job)
        uow.commit()
    assert ids(stored, text="dana fair", status=JobStatus.CANCELLED) == ["job-01"]


@pytest.mark.parametrize(
    "typed", ["(555) 188-8104", "555 188 8104", "+15551888104", "1-555-188-8104", "555.188"]
)
def test_a_phone_stored_in_e164_is_found_however_it_is_typed(
    stored: UowFactory, typed: str
) -> None:
    with stored() as uow:
        uow.jobs.add(a_job("job-07", homeowner=homeowner(7, "Ann Lee", "a@x.test", "+15551888104")))
        uow.commit()
    assert ids(stored, text=typed) == ["job-07"]


def test_demo_style_job_ids_are_found_without_prefix_or_zeros(stored: UowFactory) -> None:
    with stored() as uow:
        uow.jobs.add(a_job("JOB-000042", homeowner=homeowner(8, "Ben Reyes", "b@x.test", "")))
        uow.commit()
    for typed in ("JOB-000042", "job-000042", "job-42", "JOB 42", "42", "000042", "#42"):
        assert ids(stored, text=typed) == ["JOB-000042"], typed


def test_the_in_memory_fake_searches_by_the_same_rules() -> None:
    """Unit tests lean on ``FakeJobRepository.search``; it must answer as SQL does."""
    store = FakeStore()
    with FakeUnitOfWork(store) as uow:
        for job in jobs():
            uow.jobs.add(job)
        uow.commit()
    with FakeUnitOfWork(store) as uow:
        for filters, expected in FILTER_CASES:
            found = uow.jobs.search(JobQuery(**filters))  # type: ignore[arg-type]
            assert [j.id for j in found] == expected, filters
        for text, expected in TEXT_CASES:
            assert [j.id for j in uow.jobs.search(JobQuery(text=text))] == expected, text


# --- the outbox -------------------------------------------------------------------------------


def an_email(job_id: str) -> OutgoingEmail:
    return OutgoingEmail(
        kind=EmailKind.CANCELLATION_NOTICE,
        recipients=Recipients(to=("dana@example.com",)),
        job_id=job_id,
    )


def test_the_outbox_lists_by_row_number_with_a_status_filter(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        message_ids = [
            uow.outbox.add(an_email(f"job-{n}"), queued_at=utc(2026, 11, 23, 15, n))
            for n in range(5)
        ]
        uow.commit()
    with uow_factory() as uow:
        uow.session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.message_id.in_(message_ids[1:3]))
            .values(status=DeliveryStatus.SENT.value)
        )
        uow.commit()

    with uow_factory() as uow:
        everything = uow.outbox.list()
        first_page = uow.outbox.list(limit=2)
        second_page = uow.outbox.list(limit=2, after=first_page[-1][0])
        queued = uow.outbox.list(status=DeliveryStatus.QUEUED)
        sent_after_first = uow.outbox.list(status=DeliveryStatus.SENT, after=everything[1][0])
        failed = uow.outbox.list(status=DeliveryStatus.FAILED)

    assert [q.message_id for _, q in everything] == message_ids
    numbers = [n for n, _ in everything]
    assert numbers == sorted(numbers)
    assert first_page + second_page == everything[:4]
    assert [q.message_id for _, q in queued] == [message_ids[i] for i in (0, 3, 4)]
    assert all(q.status is DeliveryStatus.QUEUED for _, q in queued)
    assert [q.message_id for _, q in sent_after_first] == [message_ids[2]]
    assert failed == []


# --- queues -----------------------------------------------------------------------------------


def a_case(case_id: str, minute: int, queue: Queue, *assignments: CaseAssignment) -> Case:
    return Case(
        id=case_id,
        job_id="job-01",
        request_id=None,
        requested_by=RequesterRole.HOMEOWNER,
        subject=f"case {case_id}",
        description="",
        queue=queue,
        created_at=utc(2026, 11, 23, 16, minute),
        created_by="agent:alex",
        assignments=list(assignments),
    )


def dp(status: AssignmentStatus = AssignmentStatus.OPEN) -> CaseAssignment:
    return CaseAssignment(
        team=Queue.DEAL_PROCESSING, assigned_at=utc(2026, 11, 23, 16), status=status
    )


def queue_cases() -> list[Case]:
    return [
        # The escalation: assigned to DP, reassigned to Back Office.
        a_case("case-escalated", 3, Queue.BACK_OFFICE, dp()),
        # In DP's queue by name, but with no DP assignment: not DP's work item.
        a_case("case-dp-queue-unassigned", 1, Queue.DEAL_PROCESSING),
        a_case("case-dp-done", 2, Queue.BACK_OFFICE, dp(AssignmentStatus.DONE)),
        a_case("case-bo-only", 0, Queue.BACK_OFFICE),
        replace(a_case("case-decided", 4, Queue.BACK_OFFICE, dp()), status=CaseStatus.DENIED),
        a_case("case-dp-older", 0, Queue.DEAL_PROCESSING, dp()),
    ]


def queues_of(new_uow: Callable[[], UnitOfWork]) -> dict[str, list[str]]:
    with new_uow() as uow:
        for case in queue_cases():
            uow.cases.add(case)
        uow.commit()
    with new_uow() as uow:
        return {
            "dp": [c.id for c in uow.cases.in_queue(Queue.DEAL_PROCESSING)],
            "bo": [c.id for c in uow.cases.in_queue(Queue.BACK_OFFICE)],
            "dp_ever": [c.id for c in uow.cases.in_queue(Queue.DEAL_PROCESSING, open_only=False)],
            "bo_ever": [c.id for c in uow.cases.in_queue(Queue.BACK_OFFICE, open_only=False)],
        }


EXPECTED_QUEUES = {
    "dp": ["case-dp-older", "case-escalated"],
    "bo": ["case-bo-only", "case-dp-done", "case-escalated"],
    "dp_ever": ["case-dp-older", "case-dp-done", "case-escalated", "case-decided"],
    "bo_ever": ["case-bo-only", "case-dp-done", "case-escalated", "case-decided"],
}


def test_deal_processing_works_cases_assigned_to_it_and_back_office_its_own_queue(
    stored: UowFactory,
) -> None:
    assert queues_of(stored) == EXPECTED_QUEUES


def test_the_in_memory_fake_fills_the_queues_by_the_same_rules() -> None:
    store = FakeStore()
    assert queues_of(lambda: FakeUnitOfWork(store)) == EXPECTED_QUEUES
