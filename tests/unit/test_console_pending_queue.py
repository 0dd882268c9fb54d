"""The console's Cancel Pending queue: the soonest final first, across every pending job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rescind.services.cancellation import cancel_workflow
from rescind.services.console_queries import pending_jobs
from tests.fakes import World, actor, file_verified_request

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
AGENT = actor("agent:alex")


def test_a_short_pending_queue_shows_the_soonest_final_even_when_its_job_id_sorts_last() -> None:
    world = World.start(MONDAY)
    later, sooner = world.add(id="JOB-000001").id, world.add(id="JOB-000009").id
    cancel_workflow(world.ctx, file_verified_request(world, sooner), actor=AGENT)
    world.clock.advance(timedelta(days=2))
    cancel_workflow(world.ctx, file_verified_request(world, later), actor=AGENT)

    shown = pending_jobs(world.ctx, actor=AGENT, limit=1)
    everything = pending_jobs(world.ctx, actor=AGENT)

    assert [v.job.id for v in shown] == [sooner]
    assert [v.job.id for v in everything] == [sooner, later]
