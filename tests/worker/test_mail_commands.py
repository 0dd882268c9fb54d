"""``rescind mail import`` and ``rescind mail serve`` as real processes on a real database."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
from email.message import EmailMessage
from pathlib import Path

from rescind.domain.job import Homeowner, JobStatus
from tests.e2e.conftest import TIMEOUT_SECONDS, rescind_command
from tests.integration.conftest import a_job
from tests.mail.conftest import free_port
from tests.worker.conftest import Processes, WorkerDatabase, wait_until

BY_SENDER = "JOB-000001"
BY_REFERENCE = "JOB-000002"


def add_homeowners_jobs(db: WorkerDatabase) -> None:
    with db.uow() as uow:
        for n, job_id in enumerate([BY_SENDER, BY_REFERENCE], 1):
            homeowner = Homeowner(
                id=f"HO-{n}", name=f"Homeowner {n}", email=f"ho{n}@home.example", phone="555"
            )
            uow.jobs.add(a_job(job_id, homeowner=homeowner, status=JobStatus.ACTIVE))
        uow.commit()


TRUSTED = "mx.home.example"
# What the receiving server in front of rescind writes on top of a homeowner's message.
DMARC_PASS = f"{TRUSTED}; dkim=pass header.d=home.example; dmarc=pass header.from=home.example"


def an_email(
    from_address: str, subject: str, message_id: str, *, authentication: str = ""
) -> EmailMessage:
    message = EmailMessage()
    if authentication:
        message["Authentication-Results"] = authentication
    message["From"] = f"Some One <{from_address}>"
    message["To"] = "support@rescind.invalid"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 23 Nov 2026 10:00:00 -0500"
    message.set_content("Please cancel my solar contract.\n")
    return message


def test_mail_import_files_a_folder_and_prints_one_line_per_message(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "1-by-sender.eml").write_bytes(
        an_email(
            "ho1@home.example", "Cancel please", "<one@home.example>", authentication=DMARC_PASS
        ).as_bytes()
    )
    (folder / "2-by-reference.eml").write_bytes(
        an_email(
            "spouse@elsewhere.example", f"Cancel {BY_REFERENCE} for us", "<two@elsewhere.example>"
        ).as_bytes()
    )
    (folder / "3-junk.eml").write_bytes(b"\x00\xff this is not mail\r\n\r\n\x80")
    (folder / "notes.txt").write_text("not a message")

    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [*rescind_command(), "mail", "import", str(folder)],
        env=db.env(RESCIND_MAIL_AUTHSERV_IDS=TRUSTED),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout
    assert lines[0].startswith(f"1-by-sender.eml: filed job {BY_SENDER} request REQ-")
    assert lines[0].endswith(f" (verified: DMARC pass for home.example by {TRUSTED})"), lines[0]
    assert lines[1].startswith(f"2-by-reference.eml: filed job {BY_REFERENCE} request REQ-")
    assert lines[1].endswith(
        f": filed unverified: spouse@elsewhere.example is not the address on file for job "
        f"{BY_REFERENCE}"
    )
    assert lines[2] == "3-junk.eml: triage: malformed: no usable From address"
    assert lines[3] == "3 messages imported"
    assert db.count("SELECT count(*) FROM inbound_email") == 3
    assert db.count("SELECT count(*) FROM inbound_email WHERE status = 'triage'") == 1
    assert db.count("SELECT count(*) FROM cancellation_request WHERE verified") == 1
    assert (
        db.count(
            "SELECT count(*) FROM written_statement WHERE source_ref = '<two@elsewhere.example>'"
        )
        == 1
    )


def test_mail_import_skips_a_symlink_out_of_the_folder_with_a_warning_and_counts_it(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    folder, elsewhere = tmp_path / "saved", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "1-own.eml").write_bytes(
        an_email("ho1@home.example", "Cancel please", "<own@home.example>").as_bytes()
    )
    # Another file the importer's user can read, made to look like a message in the folder.
    secret = elsewhere / "secret.eml"
    secret.write_bytes(
        an_email("ho2@home.example", "Cancel please", "<secret@home.example>").as_bytes()
    )
    (folder / "2-leak.eml").symlink_to(secret)
    (folder / "3-linked-folder.eml").symlink_to(elsewhere, target_is_directory=True)
    (folder / "4-same.eml").symlink_to(folder / "1-own.eml")  # inside the folder: read

    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [*rescind_command(), "mail", "import", str(folder)],
        env=db.env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"skipped 2-leak.eml: it links outside {folder} (to {secret}); not read",
        f"skipped 3-linked-folder.eml: it links outside {folder} (to {elsewhere}); not read",
    ]
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 messages imported; 2 skipped"
    assert (
        db.count("SELECT count(*) FROM inbound_email WHERE message_id = '<secret@home.example>'")
        == 0
    )
    assert db.count("SELECT count(*) FROM cancellation_request") == 1


def test_mail_import_keeps_a_message_from_two_addresses_in_triage_unfiled(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    folder = tmp_path / "saved"
    folder.mkdir()
    message = an_email("ho1@home.example", "Cancel please", "<two-froms@evil.example>")
    message.replace_header("From", "ho1@home.example, attacker@evil.example")
    (folder / "two-froms.eml").write_bytes(message.as_bytes())

    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [*rescind_command(), "mail", "import", str(folder)],
        env=db.env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == (
        "two-froms.eml: triage: malformed: the From header names 2 addresses; "
        "a message has one author"
    )
    assert db.count("SELECT count(*) FROM cancellation_request") == 0


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_mail_serve_files_a_message_sent_over_smtp_and_stops_on_sigterm(
    worker_database: WorkerDatabase, processes: Processes
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    port = free_port()
    server = processes.start(
        "mail", "serve", "--port", str(port), env=db.env(RESCIND_MAIL_AUTHSERV_IDS=TRUSTED)
    )
    wait_until(
        lambda: accepts_connections(port) or server.popen.poll() is not None,
        timeout=TIMEOUT_SECONDS,
        what="the SMTP receiver",
    )
    assert server.popen.poll() is None, server.stderr

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        refused = client.send_message(
            an_email(
                "ho1@home.example",
                "Cancel my contract",
                "<served@home.example>",
                authentication=DMARC_PASS,
            )
        )
    assert refused == {}

    # The receiver answered 250 only after storing it: the row is there already.
    assert (
        db.count(
            "SELECT count(*) FROM inbound_email WHERE message_id = '<served@home.example>' "
            f"AND status = 'filed' AND job_id = '{BY_SENDER}'"
        )
        == 1
    )
    assert (
        db.count(
            f"SELECT count(*) FROM cancellation_request WHERE job_id = '{BY_SENDER}' AND verified"
        )
        == 1
    )
    server.signal(signal.SIGTERM)
    assert server.wait(15) == 0, server.stderr
    assert "Traceback" not in server.stderr
    assert f"receiving support email on 127.0.0.1:{port}" in server.stdout
    assert "no email will be marked verified" not in server.stdout


def test_mail_serve_with_nothing_trusted_says_so_at_start_and_files_the_homeowner_unverified(
    worker_database: WorkerDatabase, processes: Processes
) -> None:
    db = worker_database
    add_homeowners_jobs(db)
    port = free_port()
    server = processes.start("mail", "serve", "--port", str(port), env=db.env())
    wait_until(
        lambda: accepts_connections(port) or server.popen.poll() is not None,
        timeout=TIMEOUT_SECONDS,
        what="the SMTP receiver",
    )

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(
            an_email(
                "ho1@home.example", "Cancel", "<forged@home.example>", authentication=DMARC_PASS
            )
        )

    assert (
        db.count(
            "SELECT count(*) FROM inbound_email WHERE message_id = '<forged@home.example>' "
            "AND status = 'filed' AND NOT authenticated"
        )
        == 1
    )
    assert db.count("SELECT count(*) FROM cancellation_request WHERE verified") == 0
    server.signal(signal.SIGTERM)
    assert server.wait(15) == 0, server.stderr
    assert "no email will be marked verified: set RESCIND_MAIL_AUTHSERV_IDS" in server.stdout, (
        server.stdout
    )


def test_mail_import_files_a_message_naming_a_job_id_of_any_shape_the_system_holds(
    worker_database: WorkerDatabase, tmp_path: Path
) -> None:
    """Import accepts any job id, so inbound mail must recognise more than ``JOB-NNNNNN``:
    ``JOB-H14O`` written as the homeowner writes it (in lower case too) finds its job."""
    db = worker_database
    homeowner = Homeowner(id="HO-9", name="Hal Ohm", email="hal@home.example", phone="555")
    with db.uow() as uow:
        uow.jobs.add(a_job("JOB-H14O", homeowner=homeowner, status=JobStatus.ACTIVE))
        uow.commit()
    folder = tmp_path / "saved"
    folder.mkdir()
    for n, subject in enumerate(["Cancel JOB-H14O", "please cancel job-h14o", "JOB-NOPE2"], 1):
        (folder / f"{n}.eml").write_bytes(
            an_email("neighbour@elsewhere.example", subject, f"<{n}@elsewhere.example>").as_bytes()
        )

    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [*rescind_command(), "mail", "import", str(folder)],
        env=db.env(RESCIND_MAIL_AUTHSERV_IDS=TRUSTED),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1.eml: filed job JOB-H14O request REQ-"), lines[0]
    # Found on the same job, whose homeowner already has the first open: kept with it.
    assert "already has open request REQ-" in lines[1], lines[1]
    assert lines[1].startswith("2.eml: "), lines[1]
    assert "for job JOB-H14O" in lines[1], lines[1]
    assert lines[2] == (
        "3.eml: triage: no job found: neighbour@elsewhere.example is not a homeowner's address "
        "on file and JOB-NOPE2 matched no job"
    ), lines[2]
