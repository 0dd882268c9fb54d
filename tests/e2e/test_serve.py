"""End-to-end: ``rescind serve`` as a real server process on a port of its own.

On a new SQLite data directory it loads the demo data and prints one demo login per role; on
PostgreSQL it loads no demo data. Either way it answers over HTTP and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from rescind.entrypoints.processes.serve import NO_USERS_YET
from tests.e2e.conftest import TIMEOUT_SECONDS, Rescind, rescind_command

API = "/api/v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    out_path: Path
    err_path: Path

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    @contextmanager
    def login(self, username: str, password: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            login = {"username": username, "password": password}
            answer = client.post(f"{API}/auth/token", json=login)
            assert answer.status_code == 200, answer.text
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client


@contextmanager
def serving(rescind: Rescind, name: str) -> Iterator[Server]:
    """Start ``rescind serve``, wait until it answers, and stop it with SIGTERM afterwards
    (checking that it stopped cleanly)."""
    port = free_port()
    out_path = rescind.data_dir / f"{name}.out"
    err_path = rescind.data_dir / f"{name}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "serve", "--port", str(port)],
            env=rescind.env(),
            cwd=rescind.data_dir,
            stdout=out,
            stderr=err,
        )
    server = Server(process, f"http://127.0.0.1:{port}", out_path, err_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    shown = f"--- stdout\n{server.out}--- stderr\n{server.err}"
    assert code == 0, f"exit {code}\n{shown}"
    assert "Traceback" not in server.err, shown
    assert "Finished server process" in server.err, shown
    assert server.out.rstrip().endswith("rescind serve stopped"), shown


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"rescind serve exited early:\n{server.out}\n{server.err}")
        try:
            if httpx.get(f"{server.base_url}{API}/openapi.json", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"rescind serve did not answer within {TIMEOUT_SECONDS} s:\n{server.err}")


def demo_logins(out: str) -> dict[str, tuple[str, str]]:
    """``role -> (username, password)`` from the printed demo logins."""
    found = re.findall(r"^  (\S+) / (\S+) / (\w+)", out, flags=re.MULTILINE)
    return {role: (username, password) for username, password, role in found}


def test_serve_on_a_new_sqlite_database_loads_the_demo_and_prints_working_logins(
    rescind: Rescind,
) -> None:
    with serving(rescind, "first") as server:
        logins = demo_logins(server.out)
        assert sorted(logins) == sorted(
            [
                "agent",
                "back_office",
                "deal_processing",
                "admin",
                "installer",
                "sales_rep",
                "homeowner",
            ]
        )
        assert "loaded 300 demo jobs" in server.out
        assert f"API docs: {server.base_url}{API}/docs" in server.out
        assert "the worker runs in this process" in server.out
        with server.login(*logins["agent"]) as agent:
            jobs = agent.get(f"{API}/jobs", params={"limit": 5})
            assert jobs.status_code == 200, jobs.text
            assert len(jobs.json()["items"]) == 5
        docs = httpx.get(f"{server.base_url}{API}/docs", timeout=30)
        assert docs.status_code == 200

    # A second start keeps the data and the users: nothing loaded, no new logins.
    with serving(rescind, "second") as again:
        assert "loaded" not in again.out
        assert demo_logins(again.out) == {}
        with again.login(*logins["admin"]) as admin:
            assert len(admin.get(f"{API}/users").json()["items"]) == 7


@pytest.mark.postgres
def test_serve_on_postgresql_creates_no_logins_and_says_how_to_create_the_first_admin(
    postgres_rescind: Rescind,
) -> None:
    postgres_rescind("db", "upgrade")

    with serving(postgres_rescind, "pg") as server:
        assert demo_logins(server.out) == {}
        assert "loaded" not in server.out
        assert NO_USERS_YET in server.err.splitlines()
        # No account with a known password exists for anyone to guess.
        for role in ("admin", "agent", "back_office", "deal_processing"):
            tried = httpx.post(
                f"{server.base_url}{API}/auth/token",
                json={"username": role, "password": f"{role}-demo-pass"},
                timeout=30,
            )
            assert tried.status_code == 401, tried.text

    created = postgres_rescind(
        "users",
        "create",
        "--role",
        "admin",
        "ada.ops",
        "--password-stdin",
        stdin="a long admin passphrase\n",
    )
    assert "created admin ada.ops" in created.out

    with serving(postgres_rescind, "pg-again") as again:
        assert NO_USERS_YET not in again.err
        with again.login("ada.ops", "a long admin passphrase") as admin:
            users = admin.get(f"{API}/users").json()["items"]
            assert [(u["username"], u["role"]) for u in users] == [("ada.ops", "admin")]


def test_serve_refuses_a_bad_rate_limit_storage_in_one_line(rescind: Rescind) -> None:
    rescind.extra_env["RESCIND_RATE_LIMIT_STORAGE"] = "carrier-pigeon://coop"

    result = rescind("serve", "--port", str(free_port()), code=2)

    assert "RESCIND_RATE_LIMIT_STORAGE" in result.error_line


def exchange(server: Server, head: str, chunks: list[bytes]) -> bytes:
    """Send a request's head and then as much of its body as the server takes; its answer."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        try:
            for chunk in chunks:
                s.sendall(chunk)
        except OSError:
            pass  # the server answered and closed the connection before the body ended
        answer = b""
        while block := s.recv(65536):
            answer += block
    return answer


def test_serve_answers_413_to_a_body_over_the_limit_without_reading_it(rescind: Rescind) -> None:
    rescind.extra_env["RESCIND_MAX_BODY_BYTES"] = "4096"
    start = "POST /api/v1/auth/token HTTP/1.1\nHost: x\nContent-Type: application/json\n"
    with serving(rescind, "limits") as server:
        # 100 MB announced and none sent: the answer comes without waiting for the body.
        declared = exchange(server, start + "Content-Length: 100000000\n", [])
        # 1 KiB chunks, and no more of them than it takes to pass the limit (5 KiB): bytes the
        # server has not read when it answers and closes make its kernel reset the connection,
        # and a reset may drop the answer before this side reads it.
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        chunked = exchange(server, start + "Transfer-Encoding: chunked\n", [chunk] * 5)

    for answer in (declared, chunked):
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"application/problem+json" in answer
        assert b"/problems/request_too_large" in answer
        assert b"at most 4096 bytes" in answer
