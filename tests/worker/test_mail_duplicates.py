"""The same email received twice over SMTP (``rescind mail serve``, aiosmtpd) files one
request and one triage item: again with the same Message-ID, or resent with a new one (the
same sender and text). Both copies are kept, the second marked a duplicate with the reason."""

from __future__ import annotations

import signal
import smtplib

from tests.e2e.conftest import TIMEOUT_SECONDS
from tests.mail.conftest import free_port
from tests.worker.conftest import Processes, WorkerDatabase, wait_until
from tests.worker.test_mail_commands import (
    BY_SENDER,
    DMARC_PASS,
    TRUSTED,
    accepts_connections,
    add_homeowners_jobs,
    an_email,
)


def test_the_same_email_sent_twice_over_smtp_files_one_request_and_one_triage_item(
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
    homeowner = ("ho1@home.example", "Cancel my contract")
    stranger = ("who@nowhere.example", "Please cancel")

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for sender, subject, message_id in [
            (*homeowner, "<first@home.example>"),
            (*homeowner, "<first@home.example>"),  # delivered again
            (*homeowner, "<resent@home.example>"),  # the client sent it again
            (*stranger, "<one@nowhere.example>"),
            (*stranger, "<two@nowhere.example>"),
        ]:
            refused = client.send_message(
                an_email(sender, subject, message_id, authentication=DMARC_PASS)
            )
            assert refused == {}

    assert db.count(f"SELECT count(*) FROM cancellation_request WHERE job_id = '{BY_SENDER}'") == 1
    assert db.count("SELECT count(*) FROM inbound_email WHERE status = 'triage'") == 1
    assert db.count("SELECT count(*) FROM inbound_email WHERE status = 'filed'") == 1
    # Nothing received is dropped: each copy is kept, saying what it repeats.
    assert db.count("SELECT count(*) FROM inbound_email WHERE status = 'duplicate'") == 3
    assert (
        db.count(
            "SELECT count(*) FROM inbound_email WHERE message_id = '<resent@home.example>' "
            "AND reason LIKE 'the same email from ho1@home.example arrived at %'"
        )
        == 1
    )
    server.signal(signal.SIGTERM)
    assert server.wait(15) == 0, server.stderr
    assert "Traceback" not in server.stderr
