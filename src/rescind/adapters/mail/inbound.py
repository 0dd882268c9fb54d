"""Reading a homeowner's email: who sent it, about which job, and whether the From is trustworthy
(the trusted ``Authentication-Results`` and what they prove: see ``authentication``).

The parser never raises on bad input: any byte string becomes either a parsed message or a
``Malformed`` with the reason, so nothing received is ever lost or crashes the receiver. Every
text it returns can be stored: the stdlib keeps undecodable header bytes as lone surrogates
(which no UTF-8 database driver encodes) and passes NUL through (which PostgreSQL's text
refuses); both are replaced here, since the raw bytes are kept anyway (the fuzzer found both).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from rescind.adapters.mail.authentication import sender_authentication
from rescind.domain.inbound import InboundEmail, Malformed
from rescind.domain.job import JOB_ID_SHAPE
from rescind.domain.sender_authentication import SenderAuthentication

MAX_BODY_CHARS = 100_000
# A reference is any token of the one job id shape import enforces ("JOB-H14O", also written
# "job-h14o"), looked up in capitals; "Job #123" and "job 123" are read as the padded
# JOB-000123 as well.
JOB_TOKEN = re.compile(rf"\b{JOB_ID_SHAPE}\b", re.IGNORECASE)
JOB_NUMBER = re.compile(r"\b(?:JOB|Job|job)[-#: ]?\s?(\d{3,9})\b")
# Each candidate costs a lookup by id: a message listing hundreds buys only the first few.
MAX_JOB_REFERENCES = 10
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_email(raw: bytes, *, authserv_ids: Collection[str] = ()) -> InboundEmail | Malformed:
    """``authserv_ids``: the receiving servers whose Authentication-Results are trusted (lower
    case); none trusted, no message is authenticated."""
    parsed = _parse(raw, authserv_ids)
    if isinstance(parsed, Malformed):
        return replace(
            parsed,
            message_id=storable(parsed.message_id),
            from_address=storable(parsed.from_address),
        )
    return replace(
        parsed,
        message_id=storable(parsed.message_id),
        from_address=storable(parsed.from_address),
        from_name=storable(parsed.from_name),
        subject=storable(parsed.subject),
        text=storable(parsed.text),
        authentication=SenderAuthentication(
            parsed.authentication.verified, storable(parsed.authentication.reason)
        ),
    )


def storable(text: str) -> str:
    """``text`` without NUL and with each lone surrogate as U+FFFD: encodable, storable."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _parse(raw: bytes, authserv_ids: Collection[str]) -> InboundEmail | Malformed:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as e:  # the stdlib parser is lenient; anything it still throws is data
        return Malformed(f"unreadable MIME: {type(e).__name__}")
    message_id = _header(message, "Message-ID")
    senders = _senders(message)
    if len(senders) > 1:
        # "From: victim@…, attacker@…": whose message is it? Not one to verify anybody by.
        return Malformed(
            f"the From header names {len(senders)} addresses; a message has one author",
            message_id=message_id,
        )
    name, address = senders[0] if senders else ("", "")
    if not address or "@" not in address:
        return Malformed("no usable From address", message_id=message_id)
    subject = _header(message, "Subject")
    text = _text_of(message)
    if text is None:
        return Malformed(
            "no readable text part (plain or HTML)", message_id=message_id, from_address=address
        )
    return InboundEmail(
        message_id=message_id,
        from_address=address.lower(),
        from_name=name,
        subject=subject,
        text=text[:MAX_BODY_CHARS],
        sent_at=_date(message),
        authentication=sender_authentication(message, address.lower(), authserv_ids),
        job_references=job_references(f"{subject}\n{text}"),
    )


def job_references(text: str) -> tuple[str, ...]:
    """The job ids a message may name, each once, at most ``MAX_JOB_REFERENCES``: the
    tokens in the order written (in capitals), then the padded numbers."""
    tokens = [token.upper() for token in JOB_TOKEN.findall(text)]
    numbers = [f"JOB-{int(n):06d}" for n in JOB_NUMBER.findall(text)]
    return tuple(dict.fromkeys(tokens + numbers))[:MAX_JOB_REFERENCES]


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header is reported by the policy as a defect, or raises
        return ""
    return " ".join(str(value).split())[:998] if value is not None else ""


def _senders(message: EmailMessage) -> list[tuple[str, str]]:
    """Each (name, address) the From headers name — all of them, since a second From header
    is as much a second author as a second mailbox in one; empty when none is readable."""
    try:
        found: list[tuple[str, str]] = []
        for header in message.get_all("From") or []:
            addresses: tuple[Address, ...] | None = getattr(header, "addresses", None)
            if addresses:
                found += [(str(a.display_name), str(a.addr_spec)) for a in addresses]
                continue
            pairs = [p for p in getaddresses([str(header)]) if any(p)]
            found += pairs or [parseaddr(str(header))]
        return found
    except Exception:
        return []


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = message.get("Date")
        moment = parsedate_to_datetime(str(value)) if value else None
    except Exception:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _text_of(message: EmailMessage) -> str | None:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return None if message.is_multipart() else _decoded(message)
        content = _decoded(part)
        if content is not None and part.get_content_subtype() == "html":
            content = _strip_html(content)
        return content
    except Exception:
        return None


def _decoded(part: MIMEPart) -> str | None:
    try:
        content = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    return content if isinstance(content, str) else None


_TAG = re.compile(r"<[^>]{0,2000}>")


def _strip_html(html: str) -> str:
    return " ".join(_TAG.sub(" ", html).split())


def attachment_names(raw: bytes) -> list[tuple[str, str, int]]:
    """The files a message carries (name, content type, size in bytes), for the agent who
    reads it in triage; an unreadable message carries none that can be named."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # a broken message simply shows no attachments
        return []
    if not isinstance(message, EmailMessage):
        return []
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append((storable(part.get_filename() or "unnamed"), part.get_content_type(), size))
    return found
