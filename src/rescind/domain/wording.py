"""Counting and naming things in English: the one place every message forms a plural or an
article, so "1 messages", "the first 1 jobs" and "a installer" cannot happen in one message
and not another."""

from __future__ import annotations

# Nouns whose plural is not noun + "s" (or "es" after s, x, z, ch, sh).
_IRREGULAR = {"match": "matches", "person": "people", "policy": "policies", "reply": "replies"}
# Words starting with a vowel letter but a consonant sound, and the reverse.
_A_BEFORE = ("user", "uni", "one", "eu")
_AN_BEFORE = ("hour", "honest", "m1", "m2", "m3", "sms")


def plural_of(noun: str) -> str:
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def count(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and the noun in the number it needs: "1 job", "0 jobs", "2 matches"."""
    return f"{n} {noun if n == 1 else (many or plural_of(noun))}"


def article(noun: str) -> str:
    """ "a" or "an" for the noun as it is read aloud: "an installer", "a user", "an M1 job"."""
    word = noun.strip().lower()
    if word.startswith(_AN_BEFORE):
        return "an"
    if word.startswith(_A_BEFORE):
        return "a"
    return "an" if word[:1] in tuple("aeiou") else "a"


def a(noun: str) -> str:
    """The noun with its article: "an installer", "a sales rep"."""
    return f"{article(noun)} {noun}"
