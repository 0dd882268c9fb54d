"""The role matrix: every write of the API against every role, on SQLite and PostgreSQL.

What each role may do comes from ``GRANTS`` (SPEC's table of people) and the permission each
route needs (``WRITES`` below); a write route found in the OpenAPI without a row here fails the
test, so a new route cannot skip the matrix. A role may be *allowed* (any answer of the
procedure: 2xx or 409), *forbidden* (403), or, for a scoped role on a job outside its scope,
told the job is *not found* (404) — never 403, so the job's existence does not leak.

Everything a write needs (a request, a case, a holiday, a user) is prepared through the
service layer as the system, so the only thing an answer depends on is the acting role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from rescind.adapters.csv_jobs import COLUMNS
from rescind.adapters.mail.inbound import parse_email
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.access import GRANTS, SCOPED_ROLES, Actor, Permission, Role
from rescind.domain.job import Job, Milestone, Phase, ProductModel
from rescind.domain.request import (
    Channel,
    CloseReason,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.auth import create_user
from rescind.services.calendar import add_company_holiday
from rescind.services.closing import close_with_reason
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.inbound import receive_email
from rescind.services.requests import file_request
from rescind.services.verification import send_verification_code
from rescind.services.webhooks import add_endpoint, list_deliveries
from tests.api.conftest import (
    API,
    INSTALLER,
    OTHER_INSTALLER,
    OTHER_REP,
    REP,
    STATE_CHANGE,
    Api,
    homeowner,
    if_match,
    password_of,
)

PROBLEM_JSON = "application/problem+json"
SYSTEM = Actor.system("matrix")
PEOPLE = [role for role in Role if role is not Role.SYSTEM]
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Logging in is how a role gets a token; changing one's own password proves the password.
NOT_IN_MATRIX = {("POST", f"{API}/auth/token"), ("POST", f"{API}/auth/password")}

# Direct Pay M1B with the invoice uploaded: every write has something to act on (it can be
# escalated, so cases exist). JOB-101 is in every scoped user's scope (INST-1, REP-1, HO-1);
# JOB-106 is in none of them (another company, another rep, another homeowner).
IN_SCOPE = "JOB-101"
OUT_OF_SCOPE = "JOB-106"


def matrix_job(job_id: str, *, ours: bool) -> Job:
    return Job(
        id=job_id,
        homeowner=homeowner(1, "Ada Lovelace") if ours else homeowner(6, "Fay Other"),
        installer=INSTALLER if ours else OTHER_INSTALLER,
        sales_rep=REP if ours else OTHER_REP,
        product_model=ProductModel.DIRECT_PAY,
        milestone=Milestone.M1B,
        invoice_uploaded=True,
        contract_signed_date=date(2026, 10, 1),
        installer_signed=True,
        phase=Phase.OPERATIONS,
    )


# --- what a write needs ------------------------------------------------------------------------


@dataclass
class Call:
    path: str
    json: Any = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fresh_login: bool = False  # act with a token of its own (the call revokes it)


@dataclass
class Target:
    """The job a write acts on, and the means to prepare what the write needs."""

    api: Api
    job_id: str
    made: int = 0

    def unique(self, prefix: str) -> str:
        self.made += 1
        return f"{prefix}{self.made}"

    def request(self, *, channel: Channel = Channel.PHONE) -> str:
        # One open request per requester: the homeowner withdraws the last one first.
        with self.api.ctx.uow() as uow:
            open_ids = [r.id for r in uow.requests.for_job(self.job_id) if r.is_open]
        for request_id in open_ids:
            close_with_reason(self.api.ctx, request_id, CloseReason.WITHDRAWN, actor=SYSTEM)
        filed = file_request(
            self.api.ctx,
            RequestDraft(
                job_id=self.job_id,
                channel=channel,
                requester_role=RequesterRole.HOMEOWNER,
                requester_name="The Homeowner",
                statement=WrittenStatement(
                    kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it."
                ),
            ),
            actor=SYSTEM,
        )
        return filed.id

    def request_with_code(self) -> tuple[str, str]:
        request_id = self.request()
        send_verification_code(self.api.ctx, request_id, actor=SYSTEM)
        return request_id, self.api.code_sent_for(self.job_id)

    def case(self) -> str:
        return escalate_to_deal_processing(self.api.ctx, self.request(), actor=SYSTEM).id

    def inbound(self) -> str:
        raw = (
            "From: Stranger <who@nowhere.example>\r\nTo: support@rescind.example\r\n"
            f"Subject: Please cancel\r\nMessage-ID: <{self.unique('in')}@nowhere.example>"
            "\r\n\r\nCancel my solar job please.\r\n"
        ).encode()
        return receive_email(self.api.ctx, parse_email(raw), raw).inbound_id

    def failed_email(self) -> str:
        """A failed email of the job (its verification code), URL-encoded for a path."""
        request_id = self.request()
        send_verification_code(self.api.ctx, request_id, actor=SYSTEM)
        with self.api.ctx.uow() as uow:
            email = uow.outbox.for_job(self.job_id)[-1]
            uow.outbox.mark_attempt_failed(
                email.message_id, self.api.clock.now(), "550 no such user", retry_at=None
            )
            uow.commit()
        return quote(email.message_id, safe="")

    def holiday(self) -> str:
        add_company_holiday(self.api.ctx, date(2026, 12, 24), "Christmas Eve", actor=SYSTEM)
        return "2026-12-24"

    def endpoint(self) -> str:
        return add_endpoint(
            self.api.ctx, "https://engine.example/hooks", ["request.filed"], actor=SYSTEM
        ).id

    def delivery(self) -> str:
        """A delivery of a request filed just now (pending: a retry is refused with 409)."""
        endpoint_id = self.endpoint()
        self.request()
        found = list_deliveries(self.api.ctx, actor=SYSTEM, endpoint_id=endpoint_id)
        return str(found[0].id)

    def user(self) -> str:
        created = create_user(
            self.api.ctx,
            Argon2Passwords(time_cost=1, memory_cost=8192),
            actor=SYSTEM,
            username=self.unique("target-"),
            password="a long enough passphrase",
            role=Role.AGENT,
            display_name="Target User",
        )
        return created.id


def _files_as(role: Role) -> str:
    """A scoped person files only as themself; anyone else files for the homeowner."""
    return {Role.INSTALLER: "installer", Role.SALES_REP: "sales_rep"}.get(role, "homeowner")


def _file(t: Target, role: Role) -> Call:
    return Call(
        f"{API}/requests",
        json={
            "job_id": t.job_id,
            "channel": "installer_portal" if role is Role.INSTALLER else "phone",
            "requester_role": _files_as(role),
            "requester_name": "Someone Asking",
        },
    )


def _confirm(t: Target, role: Role) -> Call:
    request_id, code = t.request_with_code()
    return Call(f"{API}/requests/{request_id}/verification/code/confirm", json={"code": code})


def _import(t: Target, role: Role) -> Call:
    row = (
        f"{t.unique('JOB-9')},HO-900001,Ada Homeowner,ada@homeowner.example,201-555-0100,INST-1,"
        "Sunny Roofs,ops@sunny.example,REP-1,Sam Rep,sam@sales.example,regular,M1,"
        "not_submitted,false,false,none,false,false,2026-10-01,operations"
    )
    return Call(
        f"{API}/jobs/import",
        content=",".join(COLUMNS) + "\n" + row + "\n",
        headers={"Content-Type": "text/csv"},
    )


def _new_user(t: Target, role: Role) -> Call:
    return Call(
        f"{API}/users",
        json={
            "username": t.unique("new-user-"),
            "password": "a long enough passphrase",
            "role": "agent",
            "display_name": "New Agent",
        },
    )


@dataclass(frozen=True)
class Write:
    permission: Permission | None  # None: anyone logged in
    on_job: bool  # acts on one job, so a scoped role's scope applies
    call: Callable[[Target, Role], Call]


WRITES: dict[tuple[str, str], Write] = {
    ("POST", f"{API}/auth/logout"): Write(
        None, False, lambda t, r: Call(f"{API}/auth/logout", fresh_login=True)
    ),
    ("POST", f"{API}/jobs/{{job_id}}/feed"): Write(
        Permission.COMMENT,
        True,
        lambda t, r: Call(f"{API}/jobs/{t.job_id}/feed", json={"body": "A note."}),
    ),
    ("POST", f"{API}/jobs/{{job_id}}/restore"): Write(
        Permission.RESTORE,
        True,
        lambda t, r: Call(f"{API}/jobs/{t.job_id}/restore", json={"why": "changed mind"}),
    ),
    ("POST", f"{API}/jobs/{{job_id}}/cancel"): Write(
        Permission.INSTALLER_CANCEL,
        True,
        lambda t, r: Call(
            f"{API}/jobs/{t.job_id}/cancel",
            json={"reason": "milestone_aged", "requester_name": "Ines Installer"},
        ),
    ),
    ("POST", f"{API}/jobs/import"): Write(Permission.IMPORT_JOBS, False, _import),
    ("POST", f"{API}/requests"): Write(Permission.FILE_REQUEST, True, _file),
    ("POST", f"{API}/requests/{{request_id}}/statement"): Write(
        Permission.ATTACH_STATEMENT,
        True,
        lambda t, r: Call(
            f"{API}/requests/{t.request()}/statement",
            json={"kind": "email", "content": "Please cancel my contract."},
        ),
    ),
    ("POST", f"{API}/requests/{{request_id}}/verification/code"): Write(
        Permission.SEND_CODE,
        True,
        lambda t, r: Call(f"{API}/requests/{t.request()}/verification/code"),
    ),
    ("POST", f"{API}/requests/{{request_id}}/verification/code/confirm"): Write(
        Permission.CONFIRM_CODE, True, _confirm
    ),
    ("POST", f"{API}/requests/{{request_id}}/verification/address-on-file"): Write(
        Permission.VERIFY_ADDRESS,
        True,
        lambda t, r: Call(
            f"{API}/requests/{t.request(channel=Channel.EMAIL)}/verification/address-on-file",
            json={"sender": "ada.1@home.example", "authenticated": True},
        ),
    ),
    ("POST", f"{API}/requests/{{request_id}}/cancel"): Write(
        Permission.CANCEL,
        True,
        lambda t, r: Call(f"{API}/requests/{t.request()}/cancel", json={"reason": "asked"}),
    ),
    ("POST", f"{API}/requests/{{request_id}}/close"): Write(
        Permission.CLOSE_REQUEST,
        True,
        lambda t, r: Call(
            f"{API}/requests/{t.request()}/close",
            json={"reason": "withdrawn", "note": "the homeowner called back"},
        ),
    ),
    ("POST", f"{API}/requests/{{request_id}}/escalation"): Write(
        Permission.ESCALATE,
        True,
        lambda t, r: Call(f"{API}/requests/{t.request()}/escalation", json={"detail": "M1B"}),
    ),
    ("POST", f"{API}/inbound/{{inbound_id}}/attach"): Write(
        Permission.TRIAGE_EMAIL,
        False,
        lambda t, r: Call(f"{API}/inbound/{t.inbound()}/attach", json={"job_id": t.job_id}),
    ),
    ("POST", f"{API}/inbound/{{inbound_id}}/dismiss"): Write(
        Permission.TRIAGE_EMAIL,
        False,
        lambda t, r: Call(f"{API}/inbound/{t.inbound()}/dismiss", json={"reason": "spam"}),
    ),
    ("POST", f"{API}/outbox/{{message_id}}/resend"): Write(
        Permission.RESEND_EMAIL,
        False,
        lambda t, r: Call(f"{API}/outbox/{t.failed_email()}/resend"),
    ),
    ("POST", f"{API}/outbox/{{message_id}}/address"): Write(
        Permission.RESEND_EMAIL,
        False,
        lambda t, r: Call(
            f"{API}/outbox/{t.failed_email()}/address",
            json={"old": "ada.1@home.example", "new": "ada@fixed.example"},
        ),
    ),
    ("POST", f"{API}/cases/{{case_id}}/approve"): Write(
        Permission.DECIDE_CASE,
        True,
        lambda t, r: Call(f"{API}/cases/{t.case()}/approve", json={"note": "written off"}),
    ),
    ("POST", f"{API}/cases/{{case_id}}/deny"): Write(
        Permission.DECIDE_CASE,
        True,
        lambda t, r: Call(f"{API}/cases/{t.case()}/deny", json={"reason": "invoice stands"}),
    ),
    ("POST", f"{API}/cases/{{case_id}}/reassign"): Write(
        Permission.REASSIGN_CASE,
        True,
        lambda t, r: Call(f"{API}/cases/{t.case()}/reassign", json={"queue": "deal_processing"}),
    ),
    ("POST", f"{API}/cases/{{case_id}}/assign"): Write(
        Permission.REASSIGN_CASE,
        True,
        lambda t, r: Call(f"{API}/cases/{t.case()}/assign", json={"user_id": "agent:agent"}),
    ),
    ("POST", f"{API}/cases/{{case_id}}/comment"): Write(
        Permission.COMMENT,
        True,
        lambda t, r: Call(f"{API}/cases/{t.case()}/comment", json={"body": "Called finance."}),
    ),
    ("POST", f"{API}/policies"): Write(
        Permission.PUBLISH_POLICY,
        False,
        lambda t, r: Call(
            f"{API}/policies",
            json={
                "document": load_policy_document(default_policy_path()),
                "effective_at": "2027-01-01T00:00:00-05:00",
            },
        ),
    ),
    ("POST", f"{API}/policies/simulate"): Write(
        Permission.PUBLISH_POLICY,
        False,
        lambda t, r: Call(
            f"{API}/policies/simulate",
            json={"document": load_policy_document(default_policy_path())},
        ),
    ),
    ("POST", f"{API}/holidays"): Write(
        Permission.MANAGE_HOLIDAYS,
        False,
        lambda t, r: Call(f"{API}/holidays", json={"day": "2026-12-31", "name": "New Year's Eve"}),
    ),
    ("DELETE", f"{API}/holidays/{{day}}"): Write(
        Permission.MANAGE_HOLIDAYS, False, lambda t, r: Call(f"{API}/holidays/{t.holiday()}")
    ),
    ("POST", f"{API}/users"): Write(Permission.MANAGE_USERS, False, _new_user),
    ("POST", f"{API}/webhooks"): Write(
        Permission.MANAGE_WEBHOOKS,
        False,
        lambda t, r: Call(
            f"{API}/webhooks",
            json={"url": "https://crm.example/hooks", "event_types": ["workflow.cancelled"]},
        ),
    ),
    ("POST", f"{API}/webhooks/{{endpoint_id}}/rotate"): Write(
        Permission.MANAGE_WEBHOOKS,
        False,
        lambda t, r: Call(f"{API}/webhooks/{t.endpoint()}/rotate"),
    ),
    ("DELETE", f"{API}/webhooks/{{endpoint_id}}"): Write(
        Permission.MANAGE_WEBHOOKS, False, lambda t, r: Call(f"{API}/webhooks/{t.endpoint()}")
    ),
    ("POST", f"{API}/webhooks/deliveries/{{delivery_id}}/retry"): Write(
        Permission.MANAGE_WEBHOOKS,
        False,
        lambda t, r: Call(f"{API}/webhooks/deliveries/{t.delivery()}/retry"),
    ),
    ("POST", f"{API}/users/{{user_id}}/revoke-tokens"): Write(
        Permission.MANAGE_USERS, False, lambda t, r: Call(f"{API}/users/{t.user()}/revoke-tokens")
    ),
    ("POST", f"{API}/users/{{user_id}}/deactivate"): Write(
        Permission.MANAGE_USERS, False, lambda t, r: Call(f"{API}/users/{t.user()}/deactivate")
    ),
    ("POST", f"{API}/users/{{user_id}}/password"): Write(
        Permission.MANAGE_USERS,
        False,
        lambda t, r: Call(f"{API}/users/{t.user()}/password", json={"password": "x" * 12}),
    ),
    ("POST", f"{API}/users/{{user_id}}/force-reset"): Write(
        Permission.MANAGE_USERS, False, lambda t, r: Call(f"{API}/users/{t.user()}/force-reset")
    ),
}


# --- outcomes ----------------------------------------------------------------------------------

ALLOWED, FORBIDDEN, NOT_FOUND = "allowed", "forbidden", "not found"


def expected(write: Write, role: Role, *, in_scope: bool) -> str:
    if write.on_job and role in SCOPED_ROLES and not in_scope:
        return NOT_FOUND
    if write.permission is None or write.permission in GRANTS[role]:
        return ALLOWED
    return FORBIDDEN


def outcome(answer: Any) -> str:
    """The class of an answer; anything outside the three classes is shown as it is."""
    status = answer.status_code
    if status in (200, 201, 204, 409):
        return ALLOWED  # 409: the procedure refused, after the role was let through
    problem = answer.json() if answer.headers.get("content-type", "") == PROBLEM_JSON else {}
    if status == 403 and problem.get("code") == "forbidden":
        return FORBIDDEN
    if status == 404 and problem.get("code") == "not_found":
        return NOT_FOUND
    return f"{status} {answer.text[:300]}"


def login(api: Api, role: Role) -> TestClient:
    client = api.anonymous()
    answer = client.post(
        f"{API}/auth/token", json={"username": role.value, "password": password_of(role)}
    )
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def send(api: Api, client: TestClient, role: Role, call: Call, method: str) -> Any:
    actor = login(api, role) if call.fresh_login else client
    headers = call.headers
    if STATE_CHANGE.search(call.path):
        headers = {**if_match(actor, call.path), **headers}
    return actor.request(method, call.path, json=call.json, content=call.content, headers=headers)


def run_matrix(api: Api, role: Role, job_id: str, *, in_scope: bool) -> dict[str, str]:
    """Each write as ``role`` on ``job_id``: route → (actual, expected) where they differ."""
    client = api.client(role)
    target = Target(api, job_id)
    differences: dict[str, str] = {}
    for (method, path), write in WRITES.items():
        if not in_scope and not write.on_job:
            continue
        want = expected(write, role, in_scope=in_scope)
        got = outcome(send(api, client, role, write.call(target, role), method))
        if got != want:
            differences[f"{method} {path}"] = f"got {got!r}, expected {want!r}"
    return differences


@pytest.fixture
def matrix_api(api: Api) -> Api:
    with api.uow() as uow:
        uow.jobs.add(matrix_job(IN_SCOPE, ours=True))
        uow.jobs.add(matrix_job(OUT_OF_SCOPE, ours=False))
        uow.commit()
    return api


# --- the matrix --------------------------------------------------------------------------------


def test_the_matrix_has_a_row_for_every_write_route_in_the_openapi(api: Api) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in api.app.openapi()["paths"].items()
        for method in operations
        if method in WRITE_METHODS and path.startswith(API)
    }

    assert routes - NOT_IN_MATRIX == set(WRITES), "add the new route to WRITES"


@pytest.mark.parametrize("role", PEOPLE, ids=[r.value for r in PEOPLE])
def test_every_role_gets_exactly_the_writes_its_grants_allow(matrix_api: Api, role: Role) -> None:
    assert run_matrix(matrix_api, role, IN_SCOPE, in_scope=True) == {}


def test_every_guarded_write_is_allowed_to_some_role_and_forbidden_to_another() -> None:
    """A guard on the table itself: no route is open to all or closed to all by mistake."""
    for (method, path), write in WRITES.items():
        seen = {expected(write, role, in_scope=True) for role in PEOPLE}
        if write.permission is None:
            assert seen == {ALLOWED}, (method, path)
        else:
            assert seen == {ALLOWED, FORBIDDEN}, (method, path)


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES), ids=[r.value for r in sorted(SCOPED_ROLES)])
def test_a_scoped_role_is_told_another_ones_job_does_not_exist_on_every_write(
    matrix_api: Api, role: Role
) -> None:
    client = matrix_api.client(role)

    assert client.get(f"{API}/jobs/{IN_SCOPE}").status_code == 200
    seen = client.get(f"{API}/jobs/{OUT_OF_SCOPE}")
    assert seen.status_code == 404
    assert seen.json()["code"] == "not_found"
    assert run_matrix(matrix_api, role, OUT_OF_SCOPE, in_scope=False) == {}


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES), ids=[r.value for r in sorted(SCOPED_ROLES)])
def test_a_scoped_role_files_requests_only_as_itself(api: Api, role: Role) -> None:
    client = api.client(role)

    for requester_role in ("homeowner", "installer", "sales_rep"):
        answer = client.post(
            f"{API}/requests",
            json={
                "job_id": "JOB-001",
                "channel": "phone",
                "requester_role": requester_role,
                "requester_name": "Someone Asking",
            },
        )
        assert answer.status_code == (201 if requester_role == role.value else 403), answer.text


@pytest.mark.parametrize("role", [Role.INSTALLER, Role.SALES_REP], ids=["installer", "sales_rep"])
def test_an_installer_or_a_sales_rep_cannot_attach_a_statement_when_filing(
    api: Api, role: Role
) -> None:
    client = api.client(role)
    filing = {
        "job_id": "JOB-002",
        "channel": "installer_portal" if role is Role.INSTALLER else "phone",
        "requester_role": role.value,
        "requester_name": "Someone Asking",
    }
    statement = {"kind": "email", "content": "I, the homeowner, want to cancel."}

    refused = client.post(f"{API}/requests", json=filing | {"statement": statement})

    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert refused.json()["type"] == "/problems/forbidden"
    assert "cannot attach the homeowner's written statement" in refused.json()["detail"]
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-002/requests").json() == []  # nothing half-filed
    # The "homeowner emailed us" request, without a statement, is still theirs to file.
    filed = client.post(f"{API}/requests", json=filing | {"homeowner_emailed": True})
    assert filed.status_code == 201, filed.text
    assert filed.json()["statement"] is None


@pytest.mark.parametrize(
    "statement",
    [{"kind": "mail_notice", "content": "I cancel."}, {"kind": "email", "content": " "}],
    ids=["notice_without_postmark", "blank_email"],
)
def test_an_installer_filing_a_statement_the_domain_refuses_is_told_it_cannot_attach_one(
    api: Api, statement: dict[str, str]
) -> None:
    # The statement is checked when the service receives it, after who may attach one.
    filing = {
        "job_id": "JOB-002",
        "channel": "installer_portal",
        "requester_role": "installer",
        "requester_name": "Ines Installer",
        "statement": statement,
    }

    refused = api.client(Role.INSTALLER).post(f"{API}/requests", json=filing)

    assert refused.status_code == 403, refused.text
    assert "cannot attach the homeowner's written statement" in refused.json()["detail"]


def test_the_homeowner_and_an_agent_may_attach_a_statement_when_filing(api: Api) -> None:
    statement = {"kind": "email", "content": "Please cancel."}
    for role, job_id in ((Role.HOMEOWNER, "JOB-001"), (Role.AGENT, "JOB-002")):
        filed = api.client(role).post(
            f"{API}/requests",
            json={
                "job_id": job_id,
                "channel": "email",
                "requester_role": "homeowner",
                "requester_name": "Ada Lovelace",
                "statement": statement,
            },
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["statement"]["kind"] == "email"


def test_an_installer_sees_its_companys_jobs_and_a_sales_rep_its_own(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    rep = api.client(Role.SALES_REP)

    assert installer.get(f"{API}/jobs/JOB-002").status_code == 200
    assert installer.get(f"{API}/jobs/JOB-006").status_code == 404
    assert rep.get(f"{API}/jobs/JOB-002").status_code == 200
    assert rep.get(f"{API}/jobs/JOB-006").status_code == 404
    listed = {j["id"] for j in installer.get(f"{API}/jobs").json()["items"]}
    assert "JOB-002" in listed
    assert "JOB-006" not in listed


# --- no token, a revoked token -----------------------------------------------------------------


def assert_unauthenticated(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json()["type"] == "/problems/unauthenticated"


def test_every_write_without_a_token_is_a_401_problem_asking_for_a_bearer_token(
    matrix_api: Api,
) -> None:
    anonymous = matrix_api.anonymous()
    target = Target(matrix_api, IN_SCOPE)

    for (method, _), write in WRITES.items():
        call = write.call(target, Role.AGENT)
        answer = anonymous.request(
            method, call.path, json=call.json, content=call.content, headers=call.headers
        )
        assert_unauthenticated(answer)
    wrong_scheme = anonymous.get(f"{API}/jobs", headers={"Authorization": "Basic YWdlbnQ6eA=="})
    assert_unauthenticated(wrong_scheme)
    made_up = anonymous.get(f"{API}/jobs", headers={"Authorization": "Bearer not-a-token"})
    assert_unauthenticated(made_up)


def test_a_token_stops_working_once_revoked_by_logout_or_by_an_admin(api: Api) -> None:
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/auth/me").status_code == 200

    assert agent.post(f"{API}/auth/logout").status_code == 204

    assert_unauthenticated(agent.get(f"{API}/auth/me"))
    assert_unauthenticated(agent.post(f"{API}/jobs/JOB-002/feed", json={"body": "still here?"}))
    rep = api.client(Role.SALES_REP)
    rep_id = rep.get(f"{API}/auth/me").json()["id"]
    revoked = api.client(Role.ADMIN).post(f"{API}/users/{rep_id}/revoke-tokens")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] >= 1
    assert_unauthenticated(rep.get(f"{API}/jobs/JOB-002"))
    assert api.client(Role.SALES_REP).get(f"{API}/jobs/JOB-002").status_code == 200
