"""A value PostgreSQL cannot store leaves the unit of work as ``InvalidInput``, not a 500.

The API refuses NUL at its edge; this is the net under what the edge does not see (a console
form, a CLI argument, a value some later field forgets to check), on reads and at commit.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rescind.adapters.db.engine import make_session_factory
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.domain.access import EVERY_JOB
from rescind.domain.errors import InvalidInput
from rescind.domain.feed import FeedComment
from tests.integration.conftest import utc

pytestmark = pytest.mark.postgres


def test_a_nul_in_a_query_is_invalid_input(postgres_engine: Engine) -> None:
    uow = SqlUnitOfWork(make_session_factory(postgres_engine))

    with pytest.raises(InvalidInput, match="cannot be stored"), uow:
        uow.users.by_username("agent\x00")


def test_a_nul_in_a_written_row_is_invalid_input_at_commit_and_nothing_is_written(
    postgres_engine: Engine,
) -> None:
    sessions = make_session_factory(postgres_engine)
    comment = FeedComment(
        id="FC-nul",
        homeowner_id="ho-nul",
        job_id=None,
        author="agent:a",
        body="a\x00b",
        created_at=utc(2026, 11, 23),
    )

    with SqlUnitOfWork(sessions) as uow:
        uow.feed.add(comment)
        with pytest.raises(InvalidInput, match="cannot be stored"):
            uow.commit()

    with SqlUnitOfWork(sessions) as uow:
        assert uow.feed.for_homeowner("ho-nul", EVERY_JOB) == []
