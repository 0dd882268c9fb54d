"""Jobs (Engine's "workflows") and the people around them.

A job's facts decide its eligibility; its status is moved only by ``workflow``.
Identifiers are the outside systems' own (text), so imports and replays keep them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import TypeVar

from rescind.domain.errors import InvalidInput


class ProductModel(StrEnum):
    REGULAR = "regular"
    DIRECT_PAY = "direct_pay"


class Milestone(StrEnum):
    M1 = "M1"
    M1A = "M1A"
    M1B = "M1B"
    M2 = "M2"
    M3 = "M3"


MILESTONES: dict[ProductModel, tuple[Milestone, ...]] = {
    ProductModel.REGULAR: (Milestone.M1, Milestone.M2, Milestone.M3),
    ProductModel.DIRECT_PAY: (Milestone.M1A, Milestone.M1B, Milestone.M2, Milestone.M3),
}


class ReviewStatus(StrEnum):
    NOT_SUBMITTED = "not_submitted"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewItemStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class PartnerProgram(StrEnum):
    NONE = "none"
    BEAM = "beam"
    CONCERT = "concert"


class Phase(StrEnum):
    SALES = "sales"
    OPERATIONS = "operations"
    INSTALLATION = "installation"
    COMPLETE = "complete"


class Language(StrEnum):
    """The language the homeowner reads: the self-service page and every email to them."""

    EN = "en"
    ES = "es"


class JobStatus(StrEnum):
    ACTIVE = "active"
    CANCEL_PENDING = "cancel_pending"
    CANCELLED = "cancelled"


E = TypeVar("E", bound=StrEnum)

# What a job id looks like: "JOB-" then capital letters and digits, at most 100 in all
# (Engine's "JOB-000123", "JOB-H14O"). Import refuses any other id and inbound mail reads
# exactly this shape (in any case) as a job reference, so every job imported can be named in
# an email and found.
JOB_ID_SHAPE = r"JOB-[A-Z0-9]{1,96}"
_JOB_ID = re.compile(JOB_ID_SHAPE)


@cache
def _members(kind: type[E]) -> dict[str, E]:
    return {member.value: member for member in kind}


def check_job_id(value: str) -> str:
    if not _JOB_ID.fullmatch(value):
        raise InvalidInput(
            f"job_id {value!r} is not a job id: JOB- then capital letters and digits, "
            "like JOB-000123 or JOB-H14O",
            field="job_id",
        )
    return value


def parse_enum(kind: type[E], value: str, *, field_name: str) -> E:
    """Turn user text into an enum member, or say which values are allowed."""
    # A dict lookup first: ``kind(value)`` costs ten times as much, six times an imported row.
    members: dict[str, E] = _members(kind)
    member = members.get(value.strip())
    if member is not None:
        return member
    try:
        return kind(value.strip())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(
            f"{field_name} {value!r} is not one of: {allowed}", field=field_name
        ) from None


@dataclass(frozen=True)
class Homeowner:
    id: str
    name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class InstallerCompany:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class SalesRep:
    id: str
    name: str
    email: str


@dataclass
class ReviewItem:
    id: str
    description: str
    status: ReviewItemStatus = ReviewItemStatus.OPEN


@dataclass
class MilestoneReview:
    status: ReviewStatus = ReviewStatus.NOT_SUBMITTED
    items: list[ReviewItem] = field(default_factory=list)


@dataclass
class Job:
    id: str
    homeowner: Homeowner
    installer: InstallerCompany
    sales_rep: SalesRep
    product_model: ProductModel
    milestone: Milestone
    contract_signed_date: date
    review: MilestoneReview = field(default_factory=MilestoneReview)
    invoice_uploaded: bool = False
    system_photos_uploaded: bool = False
    partner_program: PartnerProgram = PartnerProgram.NONE
    installer_signed: bool = False
    sales_rep_signed: bool = False
    phase: Phase = Phase.OPERATIONS
    status: JobStatus = JobStatus.ACTIVE
    # Set while cancel_pending: when the window started, when it becomes final, and the
    # calendar revision that final moment was computed with (so a holiday change can
    # recompute exactly the windows it affects).
    pending_since_at: datetime | None = None
    final_at: datetime | None = None
    calendar_version: int | None = None
    cancelled_at: datetime | None = None
    language: Language = Language.EN  # the homeowner's (imported, or chosen on /cancel)
    # Optimistic concurrency: storage refuses a write whose version is stale.
    version: int = 0

    def __post_init__(self) -> None:
        if self.milestone not in MILESTONES[self.product_model]:
            allowed = ", ".join(MILESTONES[self.product_model])
            raise InvalidInput(
                f"milestone {self.milestone} does not exist for the {self.product_model} "
                f"product model (use one of: {allowed})",
                field="milestone",
            )

    def facts(self) -> dict[str, str | bool]:
        """The facts the eligibility table may test, by name."""
        return {
            "product_model": self.product_model.value,
            "milestone": self.milestone.value,
            "review_status": self.review.status.value,
            "invoice_uploaded": self.invoice_uploaded,
            "system_photos_uploaded": self.system_photos_uploaded,
            "partner_program": self.partner_program.value,
            "phase": self.phase.value,
        }
