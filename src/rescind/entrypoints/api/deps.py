"""What route handlers receive: the services, the authenticated actor, If-Match, idempotency.

``Annotated`` aliases keep the handlers short; everything here is the HTTP side of a concern
whose rules live in the service layer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BeforeValidator, Field, JsonValue

from rescind.adapters.contact import EMAIL_PATTERN, OPTIONAL_EMAIL_PATTERN, email_address
from rescind.domain.access import Actor
from rescind.domain.errors import InvalidInput, PreconditionRequired, Unauthenticated
from rescind.domain.user import MIN_PASSWORD_LENGTH, User
from rescind.entrypoints.api.idempotency import DEFAULT_LEASE, Idempotency
from rescind.entrypoints.processes.logs import note_user
from rescind.entrypoints.web.clients import client_key as client_key  # re-exported
from rescind.entrypoints.web.proofs import ProofSource as ProofSource  # re-exported
from rescind.entrypoints.web.ratelimit import LoginThrottle, Throttle
from rescind.services.auth import authenticate
from rescind.services.context import Context
from rescind.services.ports import PasswordHasher


@dataclass(frozen=True)
class ApiState:
    ctx: Context
    passwords: PasswordHasher
    throttle: Throttle
    idempotency_lease: timedelta = DEFAULT_LEASE
    proofs: ProofSource | None = None  # None: this server issues no checkpoints

    @property
    def logins(self) -> LoginThrottle:
        return LoginThrottle(self.throttle)


# The dependencies below that do no I/O are ``async def``: FastAPI runs a sync dependency in
# the thread pool, a hand-off that costs more than their work (a cancel made one per
# dependency). Only what touches the database stays sync.
async def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.rescind
    return state


State = Annotated[ApiState, Depends(get_state)]

API_PREFIX = "/api/v1"

# PostgreSQL text cannot hold NUL: text fields refuse it at the edge (422), not in storage.
NO_NUL = r"^[^\x00]*$"


def _date_as_text(value: object) -> object:
    # Pydantic's lax mode reads 0 as 1970-01-01; the schema says a date is text (format date).
    if isinstance(value, str | date):
        return value
    raise ValueError("give the date as text, like 2026-12-24")


# A date in a request body, exactly as the schema declares it.
IsoDate = Annotated[date, BeforeValidator(_date_as_text)]

_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day_as_iso_text(value: object) -> object:
    # A query or path value is always text, and pydantic would read `0` as 1970-01-01; the
    # schema's `format: date` is YYYY-MM-DD only.
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("give the date as YYYY-MM-DD, like 2026-12-24")
    return value


# A date in a query or a path, as the schema declares it (`format: date`).
IsoDay = Annotated[date, BeforeValidator(_day_as_iso_text)]
# Some text besides white space (and no NUL): names and comments the services refuse blank.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
NOT_BLANK_SCHEMA: dict[str, JsonValue] = {"pattern": NOT_BLANK}

# A password being set: the domain refuses a short one with a message saying the minimum;
# the schema declares the same minimum (FastAPI would otherwise say only "at least 1").
NewPassword = Annotated[
    str, Field(max_length=1000, json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})
]


_EMAIL = re.compile(EMAIL_PATTERN)


def _one_address(value: str) -> str:
    """The ``contact`` check as a pydantic validator, within the schema's pattern: a refusal
    is this field's 422 with the check's own words."""
    if not value:
        return value  # an optional address left out
    try:
        normalized = email_address(value, field="the address")
    except InvalidInput as e:
        raise ValueError(e.message) from None
    if not _EMAIL.fullmatch(value):
        raise ValueError(
            f"the address {value[:80]!r} is valid but not one the API takes: give it in ASCII "
            "(name@example.com; no xn-- labels), as the schema's pattern says"
        )
    return normalized


def _email_field(pattern: str, min_length: int) -> Any:
    # The pattern is declared for clients and generators; ``_one_address`` enforces it with a
    # message that says what to fix (pydantic's own would quote the whole pattern).
    return Field(min_length=min_length, max_length=320, json_schema_extra={"pattern": pattern})


# One email address, stored normalized; the schema's pattern is exactly what it accepts.
EmailAddress = Annotated[str, _email_field(EMAIL_PATTERN, 1), AfterValidator(_one_address)]
# The same, or empty where the field is optional.
OptionalEmailAddress = Annotated[
    str, _email_field(OPTIONAL_EMAIL_PATTERN, 0), AfterValidator(_one_address)
]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def current_user(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(
            "send `Authorization: Bearer <token>`; get a token at /api/v1/auth/token"
        )
    user = authenticate(state.ctx, credentials.credentials)
    note_user(user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_actor(user: CurrentUser) -> Actor:
    return user.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]

# What If-Match may hold: the ETag (strong or weak, quoted or not) or "*"; declared in the
# schema from this one pattern.
ETAG_PATTERN = r'^\s*(?:\*|(?:W/)?"(\d{1,18})"|(\d{1,18}))\s*$'
_ETAG = re.compile(ETAG_PATTERN)
IF_MATCH = "If-Match"


def required_if_match(noun: str, read_at: str) -> Callable[..., Awaitable[int | None]]:
    """The one check of ``If-Match`` on a state change of a ``noun`` (job, request, case):
    the version it was decided on, or None for ``*`` (written without the check, as asked).

    Left out, it is a 428 saying how to send it: a write that forgot the header would
    otherwise overwrite whatever happened since its read. FastAPI would answer a missing
    required header with a 422 like any bad field, so the parameter is optional here and
    ``declare_required_if_match`` marks it required in the OpenAPI document.
    """

    header = Header(
        alias=IF_MATCH,
        description=f'Required: the {noun}\'s ETag from `GET {read_at}` (e.g. "3"), or `*` '
        "to write without the version check on purpose. A stale one gets 412 (not a lost "
        "update); none gets 428.",
        json_schema_extra={"pattern": ETAG_PATTERN},
    )

    async def if_match(
        value: str | None = None,
    ) -> int | None:
        if value is None:
            raise PreconditionRequired(
                f"this changes the {noun}: send `If-Match` with the ETag from `GET {read_at}` "
                '(e.g. `If-Match: "3"`), or `If-Match: *` to write without the version check '
                "on purpose"
            )
        found = _ETAG.fullmatch(value)
        if not found:
            raise InvalidInput(
                'If-Match must be the ETag from a GET, like "3"', field="header.If-Match"
            )
        number = found.group(1) or found.group(2)
        return int(number) if number else None  # "*": any version

    # Set here, not in the signature: under postponed annotations FastAPI would resolve the
    # annotation's text in the module's globals, where this call's ``header`` is not.
    if_match.__annotations__["value"] = Annotated[str | None, header]
    return if_match


JobIfMatch = Annotated[
    int | None, Depends(required_if_match("job", f"{API_PREFIX}/jobs/{{job_id}}"))
]
RequestIfMatch = Annotated[
    int | None, Depends(required_if_match("request", f"{API_PREFIX}/requests/{{request_id}}"))
]
CaseIfMatch = Annotated[
    int | None, Depends(required_if_match("case", f"{API_PREFIX}/cases/{{case_id}}"))
]


def declare_required_if_match(document: dict[str, Any]) -> dict[str, Any]:
    """In the OpenAPI document, every operation taking ``If-Match`` requires it and lists
    the 428 it answers without one."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            params = [
                p
                for p in operation.get("parameters", [])
                if p.get("in") == "header" and p.get("name") == IF_MATCH
            ]
            for param in params:
                param["required"] = True
            if params:
                operation.setdefault("responses", {})["428"] = {
                    "description": "No If-Match: send the ETag you read, or `*` to write "
                    "without the check on purpose",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
    return document


def etag(version: int) -> str:
    return f'"{version}"'


async def idempotency(
    request: Request,
    state: State,
    user: CurrentUser,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string (e.g. a UUID); a retry with the same key and body "
            "returns the first answer and does nothing twice.",
            max_length=200,
        ),
    ] = None,
) -> Idempotency:
    body = await request.body()
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.url.path.encode(), body])
    ).hexdigest()
    return Idempotency(state.ctx, user.id, key, fingerprint, lease=state.idempotency_lease)


Idempotent = Annotated[Idempotency, Depends(idempotency)]
