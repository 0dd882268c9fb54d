"""When the demo mailbox is on, and what it keeps of an email."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.config import Settings


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, True),  # make run: no SMTP host, the demo SQLite
        ({"RESCIND_SMTP_HOST": "mail.example.com"}, False),
        ({"RESCIND_DATABASE_URL": "postgresql+psycopg://db/rescind"}, False),
        ({"RESCIND_DEMO_MAILBOX": "off"}, False),
        ({"RESCIND_DEMO_MAILBOX": "on", "RESCIND_SMTP_HOST": "mail.example.com"}, True),
    ],
)
def test_the_demo_mailbox_is_on_only_for_the_demo_without_a_mail_server_unless_forced(
    env: dict[str, str], on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RESCIND_SMTP_HOST", "RESCIND_DATABASE_URL", "RESCIND_DEMO_MAILBOX"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings().demo_mailbox_on is on


def test_a_message_written_to_the_demo_mailbox_reads_back_with_its_headers_and_text(
    tmp_path: Path,
) -> None:
    mailbox = DemoMailbox(tmp_path / "demo-mailbox")
    message = EmailMessage()
    message["From"] = "HO Outbound <ho-outbound@rescind.invalid>"
    message["To"] = "ann@example.com"
    message["Subject"] = "Your verification code"
    message.set_content("Your verification code is: 4821\n")

    assert mailbox.send(message) == []

    [listed] = mailbox.messages()
    assert (listed.to, listed.subject) == ("ann@example.com", "Your verification code")
    assert "4821" in listed.text
    assert mailbox.message(listed.name) == listed
    assert mailbox.message("../rescind.sqlite3") is None
    assert (tmp_path / "demo-mailbox" / listed.name).read_bytes().startswith(b"From: ")
