"""One way for every test folder to get a schema of its own on the real PostgreSQL server.

A schema per test process (and per use, where a test needs a fresh one) keeps pytest-xdist
workers and folders apart; the server being down fails loudly unless RESCIND_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def base_url() -> str:
    return os.environ.get("RESCIND_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def postgres_schema(name: str) -> Iterator[str]:
    """A new empty schema ``name``; yields a URL whose connections see only it; drops it after."""
    if os.environ.get("RESCIND_SKIP_POSTGRES") == "1":
        pytest.skip("RESCIND_SKIP_POSTGRES=1")
    url = base_url()
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL at {shown} is unreachable ({exc.orig}); start it, point "
            "RESCIND_TEST_POSTGRES_URL at one, or set RESCIND_SKIP_POSTGRES=1 to skip",
            pytrace=False,
        )
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
