"""The email and phone checks every door uses, and the data rescind makes up itself.

The demo's and the benchmark export's people must pass the same checks as an import, or a
fresh checkout would load data an import refuses.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from bench.jobs_csv import write_jobs_csv
from email_validator import validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rescind.adapters.contact import EMAIL_PATTERN, email_address, phone_number
from rescind.adapters.csv_jobs import read_jobs
from rescind.domain.errors import InvalidInput
from rescind.entrypoints.cli.demo_jobs import demo_jobs


@pytest.mark.parametrize(
    "typed",
    [
        "ann@victim.example,attacker@evil.example",
        "ann@victim.example attacker@evil.example",
        "ann@victim.example;attacker@evil.example",
        "Ann <ann@victim.example>",
        "ann@victim.example\nBcc: attacker@evil.example",
        "ann@localhost",
        "ann@[127.0.0.1]",
        "ann",
        "",
    ],
)
def test_anything_but_one_address_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"^homeowner_email .* is not one valid email") as e:
        email_address(typed, field="homeowner_email")
    assert e.value.field == "homeowner_email"


def test_an_address_is_stored_with_its_domain_lower_cased() -> None:
    assert email_address(" Ann@Victim.EXAMPLE ", field="f") == "Ann@victim.example"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("201-555-0123", "+12015550123"),
        ("(201) 555 0123", "+12015550123"),
        ("+1 201 555 0123", "+12015550123"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_phone_number_is_stored_in_e164(typed: str, stored: str) -> None:
    assert phone_number(typed, field="homeowner_phone") == stored


@pytest.mark.parametrize("typed", ["555-0100", "+1-555-188-8104", "12345", "call me", "+1"])
def test_an_impossible_phone_number_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"^homeowner_phone .* is not a valid phone number"):
        phone_number(typed, field="homeowner_phone")


def test_the_demo_jobs_people_pass_the_checks_as_stored() -> None:
    for job in demo_jobs(300, today=date(2026, 11, 23)):
        for person in (job.homeowner, job.installer, job.sales_rep):
            assert email_address(person.email, field="email") == person.email
        assert phone_number(job.homeowner.phone, field="phone") == job.homeowner.phone


def test_the_benchmark_export_imports_without_a_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    write_jobs_csv(path, 2000)
    rejected = [(line, row) for line, row in read_jobs(path) if isinstance(row, Exception)]
    assert rejected == []


@settings(max_examples=2000)
@example("Postmaster@Example.COM")
@example(" ann.lee+solar@Sub-1.Homeowner.Example ")
@given(st.from_regex(re.compile(EMAIL_PATTERN), fullmatch=True))
def test_a_plain_address_is_normalized_as_the_validator_itself_does(value: str) -> None:
    expected = validate_email(value.strip(), check_deliverability=False).normalized

    assert email_address(value, field="the address") == expected
