"""What the insights count, as data: which audit records count for which figure.

Each audit record of the procedure (a request filed, verified or closed, a window opened,
restored or finalized) becomes a few ``Fact``s; each fact is counted once per company-local
day under every dimension it can be read by (reason, milestone, channel, installer company,
hours to decision), once for everyone ('*') and once for the job's installer company, so a
period's figures for any reader are a sum over a few hundred pre-counted rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from rescind.domain.events import EventKind, JSONValue

EVERYONE = "*"
MAX_HOURS = 24 * 30  # decisions slower than a month share the last bucket


class Metric(StrEnum):
    REQUESTED = "requested"
    COOLING_OFF = "cooling_off"  # requests filed inside the FTC cooling-off period
    VERIFIED = "verified"
    REFUSED = "refused"  # closed as not eligible, by the rule that said stop
    CANCEL_PENDING = "cancel_pending"
    RESTORED = "restored"
    FINALIZED = "finalized"
    STOPPED = "stopped"  # a request that ended without a cancel, by its outcome
    DECIDED = "decided"  # a request that ended, by hours from filing and on time or late


class Dimension(StrEnum):
    TOTAL = "total"
    REASON = "reason"
    MILESTONE = "milestone"
    CHANNEL = "channel"
    INSTALLER = "installer"
    HOURS = "hours"


# The figures read by reason, milestone, installer company and channel.
COUNTED = (
    Metric.REQUESTED,
    Metric.REFUSED,
    Metric.CANCEL_PENDING,
    Metric.RESTORED,
    Metric.FINALIZED,
)
INSIGHT_KINDS = frozenset(
    {
        EventKind.REQUEST_FILED.value,
        EventKind.REQUEST_VERIFIED.value,
        EventKind.REQUEST_CLOSED.value,
        EventKind.WORKFLOW_CANCEL_PENDING.value,
        EventKind.WORKFLOW_RESTORED.value,
        EventKind.WORKFLOW_CANCELLED.value,
    }
)
_CANCELLED_OUTCOMES = frozenset({"cancel_pending", "already_pending"})
ON_TIME, LATE = "on_time", "late"


@dataclass(frozen=True)
class RequestFacts:
    """What the request a record names adds: when it was filed and due, and its reason."""

    filed_at: datetime
    due_at: datetime
    reason: str | None
    within_cooling_off: bool


@dataclass(frozen=True)
class Fact:
    metric: Metric
    reason: str = ""
    hours: int | None = None


@dataclass(frozen=True)
class Counted:
    """One audit record as the insights see it."""

    kind: str
    data: Mapping[str, JSONValue]
    occurred_at: datetime
    channel: str
    installer_id: str
    milestone: str
    request: RequestFacts | None = None


def request_id_of(data: Mapping[str, JSONValue]) -> str | None:
    value = data.get("request_id")
    return value if isinstance(value, str) else None


def facts(record: Counted) -> list[Fact]:
    """The facts one record adds (none for a record the insights do not count)."""
    request = record.request
    reason = (request.reason or "") if request else ""
    match record.kind:
        case EventKind.REQUEST_FILED.value:
            cooling = bool(record.data.get("within_cooling_off"))
            return [Fact(Metric.REQUESTED, reason)] + (
                [Fact(Metric.COOLING_OFF, reason)] if cooling else []
            )
        case EventKind.REQUEST_VERIFIED.value:
            return [Fact(Metric.VERIFIED, reason)]
        case EventKind.WORKFLOW_CANCEL_PENDING.value:
            return [Fact(Metric.CANCEL_PENDING, reason)]
        case EventKind.WORKFLOW_RESTORED.value:
            return [Fact(Metric.RESTORED)]
        case EventKind.WORKFLOW_CANCELLED.value:
            return [Fact(Metric.FINALIZED)]
        case EventKind.REQUEST_CLOSED.value:
            return _closed(record)
        case _:
            return []


def _closed(record: Counted) -> list[Fact]:
    outcome = str(record.data.get("outcome") or "")
    found: list[Fact] = []
    if outcome == "not_eligible":
        rule = record.data.get("rule_number")
        found.append(Fact(Metric.REFUSED, f"rule {rule}" if isinstance(rule, int) else ""))
    if outcome not in _CANCELLED_OUTCOMES:
        found.append(Fact(Metric.STOPPED, outcome))
    if record.request is not None:
        elapsed = record.occurred_at - record.request.filed_at
        hours = min(MAX_HOURS, max(0, int(elapsed.total_seconds() // 3600)))
        late = record.occurred_at > record.request.due_at
        found.append(Fact(Metric.DECIDED, LATE if late else ON_TIME, hours))
    return found


CountKey = tuple[date, str, str, str, str]  # day, scope, metric, dimension, value


def count_keys(records: Iterable[Counted], tz: ZoneInfo) -> Counter[CountKey]:
    """Every record's facts, counted under each dimension, for everyone and for its company."""
    counts: Counter[CountKey] = Counter()
    for record in records:
        day = record.occurred_at.astimezone(tz).date()
        for fact in facts(record):
            dims: list[tuple[Dimension, str]] = [
                (Dimension.TOTAL, ""),
                (Dimension.REASON, fact.reason),
                (Dimension.MILESTONE, record.milestone),
                (Dimension.CHANNEL, record.channel),
            ]
            if fact.hours is not None:
                dims.append((Dimension.HOURS, str(fact.hours)))
            for scope in (EVERYONE, record.installer_id):
                for dimension, value in dims:
                    counts[(day, scope, fact.metric.value, dimension.value, value)] += 1
            counts[
                (day, EVERYONE, fact.metric.value, Dimension.INSTALLER.value, record.installer_id)
            ] += 1
    return counts
