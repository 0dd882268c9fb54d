"""Alembic environment for rescind: one schema, the same migrations on SQLite and PostgreSQL.

Where the database comes from, first match wins:
1. ``config.attributes["connection"]`` — code that already holds a connection (tests, the
   app at start-up) runs migrations inside it;
2. the ``sqlalchemy.url`` option, which ``rescind.adapters.db.migrate`` sets;
3. the ``RESCIND_DATABASE_URL`` environment variable, else ``sqlite:///var/rescind.sqlite3``
   (the embedded default, relative to the working directory).

``render_as_batch`` lets SQLite, which cannot ALTER most things, take the same migrations.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.tables import Base
from rescind.adapters.db.types import UTCDateTime

DEFAULT_URL = "sqlite:///var/rescind.sqlite3"

config = context.config
# Code calling Alembic (``migrate.py``) keeps its own logging; the command line gets ours.
if config.config_file_name is not None and not config.attributes.get("embedded", False):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("RESCIND_DATABASE_URL")
        or DEFAULT_URL
    )


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy types they stand on, so a migration
    never imports application code that may change after it was written."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_with(given)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            run_with(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
