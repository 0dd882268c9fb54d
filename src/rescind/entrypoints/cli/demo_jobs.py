"""A realistic, reproducible set of demo jobs.

The first jobs walk through every combination that changes the procedure — product model ×
milestone × partner program × signers × the flags that matter at M1/M1B/M2 — so every rule
of the table and every CC combination appears; the rest are drawn at random, weighted like
a real book of business (most jobs early, few with a partner program).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from rescind.domain.job import (
    MILESTONES,
    Homeowner,
    InstallerCompany,
    Job,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewItem,
    ReviewStatus,
    SalesRep,
)

FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kara",
    "Luis",
    "Mei",
    "Noah",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
]
LAST = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Miller",
    "Nguyen",
    "Okafor",
    "Patel",
    "Reyes",
    "Smith",
]
INSTALLERS = [
    ("INST-SUNRISE", "Sunrise Solar Installers", "ops@sunrise-solar.example"),
    ("INST-BRIGHT", "BrightPath Energy", "jobs@brightpath.example"),
    ("INST-HELIO", "Helio Home Power", "service@heliohome.example"),
    ("INST-CEDAR", "Cedar Roof & Solar", "office@cedarsolar.example"),
]
REPS = [
    ("REP-001", "Morgan Lee", "morgan.lee@sales.example"),
    ("REP-002", "Taylor Brooks", "taylor.brooks@sales.example"),
    ("REP-003", "Jordan Diaz", "jordan.diaz@sales.example"),
    ("REP-004", "Casey Nguyen", "casey.nguyen@sales.example"),
    ("REP-005", "Riley Patel", "riley.patel@sales.example"),
]


# Real New Jersey and New York area codes with 555-0100…0199, the numbers set aside for
# fiction: valid to the phone-number check like any homeowner's, yet nobody's.
DEMO_AREA_CODES = ("201", "973", "908", "732", "609", "856", "212", "718", "914", "516")


def demo_phone(a: int, b: int) -> str:
    """A fictional number in E.164, as imports store them (two draws, as the demo always
    took, so the rest of the demo data stays the same)."""
    return f"+1{DEMO_AREA_CODES[a % len(DEMO_AREA_CODES)]}55501{b % 100:02d}"


def job_id(n: int) -> str:
    return f"JOB-{n:06d}"


def demo_jobs(count: int, *, seed: int = 7, today: date) -> Iterator[Job]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    n = 0
    for combo in _combinations():
        if n >= count:
            return
        n += 1
        yield _job(rng, n, today, *combo)
    while n < count:
        n += 1
        model = rng.choice(list(ProductModel))
        milestone = rng.choices(MILESTONES[model], weights=[5, 3, 2, 1][: len(MILESTONES[model])])[
            0
        ]
        partner = rng.choices(list(PartnerProgram), weights=[16, 2, 2])[0]
        yield _job(
            rng,
            n,
            today,
            model,
            milestone,
            partner,
            rng.random() < 0.6,
            rng.random() < 0.5,
            rng.random() < 0.4,
        )


@dataclass(frozen=True)
class Shape:
    """What the first jobs of the set look like, so the demo can pick one by its shape."""

    model: ProductModel
    milestone: Milestone
    partner: PartnerProgram
    installer_signed: bool
    rep_signed: bool
    flag: bool


def ids_where(predicate: Callable[[Shape], bool]) -> list[str]:
    return [job_id(n) for n, c in enumerate(_combinations(), start=1) if predicate(Shape(*c))]


def _combinations() -> Iterator[tuple[ProductModel, Milestone, PartnerProgram, bool, bool, bool]]:
    """Every (model, milestone, partner, installer signed, rep signed, flag) that matters."""
    for model, partner, installer_signed, rep_signed in itertools.product(
        ProductModel, PartnerProgram, (True, False), (True, False)
    ):
        for milestone in MILESTONES[model]:
            for flag in (
                (False, True)
                if milestone in (Milestone.M1, Milestone.M1B, Milestone.M2)
                else (False,)
            ):
                yield model, milestone, partner, installer_signed, rep_signed, flag


def _job(
    rng: random.Random,
    n: int,
    today: date,
    model: ProductModel,
    milestone: Milestone,
    partner: PartnerProgram,
    installer_signed: bool,
    rep_signed: bool,
    flag: bool,
) -> Job:
    """``flag`` is what matters at the milestone: review pending (M1), invoice (M1B),
    photos (M2)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    installer = InstallerCompany(*rng.choice(INSTALLERS))
    rep = SalesRep(*rng.choice(REPS))
    review_status = ReviewStatus.NOT_SUBMITTED
    items: list[ReviewItem] = []
    if milestone is Milestone.M1 and flag:
        review_status = ReviewStatus.PENDING_REVIEW
        items = [
            ReviewItem(id=f"{job_id(n)}-R{i}", description=d)
            for i, d in enumerate(["Signed contract", "Site survey", "Utility bill"], start=1)
        ]
    late = milestone in (Milestone.M2, Milestone.M3)
    return Job(
        id=job_id(n),
        homeowner=Homeowner(
            id=f"HO-{n:06d}",
            name=f"{first} {last}",
            email=f"{first}.{last}.{n}@homeowner.example".lower(),
            phone=demo_phone(rng.randrange(100, 999), rng.randrange(1000, 9999)),
        ),
        installer=installer,
        sales_rep=rep,
        product_model=model,
        milestone=milestone,
        review=MilestoneReview(status=review_status, items=items),
        invoice_uploaded=(milestone is Milestone.M1B and flag) or late,
        system_photos_uploaded=(milestone is Milestone.M2 and flag) or milestone is Milestone.M3,
        partner_program=partner,
        installer_signed=installer_signed,
        sales_rep_signed=rep_signed,
        contract_signed_date=today - timedelta(days=rng.randrange(1, 120) if n % 9 else 1),
        phase=Phase.OPERATIONS if rng.random() < 0.8 else Phase.SALES,
    )
