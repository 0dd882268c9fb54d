"""Schemathesis at scale against the real app, on SQLite and on PostgreSQL.

    python -m fuzz.api [--db sqlite|postgres|both] [--requests N] [--roles agent,admin,...]

``--requests`` (default ``FUZZ_REQUESTS``, else 6000) is the least number of requests each
database gets. About three quarters go to every operation in both generation modes (valid and
invalid), each case sent as each role; the rest to stateful chains (links schemathesis infers
from the schema), topped up until the count is reached. The run, its checks (no 5xx, status,
content type and body as documented, problem+json on every error) and its known ids are the
suite's (``tests/api/schemathesis_run.py``); only the scale and the databases differ here.

Then, unless ``--cli-examples 0``, the stock ``schemathesis run --checks all`` against a live
``rescind serve`` (SQLite with its demo data), once per role, ``--cli-examples`` cases per
operation and phase (``tests/api/schemathesis_cli.py``): the contract as an integrator's
unmodified tool reads it.

Exits 1 if any check failed, fewer requests than asked were sent, or a CLI run failed (or saw
only 401 on an operation: its token died).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.migrate import upgrade
from rescind.domain.access import Role
from tests.api.conftest import build_api
from tests.api.schemathesis_cli import CliRun, run_roles
from tests.api.schemathesis_run import Outcome, run_operations, run_stateful
from tests.pg import postgres_schema

DEFAULT_ROLES = "agent,admin,deal_processing,installer,homeowner"
OPERATIONS_SHARE = 0.75
STATEFUL_STEPS = 10
MAX_TOP_UPS = 20  # stateful rounds before giving up on reaching the count


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    """A migrated, empty database of this run's own: a temporary SQLite file or a schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rescind-fuzz-api-") as folder:
            url = f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
            upgrade(url)
            engine = make_engine(url)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    with postgres_schema(f"fuzz_api_{os.getpid()}") as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def fuzz(kind: str, requests: int, roles: Sequence[Role]) -> Outcome:
    with database(kind) as engine:
        api = build_api(engine)
        operations = _operation_count(api.app.openapi())
        examples = max(1, math.ceil(requests * OPERATIONS_SHARE / (operations * 2 * len(roles))))
        total = run_operations(api, roles=roles, examples=examples)
        print(total.summary(f"{kind}: operations ({examples} cases each)"), flush=True)
        for _ in range(MAX_TOP_UPS):
            missing = requests - total.requests
            if missing <= 0:
                break
            # A chain averages about half its steps before it ends or meets a dead end.
            scenarios = max(1, math.ceil(missing / (STATEFUL_STEPS / 2 * len(roles))))
            chains = run_stateful(api, roles=roles, scenarios=scenarios, steps=STATEFUL_STEPS)
            print(chains.summary(f"{kind}: stateful ({scenarios} chains each)"), flush=True)
            total = _sum(total, chains)
        return total


def _operation_count(spec: dict[str, Any]) -> int:
    return sum(len(item) for item in spec["paths"].values())


def _sum(a: Outcome, b: Outcome) -> Outcome:
    return Outcome(
        sent=a.sent + b.sent,
        statuses=a.statuses + b.statuses,
        failures=a.failures + b.failures,
        failing=a.failing + b.failing,
        restarts=a.restarts + b.restarts,
        seconds=a.seconds + b.seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.api", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--requests", type=int, default=int(os.environ.get("FUZZ_REQUESTS", "6000"))
    )
    parser.add_argument("--roles", default=os.environ.get("FUZZ_ROLES", DEFAULT_ROLES))
    parser.add_argument(
        "--cli-examples", type=int, default=int(os.environ.get("FUZZ_CLI_EXAMPLES", "20"))
    )
    args = parser.parse_args(argv)
    roles = [Role(name.strip()) for name in args.roles.split(",") if name.strip()]
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)

    results = {kind: fuzz(kind, args.requests, roles) for kind in kinds}
    cli = cli_runs(roles, args.cli_examples) if args.cli_examples > 0 else []

    print(
        f"\n{'database':<10} {'requests':>9} {'failing':>8} {'distinct':>9} {'restarts':>9}"
        f" {'seconds':>8}  answers by status"
    )
    for kind, outcome in results.items():
        statuses = dict(sorted(outcome.statuses.items()))
        print(
            f"{kind:<10} {outcome.requests:>9} {outcome.failing:>8} {len(outcome.failures):>9} "
            f"{outcome.restarts:>9} {outcome.seconds:>8.1f}  {statuses}"
        )
    failed = False
    for kind, outcome in results.items():
        for failure in outcome.failures:
            print(f"\n--- {kind}: {failure}")
        short = outcome.requests < args.requests
        if short:
            print(f"\n{kind}: only {outcome.requests} of {args.requests} requests were sent")
        failed = failed or bool(outcome.failures) or short
    if cli:
        print("\nstock schemathesis CLI (--checks all, live server on SQLite):")
    for run in cli:
        print(f"  {run.summary()}")
    for run in cli:
        if not run.passed:
            print(f"\n--- CLI as {run.role.value}: {' '.join(run.command)}\n{run.report()}")
            failed = True
    return 1 if failed else 0


def cli_runs(roles: Sequence[Role], examples: int) -> list[CliRun]:
    with tempfile.TemporaryDirectory(prefix="rescind-fuzz-cli-") as folder:
        return run_roles(Path(folder), roles, ["--max-examples", str(examples)])


if __name__ == "__main__":
    sys.exit(main())
