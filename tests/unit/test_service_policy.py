"""Publishing versions of the decision table, and replaying past decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.audit import SYSTEM_STREAM
from rescind.domain.errors import InvalidInput, NotEligible
from rescind.domain.job import Milestone
from rescind.services.cancellation import cancel_workflow
from rescind.services.eligibility import check_eligibility, replay_eligibility
from rescind.services.policy import publish_policy, seed_policy
from tests.fakes import World, actor, file_verified_request, policy_v1_document

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
V2_AT = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(NOW)


def v2_document() -> dict[str, object]:
    """v1, except that M1A is no longer eligible."""
    doc = policy_v1_document()
    rules = doc["rules"]
    assert isinstance(rules, list)
    rule_3 = rules[2]
    assert rule_3["number"] == 3
    rule_3.update(eligible=False, action="stop", guidance="No longer cancellable at M1A.")
    return doc


def test_seeding_twice_keeps_version_1(world: World) -> None:
    assert not seed_policy(world.ctx, policy_v1_document())
    with world.ctx.uow() as uow:
        assert [t.version for t in uow.policies.history().tables] == [1]


def test_a_new_version_takes_effect_only_from_its_effective_moment(world: World) -> None:
    job = world.add(milestone=Milestone.M1A)

    table = publish_policy(world.ctx, v2_document(), effective_at=V2_AT, actor=actor("admin:ada"))

    assert table.version == 2
    published = world.store.tables.audit[SYSTEM_STREAM][-1]
    assert published.kind == "policy_published"
    assert published.policy_version == 2
    assert check_eligibility(world.ctx, job.id, actor=actor("agent:alex")).policy_version == 1
    world.clock.set(V2_AT)
    decision = check_eligibility(world.ctx, job.id, actor=actor("agent:alex"))
    assert (decision.policy_version, decision.rule_number, decision.eligible) == (2, 3, False)


def test_a_cancel_after_the_new_version_is_in_force_is_refused_under_it(world: World) -> None:
    job = world.add(milestone=Milestone.M1A)
    publish_policy(world.ctx, v2_document(), effective_at=V2_AT, actor=actor("admin:ada"))
    world.clock.set(V2_AT + timedelta(hours=1))
    with pytest.raises(NotEligible) as refused:
        cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    assert (refused.value.rule_number, refused.value.policy_version) == (3, 2)


def test_replay_uses_the_version_in_force_at_the_moment_asked(world: World) -> None:
    job = world.add(milestone=Milestone.M1A)
    publish_policy(world.ctx, v2_document(), effective_at=V2_AT, actor=actor("admin:ada"))
    world.clock.set(V2_AT + timedelta(days=1))

    before = replay_eligibility(
        world.ctx, job.id, V2_AT - timedelta(seconds=1), actor=actor("agent:alex")
    )
    after = replay_eligibility(world.ctx, job.id, V2_AT, actor=actor("agent:alex"))

    assert (before.decision.policy_version, before.decision.eligible) == (1, True)
    assert (after.decision.policy_version, after.decision.eligible) == (2, False)


def test_a_policy_cannot_take_effect_in_the_past(world: World) -> None:
    with pytest.raises(InvalidInput, match="past"):
        publish_policy(
            world.ctx,
            v2_document(),
            effective_at=NOW - timedelta(seconds=1),
            actor=actor("admin:ada"),
        )
    with world.ctx.uow() as uow:
        assert uow.policies.history().latest().version == 1


def test_a_policy_without_an_effective_moment_takes_effect_now(world: World) -> None:
    table = publish_policy(world.ctx, v2_document(), effective_at=None, actor=actor("admin:ada"))
    assert table.effective_at == NOW


def test_replay_decides_on_the_facts_recorded_then_not_on_todays(world: World) -> None:
    job = world.add(milestone=Milestone.M2, system_photos_uploaded=False)
    decided = check_eligibility(world.ctx, job.id, actor=actor("agent:alex"))
    assert (decided.rule_number, decided.eligible) == (6, True)
    world.clock.advance(hours=2)
    with world.ctx.uow() as uow:
        changed = uow.jobs.get(job.id)
        changed.system_photos_uploaded = True
        uow.jobs.save(changed)
        uow.commit()
    world.clock.advance(hours=2)

    replay = replay_eligibility(
        world.ctx, job.id, NOW + timedelta(hours=1), actor=actor("agent:alex")
    )

    assert replay.facts_recorded_at == NOW
    assert (replay.decision.rule_number, replay.decision.eligible) == (6, True)
    today = check_eligibility(world.ctx, job.id, actor=actor("agent:alex"))
    assert (today.rule_number, today.eligible) == (7, False)


def test_replay_before_any_recorded_decision_says_it_used_the_current_facts(
    world: World,
) -> None:
    job = world.add(milestone=Milestone.M3)
    replay = replay_eligibility(
        world.ctx, job.id, NOW - timedelta(days=30), actor=actor("agent:alex")
    )
    assert replay.facts_recorded_at is None
    assert replay.decision.rule_number == 8
