"""The people around a job, kept once each and shared by their jobs (upserted by id).

A homeowner also carries search keys, derived from its name, email and phone whenever it is
written (``domain/search.py``): lowercased in Python, so both databases fold case alike
(SQLite's ``lower()`` folds ASCII only), the surname (the name's last word) apart, and the
phone as bare digits, so "555-0100" and "(555) 0100" find the same person. Plain indexes on
stored keys keep the migrations free of expression indexes; on PostgreSQL the prefix keys
use ``text_pattern_ops`` so that ``LIKE 'abc%'`` can use them whatever the collation.
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class HomeownerRow(Base):
    __tablename__ = "homeowner"
    __table_args__ = (
        Index(None, "email_key", postgresql_ops={"email_key": "text_pattern_ops"}),
        # The id rides in the surname index (PostgreSQL INCLUDE): a prefix matching a thousand
        # people is answered from the index alone, not from a thousand scattered heap pages.
        # A whole-name prefix is searched on the job's copy of ``name_key`` (``tables/job.py``).
        Index(
            None,
            "surname_key",
            postgresql_ops={"surname_key": "text_pattern_ops"},
            postgresql_include=["id"],
        ),
        Index(None, "phone_key", postgresql_ops={"phone_key": "text_pattern_ops"}),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    phone: Mapped[str] = mapped_column(default="", server_default="")
    email_key: Mapped[str] = mapped_column(default="", server_default="")
    name_key: Mapped[str] = mapped_column(default="", server_default="")
    surname_key: Mapped[str] = mapped_column(default="", server_default="")
    phone_key: Mapped[str] = mapped_column(default="", server_default="")


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
