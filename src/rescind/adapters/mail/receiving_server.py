"""``rescind mail serve`` as the receiving server: it checks DKIM itself (dkimpy) and says so.

Like any receiving MTA it writes its verdict on top of the message, as an
``Authentication-Results`` header under its own authserv-id, followed by its ``Received``
header: the same headers the parser trusts from an MTA in front of us, so both paths are
judged by one rule (``authentication.trusted_results``). The ``Received`` below our result
ends what we vouch for, so a sender's own header claiming our id is never read as ours.

Only DKIM is checked here; SPF is not (it needs the connecting address checked against the
sender's DNS, which a receiver behind a relay does not see), nor DMARC. The DNS lookup is
injectable (``dnsfunc``, dkimpy's signature) so tests verify against a local zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import authres
import dkim

# dkimpy's DNS lookup: the TXT record of a name (bytes), or None.
DnsTxt = Callable[..., bytes | None]
MAX_SIGNATURES = 5  # a message may carry several signatures; each costs a DNS lookup
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
_SIGNATURE = re.compile(rb"^dkim-signature:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ReceivingServer:
    authserv_id: str
    dnsfunc: DnsTxt | None = None  # None: dkimpy's own lookup (dnspython)

    def stamp(self, raw: bytes, *, peer: str, helo: str, now: datetime) -> bytes:
        """``raw`` with our DKIM verdict and our ``Received`` header on top."""
        results = dkim_results(raw, self.dnsfunc)
        verdict = authres.header(authserv_id=self.authserv_id, results=results)
        received = (
            f"Received: from {_token(helo) or 'unknown'} ({_token(peer)}) by {self.authserv_id} "
            f"(rescind mail serve) with SMTP; {format_datetime(now)}"
        )
        return f"{verdict}\r\n{received}\r\n".encode() + raw


def dkim_results(raw: bytes, dnsfunc: DnsTxt | None) -> list[authres.DKIMAuthenticationResult]:
    header_block = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    count = min(len(_SIGNATURE.findall(header_block)), MAX_SIGNATURES)
    if count == 0:
        return [authres.DKIMAuthenticationResult(result="none")]
    return [_verify(raw, index, dnsfunc) for index in range(count)]


def _verify(raw: bytes, index: int, dnsfunc: DnsTxt | None) -> authres.DKIMAuthenticationResult:
    checker = dkim.DKIM(raw, minkey=1024)
    try:
        good = (
            checker.verify(idx=index)
            if dnsfunc is None
            else checker.verify(idx=index, dnsfunc=dnsfunc)
        )
        result = "pass" if good else "fail"
    except dkim.DnsTimeoutError:
        result = "temperror"
    except dkim.ValidationError:
        result = "fail"  # the body or headers changed, or the signature is not valid
    except dkim.DKIMException:
        result = "permerror"  # a key or message that cannot be read
    except Exception:  # a DNS failure, or odd input dkimpy did not expect: try again later
        result = "temperror"
    domain = _name(checker.domain)
    selector = _name(getattr(checker, "selector", None))
    return authres.DKIMAuthenticationResult(
        result=result, header_d=domain or None, header_s=selector or None
    )


def _name(value: object) -> str:
    """A signature's d= or s= as a DNS name, or "" — it is the sender's text, so nothing else
    (a ``;`` could otherwise write a result of its own into our header)."""
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")
    text = text.strip().lower()
    return text if _DOMAIN.match(text) else ""


def _token(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9.:\[\]-]", "", value)[:255]
