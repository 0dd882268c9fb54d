"""The append-only, hash-chained audit trail: one stream per job, plus a system stream.

Each record's hash covers its content and the previous record's hash, and each stream's head
(last sequence number and hash) is kept apart, so a changed row, a removed row in the middle
and a removed tail all show up in ``verify_stream``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from rescind.domain.events import Event, JSONValue

GENESIS_HASH = "0" * 64
SYSTEM_STREAM = "system"
# The one canonical form a record is hashed in. ``json.dumps`` with these options builds this
# very encoder on every call; built once, the ten million records ``verify`` rehashes skip
# that (a quarter of the hashing), and the bytes are the same by construction.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def job_stream(job_id: str) -> str:
    return f"job:{job_id}"


class AuditChannel(StrEnum):
    """Through which door a change came. The values are stored in every audit record and
    hashed into it: never rename one (a renamed value breaks every existing hash)."""

    # The channels a cancellation request arrives through (``request.Channel``).
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    INSTALLER_PORTAL = "installer_portal"
    MAIL = "mail"
    TELEGRAM = "telegram"
    SELF_SERVICE = "self_service"
    # The doors staff and machines use.
    CONSOLE = "console"
    API = "api"
    CLI = "cli"
    ADMIN = "admin"
    IMPORT = "import"
    DEAL_PROCESSING = "deal_processing"
    SYSTEM = "system"


@dataclass(frozen=True)
class AuditContext:
    """Who did it, when, through which channel, under which policy version."""

    actor: str
    at: datetime
    channel: AuditChannel = AuditChannel.SYSTEM
    policy_version: int | None = None


@dataclass(frozen=True)
class AuditRecord:
    stream: str
    seq: int
    occurred_at: datetime
    actor: str
    channel: str
    policy_version: int | None
    kind: str
    data: Mapping[str, JSONValue]
    prev_hash: str
    hash: str


def _digest(
    stream: str,
    seq: int,
    occurred_at: datetime,
    actor: str,
    channel: str,
    policy_version: int | None,
    kind: str,
    data: Mapping[str, JSONValue],
    prev_hash: str,
) -> str:
    body = _CANONICAL.encode(
        [
            stream,
            seq,
            occurred_at.astimezone(UTC).isoformat(),
            actor,
            channel,
            policy_version,
            kind,
            data,
            prev_hash,
        ]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def seal(stream: str, seq: int, prev_hash: str, actx: AuditContext, event: Event) -> AuditRecord:
    """The next link of a stream; ``seq`` starts at 1 after ``GENESIS_HASH``."""
    data = dict(event.data)
    digest = _digest(
        stream,
        seq,
        actx.at,
        actx.actor,
        actx.channel,
        actx.policy_version,
        event.kind.value,
        data,
        prev_hash,
    )
    return AuditRecord(
        stream=stream,
        seq=seq,
        occurred_at=actx.at,
        actor=actx.actor,
        channel=actx.channel,
        policy_version=actx.policy_version,
        kind=event.kind.value,
        data=data,
        prev_hash=prev_hash,
        hash=digest,
    )


def verify_stream(
    stream: str, records: Iterable[AuditRecord], head: tuple[int, str] | None
) -> list[str]:
    """Every problem found in one stream, as a sentence naming the sequence number."""
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS_HASH
    for record in records:
        if record.seq != expected_seq:
            problems.append(f"{stream}: record {expected_seq} is missing (found {record.seq} next)")
        if record.prev_hash != prev:
            problems.append(f"{stream}: record {record.seq} does not link to the one before it")
        recomputed = _digest(
            record.stream,
            record.seq,
            record.occurred_at,
            record.actor,
            record.channel,
            record.policy_version,
            record.kind,
            record.data,
            record.prev_hash,
        )
        if recomputed != record.hash:
            problems.append(f"{stream}: record {record.seq} was changed after it was written")
        expected_seq, prev = record.seq + 1, record.hash
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            problems.append(f"{stream}: has records but no head")
    elif head != (last_seq, prev):
        problems.append(
            f"{stream}: the head says record {head[0]} is last, but the trail ends at {last_seq}"
            if head[0] != last_seq
            else f"{stream}: the last record does not match the head"
        )
    return problems
