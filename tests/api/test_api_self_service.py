"""The homeowner's /cancel over HTTP: the flow, its records, and what staff cannot do."""

from __future__ import annotations

from rescind.domain.audit import job_stream
from tests.api.conftest import Api
from tests.api.self_service import csrf_of, signed_in


def trail(api: Api, job_id: str) -> list[tuple[str, str]]:
    with api.ctx.uow() as uow:
        return [(r.kind, r.channel) for r in uow.audit.records(job_stream(job_id))]


def test_an_eligible_homeowner_cancels_with_a_typed_statement_and_every_step_is_on_record(
    api: Api,
) -> None:
    client = signed_in(api, "JOB-002")
    page = client.get("/cancel/job")
    assert "Your project can be cancelled" in page.text
    done = client.post(
        "/cancel/job/confirm",
        data={"csrf": csrf_of(page.text), "statement": "I want to cancel my solar project."},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    status = client.get("/cancel/job").text
    assert "You can still change your mind until the end of" in status
    kinds = trail(api, "JOB-002")
    assert ("self_service_link_sent", "self_service") in kinds
    assert ("self_service_link_opened", "self_service") in kinds
    for kind in (
        "request_filed",
        "statement_attached",
        "request_verified",
        "workflow_cancel_pending",
    ):
        assert (kind, "self_service") in kinds, kind
