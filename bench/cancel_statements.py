"""SQL statements and transactions per cancel over HTTP, counted on PostgreSQL.

Benchmark 1 found the servers CPU-bound in the ORM: each statement a cancel issues is Python
work (compile, bind, flush bookkeeping) on the two shared cores. This counts them on a few
cancels through the real app (in-process, same routes, auth and Idempotency-Key as the
benchmark), so a change to the cancel path can say how many it saved. ``--echo`` prints the
statements of one cancel.

    .venv/bin/python -m bench.cancel_statements            # a table, a few seconds
    .venv/bin/python -m bench.cancel_statements --echo     # and the SQL of one cancel
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from bench.dataset import load
from bench.postgres import DEFAULT_SERVER, create_database, drop_database
from bench.report import table
from bench.serving import API
from rescind.adapters.passwords import Argon2Passwords
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.access import Role
from rescind.entrypoints.site import create_app
from rescind.services.auth import demo_password, ensure_demo_users

_VERB = re.compile(r"^\s*(\w+)(?:\s+INTO|\s+FROM)?\s+\"?(\w+)?", re.IGNORECASE)


def _label(statement: str) -> str:
    """``INSERT audit_event``, ``SELECT job``, … : the verb and the first table named."""
    if statement.lstrip().upper().startswith("SELECT"):
        found = re.search(r"\bFROM\s+\"?(\w+)", statement, re.IGNORECASE)
        return f"SELECT {found.group(1) if found else '?'}"
    found = _VERB.match(statement)
    if not found:
        return statement.split()[0]
    verb, name = found.group(1).upper(), found.group(2) or ""
    return f"{verb} {name}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server")
    parser.add_argument("--database", default="rescind_bench_statements")
    parser.add_argument("--cancels", type=int, default=20)
    parser.add_argument("--echo", action="store_true", help="print one cancel's SQL")
    args = parser.parse_args(argv)
    url = create_database(args.url, args.database)
    try:
        loaded = load(url, jobs=args.cancels, events=args.cancels * 5, cancellable=True)
        app = bootstrap(Settings(database_url=url))
        passwords = Argon2Passwords()
        ensure_demo_users(app.ctx, passwords)
        statements: list[str] = []
        transactions = [0]

        def on_execute(*parts: Any) -> None:
            statements.append(str(parts[2]))

        def on_begin(*_: Any) -> None:
            transactions[0] += 1

        event.listen(app.engine, "before_cursor_execute", on_execute)
        event.listen(app.engine, "begin", on_begin)
        client = TestClient(create_app(app.ctx, passwords, probe=app.probe))
        answer = client.post(
            f"{API}/auth/token",
            json={"username": Role.AGENT.value, "password": demo_password(Role.AGENT)},
        )
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        counts: list[int] = []
        begins: list[int] = []
        seconds: list[float] = []
        cpu: list[float] = []
        kinds: Counter[str] = Counter()
        for index, request_id in enumerate(loaded.cancellable):
            statements.clear()
            transactions[0] = 0
            started, used = time.perf_counter(), time.process_time()
            answer = client.post(
                f"{API}/requests/{request_id}/cancel",
                json={},
                headers=headers | {"If-Match": '"0"', "Idempotency-Key": f"count-{request_id}"},
            )
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)  # app and client: one process, all Python
            if answer.status_code != 200 or answer.json().get("already_pending") is not False:
                print(f"FAILED {request_id}: {answer.status_code} {answer.text}")
                return 1
            counts.append(len(statements))
            begins.append(transactions[0])
            if index > 0:  # the first warms the process's caches
                kinds.update(_label(s) for s in statements)
            if args.echo and index == 1:
                for statement in statements:
                    print(" ".join(statement.split())[:160])
        app.engine.dispose()
    finally:
        drop_database(args.url, args.database)
    measured = len(counts) - 1
    table(
        "SQL per cancel over HTTP (PostgreSQL, in-process app, first cancel left out)",
        ["statement", "per cancel"],
        [[k, f"{v / measured:.1f}"] for k, v in sorted(kinds.items())]
        + [
            ["all statements", f"{statistics.mean(counts[1:]):.1f}"],
            ["transactions", f"{statistics.mean(begins[1:]):.1f}"],
            ["median ms in-process", f"{statistics.median(seconds[1:]) * 1000:.1f}"],
            ["mean CPU ms in-process", f"{statistics.mean(cpu[1:]) * 1000:.1f}"],
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
