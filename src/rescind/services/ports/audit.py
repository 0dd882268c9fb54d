"""The audit trail, its signed checkpoints and where they are kept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Protocol

from rescind.domain.access import JobScope
from rescind.domain.audit import AuditContext, AuditRecord
from rescind.domain.checkpoint import IssuedCheckpoint, SealedHead
from rescind.domain.events import Event
from rescind.domain.insight_figures import Count, Live


class AuditLog(Protocol):
    def append(self, stream: str, actx: AuditContext, events: Sequence[Event]) -> list[AuditRecord]:
        """Seal and add events at the end of a stream (after any appended earlier in this
        unit of work). Two transactions appending to one stream cannot both commit."""
        ...

    def append_many(
        self, actx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
    ) -> list[AuditRecord]:
        """``append`` of each (stream, events) entry, all with one context, in a few
        statements however many streams (the sweep writes one per finalized job)."""
        ...

    def records(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        """The stream's records after ``after_seq``, in order (the first ``limit``)."""
        ...

    def head(self, stream: str) -> tuple[int, str] | None: ...

    def streams(self) -> Iterable[str]:
        """Every stream with a head or a record."""
        ...

    def heads(self) -> list[SealedHead]:
        """Every stream's head (one row a stream, one statement: one moment)."""
        ...

    def scan(self) -> Iterator[AuditRecord]:
        """Every record, each stream's together in seq order, read in batches (never the
        whole trail in memory)."""
        ...

    def insight_counts(
        self,
        scope: JobScope,
        first_day: date,
        last_day: date,
        *,
        now: datetime,
        strip_ends_at: datetime,
    ) -> tuple[list[Count], Live]:
        """The insights' pre-counted sums over a period of company-local days for one
        reader, and what is true now (open requests past due, windows ending soon)."""
        ...


class CheckpointLog(Protocol):
    def add(self, issued: IssuedCheckpoint) -> None: ...

    def latest(self) -> IssuedCheckpoint | None: ...


class Signer(Protocol):
    """Signs checkpoints with a key kept outside the database (an Ed25519 key file)."""

    @property
    def key_id(self) -> str:
        """The public key's fingerprint (hex SHA-256 of its raw bytes)."""
        ...

    def sign(self, body: bytes) -> str:
        """The signature over ``body``, base64."""
        ...

    def verifier(self) -> SignatureVerifier: ...


class SignatureVerifier(Protocol):
    """A trusted public key: checkpoints are believed only when it signed them."""

    @property
    def key_id(self) -> str: ...

    def valid(self, body: bytes, signature: str) -> bool: ...


class CheckpointArchive(Protocol):
    """Where each checkpoint document is kept, out of the database admin's reach."""

    def keep(self, name: str, document: str) -> None:
        """Write the document whole (never half a file) under ``name``."""
        ...

    def read(self, name: str) -> str:
        """A kept document, or ``NotFound``."""
        ...

    def __hash__(self) -> int:
        """By identity is enough: what was read from one archive is cached per process."""
        ...
