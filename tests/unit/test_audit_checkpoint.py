"""Checkpoints in the domain: RFC 6962's tree, its inclusion proofs, and a stream compared with
what a checkpoint sealed (a cut-back tail and a re-chained rewrite are both found)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescind.domain.audit import (
    GENESIS_HASH,
    AuditChannel,
    AuditContext,
    AuditRecord,
    seal,
    verify_stream,
)
from rescind.domain.checkpoint import (
    Checkpoint,
    SealedHead,
    check_signature,
    lost_since,
    parse_checkpoint,
    tree_head,
    verify_sealed_stream,
)
from rescind.domain.errors import InvalidInput
from rescind.domain.events import Event, EventKind
from rescind.domain.merkle import (
    EMPTY_ROOT,
    audit_path,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_path,
)
from tests.unit.test_audit_chain import STREAM, chain, head_of

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def rfc_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1's MTH, written exactly as the RFC recurses."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(rfc_root(leaves[:k]), rfc_root(leaves[k:]))


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(str(i).encode()) for i in range(n)]


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").hexdigest()


def test_leaves_and_nodes_are_hashed_with_rfc_6962_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@given(st.integers(min_value=1, max_value=70))
def test_the_root_is_rfc_6962s_for_every_size(n: int) -> None:
    assert merkle_root(leaves_of(n)) == rfc_root(leaves_of(n)).hex()


@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1))
    )
)
def test_every_leafs_audit_path_proves_the_root(size_index: tuple[int, int]) -> None:
    size, index = size_index
    leaves = leaves_of(size)
    path = audit_path(index, leaves)
    assert root_from_path(index, size, leaves[index], path) == merkle_root(leaves)


def test_a_path_for_another_leaf_or_size_proves_nothing() -> None:
    leaves = leaves_of(7)
    path = audit_path(3, leaves)
    root = merkle_root(leaves)
    assert root_from_path(4, 7, leaves[3], path) != root
    assert root_from_path(3, 4, leaves[3], path) is None  # too long a path for 4 leaves
    assert root_from_path(3, 7, leaves[2], path) != root
    assert root_from_path(7, 7, leaves[3], path) is None


def sealed_checkpoint(records: list[AuditRecord]) -> tuple[SealedHead, str]:
    seq, digest = head_of(records)
    head, leaves = tree_head([SealedHead(STREAM, seq, digest)], AT, "k" * 64)
    return leaves[0], head.root


def test_a_stream_that_only_grew_since_the_checkpoint_is_fine() -> None:
    records = chain(6)
    sealed = SealedHead(STREAM, 4, records[3].hash)
    assert verify_sealed_stream(STREAM, records, head_of(records), sealed) == []


def test_a_tail_cut_and_the_head_moved_back_passes_the_chain_but_not_the_checkpoint() -> None:
    records = chain(6)
    sealed = SealedHead(STREAM, 6, records[5].hash)
    cut = records[:4]

    assert verify_stream(STREAM, cut, head_of(cut)) == []
    assert verify_sealed_stream(STREAM, cut, head_of(cut), sealed) == [
        f"{STREAM}: the checkpoint sealed 6 records, but record 6 is gone (the stream was cut back)"
    ]


def test_a_record_rewritten_and_rechained_passes_the_chain_but_not_the_checkpoint() -> None:
    records = chain(4)
    sealed = SealedHead(STREAM, 4, records[3].hash)
    rewritten, prev = [], GENESIS_HASH
    for r in records:
        data = {"n": 99} if r.seq == 2 else r.data
        actx = AuditContext(actor=r.actor, at=r.occurred_at, channel=AuditChannel(r.channel))
        again = seal(STREAM, r.seq, prev, actx, Event(EventKind(r.kind), data))
        rewritten.append(again)
        prev = again.hash

    assert verify_stream(STREAM, rewritten, head_of(rewritten)) == []
    assert verify_sealed_stream(STREAM, rewritten, head_of(rewritten), sealed) == [
        f"{STREAM}: record 4 is not the one the checkpoint sealed "
        "(the trail up to it was rewritten)"
    ]


def test_a_checkpoint_document_round_trips_and_finds_its_leaves() -> None:
    heads = [SealedHead(f"job:JOB-{n}", n, f"{n:064x}") for n in (3, 1, 2)]
    head, leaves = tree_head(heads, AT, "k" * 64)

    document = Checkpoint(head=head, signature="c2ln", leaves=leaves)
    again = parse_checkpoint(document.to_json())
    assert again == document
    assert [s.stream for s in again.leaves] == ["job:JOB-1", "job:JOB-2", "job:JOB-3"]
    assert again.leaf_index("job:JOB-2") == 1
    assert again.leaf_index("job:JOB-9") is None
    index = 2
    assert (
        root_from_path(index, 3, leaves[index].leaf_hash(), again.inclusion_path(index))
        == head.root
    )


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda t: t.replace('"tree_size":2', '"tree_size":3'), "tree_size is 3"),
        (lambda t: t.replace('"job:JOB-1",1', '"job:JOB-1",7'), "do not hash to its root"),
        (lambda t: t.replace('"version":1', '"version":2'), "version 2"),
        (lambda t: t[:-5], "not JSON"),
        (lambda t: t.replace('"created_at":"', '"created_at":"x'), "created_at"),
    ],
)
def test_an_edited_checkpoint_document_is_refused_saying_why(edit: object, why: str) -> None:
    heads = [SealedHead(f"job:JOB-{n}", n, f"{n:064x}") for n in (1, 2)]
    head, leaves = tree_head(heads, AT, "k" * 64)

    text = Checkpoint(head=head, signature="c2ln", leaves=leaves).to_json()
    assert callable(edit)
    with pytest.raises(InvalidInput, match=why):
        parse_checkpoint(edit(text))


def test_only_the_pinned_key_and_a_valid_signature_count() -> None:
    heads = [SealedHead("job:JOB-1", 1, "0" * 64)]
    head, leaves = tree_head(heads, AT, "a" * 64)

    checkpoint = Checkpoint(head=head, signature="sig", leaves=leaves)
    assert check_signature(checkpoint, "a" * 64, lambda body, sig: sig == "sig") == []
    assert "not the trusted key" in check_signature(checkpoint, "b" * 64, lambda b, s: True)[0]
    assert "does not verify" in check_signature(checkpoint, "a" * 64, lambda b, s: False)[0]
    forged = replace(checkpoint, head=replace(head, root="f" * 64))
    assert forged.head.signed_body() != head.signed_body()


def test_heads_that_lost_what_a_checkpoint_sealed_are_named_and_growth_is_not() -> None:
    sealed = [SealedHead("a", 3, "a3"), SealedHead("b", 2, "b2"), SealedHead("c", 5, "c5")]
    sealed.append(SealedHead("d", 1, "d1"))
    heads = [SealedHead("a", 2, "a2"), SealedHead("b", 4, "b4"), SealedHead("c", 5, "cX")]
    assert lost_since(sealed, heads) == [
        "a: the checkpoint sealed 3 records, but its head is at 2 (the stream was cut back)",
        "c: record 5 is not the one the checkpoint sealed",
        "d: the checkpoint sealed 1 records, but the stream is gone",
    ]
    assert lost_since(sealed[:2], [SealedHead("a", 3, "a3"), SealedHead("b", 9, "b9")]) == []
