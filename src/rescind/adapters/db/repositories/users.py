"""Users who log in, and their API tokens (stored as digests, never as the token itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import TOKEN, USER
from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.tables import (
    ApiTokenRow,
    AppUserRow,
    HomeownerRow,
    InstallerCompanyRow,
    SalesRepRow,
)
from rescind.domain.access import Role
from rescind.domain.errors import AlreadyExists, NotFound
from rescind.domain.user import TokenRecord, User


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user: User) -> None:
        taken = AlreadyExists(f"the username {user.username!r} is taken", field="username")
        if self.by_username(user.username) is not None:
            raise taken
        # A twin created concurrently hits the unique index; the savepoint keeps the
        # transaction usable and the caller hears the same "taken".
        try:
            with self._session.begin_nested():
                self._session.add(AppUserRow(**USER.row(user)))
        except IntegrityError as exc:
            raise taken from exc

    def get(self, user_id: str) -> User:
        row = self._session.execute(
            select(*USER.selected).where(AppUserRow.id == user_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no user with id {user_id!r}; users list shows them")
        return USER.load(row)

    def by_username(self, username: str) -> User | None:
        row = self._session.execute(
            select(*USER.selected).where(AppUserRow.username == username)
        ).one_or_none()
        return None if row is None else USER.load(row)

    def list(self, *, after: str | None = None, limit: int | None = None) -> list[User]:
        statement = select(*USER.selected)
        if after is not None:
            statement = statement.where(
                after_row(self._session, AppUserRow.username, AppUserRow.id, after)
            )
        rows = self._session.execute(statement.order_by(AppUserRow.username).limit(limit))
        return [USER.load(row) for row in rows]

    def save(self, user: User) -> None:
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(AppUserRow)
                .where(AppUserRow.id == user.id)
                .values(**USER.values(user))
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount == 0:
            raise NotFound(f"no user with id {user.id!r}; it may have been removed")

    def scope_exists(self, role: Role, scope_id: str) -> bool:
        table = _SCOPE_TABLES.get(role)
        return table is not None and self._session.get(table, scope_id) is not None


_SCOPE_TABLES: dict[Role, type[HomeownerRow | InstallerCompanyRow | SalesRepRow]] = {
    Role.INSTALLER: InstallerCompanyRow,
    Role.SALES_REP: SalesRepRow,
    Role.HOMEOWNER: HomeownerRow,
}


class SqlTokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token: TokenRecord) -> None:
        self._session.add(ApiTokenRow(**TOKEN.row(token)))

    def get(self, digest: str) -> TokenRecord | None:
        row = self._session.execute(
            select(*TOKEN.selected).where(ApiTokenRow.digest == digest)
        ).one_or_none()
        return None if row is None else TOKEN.load(row)

    def holder(self, digest: str) -> tuple[TokenRecord, User] | None:
        statement = (
            select(*TOKEN.selected, *USER.labelled("user__"))
            .join(AppUserRow, AppUserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.digest == digest)
        )
        found = self._session.execute(statement).one_or_none()
        if found is None:
            return None
        return TOKEN.load(found), USER.load(found, len(TOKEN.selected))

    def revoke(self, digest: str, at: datetime) -> None:
        self._session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.digest == digest, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )

    def revoke_all(self, user_id: str, at: datetime) -> int:
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(ApiTokenRow)
                .where(
                    ApiTokenRow.user_id == user_id,
                    ApiTokenRow.revoked_at.is_(None),
                    ApiTokenRow.expires_at > at,
                )
                .values(revoked_at=at)
                .execution_options(synchronize_session=False)
            ),
        )
        return result.rowcount
