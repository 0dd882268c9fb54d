"""Checkpoint storage on both databases: the scan streams every record in batches, each
stream's together and in order, exactly as written; heads come back one a stream; the
latest issued checkpoint is the newest one noted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rescind.adapters.db.repositories import audit as audit_repository
from rescind.domain.audit import AuditRecord
from rescind.domain.checkpoint import IssuedCheckpoint, SealedHead, TreeHead
from tests.integration.conftest import UowFactory, utc
from tests.integration.test_db_audit import ctx, events

STREAMS = ["job:b", "job:a", "system", "job:Zoë"]


def write(uow_factory: UowFactory) -> dict[str, list[AuditRecord]]:
    written: dict[str, list[AuditRecord]] = {}
    with uow_factory() as uow:
        for n, stream in enumerate(STREAMS):
            written[stream] = uow.audit.append(stream, ctx(), events(n + 2))
        uow.commit()
    return written


def test_the_scan_reads_every_record_back_exactly_in_small_batches(
    uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = write(uow_factory)
    monkeypatch.setattr(audit_repository, "SCAN_BATCH", 3)  # many batches for 14 records

    with uow_factory() as uow:
        scanned = list(uow.audit.scan())

    by_stream: dict[str, list[AuditRecord]] = {}
    for record in scanned:
        by_stream.setdefault(record.stream, []).append(record)
    assert by_stream == written
    # Each stream's records come together: a stream never reappears after another began.
    order = [r.stream for r in scanned]
    assert len([s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]) == len(STREAMS)


def test_heads_are_one_a_stream_with_the_last_record(uow_factory: UowFactory) -> None:
    written = write(uow_factory)
    with uow_factory() as uow:
        heads = sorted(uow.audit.heads())
    assert heads == sorted(
        SealedHead(stream, records[-1].seq, records[-1].hash) for stream, records in written.items()
    )


def test_the_latest_checkpoint_is_the_newest_noted(uow_factory: UowFactory) -> None:
    at = utc(2026, 12, 2, 9)
    issued = [
        IssuedCheckpoint(
            head=TreeHead(
                created_at=at + timedelta(hours=h), tree_size=h, root=f"{h:064x}", key_id="k" * 64
            ),
            signature=f"sig{h}",
            name=f"checkpoint-{h}.json",
        )
        for h in (2, 5, 1)
    ]
    with uow_factory() as uow:
        assert uow.checkpoints.latest() is None
        for one in issued:
            uow.checkpoints.add(one)
        uow.commit()
    with uow_factory() as uow:
        assert uow.checkpoints.latest() == issued[1]
