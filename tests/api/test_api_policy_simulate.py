"""POST /policies/simulate over HTTP, on SQLite and PostgreSQL: a draft's what-if, no writes."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import func, select

from rescind.adapters.db.tables import Base
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.test_api_admin import assert_problem


def _m1a_stops(document: dict[str, Any]) -> dict[str, Any]:
    rules = [dict(r) for r in document["rules"]]
    rules[2].update(eligible=False, action="stop", guidance="No longer cancellable at M1A.")
    return {**document, "rules": rules}


def _row_counts(api: Api) -> dict[str, int]:
    with api.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        return {
            t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def test_an_admin_sees_which_live_decisions_a_draft_flips_and_nothing_is_written(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)
    draft = _m1a_stops(admin.get(f"{API}/policies/1").json()["document"])
    before = _row_counts(api)

    as_json = admin.post(f"{API}/policies/simulate", json={"document": draft})
    as_yaml = admin.post(f"{API}/policies/simulate", json={"yaml": yaml.safe_dump(draft)})

    assert as_json.status_code == 200, as_json.text
    result = as_json.json()
    assert as_yaml.json() == result
    assert (result["current_version"], result["draft_version"]) == (1, 2)
    assert result["live_jobs"] > 0
    assert result["flips"], "the demo data has live M1A jobs"
    for flip in result["flips"]:
        assert (flip["from_rule"], flip["to_rule"]) == (3, 3)
        assert (flip["from_eligible"], flip["to_eligible"]) == (True, False)
        assert 0 < len(flip["sample_job_ids"]) <= min(5, flip["jobs"])
    assert result["jobs_flipped"] == sum(f["jobs"] for f in result["flips"])
    assert _row_counts(api) == before


def test_simulating_is_for_admins_and_refuses_drafts_that_could_not_be_published(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)
    document = admin.get(f"{API}/policies/1").json()["document"]
    assert_problem(
        api.client(Role.AGENT).post(f"{API}/policies/simulate", json={"document": document}),
        403,
        "forbidden",
    )
    incomplete = {**document, "rules": document["rules"][:3]}
    problem = assert_problem(
        admin.post(f"{API}/policies/simulate", json={"document": incomplete}),
        422,
        "policy_invalid",
    )
    assert "incomplete" in problem["detail"]
    assert_problem(
        admin.post(f"{API}/policies/simulate", json={"yaml": "rules: [unclosed"}),
        422,
        "policy_invalid",
    )
    assert_problem(admin.post(f"{API}/policies/simulate", json={}), 422, "invalid_input")
    assert_problem(
        admin.post(f"{API}/policies/simulate", json={"document": document, "against_version": 9}),
        404,
        "not_found",
    )
