"""``rescind serve --port`` (and ``make run PORT=…``): a port already taken is one line."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Rescind


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_taken_port_says_so_in_one_line_and_exits_non_zero(
    rescind: Rescind, taken_port: int
) -> None:
    result = rescind("serve", "--port", str(taken_port), code=1)

    line = result.error_line
    assert f"port {taken_port} on 127.0.0.1 is already in use" in line
    assert "make run PORT=" in line
    # Refused before anything else: no demo data was loaded, nothing was printed.
    assert result.out == ""
