"""Receiving email for support: an SMTP server (aiosmtpd) and an importer for saved messages.

Both hand every message to ``services.inbound.receive_email`` and answer the sender's server
with 250 whatever the outcome: a message that cannot be filed is kept in triage, so refusing
it would only make the sender's server retry. Both trust the Authentication-Results of the
configured authserv-ids only; the SMTP server, when it checks DKIM itself, writes its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from rescind.adapters.mail.inbound import parse_email
from rescind.adapters.mail.receiving_server import ReceivingServer
from rescind.domain.errors import InvalidInput
from rescind.services.context import Context
from rescind.services.inbound import Received, receive_email

log = logging.getLogger("rescind.mail")
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class SupportMailbox:
    """The aiosmtpd handler: every message received becomes a request or a triage item."""

    def __init__(
        self,
        ctx: Context,
        authserv_ids: Collection[str] = (),
        checking: ReceivingServer | None = None,
    ) -> None:
        self.ctx = ctx
        self.authserv_ids = tuple(authserv_ids)
        self.checking = checking
        self.received: list[Received] = []

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")
        if self.checking is not None:
            data = await self._stamped(data, session)
        try:
            result = receive_email(
                self.ctx, parse_email(data, authserv_ids=self.authserv_ids), data
            )
        except Exception:
            # The database is down or similar: a 4xx makes the sending server retry later.
            log.exception("could not store an incoming message; asking the sender to retry")
            return "451 4.3.0 temporary failure storing the message, please retry"
        self.received.append(result)
        log.info("received %s: %s %s", result.inbound_id, result.status.value, result.reason)
        return "250 Message accepted"

    async def _stamped(self, data: bytes, session: Session) -> bytes:
        """The message with our DKIM verdict on top; unchanged (so unverified) if checking
        itself failed, since a message is never refused for that."""
        assert self.checking is not None
        try:
            # DNS lookups block: off the event loop, so other connections keep being served.
            return await asyncio.to_thread(
                self.checking.stamp,
                data,
                peer=str(session.peer[0]) if session.peer else "",
                helo=str(session.host_name or ""),
                now=self.ctx.now(),
            )
        except Exception:
            log.exception("could not check DKIM; the message is filed without our verdict")
            return data


def start_receiver(
    ctx: Context,
    host: str,
    port: int,
    *,
    authserv_ids: Collection[str] = (),
    checking: ReceivingServer | None = None,
) -> Controller:
    """``checking``: check DKIM here and write the result as ``checking.authserv_id``."""
    controller = Controller(
        SupportMailbox(ctx, authserv_ids, checking),
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


def import_messages(ctx: Context, path: Path, *, authserv_ids: Collection[str] = ()) -> MailImport:
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
        done.received.append(
            (file, receive_email(ctx, parse_email(raw, authserv_ids=authserv_ids), raw))
        )
    return done
