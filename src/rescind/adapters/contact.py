"""Email addresses and phone numbers as they enter rescind: checked, then stored normalized.

A homeowner's address on file is what verification compares a sender with and where codes
and notices go, so it must be exactly one address: ``ann@victim.example,attacker@evil.example``
is refused, never stored. ``email-validator`` checks the syntax (RFC 5321/5322 and IDNA, no
DNS lookups: an import must not depend on the network) and gives the normalized form (the
domain lower-cased, Unicode normalized). ``phonenumbers`` (Google's libphonenumber) reads a
number as a US one unless it starts with ``+`` and stores it as E.164 (``+12015550123``), so
every number has one spelling and the search by digits (``domain/search.py``) finds it
however it was typed.

The domain keeps these as plain strings; this module is the one place that decides what a
valid one is, called by every door that takes one in.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from rescind.domain.errors import InvalidInput

# The company's homeowners are in the US; a number with a leading + may be from anywhere.
DEFAULT_PHONE_REGION = "US"
_SHOWN = 80  # characters of a refused value quoted back in the error


def _quoted(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def email_address(value: str, *, field: str) -> str:
    """One email address, normalized; anything else is ``InvalidInput`` naming ``field``."""
    text = value.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as e:
        why = str(e).rstrip(".")
        raise InvalidInput(
            f"{field} {_quoted(text)} is not one valid email address ({why}); "
            "give a single address like name@example.com",
            field=field,
        ) from None
    return checked.normalized


def phone_number(value: str, *, field: str) -> str:
    """A phone number in E.164 (``+12015550123``); an impossible one is ``InvalidInput``."""
    text = value.strip()
    try:
        parsed = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"{field} {_quoted(text)} is not a valid phone number; give it with its area code, "
            "like 201-555-0123, or with + and the country code for one outside the US",
            field=field,
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
