"""The guided cancellation: SPEC's six steps, one request at a time.

Step 1 (eligible?, open the request) is ``start``'s; ``/requests/{id}`` walks the rest:
verification, the written statement, already pending?, the pending review, the feed comment
and the signers' notice, then the cancel itself. Each step is one service call; the page
reads everything in one ``request_overview`` and shows each button from its answer in
``request_steps`` (the service's own checks), so a button appears exactly when the service
would run and a refused one says why; the service still checks them all (a stale page gets
its refusal as a banner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from rescind.adapters.contact import email_address
from rescind.adapters.mail.inbound import parse_email
from rescind.domain.authority import eligibility_refusal, support_authority
from rescind.domain.eligibility import Action
from rescind.domain.errors import InvalidInput, RescindError, VerificationLimitReached
from rescind.domain.inbound import InboundEmail, InboundRecord, InboundStatus
from rescind.domain.job import JobStatus
from rescind.domain.request import (
    SELF_SERVICE_STATEMENTS,
    Channel,
    CloseReason,
    StatementKind,
    WrittenStatement,
    reason_label,
)
from rescind.domain.sender_authentication import SenderAuthentication
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session, State
from rescind.entrypoints.web.ratelimit import CONFIRM_PER_CLIENT, CONFIRM_PER_REQUEST
from rescind.services.cancellation import cancel_workflow
from rescind.services.console_queries import emails_for_request, request_overview
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.requests import attach_statement
from rescind.services.verification import (
    confirm_verification_code,
    send_verification_code,
    verify_by_address_on_file,
)

router = APIRouter()

MAX_STATEMENT = 50_000


@dataclass(frozen=True)
class ReceivedEmail:
    """An email received for support about the job, as the statement step lists it: the
    sender check as judged on arrival, and the stored raw message parsed again for its text."""

    id: str
    received_at: datetime
    message_id: str
    from_address: str
    subject: str
    status: InboundStatus
    reason: str
    request_id: str | None
    parsed: InboundEmail | None  # None: unreadable, so it cannot be the statement
    authentication: SenderAuthentication | None  # None: unreadable, or received before

    @property
    def filed(self) -> bool:
        return self.status is InboundStatus.FILED

    def statement(self) -> WrittenStatement:
        if self.parsed is None:
            raise InvalidInput(
                "this email has no readable text to use as the statement", field="inbound_id"
            )
        return WrittenStatement(
            kind=StatementKind.EMAIL,
            content=f"Subject: {self.parsed.subject}\n\n{self.parsed.text}"[:MAX_STATEMENT],
            source_ref=self.message_id or self.parsed.message_id,
            from_address=self.parsed.from_address,
            received_at=self.received_at,
        )


def _received(record: InboundRecord) -> ReceivedEmail:
    parsed = parse_email(record.raw)
    return ReceivedEmail(
        id=record.id,
        received_at=record.received_at,
        message_id=record.message_id,
        from_address=record.from_address,
        subject=record.subject,
        status=record.status,
        reason=record.reason,
        request_id=record.request_id,
        parsed=parsed if isinstance(parsed, InboundEmail) else None,
        authentication=record.authentication,
    )


# --- steps 2–6: one request -----------------------------------------------------------------


def wizard_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    request_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    actor = session.actor
    overview = request_overview(ctx, request_id, actor=actor)
    req, view, decision, steps = overview.request, overview.view, overview.decision, overview.steps
    reason = (values or {}).get("reason") or (
        reason_label(req.reason, req.reason_text)
        or f"Homeowner requested cancellation by {req.channel.value.replace('_', ' ')}"
    )
    pending = view.effective is JobStatus.CANCEL_PENDING
    # Step 1 passes when the decision lets this request's authority cancel (DP's approval
    # stands in for rule 5); the button shows when the service would run the cancel.
    passes_step_1 = eligibility_refusal(decision, req, support_authority(req)) is None
    return page(
        request,
        "wizard.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        req=req,
        view=view,
        job=view.job,
        decision=decision,
        preview=overview.preview,
        codes=overview.codes,
        emails=[_received(r) for r in overview.emails],
        reason=reason,
        pending=pending,
        steps=steps,
        ready=req.is_open and not pending and steps.cancel is None,
        passes_step_1=passes_step_1,
        # Escalating is offered on a Deal Processing job until Deal Processing approved it.
        escalate=decision.action is Action.ESCALATE_TO_DEAL_PROCESSING
        and req.approved_by_case_id is None,
        statement_kinds=[k for k in StatementKind if k not in SELF_SERVICE_STATEMENTS],
        code_first=req.channel in (Channel.PHONE, Channel.CHAT),
        may_restore=steps.restore is None,
        may_close=steps.close is None,
        close_reasons=[(r.value, r.label) for r in CloseReason],
        siblings=overview.siblings,
        restores=overview.restores,
        # An installer or a sales rep cannot supply the homeowner's statement: no form for it.
        may_attach=steps.attach_statement is None,
    )


@router.get("/requests/{request_id}")
def wizard(request: Request, ctx: Ctx, session: CurrentSession, request_id: str) -> Response:
    return wizard_page(request, ctx, session, request_id)


def _back(request: Request, request_id: str, anchor: str, flash: str) -> Response:
    return redirect(request, f"/console/requests/{request_id}#{anchor}", flash)


def _refused(
    request: Request,
    ctx: Ctx,
    session: Session,
    request_id: str,
    error: RescindError,
    field: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return wizard_page(
        request,
        ctx,
        session,
        request_id,
        status=status_of(error),
        problems=problems_of(error, field),
        values=values,
    )


@router.post("/requests/{request_id}/code")
def send_code(request: Request, ctx: Ctx, session: PostSession, request_id: str) -> Response:
    try:
        sent = send_verification_code(ctx, request_id, actor=session.actor)
    except VerificationLimitReached as error:
        # Only once codes were sent, so the page shows the code field to say it next to.
        return _refused(request, ctx, session, request_id, error, "code")
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error)
    return _back(
        request,
        request_id,
        "verify",
        f"A 4-digit code is on its way to {sent.sent_to} from HO Outbound. "
        "Ask the homeowner to read it back.",
    )


@router.post("/requests/{request_id}/code/confirm")
def confirm_code(
    request: Request,
    state: State,
    session: PostSession,
    request_id: str,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ctx = state.ctx
    try:
        digits = code.strip()
        if not (len(digits) == 4 and digits.isdigit()):
            raise InvalidInput("type the 4 digits the homeowner reads back", field="code")
        state.throttle.hit(CONFIRM_PER_REQUEST, "confirm-request", request_id, what="code")
        state.throttle.hit(CONFIRM_PER_CLIENT, "confirm-client", session.user.id, what="code")
        confirm_verification_code(ctx, request_id, digits, actor=session.actor)
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, "code", {"code": code})
    return _back(request, request_id, "statement", "Verified: the code matched.")


@router.post("/requests/{request_id}/address-on-file")
def address_on_file(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    sender: Annotated[str, Form(max_length=320)] = "",
    authenticated: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values = {"sender": sender, "authenticated": authenticated}
    try:
        if not sender.strip():
            raise InvalidInput("type the address the email came from", field="sender")
        verify_by_address_on_file(
            ctx,
            request_id,
            sender=email_address(sender, field="sender"),
            authenticated={"pass": True, "fail": False}.get(authenticated),
            actor=session.actor,
        )
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, "sender", values)
    return _back(
        request, request_id, "statement", "Verified: the email came from the address on file."
    )


def _sent_date(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("give the postmark date as YYYY-MM-DD", field="sent_date") from None


def _optional_address(value: str) -> str:
    return email_address(value, field="from_address") if value.strip() else ""


async def _statement_text(pasted: str, upload: UploadFile | None) -> tuple[str, str]:
    """The pasted text and/or the uploaded file's text; returns (content, file name)."""
    if upload is None or not upload.filename:
        return pasted, ""
    raw = await upload.read(MAX_STATEMENT * 4 + 1)
    if len(raw) > MAX_STATEMENT * 4:
        raise InvalidInput("the file is too large: at most about 200 KB of text", field="upload")
    text = raw.decode("utf-8", errors="replace").replace("\x00", "")
    content = "\n\n".join(part for part in (text.strip(), pasted.strip()) if part)
    return content[:MAX_STATEMENT], upload.filename[:200]


@router.post("/requests/{request_id}/statement")
async def statement(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    kind: Annotated[str, Form(max_length=50)] = "",
    content: Annotated[str, Form(max_length=MAX_STATEMENT)] = "",
    sent_date: Annotated[str, Form(max_length=20)] = "",
    source_ref: Annotated[str, Form(max_length=500)] = "",
    from_address: Annotated[str, Form(max_length=320)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "kind": kind,
        "content": content,
        "sent_date": sent_date,
        "source_ref": source_ref,
        "from_address": from_address,
    }
    try:
        try:
            statement_kind = StatementKind(kind)
        except ValueError:
            raise InvalidInput(
                "pick what kind of written statement this is", field="kind"
            ) from None
        text, file_name = await _statement_text(content, upload)
        attach_statement(
            ctx,
            request_id,
            WrittenStatement(
                kind=statement_kind,
                content=text.replace("\x00", ""),
                sent_date=_sent_date(sent_date),
                source_ref=source_ref.strip() or file_name,
                from_address=_optional_address(from_address),
            ),
            actor=session.actor,
        )
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, None, values)
    return _back(request, request_id, "cancel", "The written statement is attached.")


@router.post("/requests/{request_id}/statement/email")
def statement_from_email(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    inbound_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        # Only an email listed for this request's job can be picked.
        emails = emails_for_request(ctx, request_id, actor=session.actor)
        picked = next((_received(e) for e in emails if e.id == inbound_id), None)
        if picked is None:
            raise InvalidInput("pick one of the emails received for this job", field="inbound_id")
        attach_statement(ctx, request_id, picked.statement(), actor=session.actor)
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, "inbound_id")
    return _back(
        request,
        request_id,
        "cancel",
        f"The written statement is attached: the email {picked.message_id or picked.id}.",
    )


@router.post("/requests/{request_id}/cancel")
def cancel(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        result = cancel_workflow(
            ctx, request_id, actor=session.actor, reason=reason.strip(), expected_version=version
        )
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, None, {"reason": reason})
    told = "" if result.already_pending else " The feed is commented and the notice is queued."
    return redirect(request, f"/console/jobs/{result.job_id}", result.message.capitalize() + told)


@router.post("/requests/{request_id}/escalate")
def escalate(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    detail: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        case = escalate_to_deal_processing(ctx, request_id, actor=session.actor, detail=detail)
    except RescindError as error:
        return _refused(request, ctx, session, request_id, error, None, {"detail": detail})
    return redirect(
        request,
        f"/console/jobs/{case.job_id}#cases",
        f"Escalated to Deal Processing: case {case.id} is in the Back Office queue.",
    )
