"""How many transactions one console page opens, and how often it loads a job.

``count_reads`` patches the SQL unit of work and the job repository for one request and
counts every unit of work entered (a transaction) and every ``jobs.get``. Every console page
first checks its session in a transaction of its own (``authenticate``); ``PageReads.page``
is what the page itself opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from rescind.adapters.db.repositories.jobs import SqlJobRepository
from rescind.adapters.db.unit_of_work import SqlUnitOfWork

SESSION_CHECK = 1  # the session cookie's check, before the page's own reads


@dataclass
class PageReads:
    transactions: int = 0
    job_loads: int = 0

    @property
    def page(self) -> int:
        """The transactions the page opened, beyond the session check."""
        return self.transactions - SESSION_CHECK


@contextmanager
def count_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[PageReads]:
    reads = PageReads()
    enter = SqlUnitOfWork.__enter__
    get = SqlJobRepository.get

    def counted_enter(self: SqlUnitOfWork) -> SqlUnitOfWork:
        reads.transactions += 1
        return enter(self)

    def counted_get(self: SqlJobRepository, job_id: str) -> Any:
        reads.job_loads += 1
        return get(self, job_id)

    with monkeypatch.context() as patch:
        patch.setattr(SqlUnitOfWork, "__enter__", counted_enter)
        patch.setattr(SqlJobRepository, "get", counted_get)
        yield reads
