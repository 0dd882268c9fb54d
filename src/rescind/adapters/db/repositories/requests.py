"""Cancellation requests (with their written statement) and 4-digit code challenges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, Select, bindparam, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import CHALLENGE, REQUEST, STATEMENT
from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.repositories.versioning import save_changed, seen_in
from rescind.adapters.db.tables import (
    CancellationRequestRow,
    VerificationChallengeRow,
    WrittenStatementRow,
)
from rescind.domain.errors import NotFound, request_not_found
from rescind.domain.request import CLOSED_OUTCOMES, CancellationRequest, Outcome, WrittenStatement
from rescind.domain.verification import ChallengeStatus, VerificationChallenge

_UNSEEN = object()
_OPEN_OUTCOMES = sorted(o.value for o in frozenset(Outcome) - CLOSED_OUTCOMES)
# Where the statement's columns start in a ``_joined()`` row.
_STATEMENT_AT = len(REQUEST.selected)


class SqlRequestRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        # The statement of each request as last read or written: saving a request whose
        # statement did not change (a cancel closing it) then writes no statement row at all.
        self._statements_seen: dict[str, WrittenStatement | None] = {}
        self._seen = seen_in(session, CancellationRequestRow)

    def add(self, request: CancellationRequest) -> None:
        self._session.add(CancellationRequestRow(**REQUEST.row(request)))
        if request.statement is not None:
            self._session.add(_statement_row(request.id, request.statement))
        self._seen.remember(request.id, REQUEST.values(request))
        self._statements_seen[request.id] = (
            replace(request.statement) if request.statement else None
        )

    def get(self, request_id: str) -> CancellationRequest:
        found = self._load(_BY_ID, {"request_id": request_id})
        if not found:
            raise request_not_found(request_id)
        return found[0]

    def save(self, request: CancellationRequest) -> None:
        save_changed(self._session, REQUEST, request, self._seen, noun="request")
        seen = self._statements_seen.get(request.id, _UNSEEN)
        if seen is _UNSEEN or seen != request.statement:
            if request.statement is None:
                self._session.execute(
                    delete(WrittenStatementRow).where(WrittenStatementRow.request_id == request.id)
                )
            else:
                self._session.merge(_statement_row(request.id, request.statement))
        self._statements_seen[request.id] = (
            replace(request.statement) if request.statement else None
        )

    def for_job(self, job_id: str) -> list[CancellationRequest]:
        return self._load(
            _joined()
            .where(CancellationRequestRow.job_id == job_id)
            .order_by(CancellationRequestRow.filed_at, CancellationRequestRow.id)
        )

    def open_requests(
        self, limit: int = 100, *, after: str | None = None
    ) -> list[CancellationRequest]:
        statement = _joined().where(CancellationRequestRow.outcome.in_(_OPEN_OUTCOMES))
        if after is not None:
            statement = statement.where(
                after_row(
                    self._session,
                    CancellationRequestRow.due_at,
                    CancellationRequestRow.id,
                    after,
                )
            )
        return self._load(
            statement.order_by(CancellationRequestRow.due_at, CancellationRequestRow.id).limit(
                limit
            )
        )

    def listed(
        self, *, open_only: bool | None = None, limit: int = 100, after: str | None = None
    ) -> list[CancellationRequest]:
        statement = _joined()
        if open_only is True:
            statement = statement.where(CancellationRequestRow.outcome.in_(_OPEN_OUTCOMES))
        elif open_only is False:
            statement = statement.where(CancellationRequestRow.outcome.not_in(_OPEN_OUTCOMES))
        if after is not None:
            statement = statement.where(
                after_row(
                    self._session,
                    CancellationRequestRow.filed_at,
                    CancellationRequestRow.id,
                    after,
                )
            )
        return self._load(
            statement.order_by(CancellationRequestRow.filed_at, CancellationRequestRow.id).limit(
                limit
            )
        )

    def forget(self) -> None:
        """Drop what we remember of rows (after a rollback it may be untrue)."""
        self._statements_seen.clear()
        self._seen.forget()

    def _load(
        self, statement: Select[Any], params: dict[str, Any] | None = None
    ) -> list[CancellationRequest]:
        found = [_to_request(row) for row in self._session.execute(statement, params).all()]
        for request in found:
            self._statements_seen[request.id] = (
                replace(request.statement) if request.statement else None
            )
            self._seen.remember(request.id, REQUEST.values(request))
        return found


class SqlChallengeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, challenge: VerificationChallenge) -> None:
        self._session.add(VerificationChallengeRow(**CHALLENGE.row(challenge)))

    def for_request(self, request_id: str) -> list[VerificationChallenge]:
        statement = (
            select(*CHALLENGE.selected)
            .where(VerificationChallengeRow.request_id == request_id)
            .order_by(VerificationChallengeRow.issued_at, VerificationChallengeRow.id)
        )
        return [CHALLENGE.load(row) for row in self._session.execute(statement)]

    def save(self, challenge: VerificationChallenge) -> None:
        # No version: attempts only grow and the status only leaves "open", so the last
        # writer is right; the request's version guards the decision that follows.
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(VerificationChallengeRow)
                .where(VerificationChallengeRow.id == challenge.id)
                .values(**CHALLENGE.values(challenge))
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount == 0:
            raise NotFound(f"no verification challenge with id {challenge.id!r}")

    def hold_request(self, request_id: str) -> None:
        if self._session.get_bind().dialect.name == "postgresql":
            # SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
            self._session.execute(
                select(CancellationRequestRow.id)
                .where(CancellationRequestRow.id == request_id)
                .with_for_update()
            )

    def claim_attempt(self, challenge_id: str, *, now: datetime, max_attempts: int) -> int | None:
        # One conditional UPDATE: PostgreSQL re-checks the WHERE on the row as the writer
        # before left it, so parallel guesses cannot all see the same count and all pass.
        row = VerificationChallengeRow
        return self._session.execute(
            update(row)
            .where(
                row.id == challenge_id,
                row.status == ChallengeStatus.OPEN.value,
                row.attempts < max_attempts,
                row.expires_at > now,
            )
            .values(attempts=row.attempts + 1)
            .returning(row.attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()

    def settle(self, challenge_id: str, status: ChallengeStatus) -> bool:
        row = VerificationChallengeRow
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(row)
                .where(row.id == challenge_id, row.status == ChallengeStatus.OPEN.value)
                .values(status=status.value)
                .execution_options(synchronize_session=False)
            ),
        )
        return result.rowcount == 1


def _joined() -> Select[Any]:
    """A request's columns, then its statement's (all NULL when it has none)."""
    return select(*REQUEST.selected, *STATEMENT.labelled("statement__")).outerjoin(
        WrittenStatementRow, WrittenStatementRow.request_id == CancellationRequestRow.id
    )


# Built once: building a statement (and its cache key) costs more Python than running it.
_BY_ID = _joined().where(CancellationRequestRow.id == bindparam("request_id"))


def _to_request(row: Row[Any]) -> CancellationRequest:
    has_statement = row[_STATEMENT_AT] is not None  # the statement's request_id
    statement = STATEMENT.load(row, _STATEMENT_AT) if has_statement else None
    return REQUEST.load(row, statement=statement)


def _statement_row(request_id: str, statement: WrittenStatement) -> WrittenStatementRow:
    return WrittenStatementRow(**STATEMENT.row(statement, request_id=request_id))
