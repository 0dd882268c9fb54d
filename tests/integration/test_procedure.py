"""The procedure end to end through the service layer, on real SQLite and PostgreSQL.

These are the unit tests' key stories again, but with the SQL unit of work: the state change,
its audit records and its outbox rows must commit together, and concurrent writers must never
both win.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.access import EVERY_JOB
from rescind.domain.email import EmailKind
from rescind.domain.errors import Conflict, InvalidTransition, NotAllowed, NotEligible, NotVerified
from rescind.domain.job import (
    JobStatus,
    Milestone,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewStatus,
)
from rescind.domain.request import (
    Channel,
    Outcome,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.audit import verify_trail
from rescind.services.calendar import add_company_holiday
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.context import Context
from rescind.services.escalation import approve_escalation, escalate_to_deal_processing
from rescind.services.policy import seed_policy
from rescind.services.requests import file_request
from rescind.services.sweep import sweep
from rescind.services.verification import confirm_verification_code, send_verification_code
from tests.fakes import FixedClock, actor
from tests.integration.conftest import UowFactory, a_job

NEW_YORK = ZoneInfo("America/New_York")
# Monday 2026-11-23, 10:00 in New York: SPEC's example day.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
SPEC_FINAL_AT = datetime(2026, 12, 15, 0, 0, tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def ctx(uow_factory: UowFactory, clock: FixedClock) -> Context:
    context = Context(
        uow=uow_factory,
        clock=clock,
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(context, load_policy_document(default_policy_path()))
    return context


def eligible_job(job_id: str, **changes: object) -> object:
    fields: dict[str, object] = {
        "product_model": ProductModel.REGULAR,
        "milestone": Milestone.M1,
        "invoice_uploaded": False,
        "system_photos_uploaded": False,
        "partner_program": PartnerProgram.NONE,
        "phase": Phase.OPERATIONS,
        "installer_signed": True,
        "sales_rep_signed": False,
    }
    fields.update(changes)
    return a_job(job_id, **fields)


def add(ctx: Context, *jobs: object) -> None:
    with ctx.uow() as uow:
        for job in jobs:
            uow.jobs.add(job)  # type: ignore[arg-type]
        uow.commit()


def verified_request(ctx: Context, job_id: str, *, another: bool = False) -> str:
    """A phone request verified by the code read back from the queued email.

    ``another``: the homeowner's request already open (one open request per requester, held
    by the database), for racers to share."""
    if another:
        with ctx.uow() as uow:
            return next(
                r.id
                for r in uow.requests.for_job(job_id)
                if r.is_open and r.requester_role is RequesterRole.HOMEOWNER
            )
    else:
        request = file_request(
            ctx,
            RequestDraft(
                job_id=job_id,
                channel=Channel.PHONE,
                requester_role=RequesterRole.HOMEOWNER,
                requester_name="Dana Homeowner",
                statement=WrittenStatement(
                    kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it please."
                ),
            ),
            actor=actor("agent:alex"),
        )
    sent = send_verification_code(ctx, request.id, actor=actor("agent:alex"))
    with ctx.uow() as uow:
        code = uow.outbox.get(sent.message_id).context["code"]
    confirm_verification_code(ctx, request.id, str(code), actor=actor("agent:alex"))
    return request.id


def test_a_verified_phone_request_puts_the_job_in_cancel_pending_until_the_end_of_dec_14(
    ctx: Context,
) -> None:
    add(ctx, eligible_job("job-1", review=a_job().review))
    request_id = verified_request(ctx, "job-1")

    result = cancel_workflow(
        ctx, request_id, actor=actor("agent:alex"), reason="changed their mind"
    )

    assert result.final_at == SPEC_FINAL_AT
    assert result.message == "job job-1 is now cancel pending until the end of 2026-12-14"
    with ctx.uow() as uow:
        job = uow.jobs.get("job-1")
        emails = uow.outbox.for_job("job-1")
        feed = uow.feed.for_homeowner(job.homeowner.id, EVERY_JOB)
        request = uow.requests.get(request_id)
        kinds = [r.kind for r in uow.audit.records("job:job-1")]
    assert job.status is JobStatus.CANCEL_PENDING
    assert job.review.status is ReviewStatus.REJECTED  # rule 2: pending review rejected first
    assert [e.kind for e in emails] == [EmailKind.VERIFICATION_CODE, EmailKind.CANCELLATION_NOTICE]
    notice = emails[-1]
    assert notice.recipients.to == ("dana@example.com",)
    assert notice.recipients.cc == ("ops@sunny.test",)  # the installer signed, the rep did not
    assert "changed their mind" in feed[-1].body
    assert request.outcome is Outcome.CANCEL_PENDING
    assert kinds.index("review_submitted") < kinds.index("workflow_cancel_pending")
    assert verify_trail(ctx, actor=actor("system:test")).ok


def test_an_ineligible_job_is_refused_and_the_refusal_is_recorded(ctx: Context) -> None:
    add(ctx, eligible_job("job-beam", partner_program=PartnerProgram.BEAM))
    request_id = verified_request(ctx, "job-beam")

    with pytest.raises(NotEligible, match="rule 1"):
        cancel_workflow(ctx, request_id, actor=actor("agent:alex"))

    with ctx.uow() as uow:
        assert uow.jobs.get("job-beam").status is JobStatus.ACTIVE
        assert uow.requests.get(request_id).outcome is Outcome.NOT_ELIGIBLE
        decided = [r for r in uow.audit.records("job:job-beam") if r.kind == "eligibility_decided"]
    assert decided[-1].policy_version == 1
    assert decided[-1].data["rule_number"] == 1


def test_an_unverified_request_changes_nothing(ctx: Context) -> None:
    add(ctx, eligible_job("job-2"))
    request = file_request(
        ctx,
        RequestDraft(
            job_id="job-2",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Dana",
        ),
        actor=actor("agent:alex"),
    )
    with ctx.uow() as uow:
        before = len(uow.audit.records("job:job-2"))

    with pytest.raises(NotVerified):
        cancel_workflow(ctx, request.id, actor=actor("agent:alex"))

    with ctx.uow() as uow:
        assert uow.jobs.get("job-2").status is JobStatus.ACTIVE
        assert len(uow.audit.records("job:job-2")) == before
        assert uow.outbox.for_job("job-2") == []


def test_restore_is_refused_after_the_window_even_before_the_sweep(
    ctx: Context, clock: FixedClock
) -> None:
    add(ctx, eligible_job("job-3"))
    cancel_workflow(ctx, verified_request(ctx, "job-3"), actor=actor("agent:alex"))
    clock.set(SPEC_FINAL_AT)

    with pytest.raises(InvalidTransition, match="can no longer be restored"):
        restore_workflow(ctx, "job-3", actor=actor("agent:alex"), why="changed mind")

    report = sweep(ctx)
    assert report.finalized == 1
    with ctx.uow() as uow:
        job = uow.jobs.get("job-3")
        final = [e for e in uow.outbox.for_job("job-3") if e.kind is EmailKind.FINAL_CANCELLATION]
    assert job.status is JobStatus.CANCELLED
    assert len(final) == 1
    assert final[0].recipients.cc == ()
    assert sweep(ctx).finalized == 0


def test_the_sweep_finalizes_only_jobs_whose_window_ended(ctx: Context, clock: FixedClock) -> None:
    add(ctx, *(eligible_job(f"job-{n}") for n in range(10)))
    for n in range(5):
        cancel_workflow(ctx, verified_request(ctx, f"job-{n}"), actor=actor("agent:alex"))
    clock.advance(days=7)
    for n in range(5, 8):
        cancel_workflow(ctx, verified_request(ctx, f"job-{n}"), actor=actor("agent:alex"))
    clock.set(SPEC_FINAL_AT + timedelta(hours=1))

    report = sweep(ctx, batch_size=2)

    assert report.finalized == 5
    with ctx.uow() as uow:
        statuses = [uow.jobs.get(f"job-{n}").status for n in range(10)]
    assert (
        statuses
        == [JobStatus.CANCELLED] * 5 + [JobStatus.CANCEL_PENDING] * 3 + [JobStatus.ACTIVE] * 2
    )
    assert verify_trail(ctx, actor=actor("system:test")).ok


def test_dp_approval_of_a_verified_m1b_escalation_cancels_the_job(ctx: Context) -> None:
    add(
        ctx,
        eligible_job(
            "job-m1b",
            product_model=ProductModel.DIRECT_PAY,
            milestone=Milestone.M1B,
            invoice_uploaded=True,
        ),
    )
    request_id = verified_request(ctx, "job-m1b")
    with pytest.raises(NotEligible, match="Deal Processing"):
        cancel_workflow(ctx, request_id, actor=actor("agent:alex"))

    case = escalate_to_deal_processing(ctx, request_id, actor=actor("agent:alex"))
    approval = approve_escalation(ctx, case.id, actor=actor("dp:pat"), note="invoice settled")

    assert approval.cancelled is not None
    assert approval.cancelled.final_at == SPEC_FINAL_AT
    with ctx.uow() as uow:
        assert uow.jobs.get("job-m1b").status is JobStatus.CANCEL_PENDING
        request = uow.requests.get(request_id)
        assert (request.outcome, request.approved_by_case_id) == (Outcome.CANCEL_PENDING, case.id)
        kinds = [e.kind for e in uow.outbox.for_job("job-m1b")]
    assert EmailKind.DP_DECISION in kinds
    assert EmailKind.CANCELLATION_NOTICE in kinds


def test_a_company_holiday_moves_a_pending_window_and_says_why(ctx: Context) -> None:
    add(ctx, eligible_job("job-h"))
    cancel_workflow(ctx, verified_request(ctx, "job-h"), actor=actor("agent:alex"))

    change = add_company_holiday(ctx, date(2026, 12, 1), "Founders' day", actor=actor("admin:ops"))

    assert change.windows_moved == 1
    with ctx.uow() as uow:
        job = uow.jobs.get("job-h")
        moved = [r for r in uow.audit.records("job:job-h") if r.kind == "window_recomputed"]
    assert job.final_at == datetime(2026, 12, 16, 0, 0, tzinfo=NEW_YORK).astimezone(UTC)
    assert job.calendar_version == change.calendar_version
    assert moved[0].data["from"] == SPEC_FINAL_AT.isoformat()
    assert "Founders' day" in str(moved[0].data["why"])


def run_together(*actions: Callable[[], object]) -> list[object]:
    """Start the actions at the same moment on threads; collect results or exceptions."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def runner(i: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = action()
        except Exception as e:  # the test inspects what each thread met
            results[i] = e

    threads = [threading.Thread(target=runner, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_cancels_of_one_job_leave_exactly_one_cancellation(ctx: Context) -> None:
    add(ctx, eligible_job("job-race"))
    requests = [verified_request(ctx, "job-race", another=n > 0) for n in range(4)]

    results = run_together(
        *(lambda r=r: cancel_workflow(ctx, r, actor=actor("agent:alex")) for r in requests)
    )

    winners = [r for r in results if not isinstance(r, Exception) and not r.already_pending]  # type: ignore[attr-defined]
    assert len(winners) == 1
    # The losers raced the winner (Conflict) or came after it closed the shared request.
    assert all(
        isinstance(r, Conflict | NotAllowed) or not isinstance(r, Exception) for r in results
    )
    with ctx.uow() as uow:
        kinds = [r.kind for r in uow.audit.records("job:job-race")]
        notices = [
            e for e in uow.outbox.for_job("job-race") if e.kind is EmailKind.CANCELLATION_NOTICE
        ]
    assert kinds.count("workflow_cancel_pending") == 1
    assert len(notices) == 1
    assert verify_trail(ctx, actor=actor("system:test")).ok


def test_a_concurrent_restore_and_sweep_never_both_win(ctx: Context, clock: FixedClock) -> None:
    add(ctx, eligible_job("job-edge"))
    cancel_workflow(ctx, verified_request(ctx, "job-edge"), actor=actor("agent:alex"))
    clock.set(SPEC_FINAL_AT - timedelta(microseconds=1))

    results = run_together(
        lambda: restore_workflow(ctx, "job-edge", actor=actor("agent:alex"), why="x"),
        lambda: sweep(ctx),
    )

    with ctx.uow() as uow:
        job = uow.jobs.get("job-edge")
        kinds = [r.kind for r in uow.audit.records("job:job-edge")]
    # Before the end only the restore can win; the sweep finds nothing due.
    assert job.status is JobStatus.ACTIVE
    assert "workflow_cancelled" not in kinds
    assert not isinstance(results[0], Exception)


def test_two_sweeps_at_once_finalize_each_job_exactly_once(
    ctx: Context, clock: FixedClock, engine: Engine
) -> None:
    add(ctx, *(eligible_job(f"job-s{n}") for n in range(30)))
    for n in range(30):
        cancel_workflow(ctx, verified_request(ctx, f"job-s{n}"), actor=actor("agent:alex"))
    clock.set(SPEC_FINAL_AT)

    results = run_together(lambda: sweep(ctx, batch_size=7), lambda: sweep(ctx, batch_size=5))

    finalized = sum(r.finalized for r in results if not isinstance(r, Exception))  # type: ignore[attr-defined]
    assert finalized == 30
    with engine.connect() as connection:
        finals = connection.execute(
            text("SELECT count(*) FROM outbox_message WHERE kind = 'final_cancellation'")
        ).scalar_one()
        cancelled = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE kind = 'workflow_cancelled'")
        ).scalar_one()
    assert finals == 30
    assert cancelled == 30
    assert verify_trail(ctx, actor=actor("system:test")).ok


def test_processes_starting_together_on_a_new_database_seed_policy_v1_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    def fresh_context() -> Context:
        return Context(
            uow=uow_factory,
            clock=clock,
            tz=NEW_YORK,
            federal_observed=FederalHolidays(observed=True),
            federal_actual=FederalHolidays(observed=False),
        )

    document = load_policy_document(default_policy_path())
    results = run_together(*(lambda: seed_policy(fresh_context(), document) for _ in range(4)))

    assert not any(isinstance(r, Exception) for r in results), results
    assert results.count(True) == 1
    with uow_factory() as uow:
        assert [t.version for t in uow.policies.history().tables] == [1]
