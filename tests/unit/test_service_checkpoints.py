"""The checkpoint use cases over fakes: what is kept where and in which order, when the worker
skips, what a verification and a proof say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rescind.adapters.signing import Ed25519Signer
from rescind.domain.audit import job_stream
from rescind.domain.checkpoint import parse_checkpoint
from rescind.domain.email import EmailKind
from rescind.domain.errors import Forbidden, NotAllowed, NotFound
from rescind.domain.merkle import root_from_path
from rescind.services.cancellation import cancel_workflow
from rescind.services.checkpoints import issue_checkpoint, prove_job, verify_against_checkpoint
from tests.fakes import World, actor, file_verified_request

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SYSTEM = actor("system:test")


class FakeArchive:
    def __init__(self) -> None:
        self.kept: dict[str, str] = {}
        self.broken = False

    def keep(self, name: str, document: str) -> None:
        if self.broken:
            raise OSError(28, "No space left on device")
        self.kept[name] = document

    def read(self, name: str) -> str:
        if name not in self.kept:
            raise NotFound(f"{name} is not kept")
        return self.kept[name]


@pytest.fixture
def world() -> World:
    world = World.start(NOW)
    for _ in range(3):
        job = world.add()
        cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:a"))
    return world


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate())


def test_a_checkpoint_is_kept_noted_and_emailed_with_one_leaf_a_stream(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    issued = issue_checkpoint(
        world.ctx, signer, archive, actor=SYSTEM, email_to="compliance@example.com"
    )

    assert issued is not None
    document = parse_checkpoint(archive.kept[issued.name])
    assert document.head == issued.head
    assert issued.head.tree_size == len(world.store.tables.heads) == 4  # 3 jobs + system
    assert [leaf.stream for leaf in document.leaves] == sorted(world.store.tables.heads)
    assert signer.verifier().valid(issued.head.signed_body(), issued.signature)
    assert world.store.tables.checkpoints[1] == issued
    (email,) = world.store.emails(EmailKind.AUDIT_CHECKPOINT)
    assert email.email.recipients.to == ("compliance@example.com",)
    assert email.email.context["root"] == issued.head.root


def test_when_the_document_cannot_be_kept_nothing_is_noted_or_emailed(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    archive.broken = True
    with pytest.raises(OSError, match="No space left"):
        issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM, email_to="c@example.com")
    assert world.store.tables.checkpoints == {}
    assert world.store.emails(EmailKind.AUDIT_CHECKPOINT) == []


def test_the_worker_skips_an_unchanged_trail_but_not_a_grown_one(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    assert issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM) is not None
    world.clock.advance(timedelta(hours=1))
    assert issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM, unless_unchanged=True) is None

    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:a"))
    grown = issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM, unless_unchanged=True)
    assert grown is not None
    assert grown.head.tree_size == 5
    other = Ed25519Signer(Ed25519PrivateKey.generate())
    rotated = issue_checkpoint(world.ctx, other, archive, actor=SYSTEM, unless_unchanged=True)
    assert rotated is not None  # the same trail under a new key is sealed again


def test_only_operators_issue_checkpoints(world: World, signer: Ed25519Signer) -> None:
    with pytest.raises(Forbidden):
        issue_checkpoint(world.ctx, signer, FakeArchive(), actor=actor("agent:alex"))


def test_the_trail_verifies_against_its_checkpoint_until_a_stream_is_cut_back(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    issued = issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM)
    assert issued is not None
    document = archive.kept[issued.name]
    check = verify_against_checkpoint(world.ctx, document, signer.verifier(), actor=SYSTEM)
    assert check.ok, check.problems
    assert check.sealed == check.streams == 4

    stream = sorted(s for s in world.store.tables.audit if s.startswith("job:"))[0]
    records = world.store.tables.audit[stream]
    world.store.tables.audit[stream] = records[:-1]
    world.store.tables.heads[stream] = (records[-2].seq, records[-2].hash)

    check = verify_against_checkpoint(world.ctx, document, signer.verifier(), actor=SYSTEM)
    assert check.problems == [
        f"{stream}: the checkpoint sealed {records[-1].seq} records, but record "
        f"{records[-1].seq} is gone (the stream was cut back)"
    ]
    with pytest.raises(NotAllowed, match=f"refusing to seal.*{stream}"):
        issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM)


def test_a_proof_leads_from_the_jobs_leaf_to_the_signed_root(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    job_id = sorted(world.store.tables.jobs)[1]
    with pytest.raises(NotFound, match="no audit checkpoint has been issued yet"):
        prove_job(world.ctx, job_id, archive, signer.verifier(), actor=SYSTEM)
    issued = issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM)
    assert issued is not None

    proof = prove_job(world.ctx, job_id, archive, signer.verifier(), actor=SYSTEM)

    assert proof.records == world.store.trail(job_id)
    assert proof.leaf.stream == job_stream(job_id)
    assert proof.leaf.hash == proof.records[-1].hash
    size = issued.head.tree_size
    leaf = proof.leaf.leaf_hash()
    assert root_from_path(proof.leaf_index, size, leaf, proof.audit_path) == issued.head.root
    bundle = proof.bundle()
    assert bundle["leaf_index"] == proof.leaf_index
    assert "leaves" not in str(bundle["checkpoint"])


def test_a_proof_is_refused_when_the_kept_document_is_not_the_noted_one(
    world: World, signer: Ed25519Signer
) -> None:
    archive = FakeArchive()
    issued = issue_checkpoint(world.ctx, signer, archive, actor=SYSTEM)
    assert issued is not None
    job_id = sorted(world.store.tables.jobs)[0]
    other = Ed25519Signer(Ed25519PrivateKey.generate())
    with pytest.raises(NotFound, match="not signed by the configured key"):
        prove_job(world.ctx, job_id, archive, other.verifier(), actor=SYSTEM)
    note = world.store.tables.checkpoints[1]
    world.store.tables.checkpoints[1] = replace(note, head=replace(note.head, tree_size=1))
    with pytest.raises(NotFound, match="is not the one the database noted"):
        prove_job(world.ctx, job_id, archive, signer.verifier(), actor=SYSTEM)
