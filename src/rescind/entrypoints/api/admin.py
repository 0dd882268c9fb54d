"""Operations: the outbox, eligibility policy versions and company holidays.

Reads are open to the roles that may see them (the outbox to the back-office roles and admins;
policies and holidays to everyone logged in); writes are an admin's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.audit import AuditChannel
from rescind.domain.email import DeliveryStatus
from rescind.domain.errors import not_a_cursor
from rescind.entrypoints.api.deps import (
    NO_NUL,
    NOT_BLANK,
    CurrentActor,
    EmailAddress,
    Idempotent,
    IsoDate,
    IsoDay,
    State,
)
from rescind.entrypoints.api.models import EmailOut, HolidayOut, Out, Page, PolicyOut
from rescind.entrypoints.api.paging import DEFAULT_LIMIT, MAX_ROW_NUMBER, PageLimit
from rescind.entrypoints.api.policy_schema import has_nul, policy_document_schema
from rescind.services.calendar import (
    add_company_holiday,
    preview_holiday_change,
    remove_company_holiday,
)
from rescind.services.context import Context
from rescind.services.failed_emails import fix_email_address, resend_email
from rescind.services.policy import publish_policy
from rescind.services.queues import get_policy, list_holidays, list_outbox, list_policies

router = APIRouter()

# --- outbox ----------------------------------------------------------------------------------


@router.get(
    "/outbox",
    tags=["outbox"],
    summary="Emails the procedure queued, sent or failed to send, oldest first",
)
def read_outbox(
    state: State,
    actor: CurrentActor,
    status: Annotated[DeliveryStatus | None, Query(description="Only these.")] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^\d{1,10}$",
            description="`next_cursor` of the previous page.",
            examples=["120"],
        ),
    ] = None,
) -> Page[EmailOut]:
    after = int(cursor) if cursor is not None else None
    if after is not None and after > MAX_ROW_NUMBER:
        raise not_a_cursor()
    page = list_outbox(state.ctx, actor=actor, status=status, limit=limit, after=after)
    return Page[EmailOut](
        items=[EmailOut.model_validate(e) for e in page.items],
        next_cursor=str(page.next_after) if page.next_after is not None else None,
    )


MessageId = Annotated[
    str,
    Path(
        min_length=3,
        max_length=300,
        pattern=NO_NUL,
        description="The email's Message-ID, angle brackets included (URL-encoded).",
        examples=["<3f2a9c@rescind.invalid>"],
    ),
]


class AddressFixIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"old": "ann@homeowner.exmaple", "new": "ann@homeowner.example"}]
        },
    )
    old: str = Field(
        min_length=1, max_length=320, pattern=NO_NUL, description="The address that failed."
    )
    new: EmailAddress = Field(description="One valid address to send to instead.")


@router.post(
    "/outbox/{message_id}/resend",
    tags=["outbox"],
    summary="Send a failed email again as it is (same Message-ID, fresh attempts)",
    response_model=EmailOut,
)
def resend(message_id: MessageId, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    return idem.run(
        lambda ctx: EmailOut.model_validate(
            resend_email(ctx, message_id, actor=actor, channel=AuditChannel.API)
        )
    )


@router.post(
    "/outbox/{message_id}/address",
    tags=["outbox"],
    summary="Fix one address of a failed email and send it again (the address on file "
    "stays as it is)",
    response_model=EmailOut,
)
def fix_address(
    message_id: MessageId,
    body: AddressFixIn,
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
) -> Response:
    return idem.run(
        lambda ctx: EmailOut.model_validate(
            fix_email_address(
                ctx, message_id, body.old, body.new, actor=actor, channel=AuditChannel.API
            )
        )
    )


# --- policies --------------------------------------------------------------------------------

# The seed table itself is the truest example of a document that publishes.
_POLICY_EXAMPLE: dict[str, Any] = {
    "document": load_policy_document(default_policy_path()),
    "effective_at": "2027-01-01T00:00:00-05:00",
}


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_POLICY_EXAMPLE]})
    document: Annotated[
        dict[str, Any],
        WithJsonSchema(
            policy_document_schema(
                "The decision table: `name`, `description` and `rules` (as GET /policies shows "
                "them). Beyond this shape (422 `policy_invalid` otherwise) the rule numbers "
                "increase from top to bottom, every possible job is decided by a rule and every "
                "rule decides some job."
            )
        ),
    ]
    effective_at: AwareDatetime | None = Field(
        default=None, description="Now or later, with a time zone; null: now."
    )

    @field_validator("document")
    @classmethod
    def _no_nul(cls, document: dict[str, Any]) -> dict[str, Any]:
        if has_nul(document):
            raise ValueError("text in the document cannot contain NUL characters")
        return document


@router.get("/policies", tags=["policies"], summary="Every published eligibility policy version")
def read_policies(state: State, actor: CurrentActor) -> list[PolicyOut]:
    return [PolicyOut.model_validate(t) for t in list_policies(state.ctx, actor=actor)]


# ``:int``: only digits reach this route, so GET /policies/simulate is a 405 (that path is
# POST only), not a 422 on "simulate" as a version.
@router.get("/policies/{version:int}", tags=["policies"], summary="One eligibility policy version")
def read_policy(
    version: Annotated[int, Path(ge=1, le=1_000_000)], state: State, actor: CurrentActor
) -> PolicyOut:
    return PolicyOut.model_validate(get_policy(state.ctx, version, actor=actor))


@router.post(
    "/policies",
    tags=["policies"],
    status_code=201,
    summary="Publish a new policy version (admins)",
    description="The next version number is assigned. A table that does not decide every job, "
    "or has a rule that can never decide, is refused with `/problems/policy_invalid`.",
    response_model=PolicyOut,
)
def publish(body: PolicyIn, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    def action(ctx: Context) -> PolicyOut:
        # In UTC, as it is stored: this answer and later reads then agree to the character.
        effective_at = body.effective_at.astimezone(UTC) if body.effective_at else None
        table = publish_policy(ctx, body.document, effective_at=effective_at, actor=actor)
        return PolicyOut.model_validate(table)

    def location(model: BaseModel) -> dict[str, str]:
        assert isinstance(model, PolicyOut)
        return {"Location": f"/api/v1/policies/{model.version}"}

    return idem.run(action, status_code=201, headers=location)


# --- holidays --------------------------------------------------------------------------------


def _by_day(holidays: object) -> object:
    """The service's holidays by day, as the list of days the API shows."""
    if isinstance(holidays, dict):
        return [{"day": day, "name": name} for day, name in holidays.items()]
    return holidays


class HolidaysOut(Out):
    calendar_version: int = Field(description="Bumped by every change of company holidays.")
    holidays: Annotated[list[HolidayOut], BeforeValidator(_by_day)] = Field(
        validation_alias="company_holidays"
    )


class CalendarChangeOut(Out):
    calendar_version: int
    windows_moved: int = Field(description="Cancel Pending windows whose final moment moved.")


class HolidayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"day": "2026-12-24", "name": "Christmas Eve"}]},
    )
    day: IsoDate
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)


@router.get(
    "/holidays",
    tags=["holidays"],
    summary="Company holidays (federal ones come from the calendar itself)",
)
def read_holidays(state: State, actor: CurrentActor) -> HolidaysOut:
    found = list_holidays(state.ctx, actor=actor)
    return HolidaysOut.model_validate(found)


class WindowMoveOut(Out):
    job_id: str
    from_final_at: datetime
    to_final_at: datetime
    from_final_date: date = Field(
        validation_alias="from_date", description="The company's day the window ends now."
    )
    to_final_date: date = Field(
        validation_alias="to_date", description="The company's day it would end after the change."
    )


class HolidayPreviewOut(Out):
    day: date
    name: str
    change: Annotated[
        Literal["add", "remove"], BeforeValidator(lambda adding: "add" if adding else "remove")
    ] = Field(validation_alias="adding")
    calendar_version: int = Field(description="The version the preview read.")
    windows_moved: Annotated[int, BeforeValidator(len)] = Field(
        validation_alias="moves", description="How many Cancel Pending windows would move."
    )
    moves: list[WindowMoveOut]


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not hold a NUL character")
    return value


@router.get(
    "/holidays/preview",
    tags=["holidays"],
    summary="What adding or removing a company holiday would move; nothing is written (admins)",
)
def preview_holiday(
    state: State,
    actor: CurrentActor,
    day: Annotated[IsoDay, Query(examples=["2026-12-24"])],
    change: Annotated[Literal["add", "remove"], Query()] = "add",
    name: Annotated[
        str | None,
        Query(
            max_length=100,
            # Declared as the service checks it: a given name is neither blank nor holds a
            # NUL (the blank one's 422 names the field `name`, as the change's does).
            json_schema_extra={"minLength": 1, "pattern": NOT_BLANK},
            description="The holiday's name, as the addition will need it; a preview may "
            "leave it out. A day that is a holiday already is a 409 `already_exists`.",
        ),
        AfterValidator(_without_nul),
    ] = None,
) -> HolidayPreviewOut:
    return HolidayPreviewOut.model_validate(
        preview_holiday_change(state.ctx, day, name=name, remove=change == "remove", actor=actor)
    )


@router.post(
    "/holidays",
    tags=["holidays"],
    summary="Add a company holiday; pending windows that span it move (admins)",
    response_model=CalendarChangeOut,
)
def add_holiday(body: HolidayIn, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    return idem.run(
        lambda ctx: CalendarChangeOut.model_validate(
            add_company_holiday(ctx, body.day, body.name, actor=actor)
        )
    )


@router.delete(
    "/holidays/{day}",
    tags=["holidays"],
    summary="Remove a company holiday; pending windows are recomputed (admins)",
    response_model=CalendarChangeOut,
)
def remove_holiday(
    day: Annotated[IsoDay, Path(examples=["2026-12-24"])],
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
) -> Response:
    return idem.run(
        lambda ctx: CalendarChangeOut.model_validate(remove_company_holiday(ctx, day, actor=actor))
    )
