"""The SMTP client against a real SMTP server on localhost."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from rescind.adapters.mail.smtp import SmtpSender, SmtpSettings
from rescind.services.sending import PermanentFailure, TransientFailure
from tests.mail.conftest import SmtpServer, free_port


def a_message(to: str = "ho@example.com", cc: str | None = "ops@installer.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Support <support@rescind.invalid>"
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = "Hello"
    message["Message-ID"] = "<abc123@rescind.invalid>"
    message.set_content("Body text")
    return message


def test_a_message_reaches_the_server_with_its_to_cc_and_message_id(
    smtp_server: SmtpServer,
) -> None:
    sender = SmtpSender(SmtpSettings(host=smtp_server.host, port=smtp_server.port))

    refused = sender.send(a_message())

    assert refused == []
    [got] = smtp_server.inbox.received
    assert sorted(got.rcpt_tos) == ["ho@example.com", "ops@installer.example"]
    assert got.message["Message-ID"] == "<abc123@rescind.invalid>"
    assert got.message["Cc"] == "ops@installer.example"


def test_a_server_that_is_down_is_a_transient_failure() -> None:
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))

    with pytest.raises(TransientFailure):
        sender.send(a_message())


def test_a_4xx_answer_is_transient_and_a_5xx_answer_is_permanent(smtp_server: SmtpServer) -> None:
    sender = SmtpSender(SmtpSettings(host=smtp_server.host, port=smtp_server.port))

    smtp_server.inbox.refuse_with = "451 4.3.0 try again later"
    with pytest.raises(TransientFailure):
        sender.send(a_message())
    smtp_server.inbox.refuse_with = "554 5.7.1 rejected"
    with pytest.raises(PermanentFailure):
        sender.send(a_message())

    assert smtp_server.inbox.received == []
