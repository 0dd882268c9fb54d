"""A From header is not an identity: only a trusted receiving server's Authentication-Results,
placed above the sender's own headers, and a DMARC pass or an SPF/DKIM pass aligned with the
From domain verify an email — through ``rescind mail import`` and ``rescind mail serve``."""

from __future__ import annotations

import smtplib
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import dkim
import pytest

from rescind.adapters.mail.receiving_server import DnsTxt, ReceivingServer
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.access import EVERY_JOB
from rescind.domain.job import Homeowner, JobStatus
from rescind.domain.request import CancellationRequest, CloseReason
from rescind.entrypoints.processes.mail import start_receiver
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from tests.e2e.conftest import TIMEOUT_SECONDS, rescind_command
from tests.fakes import FixedClock
from tests.integration.conftest import UowFactory, a_job, utc
from tests.mail.conftest import free_port
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
        # Each message says it its own way: the same text from the same sender within half
        # an hour is kept as a duplicate of the first.
        f"Please cancel my solar contract (my message {message_id}).",
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


def withdraw_open_requests(db: WorkerDatabase) -> None:
    with db.uow() as uow:
        for request in uow.requests.for_job(BY_SENDER):
            if request.is_open:
                request.close_with_reason(CloseReason.WITHDRAWN, "between two test messages")
                uow.requests.save(request)
        uow.commit()


def test_mail_import_verifies_only_a_trusted_aligned_pass_and_says_why_for_each_message(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    trusted = {"RESCIND_MAIL_AUTHSERV_IDS": f"{TRUSTED}, mx2.rescind.example"}

    for name, (raw, verified, why) in CASES.items():
        # One message a run, its request withdrawn after: a homeowner has one open request
        # per job, and a second email while it is open is kept as a duplicate of it.
        saved = tmp_path / name
        saved.write_bytes(raw)
        line, _summary = mail_import(db, saved, trusted)
        assert line.startswith(f"{name}: filed job {BY_SENDER} request REQ-"), line
        assert (" (verified: " in line) is verified, line
        assert why in line, line
        withdraw_open_requests(db)
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


# --- rescind mail serve as the receiving server, checking DKIM itself --------------------------

KEYS = Path(__file__).parent.parent / "mail" / "dkim"
# A test-only key pair (1024-bit RSA, signs nothing real) and its DNS TXT record.
PRIVATE_KEY = (KEYS / "home.example.private.pem").read_bytes()
PUBLIC_RECORD = (KEYS / "home.example.txt").read_bytes().strip()


def local_zone(*domains: str) -> DnsTxt:
    """The DNS that dkimpy asks for keys: selector "s1" of each domain has the test key."""
    records = {f"s1._domainkey.{d}.".encode(): PUBLIC_RECORD for d in domains}

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name if name.endswith(b".") else name + b".")

    return txt


def signed(raw: bytes, domain: str) -> bytes:
    signature: bytes = dkim.sign(
        raw,
        b"s1",
        domain.encode(),
        PRIVATE_KEY,
        include_headers=[b"from", b"to", b"subject", b"message-id", b"date"],
    )
    return signature + raw


@pytest.fixture
def mailbox(uow_factory: UowFactory) -> Iterator[tuple[Context, int]]:
    """``rescind mail serve``'s receiver checking DKIM against ``local_zone``, on both
    databases, with the job of the homeowner ho1@home.example."""
    ctx = Context(
        uow=uow_factory,
        clock=FixedClock(utc(2026, 11, 23, 15)),
        tz=ZoneInfo("America/New_York"),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(ctx, load_policy_document(default_policy_path()))
    with uow_factory() as uow:
        homeowner = Homeowner(id="HO-1", name="Homeowner One", email=HOMEOWNER, phone="555")
        uow.jobs.add(a_job(BY_SENDER, homeowner=homeowner, status=JobStatus.ACTIVE))
        uow.commit()
    port = free_port()
    checking = ReceivingServer(TRUSTED, dnsfunc=local_zone("home.example", "evil.example"))
    controller = start_receiver(ctx, "127.0.0.1", port, authserv_ids=(TRUSTED,), checking=checking)
    try:
        yield ctx, port
    finally:
        controller.stop()


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        assert client.sendmail("bounce@elsewhere.example", ["support@rescind.invalid"], raw) == {}


def filed_request(ctx: Context, message_id: str) -> CancellationRequest:
    with ctx.uow() as uow:
        [record] = [
            m for m in uow.inbound.for_job(BY_SENDER, "", EVERY_JOB) if m.message_id == message_id
        ]
        assert record.request_id is not None
        request = uow.requests.get(record.request_id)
    assert request is not None
    return request


def test_mail_serve_verifies_a_message_dkim_signed_by_the_from_domain_with_its_own_check(
    mailbox: tuple[Context, int],
) -> None:
    ctx, port = mailbox

    send(port, signed(a_message("<signed@x>"), "home.example"))

    request = filed_request(ctx, "<signed@x>")
    assert request.verified
    assert request.verification_note == f"DKIM pass for home.example by {TRUSTED}"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (
            signed(a_message("<tampered@x>"), "home.example").replace(
                b"Please cancel", b"Please do not cancel"
            ),
            "no DMARC pass or aligned SPF/DKIM pass for home.example (dkim=fail)",
        ),
        (
            signed(a_message("<evil@x>"), "evil.example"),
            "DKIM pass for evil.example is not aligned with From domain home.example",
        ),
        (
            # The sender writes our server's verdict on top of its own message.
            a_message(
                "<forged@x>",
                above=[f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=home.example"],
            ),
            f"Authentication-Results by {TRUSTED} below the sender's own headers ignored",
        ),
    ],
    ids=["body changed after signing", "signed by another domain", "our verdict forged"],
)
def test_mail_serve_files_unverified_what_its_own_dkim_check_does_not_authenticate(
    mailbox: tuple[Context, int], raw: bytes, why: str
) -> None:
    ctx, port = mailbox
    message_id = raw.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()

    send(port, raw)

    request = filed_request(ctx, message_id)
    assert not request.verified
    assert why in request.verification_note


def test_mail_serve_refuses_to_start_on_settings_that_cannot_work_with_one_line(
    worker_database: WorkerDatabase,
) -> None:
    answers = [
        subprocess.run(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "mail", "serve", "--port", str(free_port())],
            env={**worker_database.env(), **extra},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        for extra in (
            {"RESCIND_MAIL_VERIFY_DKIM": "true"},
            {"RESCIND_MAIL_AUTHSERV_IDS": "mx.home.example; dmarc=pass"},
        )
    ]

    for done in answers:
        assert done.returncode != 0
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert "RESCIND_MAIL_VERIFY_DKIM needs RESCIND_MAIL_AUTHSERV_IDS" in answers[0].stderr
    assert "is not an authserv-id" in answers[1].stderr
