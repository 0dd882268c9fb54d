"""The composition root: settings in, a ready ``Context`` out.

Entrypoints (the CLI, the server, the worker) call ``read_settings`` and ``bootstrap`` (or
``prepare_database`` once and ``connect``), take the adapters built here, and hand the context to
services; nothing else in rescind builds engines or reads settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from rescind.adapters.checkpoint_archive import DirectoryArchive
from rescind.adapters.clock import SystemClock
from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import is_current, upgrade
from rescind.adapters.db.probe import SqlProbe
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.mail.compose import Composer
from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.adapters.mail.smtp import SmtpSender, SmtpSettings
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.signing import Ed25519Signer, load_signer
from rescind.adapters.us_holidays import FederalHolidays
from rescind.adapters.webhook_address import AddressGuard
from rescind.adapters.webhook_http import HttpPoster
from rescind.config import Settings
from rescind.domain.email import Mailbox
from rescind.domain.errors import InvalidInput, RescindError
from rescind.domain.verification import CodeLimits
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from rescind.services.ports import Clock, PasswordHasher, UnitOfWork
from rescind.services.sending import Sender


class SchemaOutOfDate(RescindError):
    code = "schema_out_of_date"


@dataclass(frozen=True)
class Checkpointing:
    """What issuing and proving checkpoints needs: the key, where documents go, who is told."""

    signer: Ed25519Signer
    archive: DirectoryArchive
    email_to: str


def checkpointing(settings: Settings) -> Checkpointing | None:
    """None when no signing key is configured; ``InvalidInput`` when it is, but unusable."""
    if settings.audit_signing_key is None:
        return None
    if settings.audit_checkpoint_dir is None:
        raise InvalidInput(
            "RESCIND_AUDIT_CHECKPOINT_DIR is not set: with RESCIND_AUDIT_SIGNING_KEY, name the "
            "directory each checkpoint is written to",
            field="audit_checkpoint_dir",
        )
    return Checkpointing(
        signer=load_signer(settings.audit_signing_key),
        archive=DirectoryArchive(settings.audit_checkpoint_dir),
        email_to=settings.audit_checkpoint_email,
    )


@dataclass(frozen=True)
class App:
    settings: Settings
    engine: Engine
    ctx: Context
    probe: SqlProbe


def read_settings() -> Settings:
    """The settings from the environment (and ``.env``); the one place rescind reads them."""
    return Settings()


def prepare_database(settings: Settings) -> None:
    """Bring the embedded database up to date, and seed policy version 1.

    SQLite is migrated automatically so a checkout just runs; a server database is migrated
    only by ``rescind db upgrade``, deliberately, and refused here when behind.
    """
    _migrate_embedded(settings)
    app = connect(settings)
    try:
        _seed(app)
    finally:
        app.engine.dispose()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> App:
    """``prepare_database`` and ``connect`` in one: a ready app on an up-to-date database."""
    settings = settings or read_settings()
    _migrate_embedded(settings)
    app = connect(settings, clock=clock)
    _seed(app)
    return app


def connect(settings: Settings, *, clock: Clock | None = None) -> App:
    """The engine and the service context, on a database ``prepare_database`` made ready."""
    engine = make_engine(settings.effective_database_url)
    sessions = make_session_factory(engine)

    def unit_of_work() -> UnitOfWork:
        return SqlUnitOfWork(
            sessions, message_id_domain=settings.message_id_domain, company_tz=settings.tz
        )

    ctx = Context(
        uow=unit_of_work,
        clock=clock or SystemClock(),
        tz=settings.tz,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
        public_url=settings.public_url.rstrip("/"),
        code_limits=CodeLimits(
            sends_per_hour=settings.code_sends_per_hour,
            sends_per_day=settings.code_sends_per_day,
            wrong_guesses=settings.code_attempts_per_request,
        ),
        webhook_guard=AddressGuard(allow_private=settings.webhook_allow_private_addresses),
    )
    return App(settings=settings, engine=engine, ctx=ctx, probe=SqlProbe(engine))


def _migrate_embedded(settings: Settings) -> None:
    url = settings.effective_database_url
    if make_url(url).get_backend_name() == "sqlite":
        upgrade(url)
    elif not is_current(url):
        raise SchemaOutOfDate(
            "the database schema is not up to date; run `rescind db upgrade` first"
        )


def _seed(app: App) -> None:
    seed_policy(app.ctx, load_policy_document(default_policy_path()))


# --- the adapters the processes need, built from settings here and nowhere else ---------------


def password_hasher() -> PasswordHasher:
    return Argon2Passwords()


def composer_for(settings: Settings) -> Composer:
    return Composer(
        {
            Mailbox.HO_OUTBOUND: settings.ho_outbound_address,
            Mailbox.SUPPORT: settings.support_address,
            Mailbox.NOTIFICATIONS: settings.notifications_address,
        },
        settings.tz,
    )


def demo_mailbox_for(settings: Settings) -> DemoMailbox | None:
    """The embedded demo's mailbox, when ``RESCIND_DEMO_MAILBOX`` (auto: no SMTP, demo
    SQLite) has it on."""
    return DemoMailbox(settings.demo_mailbox_dir) if settings.demo_mailbox_on else None


def sender_for(settings: Settings) -> Sender | None:
    """None when no SMTP server is configured: email then waits in the outbox."""
    if not settings.smtp_host:
        return None
    return SmtpSender(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    )


def poster_for(settings: Settings) -> HttpPoster:
    """The webhooks' HTTP client, refusing internal addresses unless settings allow them."""
    return HttpPoster(AddressGuard(allow_private=settings.webhook_allow_private_addresses))
