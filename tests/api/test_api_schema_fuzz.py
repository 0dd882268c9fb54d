"""Schemathesis against the app's own OpenAPI, in process, on SQLite.

Every operation gets generated requests, valid (positive) and invalid (negative), sent as an
agent and as an admin (so both the procedure's writes and the operations' writes run for
real). No answer may be a server error, and every answer must match what the OpenAPI
documents: its status, its content type and its body's schema.

Negative mode also negates the bearer token itself (drops or garbles it) on part of its cases,
which then answer 401; that is a check too (every operation refuses a bad token cleanly), and it
keeps operations whose only input is the token (``GET /auth/me``) negatable at all.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from rescind.domain.access import Actor, Role
from rescind.domain.request import Channel, RequesterRole, StatementKind
from rescind.services.auth import create_user, login
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.requests import StatementInput, file_request
from tests.api.conftest import API, Api, password_of

pytestmark = pytest.mark.parametrize("api_engine", ["sqlite"], indirect=True)

# Cases per operation and generation mode, each sent once per role: ~40 × 2 × 2 × this requests.
EXAMPLES = int(os.environ.get("RESCIND_FUZZ_EXAMPLES", "15"))
ROLES = (Role.AGENT, Role.ADMIN)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
LOGOUT = f"POST {API}/auth/logout"


def known_ids(api: Api) -> dict[str, list[str]]:
    """Ids that exist, so valid requests reach the procedure, not only its 404s."""
    system = Actor.system("fuzz")
    requests = [
        file_request(
            api.ctx,
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The Homeowner",
            actor=system,
            statement=StatementInput(kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it."),
        ).id
        for job_id in ("JOB-002", "JOB-004", "JOB-004", "JOB-003")
    ]
    case = escalate_to_deal_processing(api.ctx, requests[2], actor=system)
    users = [
        create_user(
            api.ctx,
            api.app.state.rescind.passwords,
            actor=system,
            username=f"spare-{n}",
            password="a long enough passphrase",
            role=Role.BACK_OFFICE,
            display_name=f"Spare {n}",
        ).id
        for n in (1, 2)
    ]
    return {
        "job_id": ["JOB-001", "JOB-002", "JOB-004"],
        "request_id": requests[:2] + requests[3:],
        "case_id": [case.id],
        "user_id": users,
    }


def cases(operation: Any, mode: GenerationMode, ids: dict[str, list[str]]) -> Any:
    """Generated cases; valid ones also with each known id in the path."""
    free = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return free
    names = [p.name for p in operation.path_parameters if p.name in ids]
    fixed = [
        operation.as_strategy(generation_mode=mode, path_parameters={name: value})
        for name in names
        for value in ids[name]
    ]
    return st.one_of(free, *fixed)


def test_generated_requests_get_no_server_error_and_only_documented_answers(api: Api) -> None:
    app: Any = api.app
    schema: Any = schemathesis.openapi.from_asgi(f"{API}/openapi.json", app)
    passwords = app.state.rescind.passwords
    ids = known_ids(api)

    def bearer(role: Role) -> str:
        return f"Bearer {login(api.ctx, passwords, role.value, password_of(role)).token}"

    tokens = {role: bearer(role) for role in ROLES}
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()

    def fuzz(operation: Any, mode: GenerationMode, session: Any) -> None:
        @given(case=cases(operation, mode, ids))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def send(case: Any) -> None:
            # Each case as each role: both the procedure's and the operations' writes run.
            for role, token in tokens.items():
                # Logging out ends the token it carries: that call gets one of its own.
                auth = bearer(role) if operation.label == LOGOUT else token
                answer = case.call_and_validate(
                    session=session, headers={"Authorization": auth}, checks=CHECKS
                )
                sent[role.value] += 1
                statuses[answer.status_code] += 1

        send()

    failures: list[str] = []
    started = time.monotonic()
    with asgi.get_client(app) as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    fuzz(operation, mode, session)
                except (Exception, BaseExceptionGroup) as error:  # every operation has a turn
                    failures.append(f"{operation.label} ({mode.value}): {error}")
    print(
        f"\nschemathesis: {sum(sent.values())} requests ({dict(sent)}) in "
        f"{time.monotonic() - started:.1f} s, {len(failures)} failing; "
        f"answers by status: {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n\n".join(failures)


def test_a_body_that_cannot_be_read_is_a_422_problem_not_a_bare_400(api: Api) -> None:
    """What the fuzzer first found: JSON that is not UTF-8 got FastAPI's undocumented 400."""
    client = api.client(Role.AGENT)

    for body in (b"\xff\x1a", b'{"body": "unfinished'):
        answer = client.post(
            f"{API}/jobs/JOB-002/feed",
            content=body,
            headers={"Content-Type": "application/json"},
        )

        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/invalid_input"
        assert problem["errors"][0]["field"].startswith("body")
