"""The words a homeowner reads for the procedure's own texts: the decision table's rules and
the refusals a confirm or a withdraw can meet, listed here so that Babel's extractor puts each
one in the catalogues. A rule text with no translation (one published after this list) is
shown as written, in English."""

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


# What the page says when the service refuses, by the error's stable code: the service's own
# message is written for staff and in English.
REFUSAL_TEXTS = {
    "not_eligible": N_(
        "Your project cannot be cancelled online; the reason is shown on this page. "
        "Call or email us and we will explain your options."
    ),
    "invalid_transition": N_(
        "Your project is no longer in a state where this can be done (for example, the time "
        "to change your mind has ended). Reload this page to see where it stands."
    ),
    "written_statement_missing": N_(
        "We need your request in writing: type it or upload it, then confirm again."
    ),
    "not_verified": N_(
        "We could not confirm that this request comes from you: ask for a new link and try again."
    ),
}
OTHER_REFUSAL = N_("Call or email us and we will help you.")


def refusal_text(code: str) -> str:
    """The untranslated message for a refusal's code; the page translates it."""
    return REFUSAL_TEXTS.get(code, OTHER_REFUSAL)
