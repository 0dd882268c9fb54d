"""Where a webhook URL's host resolves, checked against the SSRF guard of ``domain.webhooks``.

Registration checks it, and so does every delivery: a name that resolved to a public address
when it was added may resolve to 127.0.0.1 later (DNS rebinding). A name that does not
resolve now is let through at registration (its DNS may come later) and fails its delivery.
"""

from __future__ import annotations

import socket

from rescind.domain.webhooks import refuse_internal, url_host


def resolve(host: str) -> list[str]:
    """The host's addresses; none when it does not resolve."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


class AddressGuard:
    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    def check(self, url: str) -> None:
        if not self.allow_private:
            refuse_internal(url, resolve(url_host(url)))
