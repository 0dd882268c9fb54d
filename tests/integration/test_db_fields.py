"""A table mapping pairs every column with a field, or refuses to be declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from rescind.adapters.db.fields import Fields, UnpairedFields
from rescind.adapters.db.mapping import CASE
from rescind.adapters.db.tables import CaseRow, FeedCommentRow, JobRow
from rescind.domain.case import Case, CaseStatus, Queue
from rescind.domain.feed import FeedComment
from rescind.domain.request import RequesterRole


@dataclass
class _CommentWithoutAutomatic:
    id: str
    homeowner_id: str
    job_id: str | None
    author: str
    body: str
    created_at: object


@dataclass(frozen=True)
class _CommentWithMood(FeedComment):
    mood: str = ""


def test_a_column_without_a_field_refuses_the_declaration() -> None:
    with pytest.raises(UnpairedFields, match="column 'automatic' of feed_comment"):
        Fields(FeedCommentRow, _CommentWithoutAutomatic)


def test_a_field_without_a_column_refuses_the_declaration() -> None:
    with pytest.raises(UnpairedFields, match=r"field _CommentWithMood\.mood"):
        Fields(FeedCommentRow, _CommentWithMood)


def test_a_supplied_field_left_undeclared_refuses_the_declaration() -> None:
    with pytest.raises(UnpairedFields, match=r"field Case\.assignments"):
        Fields(CaseRow, Case)


def test_a_rename_to_a_column_the_table_lacks_refuses_the_declaration() -> None:
    with pytest.raises(UnpairedFields, match="'homeowner' is not a column of job"):
        Fields(JobRow, FeedComment, paths={"homeowner": "homeowner_id"})


def test_enums_are_stored_as_their_values_and_read_back_as_members() -> None:
    row = CASE.row(_case())
    assert (row["queue"], row["status"]) == ("deal_processing", "open")
    assert type(row["queue"]) is str
    loaded = CASE.load(tuple(row[c.name] for c in CASE.selected), assignments=[])
    assert loaded == _case()
    assert loaded.requested_by is RequesterRole.HOMEOWNER


def test_changed_names_only_the_columns_that_differ() -> None:
    before = CASE.values(_case())
    after = CASE.values(_case(status=CaseStatus.APPROVED, decided_by="dp"))
    assert CASE.changed(before, after) == {"status": "approved", "decided_by": "dp"}


def test_an_update_never_sets_the_key_or_the_version() -> None:
    assert {"id", "version"}.isdisjoint(CASE.values(_case()))
    assert {"id", "version"} <= set(CASE.row(_case()))


def _case(**changes: object) -> Case:
    values: dict[str, object] = {
        "id": "c1",
        "job_id": "j1",
        "request_id": None,
        "requested_by": RequesterRole.HOMEOWNER,
        "subject": "s",
        "description": "d",
        "queue": Queue.DEAL_PROCESSING,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "created_by": "agent",
        "status": CaseStatus.OPEN,
        "assignments": [],
        "decided_by": "",
        "decided_at": None,
        "decision_reason": "",
        "assignee": "",
        "version": 0,
    }
    values.update(changes)
    return Case(**values)  # type: ignore[arg-type]
