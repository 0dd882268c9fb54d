"""The demo's mailbox: outgoing mail written as ``.eml`` files instead of sent (``make run``).

A newcomer without a mail server can still read the 4-digit code a phone cancellation sends.
Files, not a table: nothing in the schema exists only for the demo, the worker (which sends)
and the console (which reads) already share the data directory, and each message is the very
RFC 5322 text SMTP would have carried, openable in any mail client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from uuid import uuid4

_NAME = re.compile(r"^\d{8}T\d{6}\d{6}Z-[0-9a-f]{8}\.eml$")


@dataclass(frozen=True)
class DemoMessage:
    name: str  # the file's name: its id in the console's URLs
    received_at: datetime
    sender: str
    to: str
    cc: str
    subject: str
    text: str


class DemoMailbox:
    """A ``Sender`` (for the worker) and the reader of what it wrote (for the console)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> list[str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid4().hex[:8]}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes(policy=policy.SMTP))
        partial.replace(path)  # the console never reads half a message
        return []

    def messages(self, limit: int = 200) -> list[DemoMessage]:
        """Newest first."""
        if not self.directory.is_dir():
            return []
        names = sorted(p.name for p in self.directory.iterdir() if _NAME.match(p.name))
        return [self._read(n) for n in reversed(names[-limit:])]

    def message(self, name: str) -> DemoMessage | None:
        if not _NAME.match(name) or not (self.directory / name).is_file():
            return None
        return self._read(name)

    def _read(self, name: str) -> DemoMessage:
        raw = (self.directory / name).read_bytes()
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        stamp = datetime.strptime(name[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        return DemoMessage(
            name=name,
            received_at=stamp,
            sender=str(parsed.get("From", "")),
            to=str(parsed.get("To", "")),
            cc=str(parsed.get("Cc", "")),
            subject=str(parsed.get("Subject", "")),
            text=str(text),
        )
