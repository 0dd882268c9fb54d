"""Users, API tokens and idempotency keys in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from rescind.domain.access import Role
from rescind.domain.errors import AlreadyExists, NotFound
from rescind.domain.user import TokenRecord, User
from rescind.services.ports import IdempotencyEntry, StoredResponse
from tests.integration.conftest import UowFactory, utc

AT = utc(2026, 11, 23, 15, 0, 123456)


def a_user(user_id: str = "USR-1", username: str = "alex", **changes: object) -> User:
    fields: dict[str, object] = {
        "id": user_id,
        "username": username,
        "display_name": "Alex Agent",
        "role": Role.INSTALLER,
        "password_hash": "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA",
        "created_at": AT,
        "scope_id": "inst-1",
        "active": True,
    }
    fields.update(changes)
    return User(**fields)  # type: ignore[arg-type]


def add_user(uow_factory: UowFactory, user: User) -> None:
    with uow_factory() as uow:
        uow.users.add(user)
        uow.commit()


def run_together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads released at once; the errors they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait(timeout=10)
        try:
            work(n)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


# --- users ----------------------------------------------------------------------------------


def test_a_user_comes_back_with_every_field(uow_factory: UowFactory) -> None:
    user = a_user()
    add_user(uow_factory, user)

    with uow_factory() as uow:
        assert uow.users.get("USR-1") == user
        assert uow.users.by_username("alex") == user
        assert uow.users.by_username("nobody") is None
        loaded = uow.users.get("USR-1")
    assert loaded.created_at.tzinfo is not None


def test_saving_a_user_writes_back_its_changes(uow_factory: UowFactory) -> None:
    add_user(uow_factory, a_user())
    with uow_factory() as uow:
        user = uow.users.get("USR-1")
        user.active = False
        user.password_hash = "$argon2id$new"
        user.display_name = "Alex A."
        uow.users.save(user)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get("USR-1") == user


def test_users_list_in_username_order(uow_factory: UowFactory) -> None:
    add_user(uow_factory, a_user("USR-1", "zed"))
    add_user(uow_factory, a_user("USR-2", "amy", role=Role.ADMIN, scope_id=None))
    with uow_factory() as uow:
        assert [u.username for u in uow.users.list()] == ["amy", "zed"]


def test_an_unknown_user_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            uow.users.get("USR-nope")
        with pytest.raises(NotFound):
            uow.users.save(a_user("USR-nope"))


def test_a_taken_username_is_refused_on_the_username_field(uow_factory: UowFactory) -> None:
    add_user(uow_factory, a_user("USR-1", "alex"))
    with uow_factory() as uow, pytest.raises(AlreadyExists) as raised:
        uow.users.add(a_user("USR-2", "alex"))
    assert raised.value.field == "username"


def test_two_creating_one_username_at_once_leave_one_user(uow_factory: UowFactory) -> None:
    def create(n: int) -> None:
        with uow_factory() as uow:
            uow.users.add(a_user(f"USR-{n}", "alex"))
            time.sleep(0.05)  # hold the row uncommitted while the others try
            uow.commit()

    errors = run_together(3, create)

    assert len(errors) == 2
    assert all(isinstance(e, AlreadyExists) and e.field == "username" for e in errors), errors
    with uow_factory() as uow:
        assert len(uow.users.list()) == 1


# --- tokens ---------------------------------------------------------------------------------


def a_token(digest: str, *, expires_in: timedelta = timedelta(hours=12)) -> TokenRecord:
    return TokenRecord(digest=digest, user_id="USR-1", issued_at=AT, expires_at=AT + expires_in)


def test_a_token_comes_back_and_revoking_it_stamps_the_moment(uow_factory: UowFactory) -> None:
    add_user(uow_factory, a_user())
    with uow_factory() as uow:
        uow.tokens.add(a_token("d1"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.get("d1") == a_token("d1")
        assert uow.tokens.get("nope") is None
        uow.tokens.revoke("d1", AT + timedelta(hours=1))
        uow.commit()
    with uow_factory() as uow:
        uow.tokens.revoke("d1", AT + timedelta(hours=2))  # the first revocation stands
        uow.tokens.revoke("nope", AT)
        uow.commit()
    with uow_factory() as uow:
        revoked = uow.tokens.get("d1")
    assert revoked is not None
    assert revoked.revoked_at == AT + timedelta(hours=1)
    assert not revoked.valid_at(AT + timedelta(hours=1))


def test_a_token_s_holder_comes_back_with_the_token_in_one_read(
    uow_factory: UowFactory,
) -> None:
    add_user(uow_factory, a_user())
    with uow_factory() as uow:
        uow.tokens.add(a_token("d1"))
        uow.commit()
    with uow_factory() as uow:
        held = uow.tokens.holder("d1")
        assert uow.tokens.holder("nope") is None
        assert held == (a_token("d1"), uow.users.get("USR-1"))


def test_revoking_all_of_a_user_s_tokens_counts_only_the_live_ones(
    uow_factory: UowFactory,
) -> None:
    add_user(uow_factory, a_user())
    add_user(uow_factory, a_user("USR-2", "blair"))
    later = AT + timedelta(hours=2)
    with uow_factory() as uow:
        uow.tokens.add(a_token("live-1"))
        uow.tokens.add(a_token("live-2"))
        uow.tokens.add(a_token("expired", expires_in=timedelta(hours=1)))
        uow.tokens.add(TokenRecord("revoked", "USR-1", AT, AT + timedelta(hours=12), AT))
        uow.tokens.add(TokenRecord("other-user", "USR-2", AT, AT + timedelta(hours=12)))
        uow.commit()

    with uow_factory() as uow:
        assert uow.tokens.revoke_all("USR-1", later) == 2
        uow.commit()

    with uow_factory() as uow:
        assert all(
            not token.valid_at(later)
            for digest in ("live-1", "live-2", "expired", "revoked")
            if (token := uow.tokens.get(digest)) is not None
        )
        other = uow.tokens.get("other-user")
        assert other is not None
        assert other.valid_at(later)
        assert uow.tokens.revoke_all("USR-1", later) == 0


# --- idempotency ----------------------------------------------------------------------------


RESPONSE = StoredResponse(
    status_code=201,
    body=b'{"id": "REQ-1", "note": "caf\\u00e9"}\x00\xff',
    content_type="application/json",
    headers={"Location": "/api/v1/requests/REQ-1", "ETag": '"0"'},
)


def reserve(uow_factory: UowFactory, key: str = "k-1", user: str = "USR-1") -> object:
    with uow_factory() as uow:
        found = uow.idempotency.reserve(user, key, "fp-1", AT)
        uow.commit()
    return found


def test_the_first_reservation_gets_none_and_later_ones_the_entry(
    uow_factory: UowFactory,
) -> None:
    assert reserve(uow_factory) is None
    with uow_factory() as uow:
        # Another fingerprint does not overwrite: the caller compares and refuses.
        again = uow.idempotency.reserve("USR-1", "k-1", "fp-other", AT + timedelta(seconds=5))
        uow.commit()
    assert again == IdempotencyEntry(fingerprint="fp-1", response=None, reserved_at=AT)
    # Keys are per user.
    assert reserve(uow_factory, user="USR-2") is None


def test_a_completed_key_replays_the_stored_response(uow_factory: UowFactory) -> None:
    reserve(uow_factory)
    with uow_factory() as uow:
        uow.idempotency.complete("USR-1", "k-1", RESPONSE)
        uow.commit()

    entry = reserve(uow_factory)

    assert entry == IdempotencyEntry(fingerprint="fp-1", response=RESPONSE, reserved_at=AT)


def test_a_released_key_can_be_reserved_again(uow_factory: UowFactory) -> None:
    reserve(uow_factory)
    with uow_factory() as uow:
        uow.idempotency.release("USR-1", "k-1")
        uow.idempotency.release("USR-1", "never-reserved")
        uow.commit()
    assert reserve(uow_factory) is None


def test_a_reservation_that_is_not_committed_is_not_kept(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.idempotency.reserve("USR-1", "k-1", "fp-1", AT) is None
    assert reserve(uow_factory) is None


def test_of_concurrent_reservers_of_one_key_exactly_one_gets_it(uow_factory: UowFactory) -> None:
    results: list[IdempotencyEntry | None] = []

    def attempt(n: int) -> None:
        with uow_factory() as uow:
            results.append(uow.idempotency.reserve("USR-1", "k-1", "fp-1", AT))
            time.sleep(0.05)  # keep the claim uncommitted while the others arrive
            uow.commit()

    errors = run_together(5, attempt)

    assert errors == []
    assert results.count(None) == 1
    assert [r for r in results if r is not None] == [
        IdempotencyEntry(fingerprint="fp-1", response=None, reserved_at=AT)
    ] * 4
