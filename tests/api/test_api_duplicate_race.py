"""One open request per requester and job holds under a race, on PostgreSQL: 40 filings for
the same homeowner at the same instant file exactly one request; every other one is told
``duplicate_request`` with the id of the one that was filed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api, fire_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("api_engine", ["postgres"], indirect=True),
]

FILINGS = 40


def test_40_concurrent_filings_for_one_homeowner_file_exactly_one_request(api: Api) -> None:
    agent = api.client(Role.AGENT)

    def file(client: TestClient) -> Any:
        return client.post(
            f"{API}/requests",
            json={
                "job_id": "JOB-002",
                "channel": "phone",
                "requester_role": "homeowner",
                "requester_name": "Ben Reyes",
            },
        )

    answers = fire_at_once([file] * FILINGS, str(agent.headers["Authorization"]), api)

    outcomes = Counter(
        a.json().get("code", "filed") if a.status_code != 201 else "filed" for a in answers
    )
    print(f"\noutcomes of {FILINGS} concurrent filings: {dict(outcomes)}")
    assert outcomes == {"filed": 1, "duplicate_request": FILINGS - 1}
    [filed] = [a.json() for a in answers if a.status_code == 201]
    refused = [a.json() for a in answers if a.status_code == 409]
    assert {p["existing_request_id"] for p in refused} == {filed["id"]}
    requests = agent.get(f"{API}/jobs/JOB-002/requests").json()
    assert [r["id"] for r in requests if r["outcome"] == "open"] == [filed["id"]]
