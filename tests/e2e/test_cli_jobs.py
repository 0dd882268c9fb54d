"""``rescind jobs import`` and ``rescind jobs show``."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from rescind.adapters.csv_jobs import COLUMNS, write_jobs
from rescind.entrypoints.cli.demo_jobs import demo_jobs
from tests.e2e.conftest import DemoFacts, Rescind

GOOD_JOBS = 4


def a_row(job_id: str, **changes: str) -> dict[str, str]:
    row = {
        "job_id": job_id,
        "homeowner_id": f"HO-{job_id}",
        "homeowner_name": "Dana Homeowner",
        "homeowner_email": "dana@homeowner.example",
        "homeowner_phone": "201-555-0100",
        "installer_id": "INST-1",
        "installer_name": "Sunny Installs",
        "installer_email": "ops@sunny.example",
        "sales_rep_id": "REP-1",
        "sales_rep_name": "Sam Rep",
        "sales_rep_email": "sam@sales.example",
        "product_model": "regular",
        "milestone": "M1",
        "review_status": "not_submitted",
        "invoice_uploaded": "false",
        "system_photos_uploaded": "false",
        "partner_program": "none",
        "installer_signed": "true",
        "sales_rep_signed": "false",
        "contract_signed_date": "2026-10-01",
        "phase": "operations",
    }
    row.update(changes)
    return row


def write_csv_with_bad_rows(path: Path) -> dict[int, str]:
    """Good jobs (written by ``write_jobs``, lines 2-5), then one bad row per mistake.

    Returns what stderr must say for each bad line, by line number.
    """
    write_jobs(path, list(demo_jobs(GOOD_JOBS, today=date(2026, 11, 2))))
    bad = [
        (a_row("BAD-1", product_model="regular", milestone="M1B"), "milestone M1B does not exist"),
        (a_row("BAD-2", homeowner_email="dana.at.example"), "homeowner_email 'dana.at.example'"),
        # Two addresses in one field: never stored as the address on file.
        (
            a_row("BAD-5", homeowner_email="ann@victim.example,attacker@evil.example"),
            "homeowner_email 'ann@victim.example,attacker@evil.example' is not one valid email",
        ),
        (
            a_row("BAD-6", installer_email="ops@sunny.example; cc@evil.example"),
            "installer_email 'ops@sunny.example; cc@evil.example' is not one valid email",
        ),
        (a_row("BAD-7", homeowner_phone="555-0100"), "homeowner_phone '555-0100' is not a valid"),
        (a_row("BAD-3", contract_signed_date="2026-02-30"), "contract_signed_date '2026-02-30'"),
        (a_row("BAD-4", invoice_uploaded="maybe"), "invoice_uploaded must be true or false"),
        (a_row("JOB-000001"), "JOB-000001 already exists"),
    ]
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        for row, _ in bad:
            writer.writerow(row)
    return {GOOD_JOBS + 2 + n: says for n, (_, says) in enumerate(bad)}


def test_import_keeps_the_good_rows_and_names_each_bad_line_and_what_was_wrong(
    rescind: Rescind, tmp_path: Path
) -> None:
    file = tmp_path / "jobs.csv"
    expected = write_csv_with_bad_rows(file)

    # Any row rejected is bad input (exit 2), even though the good rows were kept.
    result = rescind("jobs", "import", str(file), code=2)

    assert result.out.strip() == f"imported {GOOD_JOBS} jobs; {len(expected)} rows rejected"
    lines = result.err.splitlines()
    assert len(lines) == len(expected), lines
    for line, (number, says) in zip(lines, sorted(expected.items()), strict=True):
        assert line.startswith(f"line {number}: "), line
        assert says in line, line


def test_import_with_allow_rejects_exits_0_when_some_rows_were_rejected(
    rescind: Rescind, tmp_path: Path
) -> None:
    file = tmp_path / "jobs.csv"
    expected = write_csv_with_bad_rows(file)

    result = rescind("jobs", "import", "--allow-rejects", str(file), stderr_ok=True)

    assert result.out.strip() == f"imported {GOOD_JOBS} jobs; {len(expected)} rows rejected"
    assert len(result.err.splitlines()) == len(expected)
    assert "active" in rescind("jobs", "show", "JOB-000002").out  # the good rows were kept


def test_import_of_only_bad_rows_exits_2_with_the_summary(rescind: Rescind, tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    with file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerow(a_row("BAD-1", milestone="M9"))

    result = rescind("jobs", "import", str(file), code=2)
    assert result.out.strip() == "imported 0 jobs; 1 row rejected"
    assert result.err.startswith("line 2: ")


def test_import_help_states_its_exit_codes(rescind: Rescind) -> None:
    shown = " ".join(rescind("jobs", "import", "--help").out.split())
    assert "0 every row imported" in shown
    assert "2 any row rejected" in shown
    assert "--allow-rejects" in shown


def test_import_stores_addresses_normalized_and_phones_in_e164(
    rescind: Rescind, tmp_path: Path
) -> None:
    file = tmp_path / "jobs.csv"
    with file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        typed = {"homeowner_email": "Dana@Homeowner.EXAMPLE", "homeowner_phone": "(973) 679-1234"}
        writer.writerow(a_row("JOB-N1", **typed))

    assert rescind("jobs", "import", str(file)).out.strip() == "imported 1 job; 0 rows rejected"

    shown = rescind("jobs", "show", "JOB-N1").out
    assert "<Dana@homeowner.example> +19736791234" in shown


def test_import_of_a_file_missing_a_column_fails_whole_with_one_line_and_exit_2(
    rescind: Rescind, tmp_path: Path
) -> None:
    file = tmp_path / "jobs.csv"
    without = [c for c in COLUMNS if c != "milestone"]
    with file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=without, extrasaction="ignore")
        writer.writeheader()
        writer.writerow(a_row("JOB-1"))

    result = rescind("jobs", "import", str(file), code=2)

    assert "lacks column(s) milestone;" in result.error_line
    assert result.out == ""


def test_import_of_a_missing_file_fails_with_one_line(rescind: Rescind, tmp_path: Path) -> None:
    result = rescind("jobs", "import", str(tmp_path / "nowhere.csv"), code=2)
    assert "nowhere.csv" in result.error_line


def test_import_of_a_file_that_is_not_utf8_fails_with_one_line(
    rescind: Rescind, tmp_path: Path
) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes(b"\xff\xfejob_id,homeowner_id\n")
    result = rescind("jobs", "import", str(file), code=2)
    assert "not valid CSV" in result.error_line


def test_jobs_show_prints_a_known_jobs_status_and_decision(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    out = demo_copy("jobs", "show", demo_facts.phone_job).out
    assert f"cancel_pending until the end of {demo_facts.final_date.isoformat()}" in out
    assert "ELIGIBLE for cancellation by support — rule 2" in out
    # The trail reads as sentences with people's names, not event kinds and key=value.
    final = demo_facts.final_date.strftime("%a %Y-%m-%d")
    assert f"cancelled the workflow via phone under policy v1 — final at the end of {final}" in out
    assert "workflow_cancel_pending" not in out
    assert "False" not in out


def test_jobs_show_of_an_unknown_id_exits_3_with_one_line(demo_copy: Rescind) -> None:
    result = demo_copy("jobs", "show", "JOB-999999", code=3)
    assert "JOB-999999" in result.error_line
    assert result.out == ""
