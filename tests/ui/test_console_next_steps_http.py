"""The request page shows each button as its service would answer, per role: a button the
service would refuse is not offered and the page says the service's reason."""

from __future__ import annotations

import html
import warnings

import pytest

from rescind.domain.access import Role
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.cancellation import cancel_workflow
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.queries import get_job
from rescind.services.requests import file_request
from rescind.services.verification import verify_by_address_on_file
from tests.ui.test_console_http import AGENT, app_ctx, log_in

with warnings.catch_warnings():
    # As in tests/api/conftest.py: Starlette warns once, at import, that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["app_ctx"]  # the fixture, for pytest

CANCEL_BUTTON = "Cancel the workflow and queue the notice"
SEND_CODE = 'action="/console/requests/{id}/code"'
CLOSE_FORM = 'action="/console/requests/{id}/close"'
ESCALATE_FORM = 'action="/console/requests/{id}/escalate"'


def a_ready_request(ctx: Context, job_id: str = "JOB-002") -> str:
    """The homeowner's email request, verified by the address on file, statement attached."""
    email = get_job(ctx, job_id, actor=AGENT).job.homeowner.email
    request = file_request(
        ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The homeowner",
            statement=WrittenStatement(
                kind=StatementKind.EMAIL, content="Please cancel my contract."
            ),
        ),
        actor=AGENT,
    )
    verify_by_address_on_file(ctx, request.id, sender=email, authenticated=True, actor=AGENT)
    return request.id


def page_of(client: TestClient, request_id: str) -> str:
    shown = client.get(f"/console/requests/{request_id}")
    assert shown.status_code == 200, shown.text
    return html.unescape(shown.text)


def test_an_agent_is_offered_the_cancel_on_a_ready_request(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    request_id = a_ready_request(ctx)
    log_in(client, Role.AGENT)
    shown = page_of(client, request_id)
    assert CANCEL_BUTTON in shown
    assert CLOSE_FORM.format(id=request_id) in shown
    assert "Not offered" not in shown


def test_a_back_office_is_told_it_may_not_cancel_send_a_code_or_close(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    request_id = a_ready_request(ctx)
    unverified = file_request(
        ctx,
        RequestDraft(
            job_id="JOB-001",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The homeowner",
        ),
        actor=AGENT,
    ).id
    log_in(client, Role.BACK_OFFICE)
    ready = page_of(client, request_id)
    assert CANCEL_BUTTON not in ready
    assert "Not offered: a back office may not cancel." in ready
    assert CLOSE_FORM.format(id=request_id) not in ready
    assert "Not offered: a back office may not close request." in ready
    waiting = page_of(client, unverified)
    assert SEND_CODE.format(id=unverified) not in waiting
    assert "Not offered: a back office may not send code." in waiting


def test_an_already_escalated_request_says_so_instead_of_offering_escalation_again(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    request_id = file_request(
        ctx,
        RequestDraft(
            job_id="JOB-004",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The homeowner",
        ),
        actor=AGENT,
    ).id
    log_in(client, Role.AGENT)
    assert ESCALATE_FORM.format(id=request_id) in page_of(client, request_id)
    case = escalate_to_deal_processing(ctx, request_id, actor=AGENT)
    shown = page_of(client, request_id)
    assert ESCALATE_FORM.format(id=request_id) not in shown
    assert f"Not offered: request {request_id} is already escalated as case {case.id}." in shown


@pytest.mark.parametrize(
    ("role", "who"), [(Role.DEAL_PROCESSING, "a deal processing"), (Role.SALES_REP, "a sales rep")]
)
def test_a_role_without_the_escalate_permission_is_told_so_on_a_deal_processing_job(
    app_ctx: tuple[TestClient, Context], role: Role, who: str
) -> None:
    client, ctx = app_ctx
    request_id = file_request(
        ctx,
        RequestDraft(
            job_id="JOB-004",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The homeowner",
        ),
        actor=AGENT,
    ).id
    log_in(client, role)
    shown = page_of(client, request_id)
    assert ESCALATE_FORM.format(id=request_id) not in shown
    assert "may not escalate." in shown


@pytest.mark.parametrize(("role", "offered"), [(Role.AGENT, True), (Role.BACK_OFFICE, False)])
def test_the_job_page_offers_the_restore_only_to_whom_the_service_lets_restore(
    app_ctx: tuple[TestClient, Context], role: Role, offered: bool
) -> None:
    client, ctx = app_ctx
    cancel_workflow(ctx, a_ready_request(ctx), actor=AGENT)
    log_in(client, role)
    shown = client.get("/console/jobs/JOB-002")
    assert shown.status_code == 200, shown.text
    assert ('action="/console/jobs/JOB-002/restore"' in shown.text) is offered
    refusal = "Not offered: a back office may not restore."
    assert (refusal in html.unescape(shown.text)) is not offered
