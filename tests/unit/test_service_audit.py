"""Checking the whole trail after a full procedure, and catching tampering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.access import Actor, Role
from rescind.domain.audit import job_stream
from rescind.domain.errors import Forbidden
from rescind.services.audit import job_trail, verify_trail
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.feed import comment_on_feed, read_feed
from rescind.services.queries import job_overview
from rescind.services.sweep import sweep
from tests.fakes import World, actor, file_verified_request

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    world = World.start(NOW)
    restored = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, restored.id), actor=actor("agent:alex"))
    restore_workflow(world.ctx, restored.id, actor=actor("agent:alex"), why="changed mind")
    swept = world.add(installer_signed=True)
    cancel_workflow(world.ctx, file_verified_request(world, swept.id), actor=actor("agent:alex"))
    world.clock.advance(timedelta(days=30))
    sweep(world.ctx)
    return world


def test_the_trail_is_clean_after_a_full_procedure(world: World) -> None:
    check = verify_trail(world.ctx, actor=actor("system:test"))
    assert check.ok, check.problems
    assert check.streams == 3  # two jobs and the system stream
    assert check.records == sum(len(records) for records in world.store.tables.audit.values())


def test_a_changed_record_is_reported(world: World) -> None:
    stream = job_stream(sorted(world.store.tables.jobs)[0])
    records = list(world.store.tables.audit[stream])
    records[2] = replace(records[2], data={**records[2].data, "reason": "forged"})
    world.store.tables.audit[stream] = tuple(records)

    check = verify_trail(world.ctx, actor=actor("system:test"))

    assert not check.ok
    assert check.problems == [f"{stream}: record 3 was changed after it was written"]


def test_a_removed_record_and_a_removed_tail_are_reported(world: World) -> None:
    first, second = sorted(s for s in world.store.tables.audit if s.startswith("job:"))
    middle = list(world.store.tables.audit[first])
    del middle[1]
    world.store.tables.audit[first] = tuple(middle)
    world.store.tables.audit[second] = world.store.tables.audit[second][:-1]

    problems = verify_trail(world.ctx, actor=actor("system:test")).problems

    assert any(p.startswith(f"{first}: record 2 is missing") for p in problems)
    assert any(p.startswith(f"{second}: the head says record") for p in problems)


def test_job_trail_and_overview_show_what_happened(world: World) -> None:
    job_id = list(world.store.tables.jobs)[-1]  # the one added last (ids sort as text)
    trail = job_trail(world.ctx, job_id, actor=actor("agent:alex"))
    assert trail[-2].kind == "workflow_cancelled"
    overview = job_overview(world.ctx, job_id, actor=actor("agent:alex"))
    assert overview.status.value == "cancelled"
    assert overview.final_date is not None
    assert overview.final_date.isoformat() == "2026-12-14"
    assert len(overview.requests) == 1
    assert overview.decision.rule_number == 2


def test_a_person_can_comment_on_the_feed_and_read_it_back(world: World) -> None:
    job_id = sorted(world.store.tables.jobs)[0]
    comment = comment_on_feed(
        world.ctx, job_id, "  Called the HO back.  ", actor=actor("agent:alex")
    )
    assert comment.body == "Called the HO back."
    assert not comment.automatic
    assert read_feed(world.ctx, job_id, actor=actor("agent:alex")).items[-1] == comment
    assert world.store.kinds(job_id)[-1] == "feed_commented"


def test_the_overview_carries_the_trail_only_for_a_reader_who_may_read_audit(
    world: World,
) -> None:
    job_id = sorted(world.store.tables.jobs)[-1]
    agent = job_overview(world.ctx, job_id, actor=actor("agent:alex"))
    assert [r.kind for r in agent.trail][-2] == "workflow_cancelled"
    # The installer reads the job (its company's) but not the audit trail, as at /audit.
    installer = Actor(id="installer:ines", role=Role.INSTALLER, scope_id="INST-1")
    assert job_overview(world.ctx, job_id, actor=installer).trail == []
    with pytest.raises(Forbidden):
        job_trail(world.ctx, job_id, actor=installer)
