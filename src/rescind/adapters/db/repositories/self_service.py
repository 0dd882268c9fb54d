"""The self-service links: looked up by digest, opened once by a conditional UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import SELF_SERVICE_LINK
from rescind.adapters.db.tables import HomeownerRow, JobRow, SelfServiceLinkRow
from rescind.domain.self_service import SelfServiceLink

# A homeowner with more jobs than this gets links for these; the rest ask support.
MOST_JOBS_PER_CONTACT = 5


class SqlSelfServiceLinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, link: SelfServiceLink) -> None:
        self._session.add(SelfServiceLinkRow(**SELF_SERVICE_LINK.row(link)))

    def by_token(self, digest: str) -> SelfServiceLink | None:
        return self._one(SelfServiceLinkRow.token_digest == digest)

    def by_session(self, digest: str) -> SelfServiceLink | None:
        return self._one(SelfServiceLinkRow.session_digest == digest)

    def issued_for_job(self, job_id: str, since: datetime) -> list[datetime]:
        row = SelfServiceLinkRow
        statement = select(row.issued_at).where(row.job_id == job_id, row.issued_at > since)
        return list(self._session.scalars(statement))

    def use(self, link: SelfServiceLink) -> bool:
        # Two tabs opening one link at once: the UPDATE re-checks ``used_at`` as the writer
        # before left it, so exactly one of them gets the session.
        row = SelfServiceLinkRow
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(row)
                .where(row.id == link.id, row.used_at.is_(None))
                .values(
                    used_at=link.used_at,
                    session_digest=link.session_digest,
                    session_expires_at=link.session_expires_at,
                )
                .execution_options(synchronize_session=False)
            ),
        )
        return result.rowcount == 1

    def jobs_of_contact(self, *, email_key: str, phone_key: str) -> list[str]:
        keys = []
        if email_key:
            keys.append(HomeownerRow.email_key == email_key)
        if phone_key:
            keys.append(HomeownerRow.phone_key == phone_key)
        if not keys:
            return []
        statement = (
            select(JobRow.id)
            .join(HomeownerRow, JobRow.homeowner_id == HomeownerRow.id)
            .where(or_(*keys))
            .order_by(JobRow.id)
            .limit(MOST_JOBS_PER_CONTACT)
        )
        return list(self._session.scalars(statement))

    def _one(self, condition: Any) -> SelfServiceLink | None:
        statement = select(*SELF_SERVICE_LINK.selected).where(condition)
        row = self._session.execute(statement).one_or_none()
        return None if row is None else SELF_SERVICE_LINK.load(row)
