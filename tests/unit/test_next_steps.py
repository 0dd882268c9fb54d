"""The request page's answers (``request_steps``) are what the services do: for any request
state and any person, an action the steps allow is not refused by its service for any of the
steps' reasons, and an action they refuse is refused by the service with the same error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescind.domain.access import Actor, Role
from rescind.domain.errors import RescindError, VerificationFailed
from rescind.domain.job import JobStatus, Milestone, PartnerProgram, ProductModel
from rescind.domain.next_steps import RequestSteps, request_steps
from rescind.domain.request import (
    Channel,
    CloseReason,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.closing import close_with_reason
from rescind.services.eligibility import policy_in_force
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.requests import attach_statement, file_request
from rescind.services.verification import (
    confirm_verification_code,
    send_verification_code,
    verify_by_address_on_file,
)
from tests.fakes import World

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
SYSTEM = Actor.system("tests")
KINDS: dict[str, dict[str, Any]] = {
    "eligible": {},
    "escalate": {
        "product_model": ProductModel.DIRECT_PAY,
        "milestone": Milestone.M1B,
        "invoice_uploaded": True,
    },
    "stop": {"milestone": Milestone.M2, "partner_program": PartnerProgram.BEAM},
}
WINDOWS: dict[str, dict[str, Any]] = {
    "active": {},
    "pending": {
        "status": JobStatus.CANCEL_PENDING,
        "pending_since_at": NOW - timedelta(days=2),
        "final_at": NOW + timedelta(days=12),
    },
    "ended": {  # the window is over, before the sweep writes "cancelled"
        "status": JobStatus.CANCEL_PENDING,
        "pending_since_at": NOW - timedelta(days=30),
        "final_at": NOW - timedelta(days=2),
    },
}


@dataclass(frozen=True)
class State:
    kind: str
    window: str
    requester: RequesterRole
    verified: bool
    statement: bool
    escalated: bool
    closed: bool
    role: Role


states = st.builds(
    State,
    kind=st.sampled_from(sorted(KINDS)),
    window=st.sampled_from(sorted(WINDOWS)),
    requester=st.sampled_from(list(RequesterRole)),
    verified=st.booleans(),
    statement=st.booleans(),
    escalated=st.booleans(),
    closed=st.booleans(),
    role=st.sampled_from([r for r in Role if r is not Role.SYSTEM]),
)


def build(state: State) -> tuple[World, str, Actor]:
    """A fresh world holding the state's job and request; the request id and the person."""
    world = World.start(NOW)
    job = world.add(**KINDS[state.kind], **WINDOWS[state.window])
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.EMAIL,
            requester_role=state.requester,
            requester_name="Someone",
            statement=WrittenStatement(kind=StatementKind.EMAIL, content="Cancel it, please.")
            if state.statement
            else None,
        ),
        actor=SYSTEM,
    )
    if state.verified and state.requester is RequesterRole.HOMEOWNER:
        verify_by_address_on_file(
            world.ctx, request.id, sender=job.homeowner.email, authenticated=True, actor=SYSTEM
        )
    if state.escalated and state.kind == "escalate":
        escalate_to_deal_processing(world.ctx, request.id, actor=SYSTEM)
    if state.closed:
        close_with_reason(world.ctx, request.id, CloseReason.WITHDRAWN, actor=SYSTEM)
    scope = {
        Role.INSTALLER: job.installer.id,
        Role.SALES_REP: job.sales_rep.id,
        Role.HOMEOWNER: job.homeowner.id,
    }.get(state.role)
    return (
        world,
        request.id,
        Actor(id=f"{state.role.value}:someone", role=state.role, scope_id=scope),
    )


def steps_of(world: World, request_id: str, actor: Actor) -> RequestSteps:
    with world.ctx.uow() as uow:
        request = uow.requests.get(request_id)
        job = uow.jobs.get(request.job_id)
        decision = policy_in_force(uow, NOW).decide(job)
        cases = uow.cases.for_job(job.id)
    return request_steps(actor, request, job, decision, cases, NOW)


Act = Callable[[World, str, Actor], object]


def _job_id(world: World, request_id: str) -> str:
    with world.ctx.uow() as uow:
        return uow.requests.get(request_id).job_id


def _verify(world: World, request_id: str, actor: Actor) -> object:
    email = world.store.job(_job_id(world, request_id)).homeowner.email
    return verify_by_address_on_file(
        world.ctx, request_id, sender=email, authenticated=True, actor=actor
    )


ACTIONS: dict[str, Act] = {
    "send_code": lambda w, r, a: send_verification_code(w.ctx, r, actor=a),
    "confirm_code": lambda w, r, a: confirm_verification_code(w.ctx, r, "0000", actor=a),
    "verify_address": _verify,
    "attach_statement": lambda w, r, a: attach_statement(
        w.ctx, r, WrittenStatement(kind=StatementKind.EMAIL, content="I cancel."), actor=a
    ),
    "cancel": lambda w, r, a: cancel_workflow(w.ctx, r, actor=a),
    "escalate": lambda w, r, a: escalate_to_deal_processing(w.ctx, r, actor=a),
    "restore": lambda w, r, a: restore_workflow(
        w.ctx, _job_id(w, r), actor=a, why="The homeowner changed their mind."
    ),
    "close": lambda w, r, a: close_with_reason(w.ctx, r, CloseReason.WITHDRAWN, actor=a),
}
# What an allowed action may still meet: only the code read back can be wrong.
INPUT_ERRORS: dict[str, tuple[type[RescindError], ...]] = {"confirm_code": (VerificationFailed,)}


def test_every_action_the_request_page_offers_has_a_service_to_compare_with() -> None:
    assert set(ACTIONS) == {f.name for f in fields(RequestSteps)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states)
def test_the_steps_answer_is_what_the_service_does(state: State) -> None:
    for action, act in ACTIONS.items():
        world, request_id, actor = build(state)  # afresh: each action on the same state
        step = getattr(steps_of(world, request_id, actor), action)
        if step is None:
            try:
                act(world, request_id, actor)
            except INPUT_ERRORS.get(action, ()):
                pass
        else:
            with pytest.raises(type(step)) as raised:
                act(world, request_id, actor)
            assert raised.value.message == step.message, action
