"""What every cancel reads and an admin rarely changes, kept per process under its version.

The published policies, the company calendar and the webhook endpoints are read by every
cancel and changed a few times a year. Each is kept per engine under a version the database
gives cheaply, and the three versions are read in one statement, once per transaction
(``versions``). A version not seen before loads the content and computes its version from
what it loaded, in one statement, so content is never kept under a version it does not have.

The versions only go up: policies are only ever added (their count and highest version), the
calendar's revision is bumped by every holiday change (with the holidays' count beside it),
an endpoint is added (the count) or saved (its version, so the sum, goes up; none is ever
deleted). A change committed by any process moves its version, so the next transaction in
every process reads the new content.

A session that changed any of them reads around the cache for the rest of its life: what it
sees is not committed yet, so it must neither be kept for others nor hidden from itself.
Whatever rewrites these tables behind the service (a test's TRUNCATE, a restore) makes the
versions go back: call ``forget_cached(engine)`` then.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, SessionTransaction

from rescind.adapters.db.tables import (
    CalendarRevisionRow,
    CompanyHolidayRow,
    PolicyVersionRow,
    WebhookEndpointRow,
)

T = TypeVar("T")

# Before any holiday change there is no revision row: the calendar is at version 1.
CALENDAR_REVISION_ID = 1
FIRST_CALENDAR_VERSION = 1


class Kept(Enum):
    POLICIES = "policies"
    CALENDAR = "calendar"
    ENDPOINTS = "endpoints"


def _scalar(statement: Any) -> Any:
    return statement.scalar_subquery()


# One row, one round trip: every version, each an index or tiny-table lookup.
_VERSIONS = select(
    _scalar(select(func.count()).select_from(PolicyVersionRow)),
    _scalar(select(func.max(PolicyVersionRow.version))),
    _scalar(
        select(CalendarRevisionRow.version).where(CalendarRevisionRow.id == CALENDAR_REVISION_ID)
    ),
    _scalar(select(func.count()).select_from(CompanyHolidayRow)),
    _scalar(select(func.count()).select_from(WebhookEndpointRow)),
    _scalar(select(func.sum(WebhookEndpointRow.version))),
)


@dataclass(frozen=True)
class Versions:
    policies: tuple[int, int]  # how many are published, the highest version
    calendar: tuple[int, int]  # the revision, how many holidays
    endpoints: tuple[int, int]  # how many were ever added, the sum of their versions

    def of(self, kept: Kept) -> Hashable:
        return cast(tuple[int, int], getattr(self, kept.value))


def policy_version(count: int, highest: int | None) -> tuple[int, int]:
    return (count, highest or 0)


def calendar_version(revision: int | None, holidays: int) -> tuple[int, int]:
    return (revision or FIRST_CALENDAR_VERSION, holidays)


def endpoints_version(count: int, version_sum: int | None) -> tuple[int, int]:
    return (count, int(version_sum or 0))


_CACHES: WeakKeyDictionary[Engine, dict[Kept, tuple[Hashable, Any]]] = WeakKeyDictionary()
_READ = "rescind.by_version.read"  # session.info: (transaction, Versions)
_CHANGED = "rescind.by_version.changed"  # session.info: this session wrote one of them


def versions(session: Session) -> Versions:
    """The versions as of this transaction's first ask (one statement a transaction)."""
    transaction = session.get_transaction()
    read: tuple[SessionTransaction | None, Versions] | None = session.info.get(_READ)
    if read is not None and transaction is not None and read[0] is transaction:
        return read[1]
    row = session.execute(_VERSIONS).one()
    found = Versions(
        policies=policy_version(row[0], row[1]),
        calendar=calendar_version(row[2], row[3]),
        endpoints=endpoints_version(row[4], row[5]),
    )
    # The statement began the transaction if none was open: keep it under that one.
    session.info[_READ] = (session.get_transaction(), found)
    return found


def cached(session: Session, kept: Kept, load: Callable[[], tuple[Hashable, T]]) -> T:
    """The content of ``kept`` for this transaction: kept, or ``load()``-ed (which returns
    the version it loaded and the content) and kept. The content must not be changed."""
    if session.info.get(_CHANGED):
        return load()[1]
    version = versions(session).of(kept)
    cache = _CACHES.setdefault(session.get_bind().engine, {})
    hit = cache.get(kept)
    if hit is not None and hit[0] == version:
        return cast(T, hit[1])
    loaded_version, content = load()
    cache[kept] = (loaded_version, content)
    return content


def changed(session: Session) -> None:
    """This session writes one of the kept tables: it reads them from the database now on."""
    session.info[_CHANGED] = True
    session.info.pop(_READ, None)


def forget_cached(engine: Engine) -> None:
    """Drop what is kept for ``engine`` (after its tables were rewritten behind the service)."""
    _CACHES.pop(engine, None)
