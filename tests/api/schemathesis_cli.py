"""The stock ``schemathesis run --checks all`` against a live ``rescind serve``, as each role.

What an integrator would run, unchanged: the CLI reads the server's OpenAPI over HTTP and runs
every phase (examples, coverage, fuzzing, stateful) with every check it has. The harness only
starts the server (SQLite in a folder of its own, so the demo data and demo logins load) and
loads ``tests/api/schemathesis_hooks.py`` into the CLI, which keeps one role's token alive for
the whole run. Each role is a run of its own; a run passes when the CLI exits 0 (no failure)
and no operation saw only 401 while the role's token was sent (the token died, so nothing
after it was tested). Used by ``tests/api/test_api_schemathesis_cli.py`` (short) and
``python -m fuzz.api`` (long).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rescind.domain.access import Role

REPOSITORY = Path(__file__).resolve().parents[2]
OPENAPI = "/api/v1/openapi.json"
START_TIMEOUT = 120.0


@dataclass
class CliRun:
    """One CLI run as one role: its exit status, its report and every answer it got."""

    role: Role
    command: list[str]
    returncode: int
    output: str
    seconds: float
    # (operation, status, whether the role's token was sent) per answer, from the hooks
    answers: list[tuple[str, int, bool]] = field(default_factory=list)

    @property
    def generated(self) -> int:
        found = re.search(r"(\d+) generated", self.output)
        return int(found.group(1)) if found else 0

    @property
    def failures(self) -> int:
        found = re.search(r"(\d+) unique failures?", self.output)
        return int(found.group(1)) if found else 0

    def dead_token_operations(self) -> list[str]:
        """Operations whose every answer to the role's token was 401: never really tested."""
        statuses: dict[str, set[int]] = defaultdict(set)
        for operation, status, ours in self.answers:
            if ours:
                statuses[operation].add(status)
        return sorted(op for op, seen in statuses.items() if seen == {401})

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.dead_token_operations()

    def report(self) -> str:
        """The CLI's own failure report and summary (its progress lines left out)."""
        start = self.output.find("=" * 10)
        return self.output[start:] if start >= 0 else self.output[-4000:]

    def summary(self) -> str:
        statuses = Counter(status for _, status, _ in self.answers)
        return (
            f"{self.role.value}: exit {self.returncode}, {self.generated} cases generated, "
            f"{self.failures} failures, {len(self.answers)} answers in {self.seconds:.0f} s, "
            f"{len(self.dead_token_operations())} operations with a dead token; "
            f"by status {dict(sorted(statuses.items()))}"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESCIND_")}
    return env | {"RESCIND_DATA_DIR": str(data_dir), "NO_COLOR": "1", "COLUMNS": "200"}


@contextmanager
def live_server(data_dir: Path) -> Iterator[str]:
    """``rescind serve`` on a new SQLite database in ``data_dir``; yields its base URL."""
    port = free_port()
    script = Path(sys.executable).with_name("rescind")
    command = (
        [str(script)] if script.is_file() else [sys.executable, "-m", "rescind.entrypoints.cli"]
    )
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*command, "serve", "--port", str(port)],
            env=_environment(data_dir),
            cwd=data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"rescind serve exited early:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}{OPENAPI}", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"rescind serve did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cli(base_url: str, data_dir: Path, role: Role, args: Sequence[str] = ()) -> CliRun:
    """The stock CLI with ``--checks all`` as ``role``; ``args`` add to it (e.g. sizes)."""
    answers_file = data_dir / f"answers-{role.value}.tsv"
    answers_file.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base_url}{OPENAPI}",
        "--checks",
        "all",
        "--no-color",
        *args,
    ]
    env = _environment(data_dir) | {
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "RESCIND_FUZZ_ROLE": role.value,
        "RESCIND_FUZZ_ANSWERS": str(answers_file),
    }
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own command with our own arguments
        command, env=env, cwd=REPOSITORY, capture_output=True, text=True, check=False
    )
    run = CliRun(
        role=role,
        command=command,
        returncode=done.returncode,
        output=done.stdout + done.stderr,
        seconds=time.monotonic() - started,
    )
    if answers_file.exists():
        for line in answers_file.read_text(encoding="utf-8").splitlines():
            _, operation, status, ours = line.split("\t")
            run.answers.append((operation, int(status), ours == "1"))
    return run


def run_roles(data_dir: Path, roles: Sequence[Role], args: Sequence[str] = ()) -> list[CliRun]:
    """One live server, one CLI run per role against it, in turn."""
    with live_server(data_dir) as base_url:
        return [run_cli(base_url, data_dir, role, args) for role in roles]
