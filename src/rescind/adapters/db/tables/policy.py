"""Published eligibility tables, company holidays and the calendar revision counter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class PolicyVersionRow(Base):
    __tablename__ = "policy_version"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str]
    effective_at: Mapped[datetime]
    published_at: Mapped[datetime]
    published_by: Mapped[str]
    document: Mapped[dict[str, Any]]


class CompanyHolidayRow(Base):
    __tablename__ = "company_holiday"

    holiday_date: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str]


class CalendarRevisionRow(Base):
    """A single row (id 1): bumped on every holiday change, stamped on each pending window."""

    __tablename__ = "calendar_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int]
