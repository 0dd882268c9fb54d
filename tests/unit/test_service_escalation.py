"""Direct Pay M1B with the invoice uploaded: a Deal Processing case instead of a cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rescind.domain.authority import Authority
from rescind.domain.case import AssignmentStatus, CaseStatus, Queue
from rescind.domain.email import EmailKind
from rescind.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    NotVerified,
)
from rescind.domain.job import JobStatus, Milestone
from rescind.domain.request import (
    APPROVED_WAITING,
    Channel,
    Outcome,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.cancellation import cancel_workflow
from rescind.services.escalation import (
    approve_escalation,
    deny_escalation,
    escalate_to_deal_processing,
    reassign_case,
)
from rescind.services.requests import attach_statement, file_request
from rescind.services.verification import verify_by_address_on_file
from tests.fakes import World, actor, file_verified_request

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def m1b_with_invoice(world: World) -> str:
    return world.add(milestone=Milestone.M1B, invoice_uploaded=True).id


def escalated(world: World, role: RequesterRole = RequesterRole.HOMEOWNER) -> tuple[str, str]:
    job_id = m1b_with_invoice(world)
    if role is RequesterRole.HOMEOWNER:
        request_id = file_verified_request(world, job_id)
    else:
        request_id = file_request(
            world.ctx,
            RequestDraft(
                job_id=job_id, channel=Channel.PHONE, requester_role=role, requester_name="Someone"
            ),
            actor=actor("agent:alex"),
        ).id
    case = escalate_to_deal_processing(world.ctx, request_id, actor=actor("agent:alex"))
    return request_id, case.id


def verify_and_attach(world: World, request_id: str) -> None:
    """The agent completes step 2: the email from the address on file, and the statement."""
    job = world.store.job(world.store.request(request_id).job_id)
    agent = actor("agent:alex")
    verify_by_address_on_file(
        world.ctx, request_id, sender=job.homeowner.email, authenticated=True, actor=agent
    )
    attach_statement(
        world.ctx,
        request_id,
        WrittenStatement(
            kind=StatementKind.EMAIL, content="Cancel it.", from_address=job.homeowner.email
        ),
        actor=agent,
    )


def test_support_may_not_cancel_m1b_with_an_invoice_and_the_request_stays_open(
    world: World,
) -> None:
    job_id = m1b_with_invoice(world)
    request_id = file_verified_request(world, job_id)

    with pytest.raises(NotEligible, match="Deal Processing") as refused:
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert refused.value.rule_number == 5
    assert world.store.request(request_id).outcome is Outcome.OPEN
    assert world.store.job(job_id).status is JobStatus.ACTIVE
    assert world.store.kinds(job_id)[-1] == "eligibility_decided"


@pytest.mark.parametrize(
    "role", [RequesterRole.HOMEOWNER, RequesterRole.SALES_REP, RequesterRole.INSTALLER]
)
def test_escalating_opens_a_case_saying_who_asked_assigned_to_dp_in_the_back_office_queue(
    world: World, role: RequesterRole
) -> None:
    request_id, case_id = escalated(world, role)

    case = world.store.case(case_id)
    assert case.requested_by is role
    assert case.request_id == request_id
    assert case.queue is Queue.BACK_OFFICE
    assert [(a.team, a.status) for a in case.assignments] == [
        (Queue.DEAL_PROCESSING, AssignmentStatus.OPEN)
    ]
    assert role.value.replace("_", " ") in case.description
    assert world.store.request(request_id).outcome is Outcome.ESCALATED
    kinds = world.store.kinds(case.job_id)
    assert kinds[-4:] == [
        "eligibility_decided",
        "case_opened",
        "case_reassigned",
        "request_escalated",
    ]


def test_escalating_the_same_request_twice_is_refused(world: World) -> None:
    request_id, _ = escalated(world)
    with pytest.raises(NotAllowed, match="already escalated"):
        escalate_to_deal_processing(world.ctx, request_id, actor=actor("agent:alex"))


def test_a_job_that_is_not_rule_5_cannot_be_escalated(world: World) -> None:
    job = world.add(milestone=Milestone.M1B, invoice_uploaded=False)
    request_id = file_verified_request(world, job.id)
    with pytest.raises(NotAllowed, match="not a Deal Processing case"):
        escalate_to_deal_processing(world.ctx, request_id, actor=actor("agent:alex"))
    assert world.store.tables.cases == {}


def test_dp_approval_of_a_verified_request_puts_the_job_in_cancel_pending_and_tells_the_requester(
    world: World,
) -> None:
    request_id, case_id = escalated(world, RequesterRole.HOMEOWNER)

    approval = approve_escalation(world.ctx, case_id, actor=actor("dp:dana"), note="paid off")

    assert approval.case.status is CaseStatus.APPROVED
    assert approval.cancelled is not None
    assert approval.cancelled.final_at == FINAL_AT
    assert approval.cancelled.authority is Authority.DEAL_PROCESSING_APPROVAL
    job = world.store.job(approval.case.job_id)
    assert job.status is JobStatus.CANCEL_PENDING
    assert world.store.request(request_id).outcome is Outcome.CANCEL_PENDING
    stored_case = world.store.case(case_id)
    assert stored_case.status is CaseStatus.APPROVED
    assert all(a.status is AssignmentStatus.DONE for a in stored_case.assignments)
    [decision] = world.store.emails(EmailKind.DP_DECISION)
    assert decision.email.recipients.to == (job.homeowner.email,)
    assert decision.email.context["approved"] is True
    assert decision.email.context["cancelled"] is True
    [notice] = world.store.emails(EmailKind.CANCELLATION_NOTICE)
    assert notice.email.recipients.to == (job.homeowner.email,)
    [comment] = world.store.feed_of(job.homeowner.id)
    assert "Deal Processing approved" in comment.body
    kinds = world.store.kinds(job.id)
    assert kinds.index("case_approved") < kinds.index("workflow_cancel_pending")
    assert kinds.index("workflow_cancel_pending") < kinds.index("request_closed")


def test_dp_approval_of_a_sales_reps_request_leaves_the_job_alone_and_marks_the_request(
    world: World,
) -> None:
    request_id, case_id = escalated(world, RequesterRole.SALES_REP)
    job_before = world.store.job(world.store.case(case_id).job_id)

    approval = approve_escalation(world.ctx, case_id, actor=actor("dp:dana"))

    assert approval.cancelled is None
    assert world.store.job(job_before.id) == job_before
    request = world.store.request(request_id)
    assert (request.outcome, request.approved_by_case_id) == (Outcome.ESCALATED, case_id)
    assert request.approval_note == APPROVED_WAITING
    [decision] = world.store.emails(EmailKind.DP_DECISION)
    assert decision.email.recipients.to == (job_before.sales_rep.email,)
    assert decision.email.context["cancelled"] is False
    assert world.store.emails(EmailKind.CANCELLATION_NOTICE) == []
    assert world.store.kinds(job_before.id)[-3:] == [
        "case_approved",
        "request_approved",
        "email_queued",
    ]
    with pytest.raises(NotVerified):
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))


def test_an_approval_stands_in_for_rule_5_only_not_for_a_stop_rule_reached_later(
    world: World,
) -> None:
    request_id = file_request(
        world.ctx,
        RequestDraft(
            job_id=m1b_with_invoice(world),
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Hana",
        ),
        actor=actor("agent:alex"),
    ).id
    case = escalate_to_deal_processing(world.ctx, request_id, actor=actor("agent:alex"))
    approve_escalation(world.ctx, case.id, actor=actor("dp:dana"))
    # Meanwhile the job moved on to M3 (rule 8): nothing may cancel it now.
    world.store.tables.jobs[case.job_id].milestone = Milestone.M3
    verify_and_attach(world, request_id)

    with pytest.raises(NotEligible) as refused:
        cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))

    assert refused.value.rule_number == 8
    assert world.store.job(case.job_id).status is JobStatus.ACTIVE
    assert world.store.request(request_id).outcome is Outcome.NOT_ELIGIBLE
    assert world.store.kinds(case.job_id)[-1] == "request_closed"


def test_a_request_closed_meanwhile_ends_its_case_so_a_late_denial_is_refused(
    world: World,
) -> None:
    request_id, case_id = escalated(world)
    job_id = world.store.case(case_id).job_id
    # The invoice was withdrawn (rule 4): support cancels the escalated request itself.
    world.store.tables.jobs[job_id].invoice_uploaded = False
    cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
    assert world.store.case(case_id).status is CaseStatus.CLOSED

    with pytest.raises(InvalidTransition, match="already closed"):
        deny_escalation(world.ctx, case_id, actor=actor("dp:dana"), reason="invoice stands")

    assert world.store.request(request_id).outcome is Outcome.CANCEL_PENDING
    assert world.store.job(job_id).status is JobStatus.CANCEL_PENDING


def test_dp_denial_leaves_the_job_alone_and_tells_the_requester_why(world: World) -> None:
    request_id, case_id = escalated(world)
    job_before = world.store.job(world.store.case(case_id).job_id)

    case = deny_escalation(
        world.ctx, case_id, actor=actor("dp:dana"), reason="Invoice already paid out"
    )

    assert case.status is CaseStatus.DENIED
    assert world.store.job(case.job_id) == job_before
    request = world.store.request(request_id)
    assert request.outcome is Outcome.DENIED
    assert "Invoice already paid out" in request.outcome_detail
    [decision] = world.store.emails(EmailKind.DP_DECISION)
    assert decision.email.recipients.to == (job_before.homeowner.email,)
    assert decision.email.context["approved"] is False
    assert decision.email.context["reason"] == "Invoice already paid out"
    assert world.store.emails(EmailKind.CANCELLATION_NOTICE) == []


def test_a_denial_without_a_reason_is_refused(world: World) -> None:
    _, case_id = escalated(world)
    with pytest.raises(InvalidInput):
        deny_escalation(world.ctx, case_id, actor=actor("dp:dana"), reason="  ")
    assert world.store.case(case_id).status is CaseStatus.OPEN
    assert world.store.emails(EmailKind.DP_DECISION) == []


def test_approving_twice_is_refused(world: World) -> None:
    _, case_id = escalated(world)
    approve_escalation(world.ctx, case_id, actor=actor("dp:dana"))
    with pytest.raises(InvalidTransition):
        approve_escalation(world.ctx, case_id, actor=actor("dp:dana"))
    assert len(world.store.emails(EmailKind.DP_DECISION)) == 1


def test_denying_an_approved_case_is_refused(world: World) -> None:
    _, case_id = escalated(world)
    approve_escalation(world.ctx, case_id, actor=actor("dp:dana"))
    with pytest.raises(InvalidTransition):
        deny_escalation(world.ctx, case_id, actor=actor("dp:dana"), reason="changed our minds")


def test_back_office_can_reassign_an_open_case(world: World) -> None:
    _, case_id = escalated(world)
    case = reassign_case(world.ctx, case_id, Queue.DEAL_PROCESSING, actor=actor("bo:bea"))
    assert case.queue is Queue.DEAL_PROCESSING
    assert world.store.case(case_id).queue is Queue.DEAL_PROCESSING
    assert world.store.kinds(case.job_id)[-1] == "case_reassigned"
