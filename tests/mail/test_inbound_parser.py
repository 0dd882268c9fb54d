"""Reading homeowners' emails: senders, job references, authentication, and junk input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.inbound import InboundEmail, Malformed


def raw(
    *,
    sender: str = "Ben Reyes <Ben.Reyes@Homeowner.example>",
    subject: str = "Cancel job JOB-000002 please",
    body: str = "I want to cancel.",
    auth: str | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        "To: support@solar.example",
        f"Subject: {subject}",
        "Message-ID: <in-1@mail.example>",
        "Date: Mon, 23 Nov 2026 10:00:00 -0500",
    ]
    if auth:
        lines.append(f"Authentication-Results: mx.solar.example; {auth}")
    lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


def test_a_plain_email_gives_sender_subject_text_and_job_reference() -> None:
    parsed = parse_email(raw())

    assert isinstance(parsed, InboundEmail)
    assert parsed.from_address == "ben.reyes@homeowner.example"
    assert parsed.from_name == "Ben Reyes"
    assert parsed.job_references == ("JOB-000002",)
    assert parsed.text.strip() == "I want to cancel."
    assert parsed.message_id == "<in-1@mail.example>"
    assert parsed.sent_at is not None


def test_dmarc_pass_verifies_and_any_failure_does_not() -> None:
    passed = parse_email(raw(auth="spf=pass smtp.mailfrom=x; dkim=pass; dmarc=pass"))
    failed = parse_email(raw(auth="spf=fail smtp.mailfrom=x; dkim=pass; dmarc=fail"))
    silent = parse_email(raw())

    assert isinstance(passed, InboundEmail)
    assert isinstance(failed, InboundEmail)
    assert isinstance(silent, InboundEmail)
    assert passed.authenticated is True
    assert failed.authenticated is False
    assert silent.authenticated is None


def test_an_html_only_email_is_read_as_text() -> None:
    message = (
        b"From: a@b.example\r\nSubject: hi\r\nContent-Type: text/html\r\n\r\n"
        b"<p>Please <b>cancel</b> job 2</p>"
    )

    parsed = parse_email(message)

    assert isinstance(parsed, InboundEmail)
    assert parsed.text == "Please cancel job 2"


def test_no_from_address_is_malformed_with_the_reason() -> None:
    parsed = parse_email(b"Subject: hi\r\n\r\nbody")

    assert isinstance(parsed, Malformed)
    assert "From" in parsed.reason


def assert_storable(parsed: InboundEmail | Malformed) -> None:
    """Every text a database must take: strict UTF-8 and no NUL (PostgreSQL's text refuses it)."""
    for value in vars(parsed).values():
        if isinstance(value, str):
            value.encode("utf-8")
            assert "\x00" not in value


def test_nul_and_undecodable_header_bytes_come_out_as_storable_text() -> None:
    """What the email fuzzer found: both reached the database and made filing raise."""
    parsed = parse_email(
        b"From: Ben <be\xee.reyes@homeowner.example>\r\nSubject: a\x00b \xff\r\n"
        b"Message-ID: <m\xfe@x>\r\n\r\nbody\x00 text\r\n"
    )

    assert isinstance(parsed, InboundEmail)
    assert_storable(parsed)
    assert parsed.from_address == "be\ufffd.reyes@homeowner.example"
    assert parsed.subject == "ab \ufffd"
    assert parsed.text.strip() == "body text"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_are_reported_malformed_never_raise(data: bytes) -> None:
    parsed = parse_email(data)
    assert isinstance(parsed, InboundEmail | Malformed)
    assert_storable(parsed)


header_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)


@settings(max_examples=300, deadline=None)
@given(sender=header_values, subject=header_values, body=header_values, auth=header_values)
def test_mangled_headers_and_bodies_never_raise(
    sender: str, subject: str, body: str, auth: str
) -> None:
    message = raw(sender=sender, subject=subject, body=body, auth=auth)
    parsed = parse_email(message)
    assert isinstance(parsed, InboundEmail | Malformed)
    assert_storable(parsed)
