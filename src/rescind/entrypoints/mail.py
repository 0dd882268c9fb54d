"""Receiving email for support: an SMTP server (aiosmtpd) and an importer for saved messages.

Both hand every message to ``services.inbound.receive_email`` and answer the sender's server
with 250 whatever the outcome: a message that cannot be filed is kept in triage, so refusing
it would only make the sender's server retry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.errors import InvalidInput
from rescind.services.context import Context
from rescind.services.inbound import Received, receive_email

log = logging.getLogger("rescind.mail")
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class SupportMailbox:
    """The aiosmtpd handler: every message received becomes a request or a triage item."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.received: list[Received] = []

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")
        try:
            result = receive_email(self.ctx, parse_email(data), data)
        except Exception:
            # The database is down or similar: a 4xx makes the sending server retry later.
            log.exception("could not store an incoming message; asking the sender to retry")
            return "451 4.3.0 temporary failure storing the message, please retry"
        self.received.append(result)
        log.info("received %s: %s %s", result.inbound_id, result.status.value, result.reason)
        return "250 Message accepted"


def start_receiver(ctx: Context, host: str, port: int) -> Controller:
    controller = Controller(
        SupportMailbox(ctx),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        server_hostname="rescind",
    )
    controller.start()
    return controller


@dataclass
class MailImport:
    """What ``import_messages`` did: each message filed, and each file it would not read."""

    received: list[tuple[Path, Received]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def message_files(path: Path, skipped: list[tuple[Path, str]]) -> Iterator[Path]:
    """The file named, or the folder's ``.eml`` files by their real paths, in name order.

    A folder's entry is read only if its real path is inside the folder: a symlink (to a file
    or through a linked folder) pointing elsewhere would let whoever can write into the drop
    folder have the importer read any file it can, so it is skipped with the reason.
    """
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        raise InvalidInput(f"{path} is neither a file nor a directory of .eml files", field="path")
    root = path.resolve()
    for entry in sorted(path.iterdir()):
        if entry.suffix.lower() != ".eml":
            continue
        real = entry.resolve()
        if not real.is_relative_to(root):
            skipped.append((entry, f"it links outside {path} (to {real}); not read"))
        elif real.is_file():
            yield real


def _read(file: Path) -> bytes | None:
    """The file's bytes, opened without following a link swapped in since it was resolved;
    None when it is larger than any message the SMTP receiver would accept."""
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        raw = f.read(MAX_MESSAGE_BYTES + 1)
    return None if len(raw) > MAX_MESSAGE_BYTES else raw


def import_messages(ctx: Context, path: Path) -> MailImport:
    done = MailImport()
    for file in message_files(path, done.skipped):
        try:
            raw = _read(file)
        except OSError as e:
            done.skipped.append((file, f"cannot read it ({e.strerror})"))
            continue
        if raw is None:
            done.skipped.append((file, f"it is larger than {MAX_MESSAGE_BYTES} bytes"))
            continue
        done.received.append((file, receive_email(ctx, parse_email(raw), raw)))
    return done
