"""Ed25519 keys for the audit checkpoints, with ``cryptography``.

The private key lives in a PEM file (mode 0600) named by ``RESCIND_AUDIT_SIGNING_KEY``; it is
read into memory to sign and never written anywhere else, logged or shown (``repr`` included).
A verifier takes a public key — a PEM public key pinned by the operator, or derived from the
private key — and its fingerprint is what a checkpoint names as its ``key_id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rescind.domain.errors import InvalidInput


def _fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class Ed25519Verifier:
    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self.key_id = _fingerprint(public)

    def valid(self, body: bytes, signature: str) -> bool:
        try:
            self._public.verify(base64.b64decode(signature, validate=True), body)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def pem(self) -> str:
        return public_pem(self._public)


class Ed25519Signer:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self._verifier = Ed25519Verifier(private.public_key())
        self.key_id = self._verifier.key_id

    def __repr__(self) -> str:  # never the key itself, should a signer reach a log
        return f"Ed25519Signer(key_id={self.key_id[:16]}…)"

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self._private.sign(body)).decode()

    def verifier(self) -> Ed25519Verifier:
        return self._verifier


def load_signer(path: Path) -> Ed25519Signer:
    """The signing key at ``path``; ``InvalidInput`` naming the setting if it is not one."""
    data = _read(path, "RESCIND_AUDIT_SIGNING_KEY")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InvalidInput(
            f"RESCIND_AUDIT_SIGNING_KEY: {path} is not an unencrypted PEM private key; "
            "create one with `rescind audit keygen PATH`",
            field="audit_signing_key",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(
            f"RESCIND_AUDIT_SIGNING_KEY: {path} is not an Ed25519 key; "
            "create one with `rescind audit keygen PATH`",
            field="audit_signing_key",
        )
    return Ed25519Signer(key)


def load_verifier(path: Path) -> Ed25519Verifier:
    """A trusted public key from a PEM file (a private key's file works too: its public half)."""
    data = _read(path, "--public-key")
    try:
        public = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise InvalidInput(
                f"{path} is not a PEM public key (the one `rescind audit keygen` printed)",
                field="public_key",
            ) from None
        public = private.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key", field="public_key")
    return Ed25519Verifier(public)


def generate_key(path: Path) -> Ed25519Verifier:
    """A new key at ``path`` (mode 0600, never over an existing file); its public half."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(
            f"{path} exists already; a signing key is never overwritten (choose another path)",
            field="path",
        ) from None
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return Ed25519Verifier(private.public_key())


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InvalidInput(
            f"{setting}: cannot read {path} ({e.strerror or e})", field="audit_signing_key"
        ) from None
