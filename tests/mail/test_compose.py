"""Outbox rows become real messages: headers, both bodies, and a refusal for missing data."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.mail.compose import Composer, CompositionError
from rescind.domain.email import DeliveryStatus, EmailKind, Mailbox, QueuedEmail
from rescind.domain.events import JSONValue
from rescind.domain.recipients import Recipients

ADDRESSES = {
    Mailbox.HO_OUTBOUND: "HO Outbound <ho-outbound@solar.example>",
    Mailbox.SUPPORT: "Support <support@solar.example>",
    Mailbox.NOTIFICATIONS: "Notifications <notifications@solar.example>",
}
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
composer = Composer(ADDRESSES, ZoneInfo("America/New_York"))


def queued(
    kind: EmailKind, context: dict[str, JSONValue], *, cc: tuple[str, ...] = ()
) -> QueuedEmail:
    from rescind.domain.email import SENDER

    return QueuedEmail(
        message_id="<m1@rescind.invalid>",
        kind=kind,
        sender=SENDER[kind],
        recipients=Recipients(to=("ho@example.com",), cc=cc),
        job_id="JOB-000002",
        context=context,
        status=DeliveryStatus.QUEUED,
        attempts=0,
        queued_at=NOW,
        sent_at=None,
        last_error="",
    )


def bodies(message: object) -> tuple[str, str]:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_the_code_email_leaves_from_ho_outbound_with_the_code_in_both_bodies() -> None:
    message = composer.compose(
        queued(
            EmailKind.VERIFICATION_CODE,
            {"code": "0427", "homeowner_name": "Ben", "expires_at": "2026-11-23T15:10:00+00:00"},
        ),
        now=NOW,
    )

    text, html = bodies(message)
    assert message["From"] == ADDRESSES[Mailbox.HO_OUTBOUND]
    assert message["To"] == "ho@example.com"
    assert message["Message-ID"] == "<m1@rescind.invalid>"
    assert "0427" in text
    assert "0427" in html
    assert "10:10 AM EST" in text


def test_the_cancellation_notice_names_the_final_date_and_carries_the_cc() -> None:
    message = composer.compose(
        queued(
            EmailKind.CANCELLATION_NOTICE,
            {
                "job_id": "JOB-000002",
                "homeowner_name": "Ben",
                "final_date": "2026-12-14",
                "reason": "changed their mind",
            },
            cc=("ops@installer.example", "rep@sales.example"),
        ),
        now=NOW,
    )

    text, _ = bodies(message)
    assert message["Subject"] == "Job JOB-000002 cancelled: Cancel Pending until 2026-12-14"
    assert message["Cc"] == "ops@installer.example, rep@sales.example"
    assert "Monday, December 14, 2026" in text


def test_html_escapes_what_people_typed() -> None:
    message = composer.compose(
        queued(
            EmailKind.CANCELLATION_NOTICE,
            {
                "job_id": "JOB-000002",
                "homeowner_name": "<script>x</script>",
                "final_date": "2026-12-14",
                "reason": "a & b",
            },
        ),
        now=NOW,
    )

    _, html = bodies(message)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_row_missing_its_data_is_refused_not_sent_with_a_blank() -> None:
    with pytest.raises(CompositionError, match="code"):
        composer.compose(
            queued(EmailKind.VERIFICATION_CODE, {"homeowner_name": "Ben", "expires_at": "x"}),
            now=NOW,
        )


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_kind_has_a_subject_and_both_templates(kind: EmailKind) -> None:
    context: dict[str, JSONValue] = {
        "job_id": "JOB-1",
        "homeowner_name": "Ben",
        "code": "1234",
        "expires_at": "2026-11-23T15:10:00+00:00",
        "final_date": "2026-12-14",
        "final_at": "2026-12-15T05:00:00+00:00",
        "reason": "r",
        "case_id": "CASE-1",
        "approved": False,
        "phase": "sales",
        "request_id": "REQ-1",
        "due_at": "2026-11-25T15:00:00+00:00",
        "created_at": "2026-11-23T15:00:00+00:00",
        "tree_size": 301,
        "root": "ab" * 32,
        "key_id": "cd" * 32,
        "name": "checkpoint-20261123T150000.000000Z-abababababab.json",
        "signed_head": '{"root": "..."}',
        "requester_name": "Ben",
        "reason_label": "Withdrawn by the homeowner",
        "rule": "",
        "note": "",
        "duplicate_of": "",
        "why": "changed mind",
        "window_was_final_date": "2026-12-14",
        "link": "http://127.0.0.1:8000/cancel/link?t=" + "A" * 43,
    }
    text, html = bodies(composer.compose(queued(kind, context), now=NOW))
    assert text.strip()
    assert "</html>" in html


def test_the_checkpoint_email_carries_the_signed_head_to_compliance() -> None:
    root = "ab" * 32
    context: dict[str, JSONValue] = {
        "created_at": "2026-11-23T15:00:00+00:00",
        "tree_size": 301,
        "root": root,
        "key_id": "cd" * 32,
        "name": "checkpoint-x.json",
        "signed_head": '{"signature": "c2ln"}',
    }
    message = composer.compose(queued(EmailKind.AUDIT_CHECKPOINT, context), now=NOW)
    text, html = bodies(message)
    assert message["Subject"] == "Audit checkpoint 2026-11-23T15:00:00+00:00: 301 streams sealed"
    assert root in text
    assert '{"signature": "c2ln"}' in text
    assert root in html


HOMEOWNER_KINDS = [
    EmailKind.VERIFICATION_CODE,
    EmailKind.SELF_SERVICE_LINK,
    EmailKind.CANCELLATION_NOTICE,
    EmailKind.WORKFLOW_RESTORED,
    EmailKind.FINAL_CANCELLATION,
    EmailKind.REQUEST_CLOSED,
    EmailKind.DP_DECISION,
]


@pytest.mark.parametrize("kind", HOMEOWNER_KINDS)
def test_every_email_to_the_homeowner_reads_in_spanish_when_that_is_their_language(
    kind: EmailKind,
) -> None:
    context: dict[str, JSONValue] = {
        "homeowner_name": "Ben",
        "requester_name": "Ben",
        "code": "1234",
        "link": "http://127.0.0.1:8000/cancel/link?t=" + "A" * 43,
        "expires_at": "2026-11-23T15:10:00+00:00",
        "final_date": "2026-12-14",
        "final_at": "2026-12-15T05:00:00+00:00",
        "window_was_final_date": "2026-12-14",
        "reason": "not_eligible",
        "reason_label": "Not eligible",
        "rule": "rule 1",
        "request_id": "REQ-1",
        "case_id": "CASE-1",
        "approved": True,
        "cancelled": True,
        "note": "",
        "duplicate_of": "",
        "why": "changed mind",
    }
    english = composer.compose(queued(kind, context), now=NOW)
    spanish = composer.compose(queued(kind, context | {"language": "es"}), now=NOW)
    text, html = bodies(spanish)
    assert spanish["Subject"] != english["Subject"]
    assert text.startswith("Hola")
    assert "Hello" not in text
    assert "Hello" not in html
    assert '<html lang="es">' in html
    assert "Please keep it for your records" not in html
