"""What every CLI command stands on: the settings, read once per run, and the database.

The Typer callbacks call ``prepare`` once, before a command that uses the database (SQLite
migrated, the policy seeded: ``bootstrap.prepare_database``); the commands that must not touch
a database (``db upgrade``, ``db check``, ``audit keygen``) skip it. Commands then ``connect``.
"""

from __future__ import annotations

from functools import cache

from rescind.bootstrap import App, connect, prepare_database, read_settings
from rescind.config import Settings


@cache
def settings() -> Settings:
    return read_settings()


def prepare() -> None:
    prepare_database(settings())


@cache
def application() -> App:
    """The engine and services on the prepared database (one per run)."""
    return connect(settings())
