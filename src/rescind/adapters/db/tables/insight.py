"""The insights' pre-counted rows: one count per company-local day, scope, metric and value.

Written in the same transaction as the audit records they count (``SqlAuditLog.write``), so the
figures never disagree with the trail; read by summing a period's few hundred rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class InsightDayRow(Base):
    __tablename__ = "insight_day"

    # scope first, then day: a reader's period is one range of the primary key.
    scope: Mapped[str] = mapped_column(primary_key=True)  # '*' (everyone) or an installer id
    day: Mapped[date] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(primary_key=True)
    count: Mapped[int]
