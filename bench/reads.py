"""Benchmark 4: reads at scale — job search, the job page and the queues, over HTTP.

What it measures: with 1 M jobs and 10 M audit events (``bench.dataset`` into its own database
``rescind_bench_reads``), the latency (p50/p95/p99) of what support people read all day, through a
real ``rescind serve`` on PostgreSQL: job search by id, by name prefix, by email and by phone
prefix (API and console), the job itself, its audit trail and the console's job page, and the
queues — open requests, Back Office and Deal Processing in the API, and every console queue
tab. Goal: p95 < 100 ms each. And the insights (issue 14): the console page and the API for
this quarter and the last 4 weeks, goal p95 < 300 ms; the loaded trail is counted into
``insight_day`` first (``rebuild``, as after the migration on a live database).
Requests go one at a time (a person clicking, not a load test),
interleaved across the pages so that a noisy moment on the shared machine spreads over all
of them; every answer must be 200 (303 for a console search that finds the one job by id).

The load takes minutes, so ``--reuse`` keeps the database between runs (it is loaded again only
when missing or smaller than ``--jobs``); without it the database is dropped at the end.

    make bench-reads
    .venv/bin/python -m bench.reads --jobs 1000000 --events 10000000 --reuse
    .venv/bin/python -m bench.reads --quick    # a few seconds, proves it works
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy import text

from bench.dataset import load
from bench.postgres import DEFAULT_SERVER, conninfo, create_database, database_url, drop_database
from bench.postgres import exists as database_exists
from bench.report import machine, ms, percentile, table
from bench.serving import API, Client, login, servers
from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.db.repositories.insights import rebuild
from rescind.config import Settings

GOAL_P95_S = 0.100
INSIGHTS_GOAL_P95_S = 0.300
WARM_UP = 3


@dataclass(frozen=True)
class Sample:
    """One job to read, with what a person would type to find it."""

    job_id: str
    name: str
    email: str
    phone: str


@dataclass
class Page:
    name: str
    path: Callable[[Sample], str]
    console: bool = False
    ok: tuple[int, ...] = (200,)
    goal: float = GOAL_P95_S
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def name_prefix(s: Sample) -> str:
    """The first name and two letters of the last: thousands of matches in a million jobs."""
    first, last = s.name.split(" ", 1)
    return f"{first} {last[:2]}"


def phone_prefix(s: Sample) -> str:
    return s.phone[:10]  # "+1-973-679": the area code and exchange


def surname_prefix(s: Sample) -> str:
    return s.name.split(" ")[-1][:4]


def email_start(s: Sample) -> str:
    return s.email.split("@")[0]


def phone_as_said(s: Sample) -> str:
    """ "(973) 679-1234", as a person reads it off a screen (stored as E.164)."""
    digits = "".join(c for c in s.phone if c.isdigit()).removeprefix("1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def job_number(s: Sample) -> str:
    return str(int(s.job_id.removeprefix("JOB-")))  # "JOB-0001234" typed as "1234"


def fixed(path: str) -> Callable[[Sample], str]:
    return lambda _: path


def pages() -> list[Page]:
    def q(text: Callable[[Sample], str], base: str = f"{API}/jobs?q=") -> Callable[[Sample], str]:
        return lambda s: base + quote(text(s))

    console_search = "/console/jobs?q="
    by_installer = "installer_id=INST-BRIGHT&milestone=M2"
    filtered = "status=active&milestone=M1&partner_program=none&after=JOB-0500000"
    return [
        Page("API search: job id", q(lambda s: s.job_id)),
        Page("API search: name prefix", q(name_prefix)),
        Page("API search: email", q(lambda s: s.email)),
        Page("API search: phone prefix", q(phone_prefix)),
        Page("console search: job id", q(lambda s: s.job_id, console_search), True, (303,)),
        Page("console search: name prefix", q(name_prefix, console_search), True),
        Page("console search: email", q(lambda s: s.email, console_search), True, (200, 303)),
        Page("console search: phone prefix", q(phone_prefix, console_search), True, (200, 303)),
        Page("API search: surname prefix", q(surname_prefix)),
        Page("API search: email start", q(email_start)),
        Page("API search: phone as said", q(phone_as_said)),
        Page("console search: job number", q(job_number, console_search), True, (200, 303)),
        Page("console search: surname", q(surname_prefix, console_search), True, (200, 303)),
        Page("API list: installer + milestone", fixed(f"{API}/jobs?{by_installer}")),
        Page("console list: filters, a page on", fixed(f"/console/jobs?{filtered}"), True),
        Page("API job", lambda s: f"{API}/jobs/{s.job_id}"),
        Page("API job audit trail", lambda s: f"{API}/jobs/{s.job_id}/audit"),
        Page("API job requests", lambda s: f"{API}/jobs/{s.job_id}/requests"),
        Page("API job emails", lambda s: f"{API}/jobs/{s.job_id}/emails"),
        Page("console job page", lambda s: f"/console/jobs/{s.job_id}", True),
        Page("API open requests", fixed(f"{API}/requests")),
        Page("API queue: back_office", fixed(f"{API}/queues/back_office")),
        Page("API queue: deal_processing", fixed(f"{API}/queues/deal_processing")),
        *(
            Page(f"console queue: {tab}", fixed(f"/console/queues/{tab}"), True)
            for tab in (
                "requests", "pending", "back-office", "deal-processing", "triage", "failed-emails",
            )
        ),
        *(
            Page(name, fixed(path), console, goal=INSIGHTS_GOAL_P95_S)
            for name, path, console in (
                ("console insights: this quarter", "/console/insights?period=quarter", True),
                ("console insights: last 4 weeks", "/console/insights?period=4weeks", True),
                ("API insights: this quarter", f"{API}/insights?period=quarter", False),
            )
        ),
    ]  # fmt: skip


def samples(url: str, count: int, seed: int = 11) -> list[Sample]:
    """Random jobs (uniform over the table), a quarter of them with an open request or case."""
    rng = random.Random(seed)
    with psycopg.connect(conninfo(url)) as conn:
        total = conn.execute("SELECT count(*) FROM job").fetchone()
        busy = conn.execute(
            "SELECT job_id FROM cancellation_request ORDER BY job_id LIMIT %s", [count]
        ).fetchall()
        picked = {
            f"JOB-{rng.randrange(1, (total[0] if total else 0) + 1):07d}" for _ in range(count)
        }
        picked |= {row[0] for row in rng.sample(busy, min(len(busy), count // 4))}
        rows = conn.execute(
            "SELECT j.id, h.name, h.email, h.phone FROM job j JOIN homeowner h "
            "ON h.id = j.homeowner_id WHERE j.id = ANY(%s)",
            [sorted(picked)],
        ).fetchall()
    found = [Sample(*row) for row in rows]
    rng.shuffle(found)
    return found


def measure(port: int, token: str, found: list[Sample], measured: list[Page]) -> None:
    api = Client(port, token)
    console = Client(port)
    cookie = {"Cookie": f"rescind_session={token}"}
    try:
        for i, sample in enumerate(found):
            for page in measured:
                path = page.path(sample)
                client, headers = (console, cookie) if page.console else (api, {})
                status, _, seconds = client.call("GET", path, headers=headers)
                if status not in page.ok:
                    page.failures.append(f"{path}: {status}")
                elif i >= WARM_UP:
                    page.latencies.append(seconds)
    finally:
        api.close()
        console.close()


def prepare(args: argparse.Namespace) -> str:
    url = database_url(args.url, args.database)
    if args.reuse and database_exists(args.url, args.database):
        with psycopg.connect(conninfo(url)) as conn:
            row = conn.execute("SELECT count(*) FROM job").fetchone()
        if row and row[0] >= args.jobs:
            print(f"reusing {args.database}: {row[0]:,} jobs", flush=True)
            upgrade(url)  # a migration added since the load (an index) applies to it too
            count_insights(url)
            return url
    url = create_database(args.url, args.database)
    print(f"loading {args.jobs:,} jobs and {args.events:,} audit events …", flush=True)
    loaded = load(url, jobs=args.jobs, events=args.events)
    print(f"loaded in {loaded.seconds:.0f} s: " + ", ".join(
        f"{n:,} {t}" for t, n in loaded.counts.items() if n))  # fmt: skip
    count_insights(url)
    return url


def count_insights(url: str) -> None:
    """The trail was loaded by COPY, past the audit log: count it into ``insight_day`` once."""
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT count(*) FROM insight_day").fetchone()
    if row and row[0]:
        return
    began = time.perf_counter()
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            counted = rebuild(session, Settings().tz)
            session.commit()
            session.execute(text("ANALYZE insight_day"))  # as autovacuum soon would
            session.commit()
    finally:
        engine.dispose()
    print(f"counted {counted:,} audit records into insight_day in "
          f"{time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server")
    parser.add_argument("--database", default="rescind_bench_reads")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=100, help="reads of each page")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to prove it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.events, args.samples = 400, 4000, 6
    url = prepare(args)
    measured = pages()
    try:
        found = samples(url, args.samples + WARM_UP)
        with (
            tempfile.TemporaryDirectory(prefix="rescind-bench-") as tmp,
            servers(url, 1, Path(tmp)) as started,
        ):
            token = login(started[0].port)
            began = time.perf_counter()
            measure(started[0].port, token, found, measured)
            seconds = time.perf_counter() - began
    finally:
        if not args.reuse:
            drop_database(args.url, args.database)
    return report(args, measured, len(found), seconds)


def report(args: argparse.Namespace, measured: list[Page], count: int, seconds: float) -> int:
    rows = []
    for page in measured:
        p95 = percentile(page.latencies, 95)
        rows.append([
            page.name, f"{len(page.latencies)}", ms(percentile(page.latencies, 50)), ms(p95),
            ms(percentile(page.latencies, 99)), f"{page.goal * 1000:.0f}",
            "yes" if p95 < page.goal else "NO",
        ])  # fmt: skip
    table(
        f"Reads: {args.jobs:,} jobs, {args.events:,} audit events, one rescind serve, PostgreSQL",
        ["page", "reads", "p50 ms", "p95 ms", "p99 ms", "goal p95 ms", "met?"],
        rows,
    )
    print(f"{count} sampled jobs, {seconds:.0f} s; machine: {machine()}")
    failures = [f for page in measured for f in page.failures]
    for failure in failures[:10]:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
