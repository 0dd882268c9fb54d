"""Users, logins and tokens: the auth use cases on the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rescind.adapters.passwords import Argon2Passwords
from rescind.domain.access import Role
from rescind.domain.audit import SYSTEM_STREAM
from rescind.domain.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotFound,
    Unauthenticated,
)
from rescind.domain.events import EventKind
from rescind.domain.user import TOKEN_LIFETIME, User, token_digest
from rescind.services.auth import (
    WRONG_CREDENTIALS,
    authenticate,
    create_user,
    deactivate_user,
    ensure_demo_users,
    list_users,
    login,
    logout,
    revoke_tokens,
)
from tests.fakes import World, actor

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ADMIN = actor("admin:ada")


@pytest.fixture(scope="module")
def passwords() -> Argon2Passwords:
    return Argon2Passwords(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
def world() -> World:
    return World.start(START)


def an_agent(world: World, passwords: Argon2Passwords, username: str = "alex") -> User:
    return create_user(
        world.ctx,
        passwords,
        actor=ADMIN,
        username=username,
        password="correct horse battery",
        role=Role.AGENT,
        display_name="Alex Agent",
    )


def test_an_admin_creates_a_user_whose_password_is_stored_only_as_a_hash(
    world: World, passwords: Argon2Passwords
) -> None:
    user = an_agent(world, passwords)

    assert user.id.startswith("USR-")
    stored = world.store.tables.users[user.id]
    assert stored.password_hash.startswith("$argon2id$")
    assert "correct horse" not in stored.password_hash
    records = world.store.tables.audit[SYSTEM_STREAM]
    assert records[-1].kind == EventKind.USER_CREATED
    assert records[-1].actor == "admin:ada"
    assert records[-1].data["username"] == "alex"


def test_a_taken_username_is_a_conflict_on_the_username_field(
    world: World, passwords: Argon2Passwords
) -> None:
    an_agent(world, passwords)
    with pytest.raises(AlreadyExists) as raised:
        an_agent(world, passwords)
    assert raised.value.field == "username"


def test_a_non_admin_may_not_create_users(world: World, passwords: Argon2Passwords) -> None:
    with pytest.raises(Forbidden):
        create_user(
            world.ctx,
            passwords,
            actor=actor("agent:alex"),
            username="mallory",
            password="correct horse battery",
            role=Role.ADMIN,
            display_name="Mallory",
        )
    assert world.store.tables.users == {}


def test_a_scoped_role_without_scope_id_is_invalid_input(
    world: World, passwords: Argon2Passwords
) -> None:
    with pytest.raises(InvalidInput) as raised:
        create_user(
            world.ctx,
            passwords,
            actor=ADMIN,
            username="ivy",
            password="correct horse battery",
            role=Role.INSTALLER,
            display_name="Ivy Installer",
        )
    assert raised.value.field == "scope_id"


def test_a_weak_password_is_invalid_input_on_the_password_field(
    world: World, passwords: Argon2Passwords
) -> None:
    with pytest.raises(InvalidInput) as raised:
        create_user(
            world.ctx,
            passwords,
            actor=ADMIN,
            username="alex",
            password="short",
            role=Role.AGENT,
            display_name="Alex",
        )
    assert raised.value.field == "password"


def test_login_issues_a_token_that_authenticates_its_user_until_it_expires(
    world: World, passwords: Argon2Passwords
) -> None:
    user = an_agent(world, passwords)

    issued = login(world.ctx, passwords, "alex", "correct horse battery")

    assert issued.user.id == user.id
    assert issued.expires_at == START + TOKEN_LIFETIME
    assert len(issued.token) >= 43  # 32 random bytes, URL-safe base64
    assert issued.token not in world.store.tables.tokens  # only its digest is kept
    assert token_digest(issued.token) in world.store.tables.tokens
    assert authenticate(world.ctx, issued.token).id == user.id

    world.clock.advance(TOKEN_LIFETIME - TOKEN_LIFETIME / 1000)
    assert authenticate(world.ctx, issued.token).id == user.id
    world.clock.set(START + TOKEN_LIFETIME)
    with pytest.raises(Unauthenticated, match="log in again"):
        authenticate(world.ctx, issued.token)


def test_wrong_password_and_unknown_user_get_the_same_answer(
    world: World, passwords: Argon2Passwords
) -> None:
    an_agent(world, passwords)

    with pytest.raises(Unauthenticated) as wrong_password:
        login(world.ctx, passwords, "alex", "not the password")
    with pytest.raises(Unauthenticated) as unknown_user:
        login(world.ctx, passwords, "nobody", "correct horse battery")

    assert wrong_password.value.message == unknown_user.value.message == WRONG_CREDENTIALS
    assert world.store.tables.tokens == {}


def test_an_unknown_token_is_unauthenticated(world: World) -> None:
    with pytest.raises(Unauthenticated, match="log in again"):
        authenticate(world.ctx, "not-a-token")


def test_logout_ends_that_token_only(world: World, passwords: Argon2Passwords) -> None:
    an_agent(world, passwords)
    laptop = login(world.ctx, passwords, "alex", "correct horse battery")
    phone = login(world.ctx, passwords, "alex", "correct horse battery")

    logout(world.ctx, laptop.token)
    logout(world.ctx, laptop.token)  # twice is fine

    with pytest.raises(Unauthenticated):
        authenticate(world.ctx, laptop.token)
    assert authenticate(world.ctx, phone.token).username == "alex"


def test_an_admin_revokes_every_token_of_a_user(world: World, passwords: Argon2Passwords) -> None:
    user = an_agent(world, passwords)
    tokens = [login(world.ctx, passwords, "alex", "correct horse battery") for _ in range(2)]

    assert revoke_tokens(world.ctx, actor=ADMIN, user_id=user.id) == 2
    assert revoke_tokens(world.ctx, actor=ADMIN, user_id=user.id) == 0

    for issued in tokens:
        with pytest.raises(Unauthenticated):
            authenticate(world.ctx, issued.token)
    assert world.store.tables.audit[SYSTEM_STREAM][-2].kind == EventKind.TOKENS_REVOKED
    # Logging in again works: revoking ends sessions, not the account.
    assert login(world.ctx, passwords, "alex", "correct horse battery").user.id == user.id


def test_a_deactivated_user_cannot_log_in_and_its_tokens_stop_working(
    world: World, passwords: Argon2Passwords
) -> None:
    user = an_agent(world, passwords)
    issued = login(world.ctx, passwords, "alex", "correct horse battery")

    deactivated = deactivate_user(world.ctx, actor=ADMIN, user_id=user.id)

    assert deactivated.active is False
    with pytest.raises(Unauthenticated):
        authenticate(world.ctx, issued.token)
    with pytest.raises(Unauthenticated) as raised:
        login(world.ctx, passwords, "alex", "correct horse battery")
    assert raised.value.message == WRONG_CREDENTIALS
    assert world.store.tables.audit[SYSTEM_STREAM][-1].kind == EventKind.USER_DEACTIVATED


def test_only_admins_manage_users(world: World, passwords: Argon2Passwords) -> None:
    user = an_agent(world, passwords)
    agent = actor("agent:alex")
    with pytest.raises(Forbidden):
        revoke_tokens(world.ctx, actor=agent, user_id=user.id)
    with pytest.raises(Forbidden):
        deactivate_user(world.ctx, actor=agent, user_id=user.id)
    with pytest.raises(Forbidden):
        list_users(world.ctx, actor=agent)


def test_an_admin_cannot_deactivate_themself(world: World, passwords: Argon2Passwords) -> None:
    admin = create_user(
        world.ctx,
        passwords,
        actor=ADMIN,
        username="ada",
        password="correct horse battery",
        role=Role.ADMIN,
        display_name="Ada",
    )
    with pytest.raises(NotAllowed):
        deactivate_user(world.ctx, actor=admin.actor, user_id=admin.id)


def test_managing_an_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        deactivate_user(world.ctx, actor=ADMIN, user_id="USR-nope")


def test_list_users_is_ordered_by_username(world: World, passwords: Argon2Passwords) -> None:
    an_agent(world, passwords, "zed")
    an_agent(world, passwords, "amy")
    assert [u.username for u in list_users(world.ctx, actor=ADMIN)] == ["amy", "zed"]


def test_login_upgrades_a_hash_made_with_weaker_parameters(world: World) -> None:
    weak = Argon2Passwords(time_cost=1, memory_cost=8192, parallelism=1)
    stronger = Argon2Passwords(time_cost=2, memory_cost=8192, parallelism=1)
    user = an_agent(world, weak)
    old_hash = world.store.tables.users[user.id].password_hash

    login(world.ctx, stronger, "alex", "correct horse battery")

    new_hash = world.store.tables.users[user.id].password_hash
    assert new_hash != old_hash
    assert "t=2" in new_hash
    assert not stronger.needs_rehash(new_hash)


def test_demo_users_cover_every_role_scoped_to_the_first_job(
    world: World, passwords: Argon2Passwords
) -> None:
    second = world.add(id="JOB-B")
    first = world.add(id="JOB-A")

    created = ensure_demo_users(world.ctx, passwords)

    by_role = {user.role: (user, password) for user, password in created}
    assert set(by_role) == set(Role) - {Role.SYSTEM}
    assert by_role[Role.INSTALLER][0].scope_id == first.installer.id
    assert by_role[Role.SALES_REP][0].scope_id == first.sales_rep.id
    assert by_role[Role.HOMEOWNER][0].scope_id == first.homeowner.id != second.homeowner.id
    assert by_role[Role.AGENT][1] == "agent-demo-pass"
    for user, password in created:
        assert login(world.ctx, passwords, user.username, password).user.id == user.id
    assert ensure_demo_users(world.ctx, passwords) == []


def test_demo_users_without_jobs_leave_out_the_scoped_roles(
    world: World, passwords: Argon2Passwords
) -> None:
    created = ensure_demo_users(world.ctx, passwords)
    assert {user.role for user, _ in created} == {
        Role.AGENT,
        Role.BACK_OFFICE,
        Role.DEAL_PROCESSING,
        Role.ADMIN,
    }


def test_argon2_verify_says_no_to_a_wrong_password_and_a_malformed_hash(
    passwords: Argon2Passwords,
) -> None:
    good = passwords.hash("correct horse battery")
    assert passwords.verify(good, "correct horse battery")
    assert not passwords.verify(good, "wrong")
    assert not passwords.verify("not-a-hash", "correct horse battery")
    assert not passwords.verify("", "")
    assert passwords.needs_rehash("not-a-hash")
    assert not passwords.needs_rehash(good)
