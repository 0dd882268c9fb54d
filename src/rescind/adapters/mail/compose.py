"""Turning an outbox row into a real email: Jinja2 templates, plain text and HTML.

Undefined template variables are errors (``StrictUndefined``): a message missing its data is
refused and marked failed with the reason, never sent with a blank where the code should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, select_autoescape

from rescind.domain.email import EmailKind, Mailbox, QueuedEmail
from rescind.services.sending import PermanentFailure

SUBJECTS: dict[EmailKind, str] = {
    EmailKind.VERIFICATION_CODE: "Your verification code",
    EmailKind.CANCELLATION_NOTICE: "Job {job_id} cancelled: Cancel Pending until {final_date}",
    EmailKind.FINAL_CANCELLATION: "Job {job_id} is now fully cancelled",
    EmailKind.DP_DECISION: "Decision on the cancellation request for job {job_id}",
    EmailKind.WRITTEN_REQUEST_REQUIRED: (
        "Job {job_id}: a written request from the homeowner is required"
    ),
    EmailKind.EXPECT_RESOLUTION: (
        "Cancellation request received: expect a resolution within 24–48 hours"
    ),
    EmailKind.REQUEST_CLOSED: "Your cancellation request for job {job_id}: {reason_label}",
    EmailKind.WORKFLOW_RESTORED: "Job {job_id}: your cancellation was withdrawn",
    EmailKind.AUDIT_CHECKPOINT: "Audit checkpoint {created_at}: {tree_size} streams sealed",
    EmailKind.SELF_SERVICE_LINK: "Your link to cancel your solar project {job_id}",
}


class CompositionError(PermanentFailure):
    """The row cannot become a message (missing data, bad address); retrying will not help."""


class Composer:
    def __init__(self, addresses: Mapping[Mailbox, str], tz: ZoneInfo) -> None:
        self.addresses = addresses
        self.tz = tz
        env = Environment(
            loader=PackageLoader("rescind.adapters.mail", "templates"),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            keep_trailing_newline=True,
        )
        env.filters["local_time"] = self._local_time
        env.filters["long_date"] = _long_date
        self._env = env

    def compose(self, email: QueuedEmail, *, now: datetime) -> EmailMessage:
        env = self._env
        context = {"job_id": email.job_id, **dict(email.context)}
        try:
            subject = SUBJECTS[email.kind].format(**context)
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


def _long_date(value: object) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, date):
        raise CompositionError(f"expected a date, got {value!r}")
    return value.strftime("%A, %B %-d, %Y")
