"""The one-time link's rules: 256 random bits, kept as SHA-256, once, for 30 minutes, bound to
the job's address on file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rescind.domain.events import EventKind
from rescind.domain.self_service import (
    LINK_LIFETIME,
    SESSION_LIFETIME,
    TOKEN_LENGTH,
    LinkRefusal,
    issue_link,
    may_send_another,
    new_token,
    token_digest,
    well_formed,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ADDRESS = "ben.2@home.example"


def test_a_token_carries_256_random_bits_in_43_url_safe_characters() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == TOKEN_LENGTH
        assert well_formed(token)
    # 43 base64 characters hold 258 bits; the last one carries only 4 of them: 256 in all.
    assert TOKEN_LENGTH * 6 >= 256


def test_storage_keeps_only_the_sha256_of_the_token() -> None:
    link, token, event = issue_link("SSL-1", "JOB-1", ADDRESS, NOW)
    assert link.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(link)
    assert token not in repr(event)
    assert event.kind is EventKind.SELF_SERVICE_LINK_SENT


def test_a_fresh_link_opens_once_and_starts_a_session_of_an_hour() -> None:
    link, _, _ = issue_link("SSL-1", "JOB-1", ADDRESS, NOW)
    assert link.refusal(NOW, ADDRESS) is None
    session, event = link.open(NOW + timedelta(minutes=5))
    assert event.kind is EventKind.SELF_SERVICE_LINK_OPENED
    assert event.data["method"] == "email_link"
    assert link.refusal(NOW + timedelta(minutes=6), ADDRESS) is LinkRefusal.USED
    assert link.session_open(session, NOW + timedelta(minutes=5) + SESSION_LIFETIME / 2)
    assert not link.session_open(session, NOW + timedelta(minutes=5) + SESSION_LIFETIME)
    assert not link.session_open(new_token(), NOW + timedelta(minutes=6))
    assert link.session_digest == token_digest(session)


def test_a_link_expires_at_30_minutes_to_the_second() -> None:
    link, _, _ = issue_link("SSL-1", "JOB-1", ADDRESS, NOW)
    assert link.refusal(NOW + LINK_LIFETIME - timedelta(seconds=1), ADDRESS) is None
    assert link.refusal(NOW + LINK_LIFETIME, ADDRESS) is LinkRefusal.EXPIRED


def test_a_link_is_bound_to_the_address_it_was_sent_to_whatever_its_case() -> None:
    link, _, _ = issue_link("SSL-1", "JOB-1", " Ben.2@Home.example ", NOW)
    assert link.refusal(NOW, "ben.2@home.example") is None
    assert link.refusal(NOW, "someone.else@home.example") is LinkRefusal.TAMPERED


def test_a_used_link_says_used_even_once_it_has_also_expired() -> None:
    link, _, _ = issue_link("SSL-1", "JOB-1", ADDRESS, NOW)
    link.open(NOW)
    assert link.refusal(NOW + timedelta(days=1), ADDRESS) is LinkRefusal.USED


@given(st.text(max_size=60))
def test_no_changed_token_opens_the_issued_link(changed: str) -> None:
    link, token, _ = issue_link("SSL-1", "JOB-1", ADDRESS, NOW)
    session, _ = link.open(NOW)
    if changed != token:
        assert token_digest(changed) != link.token_digest
    if changed != session:
        assert not link.session_open(changed, NOW)


@given(st.text(max_size=80))
def test_only_43_url_safe_characters_are_well_formed(text: str) -> None:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert well_formed(text) == (len(text) == 43 and set(text) <= alphabet)


@given(st.lists(st.integers(min_value=0, max_value=7200), max_size=10))
def test_a_job_gets_at_most_three_links_in_any_hour(ages_in_seconds: list[int]) -> None:
    issued = [NOW - timedelta(seconds=s) for s in ages_in_seconds]
    within_the_hour = sum(s < 3600 for s in ages_in_seconds)
    assert may_send_another(issued, NOW) == (within_the_hour < 3)
