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

import re
from functools import lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from rescind.domain.errors import InvalidInput


def _none_of(words: tuple[str, ...], longest: int) -> str:
    """A regex (no look-arounds, which JSON Schema generators cannot follow) for the words of
    ASCII letters, 1 to ``longest`` long, that are none of ``words`` (in any case)."""

    def letters(exclude: str = "") -> str:
        runs: list[str] = []  # the kept letters as ranges, "a-hj-z", in both cases
        for c in "abcdefghijklmnopqrstuvwxyz":
            if c in exclude:
                continue
            if runs and ord(runs[-1][-1]) == ord(c) - 1:
                runs[-1] = runs[-1][0] + c
            else:
                runs.append(c)
        spans = "".join(r if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
        return f"[{spans}{spans.upper()}]"

    def after(prefix: str, room: int) -> str:
        # What may follow ``prefix`` (itself a prefix of a word) so the whole is no word.
        nexts = sorted({w[len(prefix)] for w in words if w.startswith(prefix) and w != prefix})
        options = [] if prefix in words or not prefix else [""]
        if room > 0:
            options.append(f"{letters(''.join(nexts))}{letters()}{{0,{room - 1}}}")
            for c in nexts:
                options.append(f"[{c}{c.upper()}]{after(prefix + c, room - 1)}")
        return "(?:" + "|".join(options) + ")"

    return after("", longest)


# What ``email_address`` accepts, as a JSON Schema pattern (ASCII, no look-arounds): a
# dot-atom local part; domain labels of letters, digits and single hyphens (no ``xn--`` or
# other ``--``: IDNA refuses most of them); a top-level domain of letters that is none of the
# special-use names email-validator refuses. A subset of what the validator takes (at most 183
# characters, inside its limit of 254), and the API enforces it too, so the schema says exactly
# what the server accepts (tests/api/test_api_email_pattern.py checks both directions).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9]{1,15}(?:-[A-Za-z0-9]{1,15})?"
_TLD = _none_of(tuple(SPECIAL_USE_DOMAIN_NAMES), 24)
EMAIL_ADDRESS = rf"{_ATEXT}{{1,30}}(?:\.{_ATEXT}{{1,15}}){{0,2}}@(?:{_LABEL}\.){{1,3}}{_TLD}"
EMAIL_PATTERN = rf"^ *{EMAIL_ADDRESS} *$"
# The same, or nothing at all (an optional address left out).
OPTIONAL_EMAIL_PATTERN = rf"^(?: *{EMAIL_ADDRESS} *)?$"

# The company's homeowners are in the US; a number with a leading + may be from anywhere.
DEFAULT_PHONE_REGION = "US"
_SHOWN = 80  # characters of a refused value quoted back in the error


def _quoted(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


# An address of the pattern's plain shape is one the validator accepts (the API tests check
# it), and for such an address the validator changes only the domain (lower-cased) and the
# local part of a role mailbox like ``Postmaster`` (which takes the full check below). So
# it is answered from the validator's own verdict on its domain, asked once per domain: an
# import of a million homeowners at a handful of domains spent a third of its time here.
_PLAIN = re.compile(EMAIL_ADDRESS)
_ROLE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


@lru_cache(maxsize=4096)
def _normalized_domain(domain: str) -> str:
    return validate_email(f"a@{domain}", check_deliverability=False).domain


def email_address(value: str, *, field: str) -> str:
    """One email address, normalized; anything else is ``InvalidInput`` naming ``field``."""
    text = value.strip()
    if _PLAIN.fullmatch(text) is not None:
        local, _, domain = text.partition("@")
        if local.lower() not in _ROLE_MAILBOXES:
            return f"{local}@{_normalized_domain(domain)}"
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
