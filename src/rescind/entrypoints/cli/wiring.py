"""What every CLI command stands on: the settings, read once per run, and the database.

The Typer callback calls ``prepare`` once, before a command that uses the database (SQLite
migrated, the policy seeded: ``bootstrap.prepare_database``); the commands that must not touch
a database (``db upgrade``, ``db check``, ``audit keygen``) and ``--help`` skip it. Commands
then take the ``application``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import typer
from typer.core import TyperGroup

from rescind.bootstrap import App, connect, prepare_database, read_settings
from rescind.config import Settings

NO_DATABASE = frozenset({("db", "upgrade"), ("db", "check"), ("audit", "keygen")})
_ARGS = "rescind.args"


class CommandLine(TyperGroup):
    """The root group, keeping the whole command line where the callback can read it (Click
    runs the callback before it parses the subcommand's part)."""

    # Every context Typer makes is a ``typer.Context`` (its vendored Click's, underneath).
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)


def needs_database(context: typer.Context) -> bool:
    """Whether the command about to run uses the database (a group shown for want of a
    command, and any ``--help``, do not)."""
    args: Sequence[str] = context.meta.get(_ARGS, [])
    if "--help" in args or tuple(args[:2]) in NO_DATABASE:
        return False
    name = context.invoked_subcommand
    group = context.command
    sub = group.get_command(context, name) if name and isinstance(group, TyperGroup) else None
    return not (isinstance(sub, TyperGroup) and len(args) < 2)


@cache
def settings() -> Settings:
    return read_settings()


def prepare() -> None:
    prepare_database(settings())


@cache
def application() -> App:
    """The engine and services on the prepared database (one per run)."""
    return connect(settings())
