"""Published eligibility tables, stored as their document."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.by_version import Kept, cached, changed, policy_version
from rescind.adapters.db.tables import PolicyVersionRow
from rescind.domain.eligibility import DecisionTable, PolicyHistory
from rescind.domain.errors import Conflict

# Published versions never change, and checking a table's completeness costs milliseconds,
# so each stored document is parsed once per process (keyed by its exact content).
_PARSED: dict[tuple[int, datetime, str], DecisionTable] = {}


def _parsed(row: PolicyVersionRow) -> DecisionTable:
    key = (row.version, row.effective_at, json.dumps(row.document, sort_keys=True))
    table = _PARSED.get(key)
    if table is None:
        table = DecisionTable.from_document(
            row.document, version=row.version, effective_at=row.effective_at
        )
        _PARSED[key] = table
    return table


class SqlPolicyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def history(self) -> PolicyHistory:
        return cached(self._session, Kept.POLICIES, self._load_history)

    def _load_history(self) -> tuple[tuple[int, int], PolicyHistory]:
        rows = list(
            self._session.scalars(
                select(PolicyVersionRow)
                .order_by(PolicyVersionRow.version)
                .execution_options(populate_existing=True)
            )
        )
        version = policy_version(len(rows), rows[-1].version if rows else None)
        return version, PolicyHistory(tuple(_parsed(row) for row in rows))

    def add(self, table: DecisionTable, *, published_by: str, published_at: datetime) -> None:
        changed(self._session)
        if self._session.get(PolicyVersionRow, table.version) is not None:
            raise Conflict(
                f"policy version {table.version} is already published; publish the next "
                "version instead (published versions never change)"
            )
        self._session.add(
            PolicyVersionRow(
                version=table.version,
                name=table.name,
                effective_at=table.effective_at,
                published_at=published_at,
                published_by=published_by,
                document=table.to_document(),
            )
        )
