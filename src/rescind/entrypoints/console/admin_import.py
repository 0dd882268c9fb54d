"""Importing jobs from an Engine export (CSV) in the console, as ``POST /jobs/import`` does:
good rows are kept, each bad one is reported by its line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from rescind.adapters.csv_jobs import COLUMNS, read_jobs_text
from rescind.domain.access import Permission, require
from rescind.domain.errors import InvalidInput, RescindError
from rescind.entrypoints.console.render import page, problems_of, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession
from rescind.services.importing import import_jobs

router = APIRouter()
PATH = "/admin/import"


@router.get(PATH)
def import_form(request: Request, session: CurrentSession) -> Response:
    require(session.actor, Permission.IMPORT_JOBS)
    return page(request, "admin_import.html", session, columns=COLUMNS, report=None)


@router.post(PATH)
async def import_file(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    jobs_csv: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        # Refused before the file is read, as the API refuses it.
        require(session.actor, Permission.IMPORT_JOBS)
        if jobs_csv is None or not jobs_csv.filename:
            raise InvalidInput("choose the CSV file to import", field="jobs_csv")
        try:
            text = (await jobs_csv.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the CSV must be UTF-8 text", field="jobs_csv") from None
        report = import_jobs(
            ctx, read_jobs_text(text, source=jobs_csv.filename), actor=session.actor
        )
    except RescindError as error:
        return page(
            request,
            "admin_import.html",
            session,
            status=status_of(error),
            problems=problems_of(error, "jobs_csv"),
            columns=COLUMNS,
            report=None,
        )
    return page(request, "admin_import.html", session, columns=COLUMNS, report=report)
