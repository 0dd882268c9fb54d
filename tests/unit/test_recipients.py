"""Who receives the cancellation notice (seeds, step 6)."""

from __future__ import annotations

import pytest

from rescind.domain.recipients import Recipients, cancellation_notice_recipients, homeowner_only
from tests.fakes import job_factory


@pytest.mark.parametrize(
    ("installer_signed", "sales_rep_signed", "cc"),
    [
        (False, False, ()),
        (True, False, ("ops@sunny.example",)),
        (False, True, ("sam@sales.example",)),
        (True, True, ("ops@sunny.example", "sam@sales.example")),
    ],
)
def test_the_homeowner_is_always_to_and_only_the_signers_are_cc(
    installer_signed: bool, sales_rep_signed: bool, cc: tuple[str, ...]
) -> None:
    job = job_factory(installer_signed=installer_signed, sales_rep_signed=sales_rep_signed)
    assert cancellation_notice_recipients(job) == Recipients(to=(job.homeowner.email,), cc=cc)


def test_homeowner_only_never_copies_anyone() -> None:
    job = job_factory(installer_signed=True, sales_rep_signed=True)
    assert homeowner_only(job) == Recipients(to=(job.homeowner.email,))
