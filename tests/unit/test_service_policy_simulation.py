"""A draft policy's what-if over the live jobs, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rescind.domain.errors import Forbidden, PolicyError
from rescind.domain.job import JobStatus, Milestone
from rescind.services.policy_simulation import simulate_policy
from tests.fakes import World, actor, file_verified_request, policy_v1_document

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ADMIN = actor("admin:ada")


def m1a_not_eligible() -> dict[str, object]:
    doc = policy_v1_document()
    rules = doc["rules"]
    assert isinstance(rules, list)
    rules[2].update(eligible=False, action="stop", guidance="No longer cancellable at M1A.")
    return doc


def test_a_draft_that_stops_m1a_flips_only_the_live_m1a_jobs_and_counts_their_open_requests() -> (
    None
):
    world = World.start(NOW)
    m1a = [world.add(milestone=Milestone.M1A) for _ in range(7)]
    world.add(milestone=Milestone.M1A, status=JobStatus.CANCELLED)
    world.add(milestone=Milestone.M1)
    file_verified_request(world, m1a[0].id)

    result = simulate_policy(world.ctx, m1a_not_eligible(), actor=ADMIN)

    assert result.live_jobs == 8
    assert result.current.version == 1
    assert result.draft.version == 2
    [flip] = result.flips
    assert (flip.from_rule, flip.to_rule, flip.from_eligible, flip.to_eligible) == (
        3,
        3,
        True,
        False,
    )
    assert flip.jobs == 7
    assert flip.open_requests == 1
    assert flip.sample_job_ids == sorted(j.id for j in m1a)[:5]
    assert result.jobs_flipped == 7


def test_the_published_table_itself_as_a_draft_flips_nothing() -> None:
    world = World.start(NOW)
    world.add(milestone=Milestone.M2)
    result = simulate_policy(world.ctx, policy_v1_document(), actor=ADMIN)
    assert result.flips == []
    assert result.live_jobs == 1


def test_simulating_writes_nothing_to_the_audit_or_the_policies() -> None:
    world = World.start(NOW)
    world.add(milestone=Milestone.M1A)
    with world.ctx.uow() as uow:
        before = (len(uow.policies.history().tables), list(uow.audit.streams()))
    simulate_policy(world.ctx, m1a_not_eligible(), actor=ADMIN)
    with world.ctx.uow() as uow:
        assert (len(uow.policies.history().tables), list(uow.audit.streams())) == before


def test_a_draft_that_could_not_be_published_is_refused_with_the_same_reason() -> None:
    world = World.start(NOW)
    doc = policy_v1_document()
    rules = doc["rules"]
    assert isinstance(rules, list)
    del rules[-1]
    with pytest.raises(PolicyError, match="incomplete"):
        simulate_policy(world.ctx, doc, actor=ADMIN)


def test_an_agent_may_not_simulate_a_policy() -> None:
    world = World.start(NOW)
    with pytest.raises(Forbidden):
        simulate_policy(world.ctx, policy_v1_document(), actor=actor("agent:alex"))
