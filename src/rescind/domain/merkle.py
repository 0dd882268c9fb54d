"""A Merkle tree over the audit streams' heads, as Certificate Transparency builds it.

RFC 6962 §2.1: a leaf's hash is SHA-256(0x00 || leaf), an inner node's SHA-256(0x01 || left ||
right), the empty tree's SHA-256 of nothing. The tree is left-balanced: built a level at a
time, pairing neighbours and carrying a level's odd last node up unchanged, which gives the
same root as the RFC's split at the largest power of two below n (and needs no recursion over
a million leaves). ``root_from_path`` is RFC 9162 §2.1.3.2's inclusion check, so a proof made
here can be checked by any CT verifier, and by ``scripts/verify_audit_proof.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def merkle_root(leaves: Sequence[bytes]) -> str:
    """The tree head's root (hex) over leaf hashes, in order."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0].hex()


def tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, the leaves first: built once, it answers any leaf's path."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        levels.append(_next_level(levels[-1]))
    return levels


def audit_path(index: int, leaves: Sequence[bytes]) -> list[str]:
    """The inclusion proof of leaf ``index``: its siblings' hashes, from the leaf up (hex)."""
    return path_in(index, tree_levels(leaves))


def path_in(index: int, levels: Sequence[Sequence[bytes]]) -> list[str]:
    if not levels or not 0 <= index < len(levels[0]):
        raise IndexError(f"leaf {index} is not in a tree of {len(levels[0]) if levels else 0}")
    path: list[str] = []
    at = index
    for level in levels[:-1]:
        sibling = at ^ 1
        if sibling < len(level):
            path.append(level[sibling].hex())
        at //= 2
    return path


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[str]) -> str | None:
    """The root that ``path`` proves for leaf hash ``leaf`` at ``index`` of ``size`` leaves,
    or None when the path cannot belong to a tree of that size."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for step in path:
        if sn == 0:
            return None
        p = bytes.fromhex(step)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r.hex() if sn == 0 else None
