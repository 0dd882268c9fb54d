"""``rescind policy simulate FILE.yaml``: what a draft policy would change; nothing is written."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rescind.adapters.policy_file import load_policy_document
from rescind.domain.access import Actor
from rescind.entrypoints.cli.wiring import application
from rescind.services.policy_simulation import Simulation, simulate_policy

out = Console(highlight=False, soft_wrap=True)


def _yes_no(eligible: bool) -> str:
    return "eligible" if eligible else "not eligible"


def print_simulation(console: Console, result: Simulation) -> None:
    console.print(
        f"draft (would be v{result.draft.version}) against v{result.current.version}: "
        f"{result.jobs_flipped} of {result.live_jobs} live jobs change decision, "
        f"{result.open_requests_affected} open requests affected"
    )
    if not result.flips:
        return
    grid = Table("from rule", "to rule", "jobs", "open requests", "sample jobs")
    for flip in result.flips:
        grid.add_row(
            f"{flip.from_rule} ({_yes_no(flip.from_eligible)})",
            f"{flip.to_rule} ({_yes_no(flip.to_eligible)})",
            str(flip.jobs),
            str(flip.open_requests),
            ", ".join(flip.sample_job_ids),
        )
    console.print(grid)


def policy_simulate(
    file: Annotated[Path, typer.Argument(help="The draft policy, YAML as the policy file.")],
    against: Annotated[
        int | None, typer.Option(help="Compare with this version; default: in force now.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """What a draft policy would change over the live jobs, before publishing it."""
    document = load_policy_document(file)
    result = simulate_policy(
        application().ctx, document, actor=Actor.system("cli"), against_version=against
    )
    if as_json:
        summary = {
            "current_version": result.current.version,
            "draft_version": result.draft.version,
            "live_jobs": result.live_jobs,
            "jobs_flipped": result.jobs_flipped,
            "open_requests_affected": result.open_requests_affected,
            "flips": [asdict(f) for f in result.flips],
        }
        out.print(json.dumps(summary, indent=2), markup=False)
    else:
        print_simulation(out, result)
