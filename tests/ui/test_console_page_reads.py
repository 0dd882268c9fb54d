"""Each console page reads what it shows in one transaction and loads its job at most once.

Counted over plain HTTP with ``page_reads.count_reads``: the session check is one
transaction, the page's own reads one more.
"""

from __future__ import annotations

import warnings

import pytest

from rescind.domain.access import Role
from rescind.domain.request import Channel, RequestDraft, RequesterRole
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.requests import file_request
from tests.ui.page_reads import count_reads
from tests.ui.test_console_http import AGENT, app_ctx, log_in

with warnings.catch_warnings():
    # As in tests/api/conftest.py: Starlette warns once, at import, that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["app_ctx"]  # the fixture, for pytest


def a_request(ctx: Context, job_id: str) -> str:
    return file_request(
        ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The homeowner",
        ),
        actor=AGENT,
    ).id


def a_case(ctx: Context) -> str:
    return escalate_to_deal_processing(ctx, a_request(ctx, "JOB-004"), actor=AGENT).id


def reads_of(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[int, int]:
    with count_reads(monkeypatch) as reads:
        shown = client.get(url)
    assert shown.status_code == 200, shown.text
    return reads.page, reads.job_loads


@pytest.mark.parametrize("role", [Role.AGENT, Role.BACK_OFFICE, Role.DEAL_PROCESSING])
def test_the_request_page_opens_one_transaction_and_loads_the_job_once(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch, role: Role
) -> None:
    client, ctx = app_ctx
    request_id = a_request(ctx, "JOB-002")
    log_in(client, role)
    assert reads_of(client, monkeypatch, f"/console/requests/{request_id}") == (1, 1)


def test_the_request_page_of_an_escalated_request_opens_one_transaction(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, ctx = app_ctx
    case_id = a_case(ctx)
    with ctx.uow() as uow:
        request_id = uow.cases.get(case_id).request_id
    log_in(client, Role.AGENT)
    assert reads_of(client, monkeypatch, f"/console/requests/{request_id}") == (1, 1)


@pytest.mark.parametrize("role", [Role.AGENT, Role.BACK_OFFICE, Role.SALES_REP])
def test_the_job_page_opens_one_transaction_and_loads_the_job_once(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch, role: Role
) -> None:
    client, ctx = app_ctx
    a_request(ctx, "JOB-002")
    log_in(client, role)
    assert reads_of(client, monkeypatch, "/console/jobs/JOB-002") == (1, 1)


def test_the_installers_job_page_opens_one_transaction_and_loads_the_job_once(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = app_ctx
    log_in(client, Role.INSTALLER)
    assert reads_of(client, monkeypatch, "/console/jobs/JOB-002") == (1, 1)


@pytest.mark.parametrize("role", [Role.AGENT, Role.BACK_OFFICE, Role.DEAL_PROCESSING])
def test_the_case_page_opens_one_transaction_and_loads_the_job_at_most_once(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch, role: Role
) -> None:
    client, ctx = app_ctx
    case_id = a_case(ctx)
    log_in(client, role)
    transactions, job_loads = reads_of(client, monkeypatch, f"/console/cases/{case_id}")
    assert transactions == 1
    assert job_loads <= 1


@pytest.mark.parametrize(
    "queue", ["requests", "pending", "back-office", "deal-processing", "triage", "failed-emails"]
)
def test_each_queue_page_opens_one_transaction_and_loads_no_job_by_id(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch, queue: str
) -> None:
    client, ctx = app_ctx
    a_case(ctx)
    log_in(client, Role.AGENT)
    assert reads_of(client, monkeypatch, f"/console/queues/{queue}") == (1, 0)


@pytest.mark.parametrize("job_id", ["JOB-002", "JOB-004"])
@pytest.mark.parametrize("role", [Role.AGENT, Role.BACK_OFFICE])
def test_the_start_page_opens_one_transaction_and_loads_the_job_once(
    app_ctx: tuple[TestClient, Context], monkeypatch: pytest.MonkeyPatch, role: Role, job_id: str
) -> None:
    client, ctx = app_ctx
    a_request(ctx, job_id)
    log_in(client, role)
    assert reads_of(client, monkeypatch, f"/console/jobs/{job_id}/cancel") == (1, 1)
