"""Finding jobs for a list: every filter of a ``JobQuery``, paged by id (keyset).

Free text is read by ``domain/search.py`` (job ids in any spelling, the homeowner's name or
surname, email or phone, each from its start). Each is one indexed lookup: the name through
the job's copy of its key (``tables/job.py``), the rest through the homeowner's stored keys
(``tables/people.py``), and the text condition is ``job.id IN (… UNION ALL …)`` rather than
an ``OR`` across two tables, which no database can answer from indexes.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, aliased

from rescind.adapters.db.repositories.scope import job_conditions
from rescind.adapters.db.tables import HomeownerRow, JobRow
from rescind.domain.search import SearchTerms, read_search
from rescind.services.ports import JobQuery

_LIKE_ESCAPE = "\\"


def conditions(query: JobQuery, dialect: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the query's page (the caller orders by id and limits)."""
    found = _filters(JobRow, query)
    terms = read_search(query.text or "")
    if terms is not None:
        found.append(_text_matches(terms, query, dialect))
    return found


def _filters(job: type[JobRow], query: JobQuery) -> list[ColumnElement[bool]]:
    exact: list[tuple[InstrumentedAttribute[str], str | None]] = [
        (job.status, _value(query.status)),
        (job.milestone, _value(query.milestone)),
        (job.product_model, _value(query.product_model)),
        (job.partner_program, _value(query.partner_program)),
        (job.installer_id, query.installer_id),
    ]
    found = [column == value for column, value in exact if value is not None]
    found.extend(job_conditions(job, query.scope))
    if query.after_id is not None:
        found.append(job.id > query.after_id)
    return found


def _value(member: StrEnum | None) -> str | None:
    return None if member is None else member.value


def _text_matches(terms: SearchTerms, query: JobQuery, dialect: str) -> ColumnElement[bool]:
    """``job.id IN (the job with that id UNION each first page of matching jobs)``.

    Each page carries every filter and its own ORDER BY id LIMIT, so PostgreSQL picks per
    search: a narrow one (an email) goes index → job, a broad one (a two-letter name prefix
    matching 100,000 people) walks jobs in id order until the page is full, instead of
    sorting every match. The whole name is matched on the job's own copy of its key (one
    index range); the surname, email and phone on the homeowner, then its jobs.
    """
    # Own aliases, so the subqueries are not correlated with the outer ``job``.
    by_id, by_name = aliased(JobRow), aliased(JobRow)
    pages = [
        select(by_id.id).where(by_id.id.in_(terms.job_ids), *_filters(by_id, query)),
        _first_page(by_name, query, _starts_with(by_name.name_key, terms.name_prefix, dialect)),
    ]
    homeowner_matches: list[ColumnElement[bool]] = []
    if terms.surname_prefix:
        homeowner_matches.append(
            _starts_with(HomeownerRow.surname_key, terms.surname_prefix, dialect)
        )
    if terms.email_prefix:
        homeowner_matches.append(_starts_with(HomeownerRow.email_key, terms.email_prefix, dialect))
    homeowner_matches.extend(
        _starts_with(HomeownerRow.phone_key, digits, dialect) for digits in terms.phone_prefixes
    )
    if homeowner_matches:
        of_homeowner = aliased(JobRow)
        pages.append(
            _first_page(
                of_homeowner,
                query,
                or_(*homeowner_matches),
                join=HomeownerRow.id == of_homeowner.homeowner_id,
            )
        )
    return JobRow.id.in_(union_all(*pages))


def _first_page(
    job: type[JobRow],
    query: JobQuery,
    match: ColumnElement[bool],
    join: ColumnElement[bool] | None = None,
) -> Select[tuple[str]]:
    """The ids of the query's first page of the jobs ``match`` finds, as a subquery's rows."""
    page = select(job.id)
    if join is not None:
        page = page.join(HomeownerRow, join)
    found = page.where(match, *_filters(job, query)).order_by(job.id).limit(query.limit)
    return select(found.subquery().c.id)


def _starts_with(
    column: InstrumentedAttribute[str], prefix: str, dialect: str
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # A constant-prefix LIKE uses the text_pattern_ops index under any collation.
        escaped = "".join(_LIKE_ESCAPE + c if c in "%_\\" else c for c in prefix)
        return column.like(escaped + "%", escape=_LIKE_ESCAPE)
    # SQLite compares text bytewise (code point order), so a prefix is a range of the index.
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return func.substr(column, 1, len(prefix)) == prefix
    return and_(column >= prefix, column < prefix[:-1] + chr(last + 1))
