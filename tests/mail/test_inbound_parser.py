"""Reading homeowners' emails: senders, job references, authentication, and junk input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rescind.adapters.mail.inbound import MAX_JOB_REFERENCES, parse_email
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


@pytest.mark.parametrize(
    ("subject", "body", "references"),
    [
        ("Cancel JOB-H14O", "", ("JOB-H14O",)),
        ("cancel job-h14o please", "", ("JOB-H14O",)),
        ("Job 123", "and Job-h14o", ("JOB-H14O", "JOB-000123")),
        ("JOB-123", "", ("JOB-123", "JOB-000123")),
        ("JOBS-1 and XJOB-2", "", ()),
        (f"JOB-{'A' * 97}", "", ()),  # longer than any id: not one
    ],
)
def test_job_references_are_any_job_shaped_token_and_padded_numbers(
    subject: str, body: str, references: tuple[str, ...]
) -> None:
    parsed = parse_email(raw(subject=subject, body=body))
    assert isinstance(parsed, InboundEmail)
    assert parsed.job_references == references


def test_a_message_naming_hundreds_of_jobs_buys_only_the_first_few_lookups() -> None:
    parsed = parse_email(raw(body=" ".join(f"JOB-X{n}" for n in range(500))))
    assert isinstance(parsed, InboundEmail)
    assert len(parsed.job_references) == MAX_JOB_REFERENCES
    assert parsed.job_references[:2] == ("JOB-000002", "JOB-X0")


TRUSTED = ("mx.solar.example",)


@pytest.mark.parametrize(
    ("auth", "verified", "reason"),
    [
        (
            "spf=pass smtp.mailfrom=x; dkim=pass header.d=homeowner.example; dmarc=pass",
            True,
            "DMARC pass for homeowner.example by mx.solar.example",
        ),
        (
            "spf=fail smtp.mailfrom=x; dkim=pass header.d=homeowner.example; dmarc=fail",
            False,
            "DMARC fail for homeowner.example by mx.solar.example",
        ),
        (
            "spf=pass smtp.mailfrom=bounce@mail.Homeowner.example",
            True,
            "SPF pass for mail.homeowner.example (aligned with homeowner.example) by "
            "mx.solar.example",
        ),
        (
            "dkim=pass header.d=homeowner.example.evil.example",
            False,
            "DKIM pass for homeowner.example.evil.example is not aligned with From domain "
            "homeowner.example",
        ),
        (
            "dkim=pass header.d=co.uk",  # a public suffix is nobody's organizational domain
            False,
            "DKIM pass for co.uk is not aligned with From domain homeowner.example",
        ),
        (
            "spf=pass smtp.helo=homeowner.example",  # a HELO name never aligns
            False,
            "SPF pass for an unnamed domain is not aligned",
        ),
        (
            "dkim=neutral header.d=homeowner.example",
            False,
            "no DMARC pass or aligned SPF/DKIM pass for homeowner.example (dkim=neutral)",
        ),
        (None, False, "no Authentication-Results from a trusted server (mx.solar.example)"),
    ],
)
def test_only_a_dmarc_pass_or_an_aligned_spf_or_dkim_pass_authenticates_the_sender(
    auth: str | None, verified: bool, reason: str
) -> None:
    on_top = f"Authentication-Results: mx.solar.example; {auth}\r\n".encode() if auth else b""
    parsed = parse_email(on_top + raw(), authserv_ids=TRUSTED)

    assert isinstance(parsed, InboundEmail)
    assert parsed.authentication.verified is verified
    assert reason in parsed.authentication.reason


def test_nothing_is_authenticated_when_no_receiving_server_is_trusted() -> None:
    parsed = parse_email(raw(auth="dmarc=pass header.from=homeowner.example"))

    assert isinstance(parsed, InboundEmail)
    assert parsed.authentication.verified is False
    assert "RESCIND_MAIL_AUTHSERV_IDS is empty" in parsed.authentication.reason


def test_results_are_trusted_only_in_the_trace_headers_above_the_senders_own() -> None:
    ours = "Authentication-Results: mx.solar.example; dmarc=pass header.from=homeowner.example"
    on_top = (ours + "\r\n").encode() + raw()
    # raw() writes its Authentication-Results after From, To, Subject…: the sender's headers.
    below = raw(auth="dmarc=pass header.from=homeowner.example")

    top, low = parse_email(on_top, authserv_ids=TRUSTED), parse_email(below, authserv_ids=TRUSTED)

    assert isinstance(top, InboundEmail)
    assert isinstance(low, InboundEmail)
    assert top.authentication.verified is True
    assert low.authentication.verified is False
    assert "below the sender's own headers ignored" in low.authentication.reason


def test_an_unreadable_authentication_results_header_is_ignored_with_a_note() -> None:
    message = b"Authentication-Results: ;;; (\r\n" + raw()

    parsed = parse_email(message, authserv_ids=TRUSTED)

    assert isinstance(parsed, InboundEmail)
    assert parsed.authentication.verified is False
    assert "an unreadable Authentication-Results header ignored" in parsed.authentication.reason


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
    message = (f"Authentication-Results: {auth}\r\n").encode() + raw(
        sender=sender, subject=subject, body=body, auth=auth
    )
    parsed = parse_email(message, authserv_ids=TRUSTED)
    assert isinstance(parsed, InboundEmail | Malformed)
    assert_storable(parsed)


def test_a_message_with_two_from_addresses_is_never_authenticated() -> None:
    """Which From would the server's DMARC result be about? The attacker's, maybe."""
    ours = "Authentication-Results: mx.solar.example; dmarc=pass\r\n"
    two_headers = (ours + "From: attacker@evil.example\r\n").encode() + raw()
    two_mailboxes = ours.encode() + raw(
        sender="Ben <ben.reyes@homeowner.example>, Eve <eve@evil.example>"
    )

    for message in (two_headers, two_mailboxes):
        parsed = parse_email(message, authserv_ids=TRUSTED)
        # Not even filed unverified: a message with two authors waits in triage for a person.
        assert isinstance(parsed, Malformed)
        assert "names 2 addresses" in parsed.reason


def test_an_untrusted_authserv_id_is_quoted_as_a_host_like_name_only() -> None:
    """It is the sender's text, shown to an agent: nothing in it but a name's characters."""
    message = b"Authentication-Results: verified!by*mx.solar.example; dmarc=pass\r\n" + raw()

    reason = parsed_reason(message)

    assert "untrusted authserv-id verifiedbymx.solar.example ignored" in reason


def test_thousands_of_authentication_results_headers_are_read_only_up_to_a_bound() -> None:
    forged = b"Authentication-Results: a.example; dmarc=pass\r\n" * 5000
    huge = b"Authentication-Results: mx.solar.example; dkim=pass header.d=" + b"a" * 20_000

    for message in (forged + raw(), huge + b"\r\n" + raw()):
        parsed = parse_email(message, authserv_ids=TRUSTED)
        assert isinstance(parsed, InboundEmail)
        assert not parsed.authentication.verified
    assert "after the first 50 ignored" in parsed_reason(forged + raw())


def parsed_reason(message: bytes) -> str:
    parsed = parse_email(message, authserv_ids=TRUSTED)
    assert isinstance(parsed, InboundEmail)
    return parsed.authentication.reason
