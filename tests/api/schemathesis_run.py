"""Schemathesis against the app's own OpenAPI, in process: the suite's run and ``make fuzz``'s.

Two kinds of run over the app ``build_api`` makes, each sending every case once per role:

* ``run_operations``: every operation gets generated requests, valid (positive) and invalid
  (negative); valid ones also with ids that exist, so they reach the procedure, not only 404s.
  Negative mode also negates the bearer token (drops or garbles it) on part of its cases, which
  then answer 401; that is a check too, and it keeps ``GET /auth/me`` negatable at all.
* ``run_stateful``: schemathesis's state machine over the links it infers from the schema
  (ids one answer returns fed into the next request), so chains like file → verify → cancel →
  restore happen on ids the run itself created.

No answer may be a server error; every answer must match what the OpenAPI documents (status,
content type, body schema), and every error must be ``application/problem+json`` whose body is
the documented ``Problem`` with the answer's own status — schemathesis alone cannot see that,
since the documented problem+json content carries no schema.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from rescind.domain.access import Actor, Role
from rescind.domain.errors import Forbidden, Unauthenticated
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.auth import create_user, login
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.ports import PasswordHasher
from rescind.services.requests import file_request
from tests.api.conftest import API, Api, password_of

LOGOUT = f"POST {API}/auth/logout"
# Calls that may end the token they carry (or lock its user out) when they succeed.
TOKEN_ENDING = frozenset(
    {
        LOGOUT,
        f"POST {API}/auth/password",
        *(
            f"POST {API}/users/{{user_id}}/{action}"
            for action in ("password", "force-reset", "revoke-tokens", "deactivate")
        ),
    }
)
PROBLEM_FIELDS = ("type", "title", "status", "detail", "code")


def problem_json_on_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx answer is problem+json with the documented fields and its own status."""
    if response.status_code < 400:
        return None
    kind = (response.headers.get("content-type") or [""])[0]
    assert kind.split(";")[0].strip() == "application/problem+json", (
        f"{response.status_code} answered as {kind!r}, not application/problem+json"
    )
    body = json.loads(response.content)
    missing = [name for name in PROBLEM_FIELDS if name not in body]
    assert not missing, f"problem without {missing}: {body}"
    status = body["status"]
    assert status == response.status_code, f"problem status {status} in a {response.status_code}"
    return True


CHECKS: list[Callable[..., bool | None]] = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    problem_json_on_errors,
]


@dataclass
class Outcome:
    """What a run sent and what came back; ``failures`` holds each distinct failure once.

    A failing answer is recorded, not raised: Hypothesis would replay it to shrink it, and
    against a database the run keeps changing the replay goes elsewhere ("flaky") and hides
    the failure itself. ``failing`` counts every failing answer.
    """

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failing: int = 0
    restarts: int = 0  # stateful runs Hypothesis stopped early (see ``run_stateful``)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.sent.values())

    def answered(self, role: Role, case: Any, response: Any) -> None:
        """Count ``response`` and run every check on it; a failure is kept, once."""
        self.sent[role.value] += 1
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:
            self.failing += 1
            text = f"{case.operation.label} as {role.value}: {error}"
            key = f"{case.operation.label} {response.status_code} {str(error)[:200]}"
            if key not in self._seen:
                self._seen.add(key)
                self.failures.append(text)

    _seen: set[str] = field(default_factory=set, repr=False)

    def summary(self, title: str) -> str:
        statuses = dict(sorted(self.statuses.items()))
        return (
            f"{title}: {self.requests} requests ({dict(self.sent)}) in {self.seconds:.1f} s, "
            f"{self.failing} failing answers ({len(self.failures)} distinct), "
            f"{self.restarts} stateful runs stopped early; "
            f"answers by status: {statuses}"
        )


def known_ids(api: Api) -> dict[str, list[str]]:
    """Ids that exist, so valid requests reach the procedure, not only its 404s."""
    system = Actor.system("fuzz")
    # One open request per requester and job: JOB-004's second is its sales rep's.
    requests = [
        file_request(
            api.ctx,
            RequestDraft(
                job_id=job_id,
                channel=Channel.PHONE,
                requester_role=role,
                requester_name="The Homeowner",
                statement=WrittenStatement(kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it.")
                if role is RequesterRole.HOMEOWNER
                else None,
            ),
            actor=system,
        ).id
        for job_id, role in (
            ("JOB-002", RequesterRole.HOMEOWNER),
            ("JOB-004", RequesterRole.HOMEOWNER),
            ("JOB-004", RequesterRole.SALES_REP),
            ("JOB-003", RequesterRole.HOMEOWNER),
        )
    ]
    case = escalate_to_deal_processing(api.ctx, requests[2], actor=system)
    users = [
        create_user(
            api.ctx,
            api.app.state.rescind.passwords,
            actor=system,
            username=f"spare-{n}-{uuid.uuid4().hex[:6]}",  # a second run on the same database
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


def _cases(operation: Any, mode: GenerationMode, ids: dict[str, list[str]]) -> Any:
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


def fresh_token(
    ctx: Context, passwords: PasswordHasher, role: Role, *, username: str, password: str
) -> tuple[str, str]:
    """A new token for ``username`` (and that name), or for a replacement user of ``role``.

    Runs reach ``GET /auth/me`` → ``POST /users/{id}/deactivate`` (or a new password, or a
    forced reset) on the very user sending them; without a replacement every later call of
    that role would only see 401s. The replacement acts for the same scope.
    """
    try:
        return login(ctx, passwords, username, password).token, username
    except (Unauthenticated, Forbidden):  # Forbidden: PasswordChangeRequired after force-reset
        pass
    with ctx.uow() as uow:
        first = uow.users.by_username(role.value)
    replacement = f"{role.value}-{uuid.uuid4().hex[:8]}"
    create_user(
        ctx,
        passwords,
        actor=Actor.system("fuzz"),
        username=replacement,
        password=password,
        role=role,
        display_name=f"Fuzz {role.value}",
        scope_id=first.scope_id if first is not None else None,
    )
    return login(ctx, passwords, replacement, password).token, replacement


def _bearer(api: Api, role: Role) -> str:
    """A new token for ``role``'s user (or its replacement: ``fresh_token``)."""
    token, _usernames[role] = fresh_token(
        api.ctx,
        api.app.state.rescind.passwords,
        role,
        username=_usernames.get(role, role.value),
        password=password_of(role),
    )
    return f"Bearer {token}"


# Per process, across apps: a name missing from another database just gets its own replacement.
_usernames: dict[Role, str] = {}


def _schema(api: Api) -> Any:
    return schemathesis.openapi.from_asgi(f"{API}/openapi.json", api.app)


def _settings(examples: int, **more: Any) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        **more,
    )


def run_operations(
    api: Api,
    *,
    roles: Sequence[Role],
    examples: int,
    modes: Sequence[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Outcome:
    """``examples`` cases per operation and mode, each sent once as each of ``roles``."""
    schema = _schema(api)
    ids = known_ids(api)
    tokens = {role: _bearer(api, role) for role in roles}
    outcome = Outcome()

    def fuzz(operation: Any, mode: GenerationMode, session: Any) -> None:
        @given(case=_cases(operation, mode, ids))
        @_settings(examples)
        def send(case: Any) -> None:
            for role, token in tokens.items():
                # Logging out ends the token it carries: that call gets one of its own.
                auth = _bearer(api, role) if operation.label == LOGOUT else token
                answer = case.call(session=session, headers={"Authorization": auth})
                outcome.answered(role, case, answer)

        send()

    started = time.monotonic()
    app: Any = api.app  # a FastAPI app is an ASGI app; the two typings differ in detail
    with asgi.get_client(app) as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in modes:
                try:
                    fuzz(operation, mode, session)
                except (Exception, BaseExceptionGroup) as error:  # every operation has a turn
                    outcome.failures.append(f"{operation.label} ({mode.value}): {error}")
    outcome.seconds = time.monotonic() - started
    return outcome


def run_stateful(api: Api, *, roles: Sequence[Role], scenarios: int, steps: int = 10) -> Outcome:
    """``scenarios`` chains of up to ``steps`` linked calls, as each of ``roles`` in turn."""
    schema = _schema(api)
    known_ids(api)
    outcome = Outcome()
    started = time.monotonic()
    for role in roles:
        workflow = _workflow(schema, api, role, outcome)
        try:
            workflow.run(settings=_settings(scenarios, stateful_step_count=steps))
        except FlakyStrategyDefinition:
            # The run's own writes changed which links exist, so a chain Hypothesis retraces
            # draws differently and it stops the run: a limit of the harness, not the app's.
            outcome.restarts += 1
        except (Exception, BaseExceptionGroup) as error:
            outcome.failures.append(f"stateful as {role.value}: {error}")
    outcome.seconds = time.monotonic() - started
    return outcome


def _workflow(schema: Any, api: Api, role: Role, outcome: Outcome) -> Any:
    """Schemathesis's state machine sending ``role``'s token, counting into ``outcome``."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # A chain may have revoked the last one's token (``revoke-tokens`` on itself).
            self.token = _bearer(api, role)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # Logging out ends the token it carries: that call gets one of its own.
            auth = _bearer(api, role) if case.operation.label == LOGOUT else self.token
            return {"headers": {"Authorization": auth}}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            outcome.answered(role, case, response)

    return Workflow
