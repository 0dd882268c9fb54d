"""People who log in, and the bearer tokens they act with (kept only as their SHA-256)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, false
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, parent


class AppUserRow(Base):
    # "user" is reserved in PostgreSQL; "app_user" needs no quoting anywhere.
    __tablename__ = "app_user"

    id: Mapped[str] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(unique=True)
    display_name: Mapped[str]
    role: Mapped[str]
    scope_id: Mapped[str | None]
    password_hash: Mapped[str]
    active: Mapped[bool]
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    __tablename__ = "api_token"

    digest: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[AppUserRow] = parent("AppUserRow")
