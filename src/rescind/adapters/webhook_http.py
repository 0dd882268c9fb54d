"""POSTing a webhook: the Standard Webhooks headers, signed with ``standardwebhooks``.

``webhook-id`` is the event's id on every attempt, ``webhook-timestamp`` the attempt's
moment, and ``webhook-signature`` one ``v1,…`` signature per live secret, separated by a
space (during a rotation the old secret signs too, so a receiver holding either verifies).
Redirects are not followed: a receiver that moved must be registered again by an admin.
"""

from __future__ import annotations

import json
from datetime import datetime
from math import floor

import httpx
from standardwebhooks.webhooks import Webhook

from rescind.adapters.webhook_address import AddressGuard
from rescind.domain.errors import AddressRefused
from rescind.domain.webhooks import TIMEOUT_SECONDS, DueDelivery
from rescind.services.webhook_delivery import PostFailed

USER_AGENT = "rescind-webhooks/1"


def body_of(delivery: DueDelivery) -> str:
    return json.dumps(delivery.event.payload(), separators=(",", ":"), ensure_ascii=False)


def signed_headers(delivery: DueDelivery, body: str, now: datetime) -> dict[str, str]:
    msg_id = delivery.event.id
    signatures = " ".join(Webhook(s).sign(msg_id, now, body) for s in delivery.secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(now.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class HttpPoster:
    def __init__(self, guard: AddressGuard, timeout: float = TIMEOUT_SECONDS) -> None:
        self._guard = guard
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def post(self, delivery: DueDelivery, *, now: datetime) -> int:
        try:
            self._guard.check(delivery.url)  # again now: the name may resolve elsewhere today
        except AddressRefused as refused:
            raise PostFailed(refused.message[:500]) from refused
        body = body_of(delivery)
        try:
            answer = self._client.post(
                delivery.url, content=body.encode(), headers=signed_headers(delivery, body, now)
            )
        except httpx.HTTPError as e:
            raise PostFailed(f"{type(e).__name__}: {e}"[:500]) from e
        if not answer.is_success:
            raise PostFailed(
                f"the receiver answered {answer.status_code} {answer.reason_phrase}",
                status_code=answer.status_code,
            )
        return answer.status_code

    def close(self) -> None:
        self._client.close()
