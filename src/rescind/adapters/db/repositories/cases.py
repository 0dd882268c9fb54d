"""Cases with their assignments (the Deal Processing escalation), and homeowner feed comments."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.repositories.scope import of_jobs_within
from rescind.adapters.db.repositories.versioning import chunks, update_if_current
from rescind.adapters.db.tables import CaseAssignmentRow, CaseRow, FeedCommentRow
from rescind.domain.access import JobScope
from rescind.domain.case import AssignmentStatus, Case, CaseAssignment, CaseStatus, Queue
from rescind.domain.errors import case_not_found
from rescind.domain.feed import FeedComment
from rescind.domain.request import RequesterRole


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, case: Case) -> None:
        self._session.add(CaseRow(id=case.id, version=case.version, **_values(case)))
        self._session.add_all(_assignment_row(case.id, a) for a in case.assignments)

    def get(self, case_id: str) -> Case:
        found = self._load(_select().where(CaseRow.id == case_id))
        if not found:
            raise case_not_found(case_id)
        return found[0]

    def save(self, case: Case) -> None:
        update_if_current(
            self._session,
            CaseRow,
            noun="case",
            row_id=case.id,
            version=case.version,
            values=_values(case),
        )
        # Assignments are an ordered list in the domain; pair them with rows in id order.
        rows = self._assignments_of([case.id]).get(case.id, [])
        for row, assignment in zip(rows, case.assignments, strict=False):
            row.team = assignment.team.value
            row.assigned_at = assignment.assigned_at
            row.status = assignment.status.value
        self._session.add_all(_assignment_row(case.id, a) for a in case.assignments[len(rows) :])
        for row in rows[len(case.assignments) :]:
            self._session.delete(row)
        case.version += 1

    def in_queue(
        self,
        queue: Queue,
        *,
        open_only: bool = True,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Case]:
        statement = _select()
        if after is not None:
            statement = statement.where(
                after_row(self._session, CaseRow.created_at, CaseRow.id, after)
            )
        if queue is Queue.DEAL_PROCESSING:
            # DP's work is every case assigned to it, wherever the case itself sits (an
            # escalation is reassigned to Back Office at once, keeping DP's assignment open).
            assigned = select(CaseAssignmentRow.case_id).where(
                CaseAssignmentRow.team == Queue.DEAL_PROCESSING.value
            )
            if open_only:
                assigned = assigned.where(CaseAssignmentRow.status == AssignmentStatus.OPEN.value)
            statement = statement.where(CaseRow.id.in_(assigned))
        else:
            statement = statement.where(CaseRow.queue == queue.value)
        if open_only:
            statement = statement.where(CaseRow.status == CaseStatus.OPEN.value)
        return self._load(statement.order_by(CaseRow.created_at, CaseRow.id).limit(limit))

    def for_job(self, job_id: str) -> list[Case]:
        return self._load(
            _select().where(CaseRow.job_id == job_id).order_by(CaseRow.created_at, CaseRow.id)
        )

    def _load(self, statement: Select[CaseRow]) -> list[Case]:
        rows = list(self._session.scalars(statement))
        assignments = self._assignments_of([row.id for row in rows])
        return [_to_case(row, assignments.get(row.id, [])) for row in rows]

    def _assignments_of(self, case_ids: list[str]) -> dict[str, list[CaseAssignmentRow]]:
        found: dict[str, list[CaseAssignmentRow]] = defaultdict(list)
        for ids in chunks(case_ids):
            statement = (
                select(CaseAssignmentRow)
                .where(CaseAssignmentRow.case_id.in_(ids))
                .order_by(CaseAssignmentRow.id)
                .execution_options(populate_existing=True)
            )
            for row in self._session.scalars(statement):
                found[row.case_id].append(row)
        return found


class SqlFeedRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, comment: FeedComment) -> None:
        self._session.add(
            FeedCommentRow(
                id=comment.id,
                homeowner_id=comment.homeowner_id,
                job_id=comment.job_id,
                author=comment.author,
                body=comment.body,
                created_at=comment.created_at,
                automatic=comment.automatic,
            )
        )

    def for_homeowner(
        self,
        homeowner_id: str,
        scope: JobScope,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[FeedComment]:
        statement = select(FeedCommentRow).where(
            FeedCommentRow.homeowner_id == homeowner_id,
            of_jobs_within(FeedCommentRow.job_id, scope),
        )
        if after is not None:
            statement = statement.where(
                after_row(self._session, FeedCommentRow.created_at, FeedCommentRow.id, after)
            )
        statement = (
            statement.order_by(FeedCommentRow.created_at, FeedCommentRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [
            FeedComment(
                id=row.id,
                homeowner_id=row.homeowner_id,
                job_id=row.job_id,
                author=row.author,
                body=row.body,
                created_at=row.created_at,
                automatic=row.automatic,
            )
            for row in self._session.scalars(statement)
        ]


def _select() -> Select[CaseRow]:
    return select(CaseRow).execution_options(populate_existing=True)


def _values(case: Case) -> dict[str, Any]:
    """Every column of a case except its id and version."""
    return {
        "job_id": case.job_id,
        "request_id": case.request_id,
        "requested_by": case.requested_by.value,
        "subject": case.subject,
        "description": case.description,
        "queue": case.queue.value,
        "created_at": case.created_at,
        "created_by": case.created_by,
        "status": case.status.value,
        "decided_by": case.decided_by,
        "decided_at": case.decided_at,
        "decision_reason": case.decision_reason,
        "assignee": case.assignee,
    }


def _assignment_row(case_id: str, assignment: CaseAssignment) -> CaseAssignmentRow:
    return CaseAssignmentRow(
        case_id=case_id,
        team=assignment.team.value,
        assigned_at=assignment.assigned_at,
        status=assignment.status.value,
    )


def _to_case(row: CaseRow, assignments: list[CaseAssignmentRow]) -> Case:
    return Case(
        id=row.id,
        job_id=row.job_id,
        request_id=row.request_id,
        requested_by=RequesterRole(row.requested_by),
        subject=row.subject,
        description=row.description,
        queue=Queue(row.queue),
        created_at=row.created_at,
        created_by=row.created_by,
        status=CaseStatus(row.status),
        assignments=[
            CaseAssignment(
                team=Queue(a.team), assigned_at=a.assigned_at, status=AssignmentStatus(a.status)
            )
            for a in assignments
        ],
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        assignee=row.assignee,
        version=row.version,
    )
