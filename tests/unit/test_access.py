"""Who may do what, and on which jobs: the table of people in SPEC, role by role."""

from __future__ import annotations

import pytest

from rescind.domain.access import (
    EVERY_JOB,
    GRANTS,
    SCOPED_ROLES,
    Actor,
    JobScope,
    Permission,
    Role,
    require,
    require_files_as,
)
from rescind.domain.errors import Forbidden, InvalidInput, NotFound
from rescind.domain.job import Homeowner, InstallerCompany, SalesRep
from rescind.domain.request import RequesterRole
from tests.fakes import job_factory

P = Permission
READ_ALL = {
    P.READ_JOBS,
    P.READ_QUEUES,
    P.READ_AUDIT,
    P.READ_OUTBOX,
    P.READ_EVENTS,
    P.READ_INSIGHTS,
}

EXPECTED: dict[Role, set[Permission]] = {
    Role.AGENT: READ_ALL
    | {
        P.FILE_REQUEST,
        P.ATTACH_STATEMENT,
        P.SEND_CODE,
        P.CONFIRM_CODE,
        P.VERIFY_ADDRESS,
        P.CANCEL,
        P.CLOSE_REQUEST,
        P.TRIAGE_EMAIL,
        P.RESEND_EMAIL,
        P.RESTORE,
        P.ESCALATE,
        P.REASSIGN_CASE,
        P.COMMENT,
        P.READ_DEMO_MAILBOX,
    },
    Role.BACK_OFFICE: READ_ALL | {P.ESCALATE, P.REASSIGN_CASE, P.COMMENT, P.RESEND_EMAIL},
    Role.DEAL_PROCESSING: READ_ALL | {P.DECIDE_CASE, P.COMMENT},
    Role.INSTALLER: {
        P.READ_JOBS,
        P.READ_EVENTS,
        P.READ_INSIGHTS,
        P.FILE_REQUEST,
        P.INSTALLER_CANCEL,
    },
    Role.SALES_REP: {P.READ_JOBS, P.FILE_REQUEST},
    Role.HOMEOWNER: {P.READ_JOBS, P.FILE_REQUEST, P.ATTACH_STATEMENT, P.CONFIRM_CODE},
    Role.ADMIN: READ_ALL
    | {
        P.IMPORT_JOBS,
        P.PUBLISH_POLICY,
        P.MANAGE_HOLIDAYS,
        P.MANAGE_USERS,
        P.SWEEP,
        P.MANAGE_WEBHOOKS,
        P.READ_DEMO_MAILBOX,
        P.RESEND_EMAIL,
    },
    Role.SYSTEM: set(Permission),
}

SCOPES = {Role.INSTALLER: "INST-1", Role.SALES_REP: "REP-1", Role.HOMEOWNER: "HO-1"}


def an_actor(role: Role, scope_id: str | None = None) -> Actor:
    return Actor(id=f"{role.value}:someone", role=role, scope_id=scope_id or SCOPES.get(role))


def test_every_role_is_in_the_table() -> None:
    assert set(GRANTS) == set(Role) == set(EXPECTED)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_a_role_may_do_exactly_what_the_table_grants(role: Role, permission: Permission) -> None:
    who = an_actor(role)
    allowed = permission in EXPECTED[role]
    assert who.may(permission) is allowed
    if allowed:
        require(who, permission)
    else:
        with pytest.raises(Forbidden, match=f"may not {permission.value.replace('_', ' ')}"):
            require(who, permission)


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
def test_a_scoped_person_sees_its_own_jobs(role: Role) -> None:
    job = job_factory(
        homeowner=Homeowner(id="HO-1", name="Pat", email="pat@home.example"),
        installer=InstallerCompany(id="INST-1", name="Sunny", email="ops@sunny.example"),
        sales_rep=SalesRep(id="REP-1", name="Sam", email="sam@sales.example"),
    )
    assert an_actor(role).sees(job)
    require(an_actor(role), Permission.READ_JOBS, job)


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
def test_another_scope_s_job_is_reported_as_not_found_not_forbidden(role: Role) -> None:
    job = job_factory(
        homeowner=Homeowner(id="HO-2", name="Kim", email="kim@home.example"),
        installer=InstallerCompany(id="INST-2", name="Shade", email="ops@shade.example"),
        sales_rep=SalesRep(id="REP-2", name="Sue", email="sue@sales.example"),
    )
    outsider = an_actor(role)
    assert not outsider.sees(job)
    with pytest.raises(NotFound, match=job.id):
        require(outsider, Permission.READ_JOBS, job)
    # Not found wins even over a permission the role lacks: nothing about the job leaks.
    with pytest.raises(NotFound):
        require(outsider, Permission.CANCEL, job)


def test_an_installer_sees_its_company_s_jobs_whoever_the_homeowner_and_rep() -> None:
    job = job_factory(
        installer=InstallerCompany(id="INST-1", name="Sunny", email="ops@sunny.example"),
        sales_rep=SalesRep(id="REP-9", name="Other", email="other@sales.example"),
    )
    assert an_actor(Role.INSTALLER).sees(job)
    assert not an_actor(Role.SALES_REP).sees(job)


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.BACK_OFFICE, Role.DEAL_PROCESSING, Role.ADMIN, Role.SYSTEM]
)
def test_unscoped_roles_see_every_job(role: Role) -> None:
    assert an_actor(role).sees(job_factory())


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.INSTALLER, JobScope(installer_id="INST-1")),
        (Role.SALES_REP, JobScope(sales_rep_id="REP-1")),
        (Role.HOMEOWNER, JobScope(homeowner_id="HO-1")),
        (Role.AGENT, EVERY_JOB),
        (Role.SYSTEM, EVERY_JOB),
    ],
)
def test_an_actors_scope_is_its_company_itself_or_every_job(role: Role, scope: JobScope) -> None:
    assert an_actor(role).scope == scope
    assert scope.every_job is (role not in SCOPED_ROLES)


def test_a_scope_covers_a_job_only_when_every_id_it_names_matches() -> None:
    job = job_factory(
        homeowner=Homeowner(id="HO-1", name="Pat", email="pat@home.example"),
        installer=InstallerCompany(id="INST-1", name="Sunny", email="ops@sunny.example"),
        sales_rep=SalesRep(id="REP-1", name="Sam", email="sam@sales.example"),
    )
    assert EVERY_JOB.covers(job)
    assert JobScope(installer_id="INST-1", homeowner_id="HO-1").covers(job)
    assert not JobScope(installer_id="INST-1", homeowner_id="HO-2").covers(job)
    assert not JobScope(sales_rep_id="REP-2").covers(job)


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
def test_a_scoped_actor_without_scope_is_invalid_input(role: Role) -> None:
    with pytest.raises(InvalidInput) as raised:
        Actor(id=f"{role.value}:nobody", role=role)
    assert raised.value.field == "scope_id"


@pytest.mark.parametrize(
    ("role", "own"),
    [
        (Role.INSTALLER, RequesterRole.INSTALLER),
        (Role.SALES_REP, RequesterRole.SALES_REP),
        (Role.HOMEOWNER, RequesterRole.HOMEOWNER),
    ],
)
def test_a_scoped_person_files_requests_only_as_themself(role: Role, own: RequesterRole) -> None:
    who = an_actor(role)
    require_files_as(who, own)
    for other in set(RequesterRole) - {own}:
        with pytest.raises(Forbidden, match=f"not as {other.value.replace('_', ' ')}"):
            require_files_as(who, other)


@pytest.mark.parametrize("role", [Role.AGENT, Role.BACK_OFFICE, Role.SYSTEM])
def test_staff_file_requests_on_behalf_of_anyone(role: Role) -> None:
    for requester in RequesterRole:
        require_files_as(an_actor(role), requester)


def test_the_system_actor_is_named_for_its_process() -> None:
    system = Actor.system("sweep")
    assert str(system) == "system:sweep"
    assert system.role is Role.SYSTEM
