"""Checkpoints: the state of every audit stream, sealed and signed, kept outside the database.

A checkpoint is a signed tree head in Certificate Transparency's style (RFC 6962 §3.5): the
Merkle root over one leaf per stream — (stream, last seq, that record's hash), sorted by
stream name — with the tree's size and the moment, signed with a key the database never sees.
The document also lists the leaves, so a later check can ask of each stream whether its record
at the sealed seq still has the sealed hash. That is what a chain and a head row alone cannot
show: whoever can write the database can cut a stream's tail and move its head back, or
rewrite a record and every hash after it, and the chain still verifies.

The signature covers ``signed_body()`` (everything but the leaves and the signature); the
leaves are bound to it by the root. The signing itself is an adapter's work (the domain
stays stdlib-only); here are the document, its canonical bytes and the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import pairwise
from typing import TypeVar

from rescind.domain.audit import AuditRecord, verify_stream
from rescind.domain.errors import InvalidInput
from rescind.domain.merkle import leaf_hash, merkle_root, path_in, tree_levels

CHECKPOINT_VERSION = 1
_T = TypeVar("_T")
# Names what is signed, so a signature over a checkpoint means nothing as anything else.
CHECKPOINT_KIND = "rescind.audit.checkpoint"


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, order=True)
class SealedHead:
    """One stream as a checkpoint saw it: its last record's seq and hash."""

    stream: str
    seq: int
    hash: str

    def leaf(self) -> bytes:
        """The leaf's data: a canonical JSON array, UTF-8."""
        return _canonical([self.stream, self.seq, self.hash])

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf())


@dataclass(frozen=True)
class TreeHead:
    """What is signed: the tree's size and root, when, and by which key."""

    created_at: datetime
    tree_size: int
    root: str
    key_id: str

    def signed_body(self) -> bytes:
        return _canonical(
            {
                "kind": CHECKPOINT_KIND,
                "version": CHECKPOINT_VERSION,
                "created_at": self.created_at.astimezone(UTC).isoformat(),
                "tree_size": self.tree_size,
                "root": self.root,
                "key_id": self.key_id,
            }
        )

    def as_json(self, signature: str) -> dict[str, object]:
        return {
            "kind": CHECKPOINT_KIND,
            "version": CHECKPOINT_VERSION,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "tree_size": self.tree_size,
            "root": self.root,
            "key_id": self.key_id,
            "signature": signature,
        }


@dataclass(frozen=True)
class Checkpoint:
    head: TreeHead
    signature: str  # base64 Ed25519 over head.signed_body()
    leaves: tuple[SealedHead, ...]

    def to_json(self) -> str:
        document = self.head.as_json(self.signature)
        document["leaves"] = [[s.stream, s.seq, s.hash] for s in self.leaves]
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"

    def leaf_index(self, stream: str) -> int | None:
        found = _bisect(self.leaves, stream)
        return found if found is not None and self.leaves[found].stream == stream else None

    def inclusion_path(self, index: int) -> list[str]:
        return path_in(index, self._levels)

    @cached_property
    def _levels(self) -> list[list[bytes]]:
        # A million leaves take seconds to hash: once per checkpoint, not once per proof.
        return tree_levels([s.leaf_hash() for s in self.leaves])


@dataclass(frozen=True)
class IssuedCheckpoint:
    """The database's note of a checkpoint: its signed head and where its document is kept."""

    head: TreeHead
    signature: str
    name: str


def tree_head(
    heads: Iterable[SealedHead], at: datetime, key_id: str
) -> tuple[TreeHead, tuple[SealedHead, ...]]:
    """The unsigned head over every stream's head, leaves sorted by stream name."""
    leaves = tuple(sorted(heads))
    root = merkle_root([s.leaf_hash() for s in leaves])
    return TreeHead(created_at=at, tree_size=len(leaves), root=root, key_id=key_id), leaves


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint document read back; ``InvalidInput`` saying what is wrong with it. The
    root is recomputed from the leaves here, so a list edited after signing is refused."""
    try:
        document = json.loads(text)
    except ValueError as e:
        raise _bad(f"it is not JSON ({e})") from None
    if not isinstance(document, dict) or document.get("kind") != CHECKPOINT_KIND:
        raise _bad(f"it is not a {CHECKPOINT_KIND} document")
    if document.get("version") != CHECKPOINT_VERSION:
        raise _bad(f"version {document.get('version')!r} is not {CHECKPOINT_VERSION}")
    try:
        created_at = datetime.fromisoformat(_field(document, "created_at", str))
    except ValueError:
        raise _bad("created_at is not an ISO 8601 moment") from None
    if created_at.tzinfo is None:
        raise _bad("created_at has no UTC offset")
    raw_leaves = _field(document, "leaves", list)
    leaves = tuple(_leaf(item, n) for n, item in enumerate(raw_leaves))
    if any(a.stream >= b.stream for a, b in pairwise(leaves)):
        raise _bad("its leaves are not sorted by stream, each stream once")
    head = TreeHead(
        created_at=created_at,
        tree_size=_field(document, "tree_size", int),
        root=_field(document, "root", str),
        key_id=_field(document, "key_id", str),
    )
    if head.tree_size != len(leaves):
        raise _bad(f"tree_size is {head.tree_size} but it lists {len(leaves)} leaves")
    if merkle_root([s.leaf_hash() for s in leaves]) != head.root:
        raise _bad("its leaves do not hash to its root: the list was changed after signing")
    return Checkpoint(head=head, signature=_field(document, "signature", str), leaves=leaves)


def verify_sealed_stream(
    stream: str,
    records: Iterable[AuditRecord],
    head: tuple[int, str] | None,
    sealed: SealedHead | None,
) -> list[str]:
    """``verify_stream``'s problems, and whether the stream still holds what was sealed: the
    record at the sealed seq, with the sealed hash (records added since are fine)."""
    seen: list[str] = []

    def watch(records: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
        for record in records:
            if sealed is not None and record.seq == sealed.seq:
                seen.append(record.hash)
            yield record

    problems = verify_stream(stream, watch(records), head)
    if sealed is None:
        return problems
    if not seen:
        problems.append(
            f"{stream}: the checkpoint sealed {sealed.seq} records, but record {sealed.seq} "
            "is gone (the stream was cut back)"
        )
    elif seen[0] != sealed.hash:
        problems.append(
            f"{stream}: record {sealed.seq} is not the one the checkpoint sealed "
            "(the trail up to it was rewritten)"
        )
    return problems


def lost_since(sealed: Iterable[SealedHead], heads: Iterable[SealedHead]) -> list[str]:
    """What the trail's heads no longer hold of an earlier checkpoint: a stream gone, cut
    below its sealed seq, or at the same seq with another hash. (A rewrite of a stream that
    grew since shows only against its records: ``verify_sealed_stream``.)"""
    now = {h.stream: h for h in heads}
    problems: list[str] = []
    for old in sealed:
        new = now.get(old.stream)
        if new is None:
            problems.append(missing_stream(old))
        elif new.seq < old.seq:
            problems.append(
                f"{old.stream}: the checkpoint sealed {old.seq} records, but its head is at "
                f"{new.seq} (the stream was cut back)"
            )
        elif new.seq == old.seq and new.hash != old.hash:
            problems.append(f"{old.stream}: record {old.seq} is not the one the checkpoint sealed")
    return problems


def missing_stream(sealed: SealedHead) -> str:
    return f"{sealed.stream}: the checkpoint sealed {sealed.seq} records, but the stream is gone"


def check_signature(
    checkpoint: Checkpoint, pinned_key_id: str, valid: Callable[[bytes, str], bool]
) -> list[str]:
    """Problems with who signed: only the pinned key counts (a re-signed forgery is refused)."""
    if checkpoint.head.key_id != pinned_key_id:
        return [
            f"checkpoint: signed by key {checkpoint.head.key_id[:16]}…, not the trusted key "
            f"{pinned_key_id[:16]}…"
        ]
    if not valid(checkpoint.head.signed_body(), checkpoint.signature):
        return ["checkpoint: the signature does not verify with the trusted key"]
    return []


def _bisect(leaves: Sequence[SealedHead], stream: str) -> int | None:
    lo, hi = 0, len(leaves)
    while lo < hi:
        mid = (lo + hi) // 2
        if leaves[mid].stream < stream:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(leaves) else None


def _leaf(item: object, n: int) -> SealedHead:
    if (
        isinstance(item, list)
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and not isinstance(item[1], bool)
        and isinstance(item[2], str)
    ):
        return SealedHead(item[0], item[1], item[2])
    raise _bad(f"leaf {n} is not [stream, seq, hash]")


def _field(document: Mapping[str, object], name: str, kind: type[_T]) -> _T:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _bad(f"{name} is missing or not a {kind.__name__}")
    return value


def _bad(why: str) -> InvalidInput:
    return InvalidInput(f"not a valid checkpoint: {why}", field="checkpoint")
