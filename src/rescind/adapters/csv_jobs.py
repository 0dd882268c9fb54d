"""Reading Engine's job exports (CSV): one job per row, people inline.

Each row becomes a ``Job`` or the error that says what is wrong with it, with its line number,
so an import keeps the good rows and reports the bad ones. Email addresses and phone numbers
are checked and normalized by ``contact`` (one address per field, phones in E.164). A wrong
header fails the whole file at once, before anything is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from rescind.adapters.contact import email_address, phone_number
from rescind.domain.errors import InvalidInput, RescindError
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    Language,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewStatus,
    SalesRep,
    check_job_id,
    parse_enum,
)

COLUMNS = (
    "job_id",
    "homeowner_id",
    "homeowner_name",
    "homeowner_email",
    "homeowner_phone",
    "installer_id",
    "installer_name",
    "installer_email",
    "sales_rep_id",
    "sales_rep_name",
    "sales_rep_email",
    "product_model",
    "milestone",
    "review_status",
    "invoice_uploaded",
    "system_photos_uploaded",
    "partner_program",
    "installer_signed",
    "sales_rep_signed",
    "contract_signed_date",
    "phase",
)
OPTIONAL = frozenset({"homeowner_phone", "review_status", "phase"})
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0", ""})


def count_rows(path: Path) -> int:
    """Lines after the header, for a progress bar (quoted newlines make it an estimate)."""
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)


def read_jobs(path: Path) -> Iterator[tuple[int, Job | RescindError]]:
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}", field="file") from None
    with f:
        yield from read_jobs_from(f, source=str(path))


def read_jobs_text(
    text: str, *, source: str = "the file"
) -> Iterator[tuple[int, Job | RescindError]]:
    """The same, from text already in memory (an uploaded body)."""
    return read_jobs_from(io.StringIO(text.removeprefix("\ufeff"), newline=""), source=source)


def read_jobs_from(f: TextIO, *, source: str) -> Iterator[tuple[int, Job | RescindError]]:
    """Rows of an open text stream; a bad header raises before the first row is yielded."""
    reader = csv.DictReader(f)
    try:
        header = reader.fieldnames or []
    except (csv.Error, UnicodeDecodeError) as e:
        raise InvalidInput(f"{source}, line 1: not valid CSV ({e})", field="file") from None
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL]
    if missing:
        raise InvalidInput(
            f"{source}: the header lacks column(s) {', '.join(missing)}; "
            f"expected: {','.join(COLUMNS)}",
            field="file",
        )
    return _rows(reader, source)


def _rows(reader: csv.DictReader[str], source: str) -> Iterator[tuple[int, Job | RescindError]]:
    try:
        for row in reader:
            try:
                yield reader.line_num, parse_row(row)
            except RescindError as e:
                yield reader.line_num, e
    except (csv.Error, UnicodeDecodeError) as e:
        raise InvalidInput(f"{source}, line {reader.line_num}: not valid CSV ({e})") from None


# A book of business names the same few hundred installers and sales reps on most rows:
# each address is checked once per import, not once per row (a refusal is not cached; it
# raises again with the row's line number).
_email_address = lru_cache(maxsize=65_536)(email_address)
_phone_number = lru_cache(maxsize=65_536)(phone_number)
# And each of them is one (immutable) object shared by its rows, not one made per row.
_installer = lru_cache(maxsize=65_536)(InstallerCompany)
_sales_rep = lru_cache(maxsize=65_536)(SalesRep)


def parse_row(row: dict[str, str | None]) -> Job:
    def text(name: str, *, required: bool = True) -> str:
        value = (row.get(name) or "").strip()
        if required and not value:
            raise InvalidInput(f"{name} is empty", field=name)
        if "\x00" in value:  # PostgreSQL's text cannot hold it: the row, not the file, is bad
            raise InvalidInput(f"{name} contains a NUL character", field=name)
        return value

    def flag(name: str) -> bool:
        value = text(name, required=False).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InvalidInput(f"{name} must be true or false, not {value!r}", field=name)

    def email(name: str) -> str:
        return _email_address(text(name), field=name)

    def phone(name: str) -> str:
        value = text(name, required=False)
        return _phone_number(value, field=name) if value else ""

    signed = text("contract_signed_date")
    try:
        signed_date = date.fromisoformat(signed)
    except ValueError:
        raise InvalidInput(
            f"contract_signed_date {signed!r} is not a date like 2026-10-01",
            field="contract_signed_date",
        ) from None
    job = Job(
        id=text("job_id"),
        homeowner=Homeowner(
            id=text("homeowner_id"),
            name=text("homeowner_name"),
            email=email("homeowner_email"),
            phone=phone("homeowner_phone"),
        ),
        installer=_installer(
            id=text("installer_id"), name=text("installer_name"), email=email("installer_email")
        ),
        sales_rep=_sales_rep(
            id=text("sales_rep_id"), name=text("sales_rep_name"), email=email("sales_rep_email")
        ),
        product_model=parse_enum(ProductModel, text("product_model"), field_name="product_model"),
        milestone=parse_enum(Milestone, text("milestone").upper(), field_name="milestone"),
        review=MilestoneReview(
            status=parse_enum(
                ReviewStatus,
                text("review_status", required=False) or ReviewStatus.NOT_SUBMITTED.value,
                field_name="review_status",
            )
        ),
        invoice_uploaded=flag("invoice_uploaded"),
        system_photos_uploaded=flag("system_photos_uploaded"),
        partner_program=parse_enum(
            PartnerProgram,
            text("partner_program", required=False).lower() or PartnerProgram.NONE.value,
            field_name="partner_program",
        ),
        installer_signed=flag("installer_signed"),
        sales_rep_signed=flag("sales_rep_signed"),
        contract_signed_date=signed_date,
        phase=parse_enum(
            Phase, text("phase", required=False) or Phase.OPERATIONS.value, field_name="phase"
        ),
        # Not in COLUMNS: an optional extra column, English when absent.
        language=parse_enum(
            Language,
            text("homeowner_language", required=False).lower() or Language.EN.value,
            field_name="homeowner_language",
        ),
    )
    # Last, so a row with another bad field is reported for that one.
    check_job_id(job.id)
    return job


def write_jobs(path: Path, jobs: Iterator[Job] | list[Job]) -> None:
    """The inverse of ``read_jobs`` (for demo data and benchmarks)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for job in jobs:
            writer.writerow(
                [
                    job.id,
                    job.homeowner.id,
                    job.homeowner.name,
                    job.homeowner.email,
                    job.homeowner.phone,
                    job.installer.id,
                    job.installer.name,
                    job.installer.email,
                    job.sales_rep.id,
                    job.sales_rep.name,
                    job.sales_rep.email,
                    job.product_model.value,
                    job.milestone.value,
                    job.review.status.value,
                    str(job.invoice_uploaded).lower(),
                    str(job.system_photos_uploaded).lower(),
                    job.partner_program.value,
                    str(job.installer_signed).lower(),
                    str(job.sales_rep_signed).lower(),
                    job.contract_signed_date.isoformat(),
                    job.phase.value,
                ]
            )
