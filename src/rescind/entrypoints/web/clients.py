"""Who is asking, for the per-client throttles of every web door."""

from __future__ import annotations

from fastapi import Request


def client_key(request: Request) -> str:
    """The client, for per-client throttles: the peer address (a proxy should set it)."""
    return request.client.host if request.client else "unknown"
