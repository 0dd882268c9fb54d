"""Signed checkpoints of the audit trail: issue one, check the trail against one, prove a job.

Issuing reads every stream's head (one row a stream), builds the tree, signs its head with a
key the database never holds, keeps the document in the archive (a directory the database
admin does not control) *before* noting it in the database, and queues the signed head to the
compliance address in the same transaction as the note. Checking reads the document the
caller gives (never the database's note), believes it only if the pinned key signed it, and
then streams the whole trail once, stream by stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from typing import cast

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.checkpoint import (
    Checkpoint,
    IssuedCheckpoint,
    SealedHead,
    check_signature,
    lost_since,
    parse_checkpoint,
    tree_head,
)
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import NotAllowed, NotFound, RescindError
from rescind.domain.events import JSONValue
from rescind.domain.recipients import Recipients
from rescind.services.access import job_for
from rescind.services.audit import TrailCheck, TrailProgress, check_streams
from rescind.services.context import Context
from rescind.services.ports import CheckpointArchive, SignatureVerifier, Signer


def issue_checkpoint(
    ctx: Context,
    signer: Signer,
    archive: CheckpointArchive,
    *,
    actor: Actor,
    email_to: str = "",
    unless_unchanged: bool = False,
) -> IssuedCheckpoint | None:
    """Seal every stream's head now. With ``unless_unchanged`` (the worker), nothing is
    issued when the root is the latest checkpoint's (None is returned)."""
    require(actor, Permission.SWEEP)
    with ctx.uow() as uow:
        now = ctx.now()
        head, leaves = tree_head(uow.audit.heads(), now, signer.key_id)
        latest = uow.checkpoints.latest()
        if latest is not None:
            _refuse_to_seal_over_a_loss(latest, leaves, archive)
        if (
            unless_unchanged
            and latest is not None
            and (latest.head.root, latest.head.key_id) == (head.root, head.key_id)
        ):
            return None  # the same trail under the same key: nothing new to seal
        checkpoint = Checkpoint(head=head, signature=signer.sign(head.signed_body()), leaves=leaves)
        name = f"checkpoint-{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{head.root[:12]}.json"
        # Kept outside first: a note in the database never points at a document not written.
        archive.keep(name, checkpoint.to_json())
        issued = IssuedCheckpoint(head=head, signature=checkpoint.signature, name=name)
        uow.checkpoints.add(issued)
        if email_to:
            uow.outbox.add(_email(issued, email_to), queued_at=now)
        uow.commit()
    return issued


def _refuse_to_seal_over_a_loss(
    latest: IssuedCheckpoint, leaves: tuple[SealedHead, ...], archive: CheckpointArchive
) -> None:
    """A new checkpoint must not vouch for a trail that lost what the last one sealed: that is
    the alarm, raised at the next seal rather than at the next audit."""
    try:
        previous = parse_checkpoint(archive.read(latest.name))
    except RescindError:
        return  # not kept here (the directory moved): nothing to compare with
    lost = lost_since(previous.leaves, leaves)
    if lost:
        more = f" (and {len(lost) - 1} more)" if len(lost) > 1 else ""
        raise NotAllowed(
            f"refusing to seal the audit trail: since checkpoint {latest.name} it lost what "
            f"that sealed: {lost[0]}{more}; `rescind audit verify --checkpoint` on it lists all"
        )


def verify_against_checkpoint(
    ctx: Context,
    document: str,
    trusted: SignatureVerifier,
    *,
    actor: Actor,
    progress: TrailProgress | None = None,
) -> TrailCheck:
    """The trail against a checkpoint document; a forged or foreign-signed one is refused
    (its problems reported) before the trail is read."""
    require(actor, Permission.READ_AUDIT)
    checkpoint = parse_checkpoint(document)
    which = (
        f"checkpoint of {checkpoint.head.created_at.isoformat()}, trusted key "
        f"{trusted.key_id[:16]}…"
    )
    refused = check_signature(checkpoint, trusted.key_id, trusted.valid)
    if refused:
        return TrailCheck(problems=refused, checkpoint=which)
    with ctx.uow() as uow:
        check = check_streams(uow, {s.stream: s for s in checkpoint.leaves}, progress=progress)
    check.checkpoint = which
    return check


PROOF_KIND = "rescind.audit.proof"


@dataclass(frozen=True)
class JobProof:
    """A job's records and the inclusion proof of its stream in the latest checkpoint."""

    job_id: str
    records: list[AuditRecord]
    checkpoint: Checkpoint  # its leaves are not handed out, only the signed head
    leaf_index: int
    leaf: SealedHead
    audit_path: list[str]

    def bundle(self) -> dict[str, JSONValue]:
        """The proof as handed out (``rescind audit prove``, the API), and as
        ``scripts/verify_audit_proof.py`` reads it: every field the hashes are computed over."""
        return {
            "kind": PROOF_KIND,
            "version": 1,
            "job_id": self.job_id,
            "stream": self.leaf.stream,
            "records": [_record_json(r) for r in self.records],
            "checkpoint": cast(JSONValue, self.checkpoint.head.as_json(self.checkpoint.signature)),
            "leaf_index": self.leaf_index,
            "leaf": {"stream": self.leaf.stream, "seq": self.leaf.seq, "hash": self.leaf.hash},
            "audit_path": list[JSONValue](self.audit_path),
        }


def _record_json(record: AuditRecord) -> JSONValue:
    return {
        "stream": record.stream,
        "seq": record.seq,
        # The exact text the record's hash covers (UTC ISO 8601).
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat(),
        "actor": record.actor,
        "channel": record.channel,
        "policy_version": record.policy_version,
        "kind": record.kind,
        "data": dict(record.data),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def prove_job(
    ctx: Context,
    job_id: str,
    archive: CheckpointArchive,
    trusted: SignatureVerifier,
    *,
    actor: Actor,
) -> JobProof:
    """``NotFound`` when there is no checkpoint yet, or the latest was issued before the
    job's trail began (the next one will seal it)."""
    with ctx.uow() as uow:
        job_for(uow, job_id, actor, Permission.READ_AUDIT)
        records = uow.audit.records(job_stream(job_id))
        latest = uow.checkpoints.latest()
    if not records:
        raise NotFound(f"job {job_id} has no audit records yet: there is nothing to prove")
    if latest is None:
        raise NotFound("no audit checkpoint has been issued yet; run `rescind audit checkpoint`")
    checkpoint = _kept(archive, latest.name)
    if checkpoint.head != latest.head or check_signature(checkpoint, trusted.key_id, trusted.valid):
        raise NotFound(
            f"the kept checkpoint {latest.name} is not the one the database noted, or not "
            "signed by the configured key; check the checkpoint directory"
        )
    index = checkpoint.leaf_index(job_stream(job_id))
    if index is None:
        raise NotFound(
            f"job {job_id}'s trail is not in the latest checkpoint "
            f"({latest.head.created_at.isoformat()}) yet; the next checkpoint seals it"
        )
    return JobProof(
        job_id=job_id,
        records=records,
        checkpoint=checkpoint,
        leaf_index=index,
        leaf=checkpoint.leaves[index],
        audit_path=checkpoint.inclusion_path(index),
    )


@lru_cache(maxsize=2)
def _kept(archive: CheckpointArchive, name: str) -> Checkpoint:
    """The latest checkpoint, read and parsed once per process (proofs are asked for one at a
    time, by people, but each would otherwise read and hash the whole document again)."""
    return parse_checkpoint(archive.read(name))


def _email(issued: IssuedCheckpoint, to: str) -> OutgoingEmail:
    head = issued.head
    return OutgoingEmail(
        kind=EmailKind.AUDIT_CHECKPOINT,
        recipients=Recipients(to=(to,)),
        job_id=None,
        context={
            "created_at": head.created_at.isoformat(),
            "tree_size": head.tree_size,
            "root": head.root,
            "key_id": head.key_id,
            "name": issued.name,
            "signed_head": json.dumps(head.as_json(issued.signature), indent=2),
        },
    )
