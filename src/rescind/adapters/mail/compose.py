"""Turning an outbox row into a real email: Jinja2 templates, plain text and HTML.

A message to the homeowner is written in their language (the row's ``language``, from the
job; English without one): one Jinja2 environment per language, with that language's gettext
catalogue (``adapters/i18n``) installed and its dates written the way it writes them.

Undefined template variables are errors (``StrictUndefined``): a message missing its data is
refused and marked failed with the reason, never sent with a blank where the code should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from zoneinfo import ZoneInfo

from babel import dates
from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, select_autoescape

from rescind.adapters.i18n import translations
from rescind.domain.email import EmailKind, Mailbox, QueuedEmail
from rescind.domain.job import Language
from rescind.services.sending import PermanentFailure


def N_(text: str) -> str:  # noqa: N802 - gettext's own name for it
    """Marks a subject for Babel's extractor; it is translated when the message is built."""
    return text


SUBJECTS: dict[EmailKind, str] = {
    EmailKind.VERIFICATION_CODE: N_("Your verification code"),
    EmailKind.CANCELLATION_NOTICE: N_("Job {job_id} cancelled: Cancel Pending until {final_date}"),
    EmailKind.FINAL_CANCELLATION: N_("Job {job_id} is now fully cancelled"),
    EmailKind.DP_DECISION: N_("Decision on the cancellation request for job {job_id}"),
    EmailKind.WRITTEN_REQUEST_REQUIRED: (
        "Job {job_id}: a written request from the homeowner is required"
    ),
    EmailKind.EXPECT_RESOLUTION: (
        "Cancellation request received: expect a resolution within 24–48 hours"
    ),
    EmailKind.REQUEST_CLOSED: N_("Your cancellation request for job {job_id}: {reason_label}"),
    EmailKind.WORKFLOW_RESTORED: N_("Job {job_id}: your cancellation was withdrawn"),
    EmailKind.AUDIT_CHECKPOINT: "Audit checkpoint {created_at}: {tree_size} streams sealed",
    EmailKind.SELF_SERVICE_LINK: N_("Your link to cancel your solar project {job_id}"),
}


# Why a request was closed (``request.CLOSE_REASON_LABELS``), as the requester reads it.
REASON_LABELS = (
    N_("Not eligible"),
    N_("Not verified as the homeowner"),
    N_("Withdrawn by the homeowner"),
    N_("Duplicate of another request"),
)


class CompositionError(PermanentFailure):
    """The row cannot become a message (missing data, bad address); retrying will not help."""


class Composer:
    def __init__(self, addresses: Mapping[Mailbox, str], tz: ZoneInfo) -> None:
        self.addresses = addresses
        self.tz = tz
        self._envs = {language: self._environment(language) for language in Language}

    def _environment(self, language: Language) -> Environment:
        env = Environment(
            loader=PackageLoader("rescind.adapters.mail", "templates"),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(language), newstyle=False)  # type: ignore[attr-defined]
        if language is Language.EN:
            env.filters["local_time"] = self._local_time
            env.filters["long_date"] = _long_date
        else:
            env.filters["local_time"] = lambda v: self._local_time_in(v, language)
            env.filters["long_date"] = lambda v: dates.format_date(
                _day(v), "full", locale=language.value
            )
        return env

    def compose(self, email: QueuedEmail, *, now: datetime) -> EmailMessage:
        language = _language(email.context.get("language"))
        env = self._envs[language]
        context = {"job_id": email.job_id, **dict(email.context)}
        try:
            words = translations(language).gettext
            label = context.get("reason_label")
            subject = words(SUBJECTS[email.kind]).format(
                **context | ({"reason_label": words(label)} if isinstance(label, str) else {})
            )
            text = env.get_template(f"{email.kind.value}.txt.j2").render(context)
            html = env.get_template(f"{email.kind.value}.html.j2").render(
                context | {"subject": subject}
            )
        except (TemplateError, KeyError) as e:
            raise CompositionError(f"cannot render {email.kind.value}: {e}") from None
        message = EmailMessage()
        try:
            message["Message-ID"] = email.message_id
            message["Date"] = format_datetime(now)
            message["From"] = self.addresses[email.sender]
            message["To"] = ", ".join(email.recipients.to)
            if email.recipients.cc:
                message["Cc"] = ", ".join(email.recipients.cc)
            message["Subject"] = subject
            message["X-Rescind-Kind"] = email.kind.value
            if email.job_id:
                message["X-Rescind-Job"] = email.job_id
        except ValueError as e:
            # A line break in an address or id (header injection): this row can never be sent.
            raise CompositionError(f"cannot build the headers of {email.kind.value}: {e}") from None
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if not all(addr for _, addr in getaddresses([message["To"]])):
            raise CompositionError(f"no usable To address in {email.recipients.to!r}")
        return message

    def _local_time(self, value: object) -> str:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise CompositionError(f"expected a moment, got {value!r}")
        return value.astimezone(self.tz).strftime("%A %B %-d, %Y at %-I:%M %p %Z")

    def _local_time_in(self, value: object, language: Language) -> str:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise CompositionError(f"expected a moment, got {value!r}")
        return dates.format_datetime(value, "full", tzinfo=self.tz, locale=language.value)


def _language(value: object) -> Language:
    try:
        return Language(str(value)) if value else Language.EN
    except ValueError:
        return Language.EN


def _day(value: object) -> date:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, date):
        raise CompositionError(f"expected a date, got {value!r}")
    return value


def _long_date(value: object) -> str:
    return _day(value).strftime("%A, %B %-d, %Y")
