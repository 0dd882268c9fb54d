"""Sending over SMTP with the standard library's client.

Failures are sorted into the two kinds the outbox cares about: transient (connection trouble,
4xx: try again later with backoff) and permanent (5xx: retrying the same message is pointless).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from rescind.services.sending import PermanentFailure, TransientFailure


def _failure(message: str, *, transient: bool) -> Exception:
    return TransientFailure(message) if transient else PermanentFailure(message)


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str = ""
    password: str = ""
    timeout: float = 15.0


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, message: EmailMessage) -> list[str]:
        """Send; returns the recipients the server refused while accepting the others."""
        s = self._settings
        try:
            client: smtplib.SMTP
            if s.security == "tls":
                client = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            raise _failure(
                f"every recipient was refused: {e.recipients}",
                transient=all(400 <= c < 500 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as e:
            raise _failure(
                f"SMTP {e.smtp_code}: {e.smtp_error!r}", transient=400 <= e.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError) as e:
            raise _failure(f"cannot reach {s.host}:{s.port}: {e}", transient=True) from None
        # Some recipients may have been refused while others took it: the message counts as
        # sent, and the caller records the refusals.
        return sorted(refused)
