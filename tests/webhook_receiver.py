"""A real HTTP server receiving webhooks, verifying each with the ``standardwebhooks`` library.

What a receiver at Engine or Salesforce would do: read the body and the three headers, and
accept the delivery only if one of its secrets verifies the signature. The test tells it how to
answer (a queue of status codes, then 204) and how long to take.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified_by: tuple[int, ...]  # indexes of the receiver's secrets that verified it
    answered: int

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secrets: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to answer first, in order
    delay: float = 0.0  # seconds before answering
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        verified = []
        for n, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(n)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            answer = self.answers.pop(0) if self.answers else (204 if verified else 401)
            self.received.append(
                Received(headers.get("webhook-id", ""), headers, body, tuple(verified), answer)
            )
        return answer


@contextmanager
def webhook_receiver(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver.handle(headers, body)
            self.send_response(answer)
            if answer in (301, 302, 307, 308):
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: pytest shows what the test asserts

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
