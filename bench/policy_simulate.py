"""Benchmark: a policy what-if (``simulate_policy``) over a million live jobs on PostgreSQL.

Loads ``--jobs`` jobs with ``bench.dataset`` into its own database ``rescind_whatif_bench``,
times the simulation of a draft that stops M1A (best of ``--runs``), and drops the database.

    make bench-simulate
    .venv/bin/python -m bench.policy_simulate --jobs 10000    # a few seconds, proves it works
"""

from __future__ import annotations

import argparse
import time

from bench.dataset import load
from bench.postgres import DEFAULT_SERVER, create_database, drop_database
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.access import Actor
from rescind.services.policy_simulation import simulate_policy

NAME = "rescind_whatif_bench"


def m1a_stops() -> dict[str, object]:
    document = load_policy_document(default_policy_path())
    rules = document["rules"]
    assert isinstance(rules, list)
    rules[2].update(eligible=False, action="stop", guidance="No longer cancellable at M1A.")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    args = parser.parse_args(argv)
    url = create_database(args.server, NAME)
    try:
        upgrade(url)
        loaded = load(url, jobs=args.jobs, events=0)
        print(f"loaded {loaded.jobs} jobs in {loaded.seconds:.0f} s")
        app = bootstrap(Settings(database_url=url))
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = simulate_policy(app.ctx, m1a_stops(), actor=Actor.system("bench"))
            times.append(time.perf_counter() - started)
        app.engine.dispose()
        print(
            f"simulate over {result.live_jobs} live jobs: {result.jobs_flipped} flip, "
            f"{result.open_requests_affected} open requests; best {min(times):.2f} s, "
            f"worst {max(times):.2f} s of {args.runs}"
        )
    finally:
        drop_database(args.server, NAME)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
