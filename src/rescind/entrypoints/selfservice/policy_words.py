"""The decision table's rule texts as the homeowner reads them: listed here so that Babel's
extractor puts each one in the catalogues. A rule text with no translation (one published
after this list) is shown as written, in English."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - gettext's own name for it
    """Marks a message for extraction; translated where it is shown."""
    return text


RULE_TEXTS = (
    N_("Partner program is Beam or Concert (any milestone)"),
    N_("Milestone M1"),
    N_("Milestone M1A"),
    N_("Milestone M1B, invoice not uploaded"),
    N_("Milestone M1B, invoice uploaded"),
    N_("Milestone M2, system photos not uploaded"),
    N_("Milestone M2, system photos uploaded"),
    N_("Milestone M3"),
)
