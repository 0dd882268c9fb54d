"""Cancellation requests (with their written statement) and 4-digit code challenges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.repositories.versioning import update_if_current
from rescind.adapters.db.tables import (
    CancellationRequestRow,
    VerificationChallengeRow,
    WrittenStatementRow,
)
from rescind.domain.errors import NotFound, request_not_found
from rescind.domain.request import (
    CLOSED_OUTCOMES,
    CancellationRequest,
    CancelReason,
    Channel,
    Outcome,
    RequesterRole,
    StatementKind,
    VerificationMethod,
    WrittenStatement,
)
from rescind.domain.verification import ChallengeStatus, VerificationChallenge

_UNSEEN = object()
_OPEN_OUTCOMES = sorted(o.value for o in frozenset(Outcome) - CLOSED_OUTCOMES)


class SqlRequestRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        # The statement of each request as last read or written: saving a request whose
        # statement did not change (a cancel closing it) then writes no statement row at all.
        self._statements_seen: dict[str, WrittenStatement | None] = {}

    def add(self, request: CancellationRequest) -> None:
        self._session.add(
            CancellationRequestRow(id=request.id, version=request.version, **_values(request))
        )
        if request.statement is not None:
            self._session.add(_statement_row(request.id, request.statement))
        self._statements_seen[request.id] = (
            replace(request.statement) if request.statement else None
        )

    def get(self, request_id: str) -> CancellationRequest:
        found = self._load(_joined().where(CancellationRequestRow.id == request_id))
        if not found:
            raise request_not_found(request_id)
        return found[0]

    def save(self, request: CancellationRequest) -> None:
        update_if_current(
            self._session,
            CancellationRequestRow,
            noun="request",
            row_id=request.id,
            version=request.version,
            values=_values(request),
        )
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
        request.version += 1

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

    def _load(
        self, statement: Select[CancellationRequestRow, WrittenStatementRow | None]
    ) -> list[CancellationRequest]:
        found = [_to_request(row, st) for row, st in self._session.execute(statement).all()]
        for request in found:
            self._statements_seen[request.id] = (
                replace(request.statement) if request.statement else None
            )
        return found


class SqlChallengeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, challenge: VerificationChallenge) -> None:
        self._session.add(VerificationChallengeRow(id=challenge.id, **_challenge_values(challenge)))

    def for_request(self, request_id: str) -> list[VerificationChallenge]:
        statement = (
            select(VerificationChallengeRow)
            .where(VerificationChallengeRow.request_id == request_id)
            .order_by(VerificationChallengeRow.issued_at, VerificationChallengeRow.id)
            .execution_options(populate_existing=True)
        )
        return [_to_challenge(row) for row in self._session.scalars(statement)]

    def save(self, challenge: VerificationChallenge) -> None:
        # No version: attempts only grow and the status only leaves "open", so the last
        # writer is right; the request's version guards the decision that follows.
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(VerificationChallengeRow)
                .where(VerificationChallengeRow.id == challenge.id)
                .values(**_challenge_values(challenge))
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


def _joined() -> Select[CancellationRequestRow, WrittenStatementRow | None]:
    return (
        select(CancellationRequestRow, WrittenStatementRow)
        .outerjoin(WrittenStatementRow, WrittenStatementRow.request_id == CancellationRequestRow.id)
        .execution_options(populate_existing=True)
    )


def _values(request: CancellationRequest) -> dict[str, Any]:
    """Every column of a request except its id and version."""
    return {
        "job_id": request.job_id,
        "channel": request.channel.value,
        "requester_role": request.requester_role.value,
        "requester_name": request.requester_name,
        "filed_by": request.filed_by,
        "filed_at": request.filed_at,
        "due_at": request.due_at,
        "within_cooling_off": request.within_cooling_off,
        "verified": request.verified,
        "verification_method": _value_or_none(request.verification_method),
        "verified_at": request.verified_at,
        "verification_note": request.verification_note,
        "reason": _value_or_none(request.reason),
        "reason_text": request.reason_text,
        "outcome": request.outcome.value,
        "outcome_detail": request.outcome_detail,
        "approved_by_case_id": request.approved_by_case_id,
    }


def _value_or_none(member: VerificationMethod | CancelReason | None) -> str | None:
    return None if member is None else member.value


def _statement_row(request_id: str, statement: WrittenStatement) -> WrittenStatementRow:
    return WrittenStatementRow(
        request_id=request_id,
        kind=statement.kind.value,
        content=statement.content,
        received_at=statement.received_at,
        sent_date=statement.sent_date,
        source_ref=statement.source_ref,
        from_address=statement.from_address,
    )


def _to_request(
    row: CancellationRequestRow, statement: WrittenStatementRow | None
) -> CancellationRequest:
    return CancellationRequest(
        id=row.id,
        job_id=row.job_id,
        channel=Channel(row.channel),
        requester_role=RequesterRole(row.requester_role),
        requester_name=row.requester_name,
        filed_by=row.filed_by,
        filed_at=row.filed_at,
        due_at=row.due_at,
        within_cooling_off=row.within_cooling_off,
        statement=None
        if statement is None
        else WrittenStatement(
            kind=StatementKind(statement.kind),
            content=statement.content,
            received_at=statement.received_at,
            sent_date=statement.sent_date,
            source_ref=statement.source_ref,
            from_address=statement.from_address,
        ),
        verified=row.verified,
        verification_method=None
        if row.verification_method is None
        else VerificationMethod(row.verification_method),
        verified_at=row.verified_at,
        verification_note=row.verification_note,
        reason=None if row.reason is None else CancelReason(row.reason),
        reason_text=row.reason_text,
        outcome=Outcome(row.outcome),
        outcome_detail=row.outcome_detail,
        approved_by_case_id=row.approved_by_case_id,
        version=row.version,
    )


def _challenge_values(challenge: VerificationChallenge) -> dict[str, Any]:
    return {
        "request_id": challenge.request_id,
        "code_hash": challenge.code_hash,
        "salt": challenge.salt,
        "issued_at": challenge.issued_at,
        "expires_at": challenge.expires_at,
        "attempts": challenge.attempts,
        "status": challenge.status.value,
    }


def _to_challenge(row: VerificationChallengeRow) -> VerificationChallenge:
    return VerificationChallenge(
        id=row.id,
        request_id=row.request_id,
        code_hash=row.code_hash,
        salt=row.salt,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        attempts=row.attempts,
        status=ChallengeStatus(row.status),
    )
