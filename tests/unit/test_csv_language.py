"""The homeowner's language comes in with the job: an optional ``homeowner_language`` column."""

from __future__ import annotations

from pathlib import Path

from rescind.adapters.csv_jobs import COLUMNS, read_jobs
from rescind.domain.errors import InvalidInput
from rescind.domain.job import Language

ROW = {
    "job_id": "JOB-1",
    "homeowner_id": "HO-1",
    "homeowner_name": "Ana Ruiz",
    "homeowner_email": "ana@home.example",
    "homeowner_phone": "",
    "installer_id": "INST-1",
    "installer_name": "Sunny",
    "installer_email": "ops@sunny.example",
    "sales_rep_id": "REP-1",
    "sales_rep_name": "Sam",
    "sales_rep_email": "sam@sales.example",
    "product_model": "regular",
    "milestone": "M1",
    "review_status": "",
    "invoice_uploaded": "false",
    "system_photos_uploaded": "false",
    "partner_program": "none",
    "installer_signed": "true",
    "sales_rep_signed": "false",
    "contract_signed_date": "2026-10-01",
    "phase": "operations",
}


def imported(tmp_path: Path, languages: list[str] | None) -> list[object]:
    header = list(COLUMNS) + (["homeowner_language"] if languages is not None else [])
    lines = [",".join(header)]
    for n, language in enumerate(languages or [""]):
        row = ROW | {"job_id": f"JOB-{n}"}
        values = [row[c] for c in COLUMNS] + ([language] if languages is not None else [])
        lines.append(",".join(values))
    path = tmp_path / "jobs.csv"
    path.write_text("\n".join(lines) + "\n")
    return [job for _, job in read_jobs(path)]


def test_a_job_without_the_column_is_in_english(tmp_path: Path) -> None:
    (job,) = imported(tmp_path, None)
    assert getattr(job, "language", None) is Language.EN


def test_the_column_sets_the_language_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    spanish, empty, unknown = imported(tmp_path, ["ES", "", "fr"])
    assert getattr(spanish, "language", None) is Language.ES
    assert getattr(empty, "language", None) is Language.EN
    assert isinstance(unknown, InvalidInput)
    assert unknown.field == "homeowner_language"
