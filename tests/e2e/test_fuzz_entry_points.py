"""``make fuzz``'s entry points, run small so they do not rot between the large runs.

The large runs themselves (thousands of requests, minutes of atheris) are ``make fuzz``; here
each entry point runs for a few seconds and must report what it did and find nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import api
from fuzz.filing import open_filing
from fuzz.mime_shapes import SHAPES

ROOT = Path(__file__).resolve().parents[2]


def test_every_seed_shape_is_filed_or_triaged_and_kept_on_sqlite() -> None:
    filing = open_filing("sqlite")
    try:
        for data in SHAPES.values():
            filing.check(data)
    finally:
        filing.close()

    assert filing.executions == len(SHAPES)
    # The corpus starts the fuzzer on both sides of the filing decision, not only on refusals.
    assert filing.outcomes["filed"] >= 3
    assert filing.outcomes["triage"] >= 3
    assert filing.outcomes["malformed"] >= 1


def test_the_email_fuzzer_stops_after_the_runs_asked_across_a_restart_and_says_how_many(
    tmp_path: Path,
) -> None:
    pytest.importorskip("atheris", reason="atheris has wheels for x86-64 Linux only")
    # A memory budget of 1 MB makes it replace itself at its 100th execution, as long runs do.
    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        [sys.executable, "-m", "fuzz.email_parser", "--runs", "150", "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "FUZZ_RSS_MB": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "email fuzzer: 100 executions, a fresh process" in done.stdout
    assert "email fuzzer (sqlite): 150 executions in" in done.stdout
    assert "1 restarts" in done.stdout
    assert len(list((tmp_path / "email-corpus").iterdir())) >= len(SHAPES)
    assert not list(tmp_path.glob("crash-*"))


def test_the_api_fuzzer_sends_at_least_the_requests_asked_and_finds_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = api.main(
        ["--db", "sqlite", "--requests", "60", "--roles", "agent", "--cli-examples", "0"]
    )

    table = capsys.readouterr().out
    assert code == 0, table
    row = next(line.split() for line in table.splitlines() if line.startswith("sqlite "))
    assert int(row[1]) >= 60
    assert row[2:4] == ["0", "0"]
