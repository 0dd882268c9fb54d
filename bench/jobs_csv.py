"""A large, varied job export in exactly the CSV format ``rescind jobs import`` reads.

The header is ``rescind.adapters.csv_jobs.COLUMNS``; values are weighted like a real book of
business: both product models and every milestone of each, review status pending at some
M1 jobs, a few partner-program jobs, every signer combination, all phases, some homeowners
with more than one job, some without a phone, a few hundred installers and a couple of
thousand sales reps shared by many jobs. The same seed gives the same file.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from rescind.adapters.csv_jobs import COLUMNS
from rescind.domain.job import MILESTONES, PartnerProgram, Phase, ProductModel, ReviewStatus
from rescind.entrypoints.cli.demo_jobs import FIRST, LAST, demo_phone

INSTALLERS = 300
SALES_REPS = 2000
START = date(2026, 1, 1)


def job_id(n: int) -> str:
    return f"JOB-{n:08d}"


def write_jobs_csv(path: Path, count: int, *, seed: int = 6) -> None:
    """Write ``count`` jobs (ids ``JOB-00000001`` …) to ``path``."""
    rng = random.Random(seed)
    models = list(ProductModel)
    partners = list(PartnerProgram)
    phases = list(Phase)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(1, count + 1):
            model = rng.choices(models, weights=[3, 1])[0]
            stages = MILESTONES[model]
            milestone = rng.choices(stages, weights=[5, 3, 2, 1][: len(stages)])[0]
            early = stages.index(milestone) == 0
            review = (
                rng.choice([ReviewStatus.PENDING_REVIEW, ReviewStatus.NOT_SUBMITTED])
                if early
                else rng.choice([ReviewStatus.APPROVED, ReviewStatus.REJECTED])
            )
            # About one homeowner in twenty has a second job (a second roof, a new owner).
            owner = n - 1 if n > 1 and rng.random() < 0.05 else n
            first, last = FIRST[owner % len(FIRST)], LAST[(owner // 7) % len(LAST)]
            installer = rng.randrange(INSTALLERS)
            rep = rng.randrange(SALES_REPS)
            phone = "" if owner % 10 == 3 else demo_phone(owner // 100, owner)
            writer.writerow(
                [
                    job_id(n),
                    f"HO-{owner:08d}",
                    f"{first} {last}",
                    f"{first}.{last}.{owner}@homeowner.example".lower(),
                    phone,
                    f"INST-{installer:04d}",
                    f"Installer {installer} Solar",
                    f"ops{installer}@installer.example",
                    f"REP-{rep:05d}",
                    f"Rep {rep}",
                    f"rep{rep}@sales.example",
                    model.value,
                    milestone.value,
                    review.value,
                    "true" if not early or rng.random() < 0.3 else "false",
                    "true" if not early and rng.random() < 0.7 else "false",
                    rng.choices(partners, weights=[16, 2, 2])[0].value,
                    "true" if rng.random() < 0.6 else "false",
                    "true" if rng.random() < 0.5 else "false",
                    (START + timedelta(days=rng.randrange(330))).isoformat(),
                    rng.choices(phases, weights=[2, 10, 3, 1])[0].value,
                ]
            )
