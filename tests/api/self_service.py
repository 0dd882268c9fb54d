"""Helpers for the self-service page's HTTP tests: the link as the homeowner reads it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient  # imported by conftest first, warning filtered

from rescind.domain.email import EmailKind
from tests.api.conftest import Api

LINK = re.compile(r"/cancel/link\?t=([A-Za-z0-9_-]+)")


def link_sent_for(api: Api, job_id: str) -> str:
    """The token in the newest self-service link emailed for the job (as the homeowner reads
    it; the SMTP-delivered email is read in tests/ui)."""
    with api.ctx.uow() as uow:
        links = [e for e in uow.outbox.for_job(job_id) if e.kind is EmailKind.SELF_SERVICE_LINK]
    assert links, f"no self-service link was emailed for {job_id}"
    found = LINK.search(str(links[-1].context["link"]))
    assert found is not None
    return found.group(1)


def links_sent(api: Api, job_id: str) -> int:
    with api.ctx.uow() as uow:
        return sum(e.kind is EmailKind.SELF_SERVICE_LINK for e in uow.outbox.for_job(job_id))


def signed_in(api: Api, job_id: str, client: TestClient | None = None) -> TestClient:
    """A browser-like client that asked for a link for the job and opened it."""
    client = client or api.anonymous()
    assert client.post("/cancel/", data={"target": job_id}).status_code == 200
    token = link_sent_for(api, job_id)
    opened = client.post("/cancel/link", data={"token": token}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, page
    return found.group(1)
