"""The PostgreSQL server a benchmark runs on: databases of its own, created and migrated.

Benchmarks take the *server's* URL (no database name) and name their own databases, so a run
never touches the database the tests use. Loaders speak psycopg directly (COPY), so the
SQLAlchemy URL is also turned into a libpq connection string.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from rescind.adapters.db.migrate import upgrade

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def database_url(server: str, name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on ``server``."""
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def exists(server: str, name: str) -> bool:
    with psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def create_database(server: str, name: str) -> str:
    """Drop ``name`` if it exists, create it empty and migrate it to head; returns its URL."""
    url = create_empty(server, name)
    upgrade(url)
    return url


def create_empty(server: str, name: str) -> str:
    """Drop ``name`` if it exists and create it with no tables at all; returns its URL."""
    drop_database(server, name)
    with psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
