"""Idempotency-Key: a retried state change does nothing twice and gets the first answer.

The key is reserved in its own short transaction before the use case runs, and the answer
(success or a definitive refusal) is stored after. A retry while the first attempt still runs
gets 409; so does one with the same key but another body (``idempotency_key_reused``): what
the key was used for is a fact of the stored state, which no schema can declare, so it is a
conflict with that state (as a taken username is), not invalid input. Transient failures (a
conflict, a rate limit, a server error) release the key so a retry really retries.

A server killed mid-request leaves its reservation unanswered. Once the reservation is older
than the lease (longer than any live request takes), a retry takes it over and runs the use
case itself. If the dead attempt had already committed, that rerun is refused by the
procedure (the request is closed, the job moved on, or the If-Match version is stale) rather
than done twice: the use cases' own guards, not this module, make a rerun harmless.

An answer carrying a secret shown once (a webhook's, on create and rotate) is stored as
``stored_as`` makes it: without the secret, saying it was already shown. The table then never
holds a plain secret, and a replay cannot show it to whoever holds the key later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from fastapi.responses import Response
from pydantic import BaseModel

from rescind.domain.errors import Conflict, RateLimited, RescindError
from rescind.entrypoints.api.problems import from_error, problem_response
from rescind.services.context import Context
from rescind.services.ports import StoredResponse

log = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_LEASE = timedelta(seconds=30)

M = TypeVar("M", bound=BaseModel)


class Idempotency:
    def __init__(
        self,
        ctx: Context,
        user_id: str,
        key: str | None,
        fingerprint: str,
        *,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self._ctx = ctx
        self._user_id = user_id
        self._key = key
        self._fingerprint = fingerprint
        self._lease = lease

    def run(
        self,
        action: Callable[[], M],
        *,
        status_code: int = 200,
        headers: Callable[[M], dict[str, str]] | None = None,
        stored_as: Callable[[M], BaseModel] | None = None,
    ) -> Response:
        """Run ``action`` at most once per key; its model becomes the JSON answer (and
        ``stored_as(model)`` the one a replay gets, when given)."""
        if self._key is None:
            return self._answer(action, status_code, headers)[0]
        replay = self._reserve()
        if replay is not None:
            return replay
        try:
            response, transient, model = self._answer(action, status_code, headers)
        except BaseException:
            self._release()
            raise
        if transient:
            self._release()
        else:
            replayed = None
            if stored_as is not None and model is not None:
                replayed = stored_as(model).model_dump_json().encode()
            self._complete(response, replayed)
        return response

    def _answer(
        self,
        action: Callable[[], M],
        status_code: int,
        headers: Callable[[M], dict[str, str]] | None,
    ) -> tuple[Response, bool, M | None]:
        """The answer, whether it is transient (worth a real retry, so not stored), and the
        model it was made of (None for a refusal)."""
        try:
            model = action()
        except RescindError as error:
            return from_error(error), isinstance(error, Conflict | RateLimited), None
        response = Response(
            model.model_dump_json(),
            status_code=status_code,
            media_type="application/json",
            headers=headers(model) if headers else None,
        )
        return response, False, model

    def _reserve(self) -> Response | None:
        assert self._key is not None
        now = self._ctx.now()
        with self._ctx.uow() as uow:
            entry = uow.idempotency.reserve(self._user_id, self._key, self._fingerprint, now)
            abandoned = (
                entry is not None
                and entry.fingerprint == self._fingerprint
                and entry.response is None
                and now - entry.reserved_at > self._lease
                and uow.idempotency.take_over(self._user_id, self._key, entry.reserved_at, now)
            )
            uow.commit()
        if entry is None or abandoned:
            return None
        if entry.fingerprint != self._fingerprint:
            return problem_response(
                409,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request; use a new key "
                "for a new request",
                retryable=False,
            )
        if entry.response is None:
            return problem_response(
                409,
                "idempotency_in_progress",
                "the first request with this key is still running; retry in a moment",
                headers={"Retry-After": "1"},
                retryable=True,
            )
        stored = entry.response
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type=stored.content_type,
            headers=stored.headers | {REPLAYED_HEADER: "true"},
        )

    def _complete(self, response: Response, body: bytes | None = None) -> None:
        assert self._key is not None
        stored = StoredResponse(
            status_code=response.status_code,
            body=bytes(response.body) if body is None else body,
            content_type=response.media_type or "application/json",
            headers={
                k: v
                for k, v in response.headers.items()
                if k.lower() in ("etag", "location", "retry-after")
            },
        )
        with self._ctx.uow() as uow:
            uow.idempotency.complete(self._user_id, self._key, stored)
            uow.commit()

    def _release(self) -> None:
        assert self._key is not None
        try:
            with self._ctx.uow() as uow:
                uow.idempotency.release(self._user_id, self._key)
                uow.commit()
        except Exception as error:
            # The database went away with the attempt; the error that caused the release is
            # the one to answer, and a retry takes the reservation over after the lease.
            log.warning(
                "could not release Idempotency-Key %r (%s); a retry takes it over after the lease",
                self._key,
                str(error).strip().split("\n", 1)[0],
            )
