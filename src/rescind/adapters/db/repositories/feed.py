"""The homeowner's feed: comments left on their jobs, by people and by the system."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import FEED_COMMENT
from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.repositories.scope import of_jobs_within
from rescind.adapters.db.tables import FeedCommentRow
from rescind.domain.access import JobScope
from rescind.domain.feed import FeedComment


class SqlFeedRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, comment: FeedComment) -> None:
        self._session.add(FeedCommentRow(**FEED_COMMENT.row(comment)))

    def for_homeowner(
        self,
        homeowner_id: str,
        scope: JobScope,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[FeedComment]:
        statement = select(*FEED_COMMENT.selected).where(
            FeedCommentRow.homeowner_id == homeowner_id,
            of_jobs_within(FeedCommentRow.job_id, scope),
        )
        if after is not None:
            statement = statement.where(
                after_row(self._session, FeedCommentRow.created_at, FeedCommentRow.id, after)
            )
        statement = statement.order_by(FeedCommentRow.created_at, FeedCommentRow.id).limit(limit)
        return [FEED_COMMENT.load(row) for row in self._session.execute(statement)]
