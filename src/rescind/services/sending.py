"""What delivering email needs from adapters: a composer, a sender, and two kinds of failure."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from rescind.domain.email import QueuedEmail


class PermanentFailure(Exception):
    """Retrying cannot help (data missing, a 5xx answer): the message is marked failed."""


class TransientFailure(Exception):
    """A later attempt may succeed (server down, a 4xx answer): retry with backoff."""


class Composer(Protocol):
    def compose(self, email: QueuedEmail, *, now: datetime) -> EmailMessage: ...


class Sender(Protocol):
    def send(self, message: EmailMessage) -> list[str]:
        """Send; returns the recipients refused while others accepted."""
        ...
