"""Idempotency-Key: a retried state change does nothing twice and gets the first answer.

One transaction does it all: reserve the key (its first statement), run the use case, store
its answer (success or a definitive refusal), commit. The use case is handed a context whose
units of work join that transaction (``Context.joining``): its commits are savepoints, kept
in the transaction, so what it "committed" before refusing (the eligibility decision on the
record) is stored with the refusal, and what it left uncommitted is undone as always. One
COMMIT, one WAL flush, for a request that used to take three.

A retry while the first attempt still runs waits for it: on PostgreSQL its reserve waits on
the first's uncommitted row, on SQLite ``BEGIN IMMEDIATE`` waits for the write lock; it then
gets the stored answer, or runs itself if the first attempt left the key free. A retry with
the same key but another body gets 409 (``idempotency_key_reused``): what the key was used
for is a fact of the stored state, which no schema can declare, so it is a conflict with that
state (as a taken username is), not invalid input. Transient failures (a conflict, a rate
limit, a server error) free the key so a retry really retries: if the use case committed
nothing, the whole transaction is rolled back; if it did, that work is kept and only the
reservation is deleted, in the same commit.

A reservation that was committed unanswered (a server of the earlier design, which reserved
in a transaction of its own, killed mid-request) is taken over once it is older than the
lease (longer than any live request takes): a retry runs the use case itself. If the dead
attempt had already committed, that rerun is refused by the procedure (the request is
closed, the job moved on, or the If-Match version is stale) rather than done twice: the use
cases' own guards, not this module, make a rerun harmless.

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
from rescind.services.ports import StoredResponse, UnitOfWork

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
        action: Callable[[Context], M],
        *,
        status_code: int = 200,
        headers: Callable[[M], dict[str, str]] | None = None,
        stored_as: Callable[[M], BaseModel] | None = None,
    ) -> Response:
        """Run ``action`` at most once per key, with the context to run its use case in; its
        model becomes the JSON answer (and ``stored_as(model)`` the one a replay gets)."""
        if self._key is None:
            return self._answer(action, self._ctx, status_code, headers)[0]
        with self._ctx.uow() as uow:
            replay = self._reserve(uow)
            if replay is not None:
                return replay  # nothing written: another attempt's key
            try:
                response, transient, model = self._answer(
                    action, self._ctx.joining(uow), status_code, headers
                )
            except BaseException:
                self._free(uow, failed=True)
                raise
            if transient:
                self._free(uow)
                return response
            replayed = None
            if stored_as is not None and model is not None:
                replayed = stored_as(model).model_dump_json().encode()
            self._complete(uow, response, replayed)
            uow.commit()
        return response

    def _answer(
        self,
        action: Callable[[Context], M],
        ctx: Context,
        status_code: int,
        headers: Callable[[M], dict[str, str]] | None,
    ) -> tuple[Response, bool, M | None]:
        """The answer, whether it is transient (worth a real retry, so not stored), and the
        model it was made of (None for a refusal)."""
        try:
            model = action(ctx)
        except RescindError as error:
            return from_error(error), isinstance(error, Conflict | RateLimited), None
        response = Response(
            model.model_dump_json(),
            status_code=status_code,
            media_type="application/json",
            headers=headers(model) if headers else None,
        )
        return response, False, model

    def _reserve(self, uow: UnitOfWork) -> Response | None:
        """Claim the key in ``uow``: None when it is ours, else the answer to give instead."""
        assert self._key is not None
        now = self._ctx.now()
        entry = uow.idempotency.reserve(self._user_id, self._key, self._fingerprint, now)
        abandoned = (
            entry is not None
            and entry.fingerprint == self._fingerprint
            and entry.response is None
            and now - entry.reserved_at > self._lease
            and uow.idempotency.take_over(self._user_id, self._key, entry.reserved_at, now)
        )
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

    def _complete(self, uow: UnitOfWork, response: Response, body: bytes | None = None) -> None:
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
        uow.idempotency.complete(self._user_id, self._key, stored)

    def _free(self, uow: UnitOfWork, *, failed: bool = False) -> None:
        """Leave the key free for a retry, keeping what the use case committed (if any).

        After a transient refusal a failed commit is the answer (the client retries, and
        nothing of this attempt is durable). After an error (``failed``), that error is the
        answer: a failed commit here only loses the attempt's kept work with it."""
        assert self._key is not None
        try:
            if uow.kept:
                uow.idempotency.release(self._user_id, self._key)
                uow.commit()
            else:
                uow.rollback()  # nothing of this attempt is kept: not even the reservation
        except Exception as error:
            if not failed:
                raise
            log.warning(
                "could not free Idempotency-Key %r (%s); the attempt left nothing behind",
                self._key,
                str(error).strip().split("\n", 1)[0],
            )
