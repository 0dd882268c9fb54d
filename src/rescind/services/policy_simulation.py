"""What a draft eligibility policy would change over the live jobs, before it is published.

The draft is validated exactly as publishing would (``DecisionTable.from_document``); the live
jobs are read grouped by the facts the table reads, so the pure decision function runs once
per distinct combination of facts. Nothing is written: the unit of work is never committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rescind.domain.access import Actor, Permission, require
from rescind.domain.eligibility import DecisionTable
from rescind.services.context import Context

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Flip:
    """Live jobs the draft decides by another rule than the current version does."""

    from_rule: int
    to_rule: int
    from_eligible: bool
    to_eligible: bool
    jobs: int
    open_requests: int
    sample_job_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Simulation:
    current: DecisionTable
    draft: DecisionTable
    live_jobs: int
    flips: list[Flip]

    @property
    def jobs_flipped(self) -> int:
        return sum(f.jobs for f in self.flips)

    @property
    def open_requests_affected(self) -> int:
        return sum(f.open_requests for f in self.flips)


def simulate_policy(
    ctx: Context,
    document: Mapping[str, object],
    *,
    actor: Actor,
    against_version: int | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> Simulation:
    """Compare the draft with the version in force now (or ``against_version``)."""
    require(actor, Permission.PUBLISH_POLICY)
    with ctx.uow() as uow:
        history = uow.policies.history()
        if against_version is None:
            current = history.in_force_at(ctx.now())
        else:
            current = history.version(against_version)
        draft = DecisionTable.from_document(
            document, version=history.latest().version + 1, effective_at=ctx.now()
        )
        groups = uow.jobs.live_fact_groups()
        tally: dict[tuple[int, int], list[int]] = {}
        facts_of: dict[tuple[int, int], list[dict[str, str | bool]]] = {}
        eligible: dict[tuple[int, int], tuple[bool, bool]] = {}
        for group in groups:
            before, after = current.decide_facts(group.facts), draft.decide_facts(group.facts)
            if (before.rule_number, before.eligible) == (after.rule_number, after.eligible):
                continue
            key = (before.rule_number, after.rule_number)
            counts = tally.setdefault(key, [0, 0])
            counts[0] += group.jobs
            counts[1] += group.open_requests
            facts_of.setdefault(key, []).append(group.facts)
            eligible[key] = (before.eligible, after.eligible)
        flips = []
        for key in sorted(tally):
            sample: list[str] = []
            for facts in facts_of[key]:
                sample.extend(uow.jobs.live_ids_with_facts(facts, sample_size))
            flips.append(
                Flip(
                    from_rule=key[0],
                    to_rule=key[1],
                    from_eligible=eligible[key][0],
                    to_eligible=eligible[key][1],
                    jobs=tally[key][0],
                    open_requests=tally[key][1],
                    sample_job_ids=sorted(sample)[:sample_size],
                )
            )
        # Read only: leaving the block rolls back, so not even a lock outlives the simulation.
    return Simulation(
        current=current, draft=draft, live_jobs=sum(g.jobs for g in groups), flips=flips
    )
