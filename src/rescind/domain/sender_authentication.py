"""Whether an email's sender is who its From header says: a From header alone is easy to forge.

Only results that the operator's own receiving server wrote count (the adapter picks them out
of the message: ``Authentication-Results`` headers with a trusted authserv-id, above the
sender's own headers). Of those, a DMARC pass for the From domain verifies, or a DKIM or SPF
pass whose domain is aligned with the From domain (RFC 7489 relaxed alignment: the same
organizational domain); a DMARC fail never does. Everything else — no trusted result, a pass
for some other domain — is unverified, and the verdict says why in words an agent can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# The organizational domain of a name (RFC 7489 §3.2), e.g. "mail.home.example" -> "home.example";
# the adapter supplies it from the Public Suffix List.
OrganizationalDomain = Callable[[str], str]


@dataclass(frozen=True)
class AuthResult:
    """One method's result from a trusted ``Authentication-Results`` header."""

    authserv_id: str
    method: str  # dmarc | dkim | spf | anything else the server reports
    result: str  # pass | fail | none | …
    domain: str  # what it is about: header.from, header.d, the smtp.mailfrom domain; "" unknown


@dataclass(frozen=True)
class SenderAuthentication:
    """The verdict and why, as stored with the message and the request it became."""

    verified: bool
    reason: str


def authenticate_sender(
    from_domain: str,
    results: Sequence[AuthResult],
    *,
    trusted_ids: Sequence[str],
    ignored: Sequence[str] = (),
    organizational_domain: OrganizationalDomain,
) -> SenderAuthentication:
    """Judge the trusted ``results`` for ``from_domain``; ``ignored`` notes what was left out."""
    from_domain = from_domain.lower()
    verdict = _judge(from_domain, results, trusted_ids, organizational_domain)
    if ignored and not verdict.verified:
        return SenderAuthentication(False, f"{verdict.reason}; {'; '.join(ignored)}")
    return verdict


def _judge(
    from_domain: str,
    results: Sequence[AuthResult],
    trusted_ids: Sequence[str],
    organizational_domain: OrganizationalDomain,
) -> SenderAuthentication:
    if not results:
        servers = ", ".join(trusted_ids)
        return SenderAuthentication(
            False, f"no Authentication-Results from a trusted server ({servers})"
        )
    dmarc = next((r for r in results if r.method == "dmarc"), None)  # the topmost decides
    if dmarc is not None and dmarc.result == "pass" and dmarc.domain in ("", from_domain):
        return SenderAuthentication(True, f"DMARC pass for {from_domain} by {dmarc.authserv_id}")
    if dmarc is not None and dmarc.result == "fail":
        return SenderAuthentication(
            False, f"DMARC fail for {dmarc.domain or from_domain} by {dmarc.authserv_id}"
        )
    not_aligned: list[str] = []
    for result in results:
        if result.method not in ("dkim", "spf") or result.result != "pass":
            continue
        name = result.method.upper()
        if _aligned(result.domain, from_domain, organizational_domain):
            alignment = "" if result.domain == from_domain else f" (aligned with {from_domain})"
            return SenderAuthentication(
                True, f"{name} pass for {result.domain}{alignment} by {result.authserv_id}"
            )
        not_aligned.append(
            f"{name} pass for {result.domain or 'an unnamed domain'} is not aligned with "
            f"From domain {from_domain}"
        )
    if not_aligned:
        return SenderAuthentication(False, "; ".join(not_aligned))
    seen = ", ".join(f"{r.method}={r.result}" for r in results)
    return SenderAuthentication(
        False, f"no DMARC pass or aligned SPF/DKIM pass for {from_domain} ({seen})"
    )


def _aligned(domain: str, from_domain: str, organizational_domain: OrganizationalDomain) -> bool:
    domain = domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    return domain == from_domain or organizational_domain(domain) == organizational_domain(
        from_domain
    )
