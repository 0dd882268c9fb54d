"""A From header is not an identity: only a trusted receiving server's Authentication-Results,
placed above the sender's own headers, and a DMARC pass or an SPF/DKIM pass aligned with the
From domain verify an email — through ``rescind mail import`` and ``rescind mail serve``."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.e2e.conftest import TIMEOUT_SECONDS, rescind_command
from tests.worker.conftest import WorkerDatabase
from tests.worker.test_mail_commands import BY_SENDER, add_homeowners_jobs

TRUSTED = "mx.rescind.example"
HOMEOWNER = "ho1@home.example"  # the address on file for BY_SENDER


def a_message(message_id: str, *, above: Sequence[str] = (), below: Sequence[str] = ()) -> bytes:
    """A homeowner's email with ``above`` as the trace headers a server put on top and
    ``below`` among the headers the sender wrote."""
    lines = [
        *above,
        f"From: Homeowner One <{HOMEOWNER}>",
        "To: support@rescind.invalid",
        "Subject: Cancel my contract",
        *below,
        f"Message-ID: {message_id}",
        "Date: Mon, 23 Nov 2026 10:00:00 -0500",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Please cancel my solar contract.",
        "",
    ]
    return "\r\n".join(lines).encode()


RECEIVED = f"Received: from mail.elsewhere.example by {TRUSTED} with ESMTPS; Mon, 23 Nov 2026"

# file name -> (message, verified?, a part of the reason the command prints)
CASES: dict[str, tuple[bytes, bool, str]] = {
    "1-no-results.eml": (
        a_message("<1@x>", above=[RECEIVED]),
        False,
        f"no Authentication-Results from a trusted server ({TRUSTED}, mx2.rescind.example)",
    ),
    "2-forged-untrusted.eml": (
        a_message(
            "<2@x>",
            above=["Authentication-Results: attacker.example; dmarc=pass header.from=home.example"],
        ),
        False,
        "Authentication-Results from untrusted authserv-id attacker.example ignored",
    ),
    "3-trusted-id-below-the-senders-headers.eml": (
        a_message(
            "<3@x>",
            above=[RECEIVED],
            below=[f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=home.example"],
        ),
        False,
        f"Authentication-Results by {TRUSTED} below the sender's own headers ignored",
    ),
    "4-passes-for-another-domain.eml": (
        a_message(
            "<4@x>",
            above=[
                f"Authentication-Results: {TRUSTED}; spf=pass smtp.mailfrom=bounce@evil.example;"
                " dkim=pass header.d=evil.example; dmarc=none header.from=home.example",
                RECEIVED,
            ],
        ),
        False,
        "SPF pass for evil.example is not aligned with From domain home.example",
    ),
    "5-forged-below-a-forged-received.eml": (
        # Our server's own result on top, then the sender's fake trace headers claiming more.
        a_message(
            "<5@x>",
            above=[
                f"Authentication-Results: {TRUSTED}; spf=none smtp.mailfrom=home.example",
                RECEIVED,
                f"Received: from forged by {TRUSTED}; Mon, 23 Nov 2026",
                f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=home.example",
            ],
        ),
        False,
        f"Authentication-Results by {TRUSTED} below the sender's own headers ignored",
    ),
    "6-dmarc-pass.eml": (
        a_message(
            "<6@x>",
            above=[
                f"Authentication-Results: {TRUSTED.upper()}; dkim=pass header.d=home.example;"
                " dmarc=pass (p=reject) header.from=home.example",
                RECEIVED,
            ],
        ),
        True,
        f"DMARC pass for home.example by {TRUSTED}",
    ),
    "7-dkim-pass-aligned-subdomain.eml": (
        a_message(
            "<7@x>",
            above=[
                f"Authentication-Results: {TRUSTED}; dkim=pass header.d=mail.home.example",
                RECEIVED,
            ],
        ),
        True,
        f"DKIM pass for mail.home.example (aligned with home.example) by {TRUSTED}",
    ),
}


def mail_import(db: WorkerDatabase, folder: Path, extra: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [*rescind_command(), "mail", "import", str(folder)],
        env={**db.env(), **(extra or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines: list[str] = done.stdout.splitlines()
    return lines


def test_mail_import_verifies_only_a_trusted_aligned_pass_and_says_why_for_each_message(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    folder = tmp_path / "saved"
    folder.mkdir()
    for name, (raw, _, _) in CASES.items():
        (folder / name).write_bytes(raw)

    lines = mail_import(
        db, folder, {"RESCIND_MAIL_AUTHSERV_IDS": f"{TRUSTED}, mx2.rescind.example"}
    )

    assert len(lines) == len(CASES) + 1, lines
    for line, (name, (_, verified, why)) in zip(lines, CASES.items(), strict=False):
        assert line.startswith(f"{name}: filed job {BY_SENDER} request REQ-"), line
        assert (" (verified: " in line) is verified, line
        assert why in line, line
    assert db.count("SELECT count(*) FROM cancellation_request WHERE verified") == 2
    # The reason is kept with the message and with the request it became.
    assert (
        db.count(
            "SELECT count(*) FROM inbound_email WHERE message_id = '<2@x>' "
            "AND authentication LIKE '%untrusted authserv-id attacker.example ignored%'"
        )
        == 1
    )
    assert (
        db.count(
            "SELECT count(*) FROM cancellation_request WHERE verified "
            f"AND verification_note = 'DMARC pass for home.example by {TRUSTED}'"
        )
        == 1
    )


def test_without_a_trusted_authserv_id_even_a_dmarc_pass_is_filed_unverified(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    saved = tmp_path / "6-dmarc-pass.eml"
    saved.write_bytes(CASES["6-dmarc-pass.eml"][0])

    lines = mail_import(db, saved)

    assert lines[0].startswith(f"6-dmarc-pass.eml: filed job {BY_SENDER} request REQ-")
    assert "(verified" not in lines[0]
    assert "no receiving server is trusted (RESCIND_MAIL_AUTHSERV_IDS is empty)" in lines[0]
    assert db.count("SELECT count(*) FROM cancellation_request WHERE verified") == 0
