"""The people around a job, kept once each and shared by their jobs (upserted by id)."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class HomeownerRow(Base):
    __tablename__ = "homeowner"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    phone: Mapped[str] = mapped_column(default="", server_default="")


class InstallerCompanyRow(Base):
    __tablename__ = "installer_company"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]


class SalesRepRow(Base):
    __tablename__ = "sales_rep"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
