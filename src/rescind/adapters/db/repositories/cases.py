"""Cases with their assignments: the Deal Processing escalation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, Select, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import ASSIGNMENT, CASE
from rescind.adapters.db.repositories.keyset import after_row
from rescind.adapters.db.repositories.versioning import Seen, chunks, save_changed
from rescind.adapters.db.tables import CaseAssignmentRow, CaseRow
from rescind.domain.case import AssignmentStatus, Case, CaseAssignment, CaseStatus, Queue
from rescind.domain.errors import case_not_found


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._seen = Seen()

    def add(self, case: Case) -> None:
        self._session.add(CaseRow(**CASE.row(case)))
        self._session.add_all(_assignment_row(case.id, a) for a in case.assignments)
        self._seen.remember(case.id, CASE.values(case))

    def get(self, case_id: str) -> Case:
        found = self._load(_select().where(CaseRow.id == case_id))
        if not found:
            raise case_not_found(case_id)
        return found[0]

    def save(self, case: Case) -> None:
        save_changed(self._session, CASE, case, self._seen, noun="case")
        # Assignments are an ordered list in the domain; pair them with rows in id order.
        rows = self._assignments_of([case.id]).get(case.id, [])
        for row, assignment in zip(rows, case.assignments, strict=False):
            changed = ASSIGNMENT.changed(row._asdict(), ASSIGNMENT.values(assignment))
            if changed:
                self._session.execute(
                    update(CaseAssignmentRow)
                    .where(CaseAssignmentRow.id == row.id)
                    .values(**changed)
                    .execution_options(synchronize_session=False)
                )
        self._session.add_all(_assignment_row(case.id, a) for a in case.assignments[len(rows) :])
        gone = [row.id for row in rows[len(case.assignments) :]]
        if gone:
            self._session.execute(
                delete(CaseAssignmentRow)
                .where(CaseAssignmentRow.id.in_(gone))
                .execution_options(synchronize_session=False)
            )

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

    def forget(self) -> None:
        """Drop what we remember of rows (after a rollback it may be untrue)."""
        self._seen.forget()

    def _load(self, statement: Select[Any]) -> list[Case]:
        rows = self._session.execute(statement).all()
        assignments = self._assignments_of([row.id for row in rows])
        cases = [
            CASE.load(row, assignments=[ASSIGNMENT.load(a) for a in assignments.get(row.id, [])])
            for row in rows
        ]
        for case in cases:
            self._seen.remember(case.id, CASE.values(case))
        return cases

    def _assignments_of(self, case_ids: list[str]) -> dict[str, list[Row[Any]]]:
        found: dict[str, list[Row[Any]]] = defaultdict(list)
        for ids in chunks(case_ids):
            statement = (
                select(*ASSIGNMENT.selected)
                .where(CaseAssignmentRow.case_id.in_(ids))
                .order_by(CaseAssignmentRow.id)
            )
            for row in self._session.execute(statement):
                found[row.case_id].append(row)
        return found


def _select() -> Select[Any]:
    return select(*CASE.selected)


def _assignment_row(case_id: str, assignment: CaseAssignment) -> CaseAssignmentRow:
    return CaseAssignmentRow(**ASSIGNMENT.row(assignment, case_id=case_id))
