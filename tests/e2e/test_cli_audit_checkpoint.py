"""Signed checkpoints through the real CLI, on SQLite and PostgreSQL: each way someone with
write access to the database can rewrite the trail behind rescind — a stream cut back with its
head moved, a stream deleted, a record rewritten or two swapped with the chain recomputed, a
checkpoint re-signed with their own key — is found by ``audit verify --checkpoint``, most of
them where the plain ``audit verify`` sees nothing."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import create_engine, inspect, text

from tests.e2e import tamper
from tests.e2e.conftest import DemoFacts, Rescind, Result
from tests.pg import postgres_schema

VERIFIER = Path(__file__).parents[2] / "scripts" / "verify_audit_proof.py"


@dataclass
class Sealed:
    """A demo database with one checkpoint issued; the key's files beside it."""

    rescind: Rescind
    url: str
    key: Path
    public_key: Path
    checkpoint: Path

    def verify(self, *extra: str, code: int = 0) -> Result:
        args = ("audit", "verify", "--checkpoint", str(self.checkpoint))
        return self.rescind(*args, "--public-key", str(self.public_key), *extra, code=code)


def keygen(rescind: Rescind, path: Path) -> Path:
    """A new key at ``path``; its public half (as printed) at ``path.pub``."""
    printed = rescind("audit", "keygen", str(path)).out
    public = path.with_suffix(".pub")
    public.write_text(printed.split("-----END PUBLIC KEY-----")[0] + "-----END PUBLIC KEY-----\n")
    return public


def seal(rescind: Rescind, url: str, tmp_path: Path) -> Sealed:
    key = tmp_path / "keys" / "audit.pem"
    key.parent.mkdir()
    public = keygen(rescind, key)
    rescind.extra_env["RESCIND_AUDIT_SIGNING_KEY"] = str(key)
    rescind.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    out = rescind("audit", "checkpoint").out
    assert out.startswith("checkpoint "), out
    (checkpoint,) = (tmp_path / "checkpoints").glob("checkpoint-*.json")
    return Sealed(rescind, url, key, public, checkpoint)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sealed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sealed]:
    if request.param == "sqlite":
        facts: DemoFacts = request.getfixturevalue("demo_facts")
        rescind = facts.copy_into(tmp_path)
        yield seal(rescind, f"sqlite:///{rescind.sqlite_path}", tmp_path)
        return
    with postgres_schema(f"rescind_e2e_ckpt_{abs(hash(request.node.nodeid)) % 10**8}") as url:
        rescind = Rescind(tmp_path, database_url=url)
        rescind("db", "upgrade")
        rescind("demo", "--jobs", "10")
        yield seal(rescind, url, tmp_path)


def test_a_fresh_checkpoint_verifies_and_says_every_sealed_stream_holds(sealed: Sealed) -> None:
    out = sealed.verify().out
    assert out.startswith("audit trail intact:")
    assert "streams the checkpoint sealed hold what it sealed" in out
    key_id = json.loads(sealed.checkpoint.read_text())["key_id"]
    assert f"trusted key {key_id[:16]}…" in out


def test_a_stream_cut_back_and_re_headed_is_missed_by_plain_verify_but_found_by_the_checkpoint(
    sealed: Sealed,
) -> None:
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.truncate_and_rehead(sealed.url, stream, 2)

    assert sealed.rescind("audit", "verify").out.startswith("audit trail intact:")
    out = sealed.verify(code=1).out
    assert "audit trail BROKEN: 1 problem\n" in out
    assert f"{stream}: the checkpoint sealed" in out
    assert "is gone (the stream was cut back)" in out


def test_a_deleted_stream_is_missed_by_plain_verify_but_found_by_the_checkpoint(
    sealed: Sealed,
) -> None:
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.delete_stream(sealed.url, stream)

    assert sealed.rescind("audit", "verify").out.startswith("audit trail intact:")
    out = sealed.verify(code=1).out
    assert f"{stream}: the checkpoint sealed" in out
    assert "but the stream is gone" in out


def test_a_record_rewritten_with_its_chain_recomputed_is_found_by_the_checkpoint(
    sealed: Sealed,
) -> None:
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.rewrite_record(sealed.url, stream, 1)

    assert sealed.rescind("audit", "verify").out.startswith("audit trail intact:")
    out = sealed.verify(code=1).out
    assert f"{stream}: record" in out
    assert "is not the one the checkpoint sealed" in out


def test_a_record_edited_in_place_is_found_by_both(sealed: Sealed) -> None:
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.rewrite_record(sealed.url, stream, 1, rechain=False)

    assert f"{stream}: record 1 was changed" in sealed.rescind("audit", "verify", code=1).out
    out = sealed.verify(code=1).out
    assert f"{stream}: record 1 was changed after it was written" in out


def test_two_records_swapped_and_rechained_are_found_by_the_checkpoint(sealed: Sealed) -> None:
    first, second = tamper.longest_streams(sealed.url, 2)
    tamper.swap_records(sealed.url, first, 1, 2)
    tamper.truncate_and_rehead(sealed.url, second, 1)

    assert sealed.rescind("audit", "verify").out.startswith("audit trail intact:")
    out = sealed.verify(code=1).out
    # Each stream that changed is named, and only those.
    assert "audit trail BROKEN: 2 problems" in out
    assert f"{first}: record" in out
    assert f"{second}: the checkpoint sealed" in out


def test_the_next_checkpoint_refuses_to_seal_over_a_stream_cut_back_since_the_last(
    sealed: Sealed,
) -> None:
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.truncate_and_rehead(sealed.url, stream, 2)

    refused = sealed.rescind("audit", "checkpoint", code=4).error_line
    assert "refusing to seal the audit trail: since checkpoint checkpoint-" in refused
    assert f"{stream}: the checkpoint sealed" in refused
    assert "(the stream was cut back)" in refused
    assert len(list(sealed.checkpoint.parent.iterdir())) == 1

    # The worker raises the same alarm each interval and goes on with its round.
    done = sealed.rescind("worker", "--once", stderr_ok=True)
    assert done.out.startswith("finalized ")
    assert "refusing to seal the audit trail" in done.err
    assert "Traceback" not in done.err


def test_a_checkpoint_re_signed_with_another_key_is_refused(sealed: Sealed, tmp_path: Path) -> None:
    """The attacker cuts a stream back, then issues a checkpoint of the cut trail with a key
    of their own, over the configured one: only the pinned public key is believed."""
    (stream,) = tamper.longest_streams(sealed.url, 1)
    tamper.truncate_and_rehead(sealed.url, stream, 2)
    theirs = tmp_path / "attacker.pem"
    sealed.rescind("audit", "keygen", str(theirs))
    sealed.rescind.extra_env["RESCIND_AUDIT_SIGNING_KEY"] = str(theirs)
    sealed.rescind.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "forged")
    sealed.rescind("audit", "checkpoint")
    (forged,) = (tmp_path / "forged").glob("*.json")

    args = ("audit", "verify", "--checkpoint", str(forged))
    out = sealed.rescind(*args, "--public-key", str(sealed.public_key), code=1).out
    assert "not the trusted key" in out

    # Claiming the trusted key's id does not help: the signature is not that key's.
    document = json.loads(forged.read_text())
    document["key_id"] = json.loads(sealed.checkpoint.read_text())["key_id"]
    forged.write_text(json.dumps(document))
    out = sealed.rescind(*args, "--public-key", str(sealed.public_key), code=1).out
    assert "the signature does not verify with the trusted key" in out


def test_a_checkpoint_whose_leaves_were_edited_is_refused_before_the_trail_is_read(
    sealed: Sealed,
) -> None:
    document = json.loads(sealed.checkpoint.read_text())
    stream, seq, digest = document["leaves"][0]
    document["leaves"][0] = [stream, seq - 1, digest]
    sealed.checkpoint.write_text(json.dumps(document))

    refused = sealed.verify(code=2)
    assert refused.out == ""
    assert "not a valid checkpoint: its leaves do not hash to its root" in refused.error_line


def test_the_signing_key_is_nowhere_in_the_database_or_the_logs(sealed: Sealed) -> None:
    sealed.rescind.extra_env["RESCIND_AUDIT_CHECKPOINT_EMAIL"] = "compliance@example.com"
    sealed.rescind.extra_env["RESCIND_LOG_FORMAT"] = "json"
    sealed.rescind.extra_env["RESCIND_LOG_LEVEL"] = "DEBUG"
    runs = [
        sealed.rescind("audit", "checkpoint"),
        sealed.rescind("worker", "--once", stderr_ok=True),
        sealed.rescind("audit", "prove", tamper.longest_streams(sealed.url, 1)[0][4:]),
    ]
    private = serialization.load_pem_private_key(sealed.key.read_bytes(), password=None)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem_body = "".join(sealed.key.read_text().splitlines()[1:-1])
    secrets = [raw.hex(), base64.b64encode(raw).decode(), pem_body, str(raw)]

    logs = "".join(r.out + r.err for r in runs)
    dump = database_dump(sealed)
    files = "".join(p.read_text() for p in sealed.checkpoint.parent.iterdir())
    assert "compliance@example.com" in dump  # the email went to the outbox, key-less
    for secret in secrets:
        assert secret not in logs
        assert secret not in dump
        assert secret not in files


def database_dump(sealed: Sealed) -> str:
    """Every row of every table, as text."""
    if sealed.url.startswith("sqlite"):
        with closing(sqlite3.connect(sealed.rescind.sqlite_path)) as db:
            return "\n".join(db.iterdump())
    engine = create_engine(sealed.url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return "\n".join(
                str(row)
                for table in tables
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


def test_a_job_proof_checks_out_with_the_standalone_verifier_and_a_changed_one_does_not(
    sealed: Sealed, tmp_path: Path
) -> None:
    job = tamper.longest_streams(sealed.url, 1)[0].removeprefix("job:")
    proof = tmp_path / "proof.json"
    out = sealed.rescind("audit", "prove", job, "--out", str(proof)).out
    assert f"of job {job} (leaf" in out

    ok = run_verifier(proof, sealed.public_key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"proven: job {job}'s")

    bundle = json.loads(proof.read_text())
    bundle["records"][0]["data"]["rewritten"] = True
    proof.write_text(json.dumps(bundle))
    bad = run_verifier(proof, sealed.public_key)
    assert bad.returncode == 1
    assert "record 1: its hash is not the hash of its content" in bad.stdout

    other = tmp_path / "other.pem"
    other_public = keygen(sealed.rescind, other)
    sealed.rescind("audit", "prove", job, "--out", str(proof))
    foreign = run_verifier(proof, other_public)
    assert foreign.returncode == 1
    assert "signed by another key" in foreign.stdout


def run_verifier(proof: Path, public_key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(VERIFIER), str(proof), "--public-key", str(public_key)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


# --- the worker, and careless use (SQLite: storage does not matter here) ----------------------


def test_the_worker_seals_the_trail_and_not_again_while_nothing_changed(
    demo_copy: Rescind, tmp_path: Path
) -> None:
    keygen(demo_copy, tmp_path / "audit.pem")
    demo_copy.extra_env["RESCIND_AUDIT_SIGNING_KEY"] = str(tmp_path / "audit.pem")
    demo_copy.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")

    first = demo_copy("worker", "--once", stderr_ok=True)
    assert "sealed the audit trail in checkpoint-" in first.out
    assert "AUDIT_SIGNING_KEY" not in first.err
    second = demo_copy("worker", "--once", stderr_ok=True)
    assert "sealed" not in second.out
    assert len(list((tmp_path / "checkpoints").glob("checkpoint-*.json"))) == 1


def test_without_a_key_the_worker_says_so_once_and_seals_nothing(demo_copy: Rescind) -> None:
    done = demo_copy("worker", "--once", stderr_ok=True)
    assert done.err.count("RESCIND_AUDIT_SIGNING_KEY is not set") == 1
    assert "sealed" not in done.out


def test_careless_checkpoint_commands_get_one_line_saying_what_to_do(
    demo_copy: Rescind, tmp_path: Path
) -> None:
    refused = demo_copy("audit", "checkpoint", code=2).error_line
    assert "RESCIND_AUDIT_SIGNING_KEY is not set" in refused
    assert "rescind audit keygen" in refused

    cp = tmp_path / "nothing.json"
    refused = demo_copy("audit", "verify", "--checkpoint", str(cp), code=2).error_line
    assert "RESCIND_AUDIT_SIGNING_KEY is not set" in refused

    key = tmp_path / "audit.pem"
    public = keygen(demo_copy, key)
    before = key.read_bytes()
    assert "never overwritten" in demo_copy("audit", "keygen", str(key), code=2).error_line
    assert key.read_bytes() == before
    assert key.stat().st_mode & 0o777 == 0o600

    refused = demo_copy(
        "audit", "verify", "--checkpoint", str(cp), "--public-key", str(public), code=2
    ).error_line
    assert f"--checkpoint: cannot read {cp}" in refused
    cp.write_text("{}")
    refused = demo_copy(
        "audit", "verify", "--checkpoint", str(cp), "--public-key", str(public), code=2
    ).error_line
    assert "not a valid checkpoint" in refused

    demo_copy.extra_env["RESCIND_AUDIT_SIGNING_KEY"] = str(public)  # the public half, by mistake
    demo_copy.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    refused = demo_copy("audit", "checkpoint", code=2).error_line
    assert "is not an unencrypted PEM private key" in refused
    del demo_copy.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"]
    demo_copy.extra_env["RESCIND_AUDIT_SIGNING_KEY"] = str(key)
    refused = demo_copy("audit", "checkpoint", code=2).error_line
    assert "RESCIND_AUDIT_CHECKPOINT_DIR is not set" in refused

    demo_copy.extra_env["RESCIND_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    refused = demo_copy("audit", "prove", "JOB-999999", code=3).error_line
    assert "no job with id 'JOB-999999'" in refused
    job = tamper.longest_streams(f"sqlite:///{demo_copy.sqlite_path}", 1)[0].removeprefix("job:")
    refused = demo_copy("audit", "prove", job, code=3).error_line
    assert "no audit checkpoint has been issued yet" in refused
