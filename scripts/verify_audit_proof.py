#!/usr/bin/env python3
"""Check one job's audit proof from rescind, without rescind: Python 3.11+ and `cryptography`.

    python3 verify_audit_proof.py PROOF.json --public-key rescind-audit.pub

PROOF.json is what `rescind audit prove JOB --out PROOF.json` (or GET
/api/v1/jobs/{id}/audit/proof) wrote; rescind-audit.pub is the company's published
checkpoint key (PEM), obtained from the company, not from the proof. The steps, each of which
must pass (exit 0, else 1 with what failed):

1. Every record's hash is SHA-256 over the JSON array [stream, seq, occurred_at, actor,
   channel, policy_version, kind, data, prev_hash] (keys sorted, no spaces, UTF-8), and
   each record's prev_hash is the hash of the one before (the first one's is 64 zeros): the
   records are a chain, numbered 1, 2, 3, … without a gap.
2. The leaf is the record the checkpoint sealed: the record at the leaf's seq has its hash.
3. The leaf hash is SHA-256(0x00 || ["stream",seq,"hash"]); from it and the audit path the
   Merkle root is recomputed (RFC 9162 §2.1.3.2) and must equal the checkpoint's root.
4. The checkpoint's signed head — {created_at, key_id, kind, root, tree_size, version},
   canonical JSON as in step 1 — carries an Ed25519 signature by the public key given, whose
   fingerprint (SHA-256 of the raw 32-byte key) is the head's key_id.

Records after the sealed seq are chained to it (step 1) but sealed only by a later checkpoint.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
SIGNED_FIELDS = ("created_at", "key_id", "kind", "root", "tree_size", "version")


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(r: dict[str, Any]) -> str:
    fields = ["stream", "seq", "occurred_at", "actor", "channel", "policy_version", "kind"]
    body = [r[f] for f in fields] + [r["data"], r["prev_hash"]]
    return hashlib.sha256(canonical(body)).hexdigest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[str]) -> str | None:
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for step in path:
        if sn == 0:
            return None
        p = bytes.fromhex(step)
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r.hex() if sn == 0 else None


def problems(proof: dict[str, Any], public: Ed25519PublicKey) -> list[str]:
    found: list[str] = []
    records, leaf, head = proof["records"], proof["leaf"], proof["checkpoint"]
    prev = GENESIS
    for n, r in enumerate(records, 1):
        if r["stream"] != proof["stream"] or r["seq"] != n:
            found.append(f"record {n}: is {r['stream']} #{r['seq']}, not {proof['stream']} #{n}")
        if r["prev_hash"] != prev:
            found.append(f"record {n}: does not link to the record before it")
        if record_hash(r) != r["hash"]:
            found.append(f"record {n}: its hash is not the hash of its content")
        prev = r["hash"]
    sealed = [r for r in records if r["seq"] == leaf["seq"]]
    if leaf["stream"] != proof["stream"] or not sealed or sealed[0]["hash"] != leaf["hash"]:
        found.append(f"leaf: record {leaf['seq']} is not the one the checkpoint sealed")
    data = canonical([leaf["stream"], leaf["seq"], leaf["hash"]])
    leaf_hash = hashlib.sha256(b"\x00" + data).digest()
    root = root_from_path(proof["leaf_index"], head["tree_size"], leaf_hash, proof["audit_path"])
    if root != head["root"]:
        found.append("audit path: it does not lead from the leaf to the checkpoint's root")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if hashlib.sha256(raw).hexdigest() != head["key_id"]:
        found.append("checkpoint: signed by another key than the one given")
    try:
        signed = canonical({f: head[f] for f in SIGNED_FIELDS})
        public.verify(base64.b64decode(head["signature"], validate=True), signed)
    except (InvalidSignature, binascii.Error, ValueError):
        found.append("checkpoint: the signature does not verify with the key given")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", type=Path, help="the proof JSON from rescind audit prove")
    parser.add_argument("--public-key", type=Path, required=True, help="the checkpoint key (PEM)")
    args = parser.parse_args(argv)
    try:
        proof = json.loads(args.proof.read_text(encoding="utf-8"))
        public = serialization.load_pem_public_key(args.public_key.read_bytes())
    except (OSError, ValueError) as e:
        print(f"error: cannot read the proof or the key: {e}", file=sys.stderr)
        return 2
    if not isinstance(public, Ed25519PublicKey):
        print("error: the public key is not an Ed25519 key", file=sys.stderr)
        return 2
    try:
        found = problems(proof, public)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        print(f"error: not a rescind audit proof ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    if found:
        print(f"NOT PROVEN: {len(found)} problems")
        for problem in found:
            print(f"  {problem}")
        return 1
    head = proof["checkpoint"]
    print(
        f"proven: job {proof['job_id']}'s {len(proof['records'])} records are a valid chain, "
        f"and its record {proof['leaf']['seq']} is in the checkpoint of {head['created_at']} "
        f"({head['tree_size']} streams, root {head['root'][:16]}…) signed by key "
        f"{head['key_id'][:16]}…"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
