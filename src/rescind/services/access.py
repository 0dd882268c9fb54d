"""Loading what a use case works on, already checked against who is asking.

A request or case belongs to its job: whoever may not see the job may not see them either,
and is told they do not exist, in the very words used for an id that does not exist.
"""

from __future__ import annotations

from rescind.domain.access import Actor, Permission, require
from rescind.domain.case import Case
from rescind.domain.errors import case_not_found, request_not_found
from rescind.domain.job import Job
from rescind.domain.request import CancellationRequest
from rescind.services.ports import UnitOfWork


def job_for(uow: UnitOfWork, job_id: str, actor: Actor, permission: Permission) -> Job:
    job = uow.jobs.get(job_id)
    require(actor, permission, job)
    return job


def request_for(
    uow: UnitOfWork, request_id: str, actor: Actor, permission: Permission
) -> tuple[CancellationRequest, Job]:
    request = uow.requests.get(request_id)
    job = uow.jobs.get(request.job_id)
    if not actor.sees(job):
        raise request_not_found(request_id)
    require(actor, permission, job)
    return request, job


def case_for(
    uow: UnitOfWork, case_id: str, actor: Actor, permission: Permission
) -> tuple[Case, Job]:
    case = uow.cases.get(case_id)
    job = uow.jobs.get(case.job_id)
    if not actor.sees(job):
        raise case_not_found(case_id)
    require(actor, permission, job)
    return case, job
