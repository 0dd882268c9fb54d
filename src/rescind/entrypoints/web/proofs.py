"""Where the web doors find the checkpoints they prove jobs against, and the key they need."""

from __future__ import annotations

from dataclasses import dataclass

from rescind.services.ports import CheckpointArchive, SignatureVerifier


@dataclass(frozen=True)
class ProofSource:
    """Where the API finds the checkpoints it proves jobs against, and the key they need."""

    archive: CheckpointArchive
    trusted: SignatureVerifier
