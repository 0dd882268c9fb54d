"""What a person types in a search box, read the way they mean it.

One reading for every door and every store: the SQL repository and the in-memory fake both
ask ``read_search`` what to look for, and write a homeowner's keys with ``homeowner_keys``, so
"(555) 188-8104", "555 188 8104" and "+15551888104" find the same person, and "job-2", "2"
and "JOB-000002" the same job, wherever the search runs.

- a job id: exactly as typed, in capitals or lower case, and — when it is a number with or
  without ``JOB-`` and leading zeros — every zero-padded spelling of that number;
- the homeowner's name from its start ("dana wh"), or the surname from its start ("whitf");
- the homeowner's email from its start ("dana.w@ex"), any case;
- the homeowner's phone: a prefix of its digits, however punctuated, with or without the US
  country code (numbers are stored in E.164, ``+15551888104``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Homeowners are in the US (as ``adapters/contact.py`` reads numbers): a typed number without
# a leading + or 1 may be stored behind this country code.
US_COUNTRY_CODE = "1"
# Text that can be a phone number: digits and the usual punctuation, with enough digits that
# a job number like "12" is not also read as every phone starting with 12.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")
_MIN_PHONE_DIGITS = 3
# "JOB-000002", "job 2", "#2", "2": a job number with or without its prefix and zeros.
_JOB_NUMBER = re.compile(r"^(?:job)?[\s#_-]*0*(\d{1,12})$", re.IGNORECASE)
# Job ids are zero-padded to at most this many digits ("JOB-000002" has six).
_JOB_NUMBER_WIDTH = 12
_JOB_PREFIXES = ("JOB-", "job-")


def name_key(name: str) -> str:
    """A name for prefix search: lower case, runs of spaces folded to one."""
    return " ".join(name.lower().split())


def surname_key(name: str) -> str:
    """The last word of the name (the surname, as US names are written), for prefix search."""
    words = name_key(name).split(" ")
    return words[-1] if len(words) > 1 else ""


def email_key(email: str) -> str:
    return email.strip().lower()


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")


def phone_key(phone: str) -> str:
    # ASCII text (every stored E.164 number) has no digits but 0-9; a scan a character at a
    # time was a tenth of an import's writing.
    if phone.isascii():
        return _NOT_ASCII_DIGIT.sub("", phone)
    return "".join(c for c in phone if c.isdigit())


def homeowner_keys(*, name: str, email: str, phone: str) -> dict[str, str]:
    """The search keys stored with a homeowner, derived whenever it is written."""
    return {
        "email_key": email_key(email),
        "name_key": name_key(name),
        "surname_key": surname_key(name),
        "phone_key": phone_key(phone),
    }


@dataclass(frozen=True)
class SearchTerms:
    """What one search looks for; a homeowner matches if any of its keys match."""

    job_ids: tuple[str, ...]  # exact ids
    name_prefix: str  # of ``name_key``
    surname_prefix: str  # of ``surname_key`` ("" when the text has a space: a surname is one word)
    email_prefix: str  # of ``email_key`` ("" when the text cannot start an email)
    phone_prefixes: tuple[str, ...]  # of ``phone_key``

    def finds_by_id(self, job_id: str) -> bool:
        return job_id in self.job_ids

    def finds_homeowner(self, *, name: str, email: str, phone: str) -> bool:
        keys = homeowner_keys(name=name, email=email, phone=phone)
        return (
            keys["name_key"].startswith(self.name_prefix)
            or (bool(self.surname_prefix) and keys["surname_key"].startswith(self.surname_prefix))
            or (bool(self.email_prefix) and keys["email_key"].startswith(self.email_prefix))
            or any(keys["phone_key"].startswith(p) for p in self.phone_prefixes)
        )


def read_search(text: str) -> SearchTerms | None:
    """The terms of a search box's text; ``None`` for blank text (no text filter)."""
    typed = text.strip()
    if not typed:
        return None
    ids = [typed, typed.upper(), typed.lower()]
    number = _JOB_NUMBER.match(typed)
    if number is not None:
        digits = number.group(1)
        ids.extend(
            prefix + digits.zfill(width)
            for prefix in _JOB_PREFIXES
            for width in range(len(digits), _JOB_NUMBER_WIDTH + 1)
        )
    return SearchTerms(
        job_ids=tuple(dict.fromkeys(ids)),
        name_prefix=name_key(typed),
        # "first la" is the start of a full name; looking it up as a surname too would find
        # nothing more and, on a million homeowners, costs a second index walk per search.
        surname_prefix="" if " " in name_key(typed) else name_key(typed),
        # An email has no spaces: "dana w" is a name, never the start of an address.
        email_prefix="" if any(c.isspace() for c in typed) else email_key(typed),
        phone_prefixes=phone_prefixes(typed),
    )


def phone_prefixes(text: str) -> tuple[str, ...]:
    """The digit prefixes a typed (part of a) phone number may match among stored E.164
    numbers: as typed, and — unless it starts with + or 1 — after the US country code too,
    so ``973-679`` finds ``+19736791234``."""
    digits = phone_key(text)
    if not _PHONE_LIKE.match(text.strip()) or len(digits) < _MIN_PHONE_DIGITS:
        return ()
    if text.lstrip().startswith("+") or digits[0] in "01":
        return (digits,)
    return (digits, US_COUNTRY_CODE + digits)
