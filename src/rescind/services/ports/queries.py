"""What a search for jobs asks, and the facts the job list groups by."""

from __future__ import annotations

from dataclasses import dataclass

from rescind.domain.access import EVERY_JOB, JobScope
from rescind.domain.job import (
    JobStatus,
    Milestone,
    PartnerProgram,
    ProductModel,
)


@dataclass(frozen=True)
class JobQuery:
    """Filters for listing jobs; ``None`` means any. Pages by id (keyset): pass the last id seen."""

    status: JobStatus | None = None
    milestone: Milestone | None = None
    product_model: ProductModel | None = None
    partner_program: PartnerProgram | None = None
    installer_id: str | None = None
    scope: JobScope = EVERY_JOB  # only the jobs the reader may see
    text: str | None = None  # read by ``domain/search.py``: a job id, name, email or phone
    after_id: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class FactGroup:
    """Live jobs sharing one set of eligibility facts: how many, and their open requests."""

    facts: dict[str, str | bool]
    jobs: int
    open_requests: int
