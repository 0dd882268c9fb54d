"""Which ``Authentication-Results`` (RFC 8601) in a message our own receiving server wrote.

Anyone can write such a header into the message they send. A receiving server adds its own
on top, so only the trace headers at the top of the message can be the server's: the run of
``Authentication-Results``, ``Received``, ``Received-SPF``, ``Return-Path``, ``Delivered-To``,
``X-Original-To`` and ``ARC-*`` headers before the first header the sender wrote. In that run,
only headers whose authserv-id the operator trusts (``RESCIND_MAIL_AUTHSERV_IDS``) count, and
only down to the first ``Received`` after the first trusted one: below that is the hop the
sender controls, so a fake ``Received`` cannot smuggle a fake result into the run. Everything
else is ignored, with a note, and the message keeps it as evidence. The receiving server must
remove incoming headers that claim its own authserv-id (RFC 8601 §5), as Postfix milters
(OpenDKIM, OpenDMARC) and rspamd do, and as ``rescind mail serve`` does by writing its own
header and ``Received`` on top.

The headers are read with ``authres``; the organizational domain for alignment comes from the
Public Suffix List bundled with ``publicsuffixlist`` (offline).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from email.message import EmailMessage
from functools import cache

import authres
from publicsuffixlist import PublicSuffixList

from rescind.domain.sender_authentication import (
    AuthResult,
    SenderAuthentication,
    authenticate_sender,
)

NOTHING_TRUSTED = "no receiving server is trusted (RESCIND_MAIL_AUTHSERV_IDS is empty)"
# Bounds on what a sender can make us parse: real headers are a few hundred characters.
MAX_RESULTS_HEADERS = 50
MAX_HEADER_CHARS = 8_192
_NOT_NAME = re.compile(r"[^a-z0-9._:-]")
_TRACE = frozenset(
    {
        "authentication-results",
        "received",
        "received-spf",
        "return-path",
        "delivered-to",
        "x-original-to",
    }
)


def sender_authentication(
    message: EmailMessage, from_address: str, authserv_ids: Collection[str]
) -> SenderAuthentication:
    if not authserv_ids:
        return SenderAuthentication(False, NOTHING_TRUSTED)
    # A message with more than one From never gets here: the parser keeps it in triage.
    trusted = tuple(i.lower() for i in authserv_ids)
    results, ignored = trusted_results(_headers(message), trusted)
    return authenticate_sender(
        from_address.rpartition("@")[2],
        results,
        trusted_ids=trusted,
        ignored=ignored,
        organizational_domain=organizational_domain,
    )


def trusted_results(
    headers: Iterable[tuple[str, str]], trusted: Collection[str]
) -> tuple[list[AuthResult], list[str]]:
    """The results our server wrote, in order from the top, and notes on what was ignored."""
    results: list[AuthResult] = []
    ignored: dict[str, None] = {}
    in_trace, seen_trusted, below_our_hop, read = True, False, False, 0
    for name, value in headers:
        name = name.lower()
        if name not in _TRACE and not name.startswith("arc-"):
            in_trace = False
        if name == "received" and seen_trusted:
            below_our_hop = True
        if name != "authentication-results":
            continue
        read += 1
        if read > MAX_RESULTS_HEADERS:
            ignored[f"Authentication-Results after the first {MAX_RESULTS_HEADERS} ignored"] = None
            break
        header = _parsed(value)
        if header is None:
            ignored["an unreadable Authentication-Results header ignored"] = None
            continue
        server = str(header.authserv_id or "")
        if server not in trusted:
            ignored[
                f"Authentication-Results from untrusted authserv-id {_shown(server)} ignored"
            ] = None
        elif not in_trace or below_our_hop:
            ignored[
                f"Authentication-Results by {server} below the sender's own headers ignored"
            ] = None
        else:
            seen_trusted = True
            results.extend(_results(server, header))
    return results, list(ignored)


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """RFC 7489 §3.2: the public suffix plus one label; a name that is itself a suffix stays."""
    found = _public_suffixes().privatesuffix(domain.lower())
    return str(found) if found else domain.lower()


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    try:
        return [(str(name), " ".join(str(value).split())) for name, value in message.raw_items()]
    except Exception:  # headers the stdlib cannot even list are no evidence of anything
        return []


def _shown(server: str) -> str:
    """A sender's authserv-id as quoted in a reason: a short host-like name, not prose (a
    quoted-string id could otherwise read like a verdict to the agent)."""
    name = _NOT_NAME.sub("", server)[:64]
    return name or "(blank)"


def _parsed(value: str) -> authres.AuthenticationResultsHeader | None:
    if len(value) > MAX_HEADER_CHARS:
        return None
    try:
        return authres.parse_value(value)
    except Exception:  # authres raises its own errors and, on odd input, others
        return None


def _results(server: str, header: authres.AuthenticationResultsHeader) -> Iterable[AuthResult]:
    for result in header.results:
        method = str(result.method or "").lower()
        properties = {
            f"{p.type}.{p.name}": str(p.value or "").strip().lower() for p in result.properties
        }
        yield AuthResult(
            authserv_id=server,
            method=method,
            result=str(result.result or "").lower(),
            domain=_domain_of(method, properties).rstrip("."),
        )


def _domain_of(method: str, properties: dict[str, str]) -> str:
    match method:
        case "dmarc":
            return properties.get("header.from", "")
        case "dkim":
            # header.d is the signing domain; header.i (an address) only when d is missing.
            identity = properties.get("header.d") or properties.get("header.i", "")
            return identity.rpartition("@")[2]
        case "spf":
            # The MAIL FROM domain is what aligns; a HELO identity never does.
            return properties.get("smtp.mailfrom", "").rpartition("@")[2]
        case _:
            return ""
