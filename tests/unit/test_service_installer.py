"""The installer's side (the seeds' "Telegram Process")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rescind.domain.email import EmailKind
from rescind.domain.errors import InvalidInput, NotEligible, NotFound, WrittenRequestRequired
from rescind.domain.job import JobStatus, Milestone, Phase
from rescind.domain.request import CancelReason, Channel, Outcome, RequestDraft, RequesterRole
from rescind.services.installer import WRITTEN_REQUEST_REQUIRED, installer_cancel_workflow
from rescind.services.requests import file_request
from tests.fakes import World, actor

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def test_in_operations_the_installer_cancels_with_a_reason_that_reaches_the_feed(
    world: World,
) -> None:
    job = world.add()

    answer = installer_cancel_workflow(
        world.ctx,
        job.id,
        requester_name="Ivy Installer",
        reason=CancelReason.MILESTONE_AGED,
        actor=actor("installer:ivy", scope_id=job.installer.id),
    )

    assert answer.cancelled is not None
    assert answer.cancelled.final_at == FINAL_AT
    assert world.store.job(job.id).status is JobStatus.CANCEL_PENDING
    [comment] = world.store.feed_of(job.homeowner.id)
    assert "Milestone aged" in comment.body
    assert world.store.request(answer.request_id).outcome is Outcome.CANCEL_PENDING
    assert world.store.request(answer.request_id).reason is CancelReason.MILESTONE_AGED
    [notice] = world.store.emails(EmailKind.CANCELLATION_NOTICE)
    assert notice.email.context["reason"] == "Milestone aged"
    trail = world.store.trail(job.id)
    assert all(r.channel == "installer_portal" for r in trail)


def test_reason_other_puts_its_text_in_the_feed(world: World) -> None:
    job = world.add()
    installer_cancel_workflow(
        world.ctx,
        job.id,
        requester_name="Ivy",
        reason=CancelReason.OTHER,
        reason_text="Roof too small",
        actor=actor("installer:ivy", scope_id=job.installer.id),
    )
    [comment] = world.store.feed_of(job.homeowner.id)
    assert comment.body.endswith("Reason: Roof too small")


@pytest.mark.parametrize(("reason", "text"), [(CancelReason.OTHER, " "), (None, "")])
def test_a_missing_reason_or_other_without_text_is_refused(
    world: World, reason: CancelReason | None, text: str
) -> None:
    job = world.add()
    with pytest.raises(InvalidInput):
        installer_cancel_workflow(
            world.ctx,
            job.id,
            requester_name="Ivy",
            reason=reason,
            reason_text=text,
            actor=actor("installer:ivy", scope_id=job.installer.id),
        )
    assert world.store.job(job.id).status is JobStatus.ACTIVE
    assert world.store.tables.requests == {}


@pytest.mark.parametrize("phase", [Phase.SALES, Phase.INSTALLATION, Phase.COMPLETE])
def test_outside_operations_the_installer_is_told_a_written_request_is_required(
    world: World, phase: Phase
) -> None:
    job = world.add(phase=phase)

    with pytest.raises(WrittenRequestRequired) as refused:
        installer_cancel_workflow(
            world.ctx,
            job.id,
            requester_name="Ivy",
            reason=CancelReason.HOMEOWNER_REQUEST,
            actor=actor("installer:ivy", scope_id=job.installer.id),
        )

    assert refused.value.code == "written_request_required"
    assert refused.value.message == WRITTEN_REQUEST_REQUIRED
    assert "written cancellation request" in refused.value.message
    assert world.store.job(job.id).status is JobStatus.ACTIVE
    # The refusal is recorded before it is raised: the click's request, closed with its reason.
    closed = world.store.request(refused.value.cancellation_request_id)
    assert closed.outcome is Outcome.WRITTEN_REQUEST_REQUIRED
    [email] = world.store.emails(EmailKind.WRITTEN_REQUEST_REQUIRED)
    assert email.email.recipients.to == (job.installer.email,)


def test_an_installer_cannot_touch_another_companys_job(world: World) -> None:
    job = world.add()
    with pytest.raises(NotFound):
        installer_cancel_workflow(
            world.ctx,
            job.id,
            requester_name="Mallory",
            reason=CancelReason.MILESTONE_AGED,
            actor=actor("installer:mallory", scope_id="INST-OTHER"),
        )
    assert world.store.job(job.id).status is JobStatus.ACTIVE
    assert world.store.kinds(job.id) == []


def test_the_installer_button_still_obeys_the_eligibility_table(world: World) -> None:
    job = world.add(milestone=Milestone.M3)
    with pytest.raises(NotEligible) as refused:
        installer_cancel_workflow(
            world.ctx,
            job.id,
            requester_name="Ivy",
            reason=CancelReason.FAILED_QUALIFICATION,
            actor=actor("installer:ivy", scope_id=job.installer.id),
        )
    assert refused.value.rule_number == 8
    assert world.store.job(job.id).status is JobStatus.ACTIVE
    [request] = world.store.tables.requests.values()
    assert request.outcome is Outcome.NOT_ELIGIBLE


def test_the_button_ends_the_installers_open_request_instead_of_filing_a_second(
    world: World,
) -> None:
    job = world.add()
    ivy = actor("installer:ivy", scope_id=job.installer.id)
    told = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.INSTALLER_PORTAL,
            requester_role=RequesterRole.INSTALLER,
            requester_name="Ivy",
            homeowner_emailed=True,
        ),
        actor=ivy,
    )

    answer = installer_cancel_workflow(
        world.ctx, job.id, requester_name="Ivy", reason=CancelReason.MILESTONE_AGED, actor=ivy
    )

    assert answer.request_id == told.id
    closed = world.store.request(told.id)
    assert (closed.outcome, closed.reason) == (Outcome.CANCEL_PENDING, CancelReason.MILESTONE_AGED)
    assert [r.id for r in world.store.tables.requests.values() if r.job_id == job.id] == [told.id]
