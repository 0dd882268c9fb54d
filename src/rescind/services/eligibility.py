"""Step 1 of the procedure: is this job eligible for cancellation by support?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditChannel, AuditContext, job_stream
from rescind.domain.eligibility import Decision, DecisionTable
from rescind.domain.events import Event, EventKind
from rescind.domain.job import Job
from rescind.services.access import job_for
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import record


def policy_in_force(uow: UnitOfWork, at: datetime) -> DecisionTable:
    return uow.policies.history().in_force_at(at)


def decide_and_record(
    uow: UnitOfWork, job: Job, *, actor: Actor, channel: AuditChannel, at: datetime
) -> tuple[Decision, AuditContext]:
    """Decide under the version in force now and write the decision to the job's trail.

    Returns the audit context carrying that policy version, for the steps that follow.
    """
    decision = policy_in_force(uow, at).decide(job)
    actx = AuditContext(
        actor=actor.id, at=at, channel=channel, policy_version=decision.policy_version
    )
    record(uow, job.id, actx, [Event(EventKind.ELIGIBILITY_DECIDED, decision.to_dict())])
    return decision, actx


def check_eligibility(
    ctx: Context, job_id: str, *, actor: Actor, channel: AuditChannel = AuditChannel.CONSOLE
) -> Decision:
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        decision, _ = decide_and_record(uow, job, actor=actor, channel=channel, at=ctx.now())
        uow.commit()
    return decision


@dataclass(frozen=True)
class Replay:
    decision: Decision
    at: datetime
    facts_recorded_at: datetime | None  # None: no decision was recorded by then; current facts


def replay_eligibility(ctx: Context, job_id: str, at: datetime, *, actor: Actor) -> Replay:
    """Decide again as of ``at``: the version then in force, on the facts last recorded by then.

    Without a recorded decision before ``at`` the job's current facts stand in, and the
    replay says so (``facts_recorded_at`` is None).
    """
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        table = policy_in_force(uow, at)
        recorded = [
            r
            for r in uow.audit.records(job_stream(job_id))
            if r.kind == EventKind.ELIGIBILITY_DECIDED and r.occurred_at <= at
        ]
    if recorded:
        facts = recorded[-1].data.get("facts")
        if isinstance(facts, dict):
            return Replay(
                decision=table.decide_facts(
                    {k: v for k, v in facts.items() if isinstance(v, str | bool)}
                ),
                at=at,
                facts_recorded_at=recorded[-1].occurred_at,
            )
    return Replay(decision=table.decide(job), at=at, facts_recorded_at=None)
