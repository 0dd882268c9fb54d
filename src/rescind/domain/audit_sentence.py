"""An audit record as one English sentence, in the company's time zone, for people to read.

"Alex Agent cancelled the workflow in the console under policy v1 — final at the end of Mon
2026-12-14." The trail itself stays data (hashed, replayable); this is the one place that
words it, used by the console's job page and the CLI's ``jobs show``. A kind without its own
wording still reads as a sentence (its name in words), never as key=value pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rescind.domain.audit import AuditRecord
from rescind.domain.events import EventKind, JSONValue
from rescind.domain.wording import count

Data = Mapping[str, JSONValue]

# How a record's channel reads after the verb.
_CHANNELS = {
    "console": "in the console",
    "api": "through the API",
    "cli": "on the command line",
    "import": "by a job import",
    "worker": "by the worker",
    "system": "",
    "phone": "via phone",
    "chat": "via chat",
    "email": "by email",
    "mail": "by mail",
    "self_service": "on the self-service page",
}
# Who a system actor is, in words.
_SYSTEMS = {
    "system:sweep": "The end-of-window sweep",
    "system:cli": "An operator on the command line",
    "system:worker": "The worker",
}
# How a closed request's outcome reads; an outcome not named here reads as its words.
_OUTCOMES = {
    "cancel_pending": "the workflow is cancel pending",
    "already_pending": "the workflow was already cancel pending",
    "not_eligible": "not eligible",
    "approved": "approved by Deal Processing",
    "denied": "denied by Deal Processing",
    "written_request_required": "a written request from the homeowner is required",
}


def person_name(actor: str, names: Mapping[str, str]) -> str:
    """A person's name for an actor id ("agent:alex" → "Alex Agent"), as ``names`` knows it;
    a system actor by what it is; an unknown one by its user name and role."""
    if actor in names:
        return names[actor]
    if actor in _SYSTEMS:
        return _SYSTEMS[actor]
    role, _, user = actor.partition(":")
    if role == "self_service":
        return "someone" if user == "someone" else f"the homeowner ({user})"
    if role == "system":
        return f"rescind ({user})"
    return f"{user} ({role.replace('_', ' ')})" if user else actor


def local_moment(text: JSONValue, tz: ZoneInfo) -> str:
    moment = _moment(text)
    return moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") if moment else "an unknown time"


def day_ended_by(text: JSONValue, tz: ZoneInfo) -> str:
    """The local day a window's final moment closes ("the end of Mon 2026-12-14")."""
    moment = _moment(text)
    if moment is None:
        return "an unknown day"
    return _day((moment - timedelta(microseconds=1)).astimezone(tz).date())


def sentence(record: AuditRecord, *, tz: ZoneInfo, names: Mapping[str, str]) -> str:
    """The record as a sentence: who did what, how, under which policy, and its details."""
    data = record.data
    people = _PEOPLE_KEYS.get(record.kind, ())
    if people:  # actor ids in the data read as people's names too
        data = {k: person_name(str(v), names) if k in people and v else v for k, v in data.items()}
    wording = _WORDINGS.get(record.kind)
    what, detail = wording(data, tz) if wording else (record.kind.replace("_", " "), "")
    channel = _CHANNELS.get(record.channel, f"via {record.channel.replace('_', ' ')}")
    parts = [person_name(record.actor, names), what]
    if channel:
        parts.append(channel)
    if record.policy_version is not None:
        parts.append(f"under policy v{record.policy_version}")
    text = " ".join(parts)
    return f"{text} — {detail}." if detail else f"{text}."


def _moment(text: JSONValue) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _day(day: date) -> str:
    return day.strftime("%a %Y-%m-%d")


def _text(data: Data, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _words(data: Data, key: str) -> str:
    return _text(data, key).replace("_", " ")


def _yes(flag: JSONValue, words: str) -> list[str]:
    return [words] if flag is True else []


def _join(*pieces: str | None) -> str:
    return "; ".join(p for p in pieces if p)


def _request(data: Data) -> str:
    return f"request {data['request_id']}" if data.get("request_id") else ""


def _decided(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    verdict = "eligible" if data.get("eligible") is True else "not eligible"
    rule = f"rule {_text(data, 'rule_number')}: {_text(data, 'rule_text')}".rstrip(": ")
    return f"checked eligibility: {verdict}", rule


def _filed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    who = _words(data, "requester_role") or "someone"
    name = _text(data, "requester_name")
    by = f"{who} {name}".strip()
    flags = [
        *_yes(data.get("within_cooling_off"), "within the FTC cooling-off period"),
        *_yes(data.get("homeowner_emailed"), "the homeowner emailed us"),
    ]
    due = f"due {local_moment(data.get('due_at'), tz)}" if data.get("due_at") else ""
    what = f"filed {_request(data)} from the {by} by {_words(data, 'channel')}".replace("  ", " ")
    return what, _join(due, *flags, _text(data, "verification_note"))


def _statement(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    sent = f"sent {_text(data, 'sent_date')}" if data.get("sent_date") else ""
    source = f"from {_text(data, 'from_address')}" if data.get("from_address") else ""
    return f"attached the homeowner's written statement ({_words(data, 'kind')})", _join(
        source, sent
    )


def _code_sent(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    expires = data.get("expires_at")
    until = f"valid until {local_moment(expires, tz)}" if expires else ""
    return f"sent a 4-digit code for {_request(data)}", until


def _code_rejected(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    left = data.get("attempts_left")
    remaining = f"{count(left, 'attempt')} left" if isinstance(left, int) else ""
    return f"entered a code that was refused for {_request(data)}", _join(
        _words(data, "reason"), remaining
    )


def _verified(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    method = f" by {_words(data, 'method')}" if data.get("method") else ""
    return f"verified {_request(data)}{method}", _text(data, "evidence")


def _closed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    outcome = _text(data, "outcome")
    return f"closed {_request(data)}", _join(
        _OUTCOMES.get(outcome, outcome.replace("_", " ")), _text(data, "detail")
    )


def _cancel_pending(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    final = f"final at the end of {day_ended_by(data.get('final_at'), tz)}"
    return "cancelled the workflow", _join(final, _text(data, "reason"))


def _already_pending(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return "asked to cancel a workflow already cancel pending", (
        f"final at the end of {day_ended_by(data.get('final_at'), tz)}"
    )


def _restored(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    why = _text(data, "why") or _text(data, "reason")
    return "restored the workflow to active", why


def _cancelled(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return "finalised the cancellation", (
        f"the window ended at the end of {day_ended_by(data.get('final_at'), tz)}"
    )


def _recomputed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    moved = (
        f"from the end of {day_ended_by(data.get('from'), tz)} "
        f"to the end of {day_ended_by(data.get('to'), tz)}"
    )
    return "moved the Cancel Pending window", _join(moved, _text(data, "why"))


def _commented(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    how = "added an automatic comment" if data.get("automatic") is True else "commented"
    return f"{how} on the homeowner's feed", f"“{_text(data, 'body')}”"


def _emailed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    to = data.get("to")
    cc = data.get("cc")
    recipients = ", ".join(str(r) for r in to) if isinstance(to, list) else ""
    copies = ", ".join(str(r) for r in cc) if isinstance(cc, list) and cc else ""
    return f"queued the {_words(data, 'kind')} email", _join(
        f"to {recipients}" if recipients else "", f"cc {copies}" if copies else ""
    )


def _resent(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    to = data.get("to")
    recipients = ", ".join(str(r) for r in to) if isinstance(to, list) else ""
    return f"sent the failed {_words(data, 'kind')} email again", (
        f"to {recipients}" if recipients else ""
    )


def _readdressed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"fixed an address of the failed {_words(data, 'kind')} email and sent it again", (
        f"{_text(data, 'from')} → {_text(data, 'to')}"
    )


def _review_rejected(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    items = data.get("items")
    n = len(items) if isinstance(items, list) else 0
    return f"rejected {count(n, 'review item')}", ""


def _review_submitted(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return "submitted the milestone review", f"{_words(data, 'from')} → {_words(data, 'to')}"


def _case_opened(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"opened case {_text(data, 'case_id')} for {_words(data, 'assignment')}", (
        f"requested by the {_words(data, 'requested_by')}"
    )


def _case_reassigned(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"reassigned case {_text(data, 'case_id')} to {_words(data, 'to')}", (
        f"from {_words(data, 'from')}" if data.get("from") else ""
    )


def _case_assigned(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"assigned case {_text(data, 'case_id')} to {_text(data, 'to')}", (
        f"from {_text(data, 'from')}" if data.get("from") else ""
    )


def _case_closed(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"closed case {_text(data, 'case_id')}", _text(data, "reason")


def _case_approved(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"approved case {_text(data, 'case_id')}", _text(data, "note")


def _case_denied(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"denied case {_text(data, 'case_id')}", _text(data, "reason")


def _escalated(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"escalated {_request(data)} to Deal Processing", f"case {_text(data, 'case_id')}"


def _approved(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"approved {_request(data)} for Deal Processing", f"case {_text(data, 'case_id')}"


def _link_sent(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"asked for a one-time link, emailed to {_text(data, 'address')}", (
        f"it works once until {local_moment(data.get('expires_at'), tz)}"
    )


def _link_opened(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return "opened the one-time link", (
        f"possession of the mailbox {_text(data, 'address')} is verified"
    )


def _link_refused(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return "tried a one-time link that was refused", _words(data, "reason")


def _language_chosen(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    return f"chose to read in {_text(data, 'language')}", ""


def _imported(data: Data, tz: ZoneInfo) -> tuple[str, str]:
    imported, rejected = data.get("imported"), data.get("rejected")
    if isinstance(imported, int) and isinstance(rejected, int):
        return f"imported {count(imported, 'job')}", f"{count(rejected, 'row')} rejected"
    return "imported jobs", ""


# Data keys that hold an actor id, by kind.
_PEOPLE_KEYS: dict[str, tuple[str, ...]] = {EventKind.CASE_ASSIGNED: ("from", "to")}

_WORDINGS: dict[str, Callable[[Data, ZoneInfo], tuple[str, str]]] = {
    EventKind.ELIGIBILITY_DECIDED: _decided,
    EventKind.REQUEST_FILED: _filed,
    EventKind.STATEMENT_ATTACHED: _statement,
    EventKind.VERIFICATION_CODE_SENT: _code_sent,
    EventKind.VERIFICATION_CODE_REJECTED: _code_rejected,
    EventKind.REQUEST_VERIFIED: _verified,
    EventKind.REQUEST_ESCALATED: _escalated,
    EventKind.REQUEST_APPROVED: _approved,
    EventKind.REQUEST_CLOSED: _closed,
    EventKind.REVIEW_ITEMS_REJECTED: _review_rejected,
    EventKind.REVIEW_SUBMITTED: _review_submitted,
    EventKind.WORKFLOW_CANCEL_PENDING: _cancel_pending,
    EventKind.WORKFLOW_ALREADY_PENDING: _already_pending,
    EventKind.WORKFLOW_RESTORED: _restored,
    EventKind.WORKFLOW_CANCELLED: _cancelled,
    EventKind.WINDOW_RECOMPUTED: _recomputed,
    EventKind.FEED_COMMENTED: _commented,
    EventKind.EMAIL_QUEUED: _emailed,
    EventKind.EMAIL_RESENT: _resent,
    EventKind.EMAIL_READDRESSED: _readdressed,
    EventKind.CASE_OPENED: _case_opened,
    EventKind.CASE_REASSIGNED: _case_reassigned,
    EventKind.CASE_ASSIGNED: _case_assigned,
    EventKind.CASE_CLOSED: _case_closed,
    EventKind.CASE_APPROVED: _case_approved,
    EventKind.CASE_DENIED: _case_denied,
    EventKind.JOB_IMPORTED: _imported,
    EventKind.SELF_SERVICE_LINK_SENT: _link_sent,
    EventKind.SELF_SERVICE_LINK_OPENED: _link_opened,
    EventKind.SELF_SERVICE_LINK_REFUSED: _link_refused,
    EventKind.SELF_SERVICE_LANGUAGE_CHOSEN: _language_chosen,
}
