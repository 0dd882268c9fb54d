"""Receiving email for support: an SMTP server (aiosmtpd) and an importer for saved messages.

Both hand every message to ``services.inbound.receive_email`` and answer the sender's server
with 250 whatever the outcome: a message that cannot be filed is kept in triage, so refusing
it would only make the sender's server retry. Both trust the Authentication-Results of the
configured authserv-ids only; the SMTP server, when it checks DKIM itself, writes its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterator
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


def message_files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        raise InvalidInput(f"{path} is neither a file nor a directory of .eml files", field="path")
    yield from sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".eml")


def import_messages(
    ctx: Context, path: Path, *, authserv_ids: Collection[str] = ()
) -> list[tuple[Path, Received]]:
    results = []
    for file in message_files(path):
        raw = file.read_bytes()
        parsed = parse_email(raw, authserv_ids=authserv_ids)
        results.append((file, receive_email(ctx, parsed, raw)))
    return results
