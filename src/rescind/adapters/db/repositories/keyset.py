"""Keyset paging: "the rows after this one" in a (sort column, id) order, as SQL.

A page continues after the last row of the page before (its id is the cursor), not at an
offset, so rows added between pages neither repeat nor push a row out of the walk.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from rescind.domain.errors import not_a_cursor


def after_row(
    session: Session,
    sort: InstrumentedAttribute[Any],
    row_id: InstrumentedAttribute[str],
    after_id: str,
) -> ColumnElement[bool]:
    """Rows ordered after ``after_id`` by (``sort``, ``row_id``); a cursor naming no row was
    never given out (rows of these lists are never deleted)."""
    anchor = session.execute(select(sort).where(row_id == after_id)).scalar_one_or_none()
    if anchor is None:
        raise not_a_cursor()
    return or_(sort > anchor, and_(sort == anchor, row_id > after_id))
