"""Steps 1–6 of the procedure for one request, through the services and the fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rescind.domain.email import EmailKind, Mailbox
from rescind.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    NotVerified,
    StatementMissing,
)
from rescind.domain.job import (
    JobStatus,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    ProductModel,
    ReviewItem,
    ReviewItemStatus,
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
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.requests import attach_statement, file_request
from rescind.services.sweep import sweep
from rescind.services.verification import confirm_verification_code, send_verification_code
from tests.fakes import World, actor, file_verified_request

# Monday 2026-11-23, 10:00 in New York.
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
# The end of Monday 2026-12-14 in New York (Thanksgiving does not count).
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def phone_request(world: World, job_id: str) -> str:
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat Homeowner",
        ),
        actor=actor("agent:alex"),
    )
    return request.id


def code_from_outbox(world: World) -> str:
    code = world.store.emails(EmailKind.VERIFICATION_CODE)[-1].email.context["code"]
    assert isinstance(code, str)
    return code


def test_a_phone_request_runs_the_whole_procedure_to_cancel_pending_for_14_business_days(
    world: World,
) -> None:
    job = world.add()
    request_id = phone_request(world, job.id)

    sent = send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    [code_email] = world.store.emails(EmailKind.VERIFICATION_CODE)
    assert code_email.message_id == sent.message_id
    assert code_email.email.sender is Mailbox.HO_OUTBOUND
    assert code_email.email.recipients.to == (job.homeowner.email,)
    assert code_email.email.recipients.cc == ()
    code = code_from_outbox(world)
    assert len(code) == 4
    assert code.isdigit()

    verified = confirm_verification_code(world.ctx, request_id, code, actor=actor("agent:alex"))
    assert verified.verified
    attach_statement(
        world.ctx,
        request_id,
        WrittenStatement(kind=StatementKind.CHAT_TRANSCRIPT, content="I want to cancel."),
        actor=actor("agent:alex"),
    )

    result = cancel_workflow(
        world.ctx, request_id, actor=actor("agent:alex"), reason="Changed my mind"
    )

    assert not result.already_pending
    assert result.final_at == FINAL_AT
    assert result.final_date == date(2026, 12, 14)
    stored = world.store.job(job.id)
    assert stored.status is JobStatus.CANCEL_PENDING
    assert stored.final_at == FINAL_AT
    assert stored.pending_since_at == MONDAY
    [comment] = world.store.feed_of(job.homeowner.id)
    assert comment.automatic
    assert "Changed my mind" in comment.body
    assert "2026-12-14" in comment.body
    [notice] = world.store.emails(EmailKind.CANCELLATION_NOTICE)
    assert notice.message_id in result.message_ids
    assert notice.email.recipients.to == (job.homeowner.email,)
    request = world.store.request(request_id)
    assert request.outcome is Outcome.CANCEL_PENDING
    assert "2026-12-14" in request.outcome_detail


def test_the_audit_trail_of_a_cancel_lists_each_step_in_order_under_the_policy_version(
    world: World,
) -> None:
    job = world.add()
    request_id = phone_request(world, job.id)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    confirm_verification_code(
        world.ctx, request_id, code_from_outbox(world), actor=actor("agent:alex")
    )
    attach_statement(
        world.ctx,
        request_id,
        WrittenStatement(kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it."),
        actor=actor("agent:alex"),
    )

    cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    trail = world.store.trail(job.id)
    assert [r.kind for r in trail] == [
        "request_filed",
        "email_queued",
        "verification_code_sent",
        "request_verified",
        "statement_attached",
        "eligibility_decided",
        "workflow_cancel_pending",
        "feed_commented",
        "email_queued",
        "request_closed",
    ]
    cancel_records = trail[5:]
    assert all(r.policy_version == 1 for r in cancel_records)
    assert all(r.actor == "agent:alex" and r.channel == "phone" for r in cancel_records)
    assert all(r.occurred_at == MONDAY for r in trail)
    decided = trail[5].data
    assert decided["rule_number"] == 2
    assert decided["eligible"] is True
    assert trail[6].data["request_id"] == request_id
    assert trail[8].data["kind"] == EmailKind.CANCELLATION_NOTICE.value


def test_without_a_reason_the_feed_comment_says_homeowner_request(world: World) -> None:
    job = world.add()
    request_id = file_verified_request(world, job.id)
    cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
    [comment] = world.store.feed_of(job.homeowner.id)
    assert comment.body.endswith("Reason: homeowner request")


@pytest.mark.parametrize(
    ("installer_signed", "sales_rep_signed", "cc"),
    [
        (False, False, ()),
        (True, False, ("ops@sunny.example",)),
        (False, True, ("sam@sales.example",)),
        (True, True, ("ops@sunny.example", "sam@sales.example")),
    ],
)
def test_the_notice_goes_to_the_homeowner_and_cc_only_the_other_signers(
    world: World, installer_signed: bool, sales_rep_signed: bool, cc: tuple[str, ...]
) -> None:
    job = world.add(installer_signed=installer_signed, sales_rep_signed=sales_rep_signed)
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    [notice] = world.store.emails(EmailKind.CANCELLATION_NOTICE)
    assert notice.email.recipients.to == (job.homeowner.email,)
    assert notice.email.recipients.cc == cc


def test_an_unverified_request_is_refused_and_nothing_changes(world: World) -> None:
    job = world.add()
    request_id = phone_request(world, job.id)
    attach_statement(
        world.ctx,
        request_id,
        WrittenStatement(kind=StatementKind.EMAIL, content="cancel"),
        actor=actor("agent:alex"),
    )
    outbox_before = world.store.emails()

    with pytest.raises(NotVerified):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert world.store.job(job.id).status is JobStatus.ACTIVE
    assert world.store.emails() == outbox_before
    assert world.store.feed_of(job.homeowner.id) == []
    assert world.store.request(request_id).outcome is Outcome.OPEN
    assert "workflow_cancel_pending" not in world.store.kinds(job.id)


def test_a_request_from_the_installer_cannot_cancel_through_the_support_procedure(
    world: World,
) -> None:
    job = world.add()
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.INSTALLER,
            requester_name="Sunny Roofs",
            statement=WrittenStatement(kind=StatementKind.EMAIL, content="the HO wants out"),
        ),
        actor=actor("agent:alex"),
    )
    with pytest.raises(NotVerified):
        cancel_workflow(world.ctx, request.id, actor=actor("agent:alex"))
    assert world.store.job(job.id).status is JobStatus.ACTIVE


def test_a_verified_request_without_a_written_statement_is_refused(world: World) -> None:
    job = world.add()
    request_id = phone_request(world, job.id)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    confirm_verification_code(
        world.ctx, request_id, code_from_outbox(world), actor=actor("agent:alex")
    )

    with pytest.raises(StatementMissing):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert world.store.job(job.id).status is JobStatus.ACTIVE
    assert world.store.emails(EmailKind.CANCELLATION_NOTICE) == []


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"partner_program": PartnerProgram.BEAM}, 1),
        ({"partner_program": PartnerProgram.CONCERT, "milestone": Milestone.M1A}, 1),
        ({"partner_program": PartnerProgram.CONCERT, "milestone": Milestone.M3}, 1),
        ({"milestone": Milestone.M2, "system_photos_uploaded": True}, 7),
        ({"milestone": Milestone.M3}, 8),
        ({"milestone": Milestone.M3, "product_model": ProductModel.DIRECT_PAY}, 8),
    ],
)
def test_an_ineligible_job_is_refused_with_its_rule_and_the_request_is_closed(
    world: World, overrides: dict[str, object], rule: int
) -> None:
    job = world.add(**overrides)
    request_id = file_verified_request(world, job.id)

    with pytest.raises(NotEligible) as refused:
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert refused.value.rule_number == rule
    assert refused.value.policy_version == 1
    assert f"rule {rule}" in refused.value.message
    request = world.store.request(request_id)
    assert request.outcome is Outcome.NOT_ELIGIBLE
    stored = world.store.job(job.id)
    assert stored.status is JobStatus.ACTIVE
    assert stored.version == job.version
    trail = world.store.trail(job.id)
    assert [r.kind for r in trail[-2:]] == ["eligibility_decided", "request_closed"]
    assert trail[-2].data["rule_number"] == rule
    assert trail[-2].data["eligible"] is False
    assert trail[-2].policy_version == 1
    assert world.store.emails(EmailKind.CANCELLATION_NOTICE) == []


def test_a_closed_request_cannot_be_run_again(world: World) -> None:
    job = world.add(milestone=Milestone.M3)
    request_id = file_verified_request(world, job.id)
    with pytest.raises(NotEligible):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
    with pytest.raises(NotAllowed, match="closed"):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))


def test_a_pending_m1_review_is_rejected_and_submitted_before_the_cancel(world: World) -> None:
    review = MilestoneReview(
        status=ReviewStatus.PENDING_REVIEW,
        items=[
            ReviewItem(id="RI-1", description="contract"),
            ReviewItem(id="RI-2", description="site survey", status=ReviewItemStatus.APPROVED),
        ],
    )
    job = world.add(review=review)

    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))

    stored = world.store.job(job.id)
    assert stored.review.status is ReviewStatus.REJECTED
    assert all(item.status is ReviewItemStatus.REJECTED for item in stored.review.items)
    kinds = world.store.kinds(job.id)
    start = kinds.index("eligibility_decided")
    assert kinds[start : start + 4] == [
        "eligibility_decided",
        "review_items_rejected",
        "review_submitted",
        "workflow_cancel_pending",
    ]
    rejected = world.store.trail(job.id)[start + 1]
    assert rejected.data["items"] == ["RI-1", "RI-2"]


def test_an_m1_review_that_is_not_pending_is_left_alone(world: World) -> None:
    job = world.add(review=MilestoneReview(status=ReviewStatus.APPROVED))
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    assert world.store.job(job.id).review.status is ReviewStatus.APPROVED
    assert "review_submitted" not in world.store.kinds(job.id)


def test_a_second_request_on_a_pending_job_is_told_the_date_and_changes_nothing(
    world: World,
) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    world.clock.advance(days=2)
    after_first = world.store.job(job.id)
    second = file_verified_request(world, job.id)

    result = cancel_workflow(world.ctx, second, actor=actor("agent:alex"))

    assert result.already_pending
    assert result.final_at == FINAL_AT
    assert "already cancel pending until the end of 2026-12-14" in result.message
    request = world.store.request(second)
    assert request.outcome is Outcome.ALREADY_PENDING
    assert request.outcome_detail == "pending until 2026-12-14"
    assert world.store.job(job.id) == after_first
    assert len(world.store.emails(EmailKind.CANCELLATION_NOTICE)) == 1
    assert len(world.store.feed_of(job.homeowner.id)) == 1
    assert world.store.kinds(job.id)[-3:] == [
        "eligibility_decided",
        "workflow_already_pending",
        "request_closed",
    ]


def test_restore_inside_the_window_makes_the_job_active_again(world: World) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    world.clock.set(FINAL_AT - timedelta(seconds=1))

    restored = restore_workflow(world.ctx, job.id, actor=actor("agent:alex"), why="HO changed mind")

    assert restored.status is JobStatus.ACTIVE
    stored = world.store.job(job.id)
    assert (stored.status, stored.final_at, stored.pending_since_at) == (
        JobStatus.ACTIVE,
        None,
        None,
    )
    assert world.store.kinds(job.id)[-3:] == [
        "workflow_restored",
        "feed_commented",
        "email_queued",
    ]
    assert world.store.trail(job.id)[-3].data["why"] == "HO changed mind"
    assert "HO changed mind" in world.store.feed_of(job.homeowner.id)[-1].body
    [notice] = world.store.emails(EmailKind.CANCELLATION_NOTICE)
    [withdrawn] = world.store.emails(EmailKind.WORKFLOW_RESTORED)
    assert withdrawn.email.recipients == notice.email.recipients
    assert withdrawn.email.context["why"] == "HO changed mind"


def test_a_restore_without_a_reason_is_refused_and_the_job_stays_pending(world: World) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))

    with pytest.raises(InvalidInput, match="say why"):
        restore_workflow(world.ctx, job.id, actor=actor("agent:alex"), why="   ")

    assert world.store.job(job.id).status is JobStatus.CANCEL_PENDING
    assert world.store.emails(EmailKind.WORKFLOW_RESTORED) == []


def test_restore_after_the_window_ended_is_refused_even_before_the_sweep_ran(
    world: World,
) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    world.clock.set(FINAL_AT)

    with pytest.raises(InvalidTransition, match="can no longer be restored"):
        restore_workflow(world.ctx, job.id, actor=actor("agent:alex"), why="changed mind")

    assert world.store.job(job.id).status is JobStatus.CANCEL_PENDING


def test_restoring_an_active_job_is_refused(world: World) -> None:
    job = world.add()
    with pytest.raises(InvalidTransition):
        restore_workflow(world.ctx, job.id, actor=actor("agent:alex"), why="changed mind")


def test_a_finally_cancelled_job_cannot_be_cancelled_again(world: World) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    world.clock.set(FINAL_AT + timedelta(hours=1))
    sweep(world.ctx)
    assert world.store.job(job.id).status is JobStatus.CANCELLED
    request_id = file_verified_request(world, job.id)

    with pytest.raises(InvalidTransition, match="already cancelled"):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert world.store.request(request_id).outcome is Outcome.OPEN


def test_a_window_that_ended_unswept_counts_as_cancelled_for_a_new_cancel(world: World) -> None:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    world.clock.set(FINAL_AT)
    request_id = file_verified_request(world, job.id)
    with pytest.raises(InvalidTransition):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
