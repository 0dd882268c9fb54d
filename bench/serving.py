"""Real ``rescind serve`` processes on 127.0.0.1 for a benchmark, and a light HTTP client.

The servers are subprocesses of the installed command, as in production. A server database
gets no logins from ``rescind serve``, so the demo logins are created here first (when the
database has no users); the first server starts alone, the others once it answers. The
client is the standard library's ``http.client`` with one keep-alive connection per thread:
nothing heavier competes with the server for the two cores.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from rescind.adapters.passwords import Argon2Passwords
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.access import Role
from rescind.services.auth import demo_password, ensure_demo_users

START_TIMEOUT_S = 120.0
API = "/api/v1"


def rescind_command() -> list[str]:
    script = Path(sys.executable).with_name("rescind")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "rescind.entrypoints.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


def demo_logins(database_url: str) -> None:
    """One login per role with its demo password, on a database that has no users yet."""
    app = bootstrap(Settings(database_url=database_url))
    try:
        ensure_demo_users(app.ctx, Argon2Passwords())
    finally:
        app.engine.dispose()


@contextlib.contextmanager
def servers(database_url: str, count: int, workdir: Path) -> Iterator[list[Server]]:
    """``count`` servers on ``database_url``; stopped with SIGTERM (then SIGKILL) on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESCIND_")}
    env.update({"RESCIND_DATABASE_URL": database_url, "RESCIND_DATA_DIR": str(workdir)})
    demo_logins(database_url)
    started: list[Server] = []
    logs: list[BinaryIO] = []
    try:
        for i in range(count):
            port = free_port()
            log = (workdir / f"serve-{port}.log").open("wb")
            logs.append(log)
            process = subprocess.Popen(  # noqa: S603 - our own command
                [*rescind_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append(Server(process, port))
            if i == 0:
                wait_ready(started[0])
        for server in started[1:]:
            wait_ready(server)
        yield started
    finally:
        stop(started, logs)


@contextlib.contextmanager
def reference_servers(database_url: str, count: int, workdir: Path) -> Iterator[list[Server]]:
    """``count`` processes of ``bench.reference_cancel`` on ``database_url`` (libpq URL)."""
    started: list[Server] = []
    logs: list[BinaryIO] = []
    try:
        for _ in range(count):
            port = free_port()
            log = (workdir / f"reference-{port}.log").open("wb")
            logs.append(log)
            command = [sys.executable, "-m", "bench.reference_cancel", "--url", database_url]
            process = subprocess.Popen(  # noqa: S603 - our own module
                [*command, "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append(Server(process, port))
        for server in started:
            wait_answering(server)
        yield started
    finally:
        stop(started, logs)


def stop(started: list[Server], logs: list[BinaryIO]) -> None:
    """SIGTERM every server, then wait for each (killed after 30 s), then close its log."""
    for server in started:
        server.process.send_signal(signal.SIGTERM)
    for server in started:
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=30)
    for handle in logs:
        handle.close()


def wait_answering(server: Server) -> None:
    """Until the server answers any HTTP request, or fail."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server on port {server.port} exited early")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {server.port} did not answer in time")


@contextlib.contextmanager
def profiling(started: list[Server], folder: Path | None, *, gil: bool = False) -> Iterator[None]:
    """py-spy samples each server while the block runs (collapsed stacks, one file each).

    ``gil`` samples only the thread holding the GIL: Python's CPU, not threads waiting on
    the database.
    """
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    spies = [
        subprocess.Popen(  # noqa: S603 - py-spy on our own server
            [
                spy,
                "record",
                "--format",
                "raw",
                "--pid",
                str(s.process.pid),
                "--nonblocking",
                *(["--gil"] if gil else []),
                "-o",
                str(folder / f"serve-{s.port}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for s in started
    ]
    try:
        yield
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)
        for process in spies:
            process.wait(timeout=60)


def wait_ready(server: Server) -> None:
    """Until the API answers (401 to an anonymous ``/auth/me``), or fail with the log's tail."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"rescind serve on port {server.port} exited early")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", f"{API}/auth/me")
            if conn.getresponse().status == 401:
                conn.close()
                return
        time.sleep(0.2)
    raise RuntimeError(f"rescind serve on port {server.port} did not answer in time")


class Client:
    """One keep-alive connection; ``call`` returns (status, parsed JSON or None, seconds)."""

    def __init__(self, port: int, token: str = "") -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(
        self,
        method: str,
        path: str,
        body: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, float]:
        sent = dict(self._headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        started = time.perf_counter()
        self._conn.request(method, path, body=payload, headers=sent)
        response = self._conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        kind = response.getheader("Content-Type", "")
        parsed = json.loads(data) if data and "json" in kind else None
        return response.status, parsed, elapsed

    def close(self) -> None:
        self._conn.close()


def login(port: int, role: Role = Role.AGENT) -> str:
    """A bearer token for the demo login of ``role`` (``servers`` creates them)."""
    username, password = role.value, demo_password(role)
    client = Client(port)
    status, body, _ = client.call(
        "POST", f"{API}/auth/token", {"username": username, "password": password}
    )
    client.close()
    if status != 200:
        raise RuntimeError(f"login as {username} failed: {status} {body}")
    token: str = body["access_token"]
    return token
