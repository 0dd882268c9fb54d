"""The sender check itself: which trusted results verify a From domain (RFC 7489 relaxed)."""

from __future__ import annotations

import pytest

from rescind.domain.sender_authentication import AuthResult, authenticate_sender

MX = "mx.example.com"


def last_two_labels(domain: str) -> str:
    return ".".join(domain.split(".")[-2:])


def result(method: str, verdict: str, domain: str) -> AuthResult:
    return AuthResult(authserv_id=MX, method=method, result=verdict, domain=domain)


@pytest.mark.parametrize(
    ("results", "verified", "reason"),
    [
        ([result("dmarc", "pass", "home.example")], True, f"DMARC pass for home.example by {MX}"),
        # The server's DMARC result is about another From: it proves nothing about ours.
        (
            [result("dmarc", "pass", "evil.example")],
            False,
            "no DMARC pass or aligned SPF/DKIM pass for home.example (dmarc=pass)",
        ),
        # DMARC says no aligned pass was found: an aligned-looking DKIM pass does not overrule it.
        (
            [result("dmarc", "fail", "home.example"), result("dkim", "pass", "home.example")],
            False,
            f"DMARC fail for home.example by {MX}",
        ),
        # No DMARC policy published: an aligned pass still verifies.
        (
            [result("dmarc", "none", "home.example"), result("spf", "pass", "bounce.home.example")],
            True,
            f"SPF pass for bounce.home.example (aligned with home.example) by {MX}",
        ),
        (
            [result("dkim", "fail", "home.example"), result("dkim", "pass", "evil.example")],
            False,
            "DKIM pass for evil.example is not aligned with From domain home.example",
        ),
        ([], False, f"no Authentication-Results from a trusted server ({MX})"),
    ],
)
def test_only_a_dmarc_pass_or_an_aligned_pass_verifies_the_from_domain(
    results: list[AuthResult], verified: bool, reason: str
) -> None:
    verdict = authenticate_sender(
        "Home.Example",
        results,
        trusted_ids=(MX,),
        ignored=("a note",),
        organizational_domain=last_two_labels,
    )

    assert verdict.verified is verified
    assert verdict.reason == (reason if verified else f"{reason}; a note")
