"""Webhooks: the event outbox, the endpoints that subscribe to it, one delivery per pair.

An event row is written in the transaction of the change it reports (the outbox pattern the
email uses); its integer id is the ``GET /events?after=`` cursor, its ``public_id`` the
``webhook-id``. Deliveries are claimed by (status, next_attempt_at), as outbox rows are; a
claim moves ``next_attempt_at`` ahead by the lease, so the column is the lease as well. The
console lists an endpoint's recent deliveries, hence (endpoint_id, id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText


class EventRow(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(unique=True)
    type: Mapped[str]
    occurred_at: Mapped[datetime]
    # No foreign key: the feed outlives any cleanup of jobs; scoped reads join on it.
    job_id: Mapped[str | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]]


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(LongText)
    event_types: Mapped[list[str]]
    secret: Mapped[str]
    previous_secret: Mapped[str | None]
    previous_secret_until: Mapped[datetime | None]
    active: Mapped[bool]
    description: Mapped[str] = mapped_column(default="", server_default="")
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoint.id"))
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(LongText, default="", server_default="")
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
