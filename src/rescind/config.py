"""One typed settings object, read once from ``RESCIND_*`` environment variables.

Bad values fail at start with the variable's name, not later in the middle of a cancel.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESCIND_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded SQLite database lives."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite in data_dir "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/rescind).",
    )
    company_timezone: str = Field(
        default="America/New_York", description="Business days are counted in this zone."
    )
    ho_outbound_address: str = "HO Outbound <ho-outbound@rescind.invalid>"
    support_address: str = "Support <support@rescind.invalid>"
    notifications_address: str = "Notifications <notifications@rescind.invalid>"
    message_id_domain: str = "rescind.invalid"
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where homeowners reach this server: the self-service link in their email "
        "starts with it (never taken from a request's Host header).",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where login and code-confirmation attempts are counted (a `limits` storage "
        "URI); memory:// suits one server process, redis://host:6379 shares it between several.",
    )
    code_sends_per_hour: int = Field(
        default=3, ge=1, le=100, description="4-digit codes sent for one request in an hour."
    )
    code_sends_per_day: int = Field(
        default=5, ge=1, le=1000, description="4-digit codes sent for one request in a day."
    )
    code_attempts_per_request: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Codes tried for one request across all its codes (each code allows 5); "
        "then the homeowner must email support from the address on file.",
    )

    smtp_host: str = Field(
        default="",
        description="Outgoing mail server; empty keeps emails queued in the outbox (nothing sent).",
    )
    demo_mailbox: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Write outgoing mail to the console's demo mailbox "
        "(/console/demo/mailbox, files in data_dir/demo-mailbox) instead of sending it; "
        "auto: only with no SMTP host and the embedded demo SQLite database.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    mail_authserv_ids: str = Field(
        default="",
        description="The receiving mail server's authserv-id(s), comma-separated: only "
        "Authentication-Results they wrote (above the sender's own headers) can authenticate "
        "an inbound email's sender; empty trusts none, so no email is verified.",
    )
    mail_verify_dkim: bool = Field(
        default=False,
        description="`rescind mail serve` checks DKIM signatures itself and writes the result "
        "under the first of RESCIND_MAIL_AUTHSERV_IDS (for when it is the receiving server).",
    )
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="Let webhook URLs reach loopback, private, link-local, multicast and "
        "reserved addresses (refused by default, at registration and at each delivery, "
        "against SSRF); for local and test receivers only.",
    )
    worker_poll_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often an idle worker looks for work."
    )
    idempotency_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86400,
        description="How long a first attempt with an Idempotency-Key may run before a retry "
        "with the same key takes over (its server is taken to have died).",
    )

    audit_signing_key: Path | None = Field(
        default=None,
        description="The Ed25519 private key (PEM, mode 0600) that signs audit checkpoints; "
        "kept off the database server. Unset: no checkpoints are issued.",
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None,
        description="Where each checkpoint document is written (required with the signing "
        "key): storage the database's administrators cannot rewrite.",
    )
    audit_checkpoint_email: str = Field(
        default="",
        description="Also email each checkpoint's signed head to this address (through the "
        "outbox); empty sends none.",
    )
    audit_checkpoint_seconds: float = Field(
        default=3600.0,
        ge=10,
        le=7 * 86400,
        description="How often the worker seals the trail (only when it changed since).",
    )

    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: one JSON object a line (for a log collector); text: for people; "
        "auto: text on a terminal, json otherwise (under systemd, in a container).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe log records written."
    )
    metrics_token: str = Field(
        default="",
        description="When set, GET /metrics needs `Authorization: Bearer <token>`; empty "
        "serves it to anyone who reaches it (keep it off the public proxy).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="The largest request body accepted (JSON, the console's forms); a larger "
        "one is answered 413 before it is read.",
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="The same for uploads: a CSV import (text/csv) or a form with a file "
        "(multipart/form-data).",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies trusted for X-Forwarded-For/-Proto (comma-separated addresses, "
        "or *); the client address they pass on is the one throttles count.",
    )

    @field_validator("audit_signing_key", "audit_checkpoint_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("company_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like America/New_York"
            ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgres")):
            raise ValueError(
                "RESCIND_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL"
            )
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("mail_authserv_ids")
    @classmethod
    def _authserv_ids(cls, value: str) -> str:
        for server in (v.strip() for v in value.split(",")):
            if server and any(c.isspace() or c in ';()"' for c in server):
                raise ValueError(
                    f"{server!r} is not an authserv-id; give host names like mx.example.com, "
                    "separated by commas"
                )
        return value

    @model_validator(mode="after")
    def _dkim_needs_an_id(self) -> Settings:
        if self.mail_verify_dkim and not self.trusted_authserv_ids:
            raise ValueError(
                "RESCIND_MAIL_VERIFY_DKIM needs RESCIND_MAIL_AUTHSERV_IDS: the id rescind mail "
                "serve writes its own Authentication-Results under (e.g. mx.example.com)"
            )
        return self

    @property
    def trusted_authserv_ids(self) -> tuple[str, ...]:
        """The authserv-ids compared, lower case (they are case-insensitive), in order."""
        ids = (v.strip().lower() for v in self.mail_authserv_ids.split(","))
        return tuple(dict.fromkeys(i for i in ids if i))

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.company_timezone)

    @property
    def demo_mailbox_on(self) -> bool:
        if self.demo_mailbox == "auto":
            return not self.smtp_host and not self.database_url
        return self.demo_mailbox == "on"

    @property
    def demo_mailbox_dir(self) -> Path:
        return self.data_dir / "demo-mailbox"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'rescind.sqlite3'}"
