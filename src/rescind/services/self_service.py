"""The homeowner's own door (``/cancel``): the same procedure, on the same service functions.

- ``request_link``: the job id, email or phone typed on the page; a link goes to the address
  on file of each job it names, and the caller learns nothing either way.
- ``open_link``: the link proves possession of the mailbox (the 4-digit code's proof),
  recorded as such; it starts a short page session.
- ``self_service_page``: what the homeowner sees (their job only), in one read.
- ``confirm_cancellation``: the request is filed (or the open one taken), verified by the link,
  with the typed or uploaded statement, then cancelled by the one cancel (``cancel_request``)
  or, where the table says escalate, escalated (``open_escalation``).
- ``withdraw``: the one restore (``restore_job``) inside the window.

Every step is recorded on the job's trail with channel ``self_service``; the actor is the
homeowner as ``self_service:<homeowner id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rescind.domain.access import Actor, Role
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.authority import Authority
from rescind.domain.eligibility import Action, Decision
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import LinkRefused
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.job import Job, JobStatus, Language
from rescind.domain.recipients import homeowner_only
from rescind.domain.request import (
    CancellationRequest,
    Channel,
    Outcome,
    RequestDraft,
    RequesterRole,
    StatementKind,
    VerificationMethod,
    WrittenStatement,
)
from rescind.domain.search import email_key
from rescind.domain.self_service import (
    LinkRefusal,
    SelfServiceLink,
    issue_link,
    may_send_another,
    token_digest,
    well_formed,
)
from rescind.services.cancellation import cancel_request, restore_job
from rescind.services.context import Context
from rescind.services.eligibility import decide_and_record, policy_in_force
from rescind.services.escalation import open_escalation
from rescind.services.ports import UnitOfWork
from rescind.services.records import new_id, queue_email, record
from rescind.services.requests import (
    open_request,
    open_request_of,
    statement_data,
)
from rescind.services.verification import mark_verified, verified_event

CHANNEL = AuditChannel.SELF_SERVICE
SOMEONE = Actor(id="self_service:someone", role=Role.SYSTEM)  # before the mailbox is proven
LINK_PATH = "/cancel/link"
WITHDRAW_WHY = "withdrawn by the homeowner on the self-service page"
CANCEL_WHY = "homeowner request (self-service)"

REFUSAL_TEXT = {
    LinkRefusal.USED: "this link has already been used",
    LinkRefusal.EXPIRED: "this link has expired (links last 30 minutes)",
    LinkRefusal.TAMPERED: "this link is not valid: it was changed or cut short",
}
SESSION_ENDED = "your session has ended (sessions last an hour)"


def homeowner_actor(job: Job) -> Actor:
    return Actor(
        id=f"self_service:{job.homeowner.id}", role=Role.HOMEOWNER, scope_id=job.homeowner.id
    )


def _actx(job: Job, at: datetime) -> AuditContext:
    return AuditContext(actor=homeowner_actor(job).id, at=at, channel=CHANNEL)


def _job_ids(uow: UnitOfWork, target: str) -> list[str]:
    """The jobs a typed job id, email or phone names: exact matches only, never a prefix."""
    text = target.strip()
    if not text:
        return []
    for candidate in (text, text.upper()):
        if uow.jobs.find(candidate) is not None:
            return [candidate]
    if "@" in text:
        return uow.links.jobs_of_contact(email_key=email_key(text), phone_key="")
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 10 and not text.startswith("+"):
        digits = "1" + digits  # a US number without its country code
    if len(digits) < 8:
        return []
    return uow.links.jobs_of_contact(email_key="", phone_key=digits)


def request_link(ctx: Context, target: str, *, language: Language | None = None) -> None:
    """Email a one-time link to the address on file of every job ``target`` names.

    Returns nothing, whether or not anything was sent: the page says the same either way.
    A job that had its links for the hour gets no more (its mailbox is not flooded).
    """
    now = ctx.now()
    with ctx.uow() as uow:
        for job_id in _job_ids(uow, target):
            job = uow.jobs.get(job_id)
            if not may_send_another(
                uow.links.issued_for_job(job.id, now - timedelta(hours=1)), now
            ):
                continue
            link, token, event = issue_link(new_id("SSL"), job.id, job.homeowner.email, now)
            uow.links.add(link)
            actx = AuditContext(actor=SOMEONE.id, at=now, channel=CHANNEL)
            record(uow, job.id, actx, [event])
            queue_email(
                uow,
                OutgoingEmail(
                    kind=EmailKind.SELF_SERVICE_LINK,
                    recipients=homeowner_only(job),
                    job_id=job.id,
                    context={
                        "link": f"{ctx.public_url}{LINK_PATH}?t={token}",
                        "homeowner_name": job.homeowner.name,
                        "expires_at": iso(link.expires_at),
                        "language": (language or job.language).value,
                    },
                    secret_keys=("link",),
                ),
                actx,
            )
        uow.commit()


def open_link(ctx: Context, token: str, *, language: Language | None = None) -> str:
    """Open a link once; the page session's token. Refused (``LinkRefused``, on the job's
    record when the link is ours) when used, expired or tampered with.

    An open request of the homeowner's not yet verified (filed by phone, say) is verified by
    the link too: the same proof as a code read back.
    """
    now = ctx.now()
    with ctx.uow() as uow:
        link = uow.links.by_token(token_digest(token)) if well_formed(token) else None
        if link is None:
            raise _refused(LinkRefusal.TAMPERED)
        job = uow.jobs.get(link.job_id)
        actx = _actx(job, now)
        refusal = link.refusal(now, job.homeowner.email)
        if refusal is None:
            session, opened = link.open(now)
            if not uow.links.use(link):
                refusal = LinkRefusal.USED  # another tab opened it a moment before
        if refusal is not None:
            record(uow, job.id, actx, [link.refused(refusal)])
            uow.commit()
            raise _refused(refusal)
        events = [opened]
        request = open_request_of(uow, job.id, RequesterRole.HOMEOWNER)
        if request is not None and not request.verified:
            mark_verified(request, VerificationMethod.EMAIL_LINK, now)
            uow.requests.save(request)
            events.append(verified_event(request, _evidence(link)))
        if language is not None and language is not job.language:
            events.append(_language_event(uow, job, language))
        record(uow, job.id, actx, events)
        uow.commit()
    return session


def _refused(reason: LinkRefusal) -> LinkRefused:
    return LinkRefused(REFUSAL_TEXT[reason] + "; ask for a new link", reason=reason.value)


def _evidence(link: SelfServiceLink) -> str:
    return f"one-time link {link.id} sent to {link.address}"


def _language_event(uow: UnitOfWork, job: Job, language: Language) -> Event:
    job.language = language
    uow.jobs.save(job)
    return Event(EventKind.SELF_SERVICE_LANGUAGE_CHOSEN, {"language": language.value})


def _session(uow: UnitOfWork, session: str, now: datetime) -> tuple[SelfServiceLink, Job]:
    link = uow.links.by_session(token_digest(session)) if well_formed(session) else None
    if link is None or not link.session_open(session, now):
        raise LinkRefused(SESSION_ENDED + "; ask for a new link", reason="session_ended")
    job = uow.jobs.get(link.job_id)
    if link.refusal(now, job.homeowner.email) is LinkRefusal.TAMPERED:
        raise _refused(LinkRefusal.TAMPERED)  # the address on file changed since
    return link, job


@dataclass(frozen=True)
class SelfServicePage:
    """Everything the homeowner's page shows, read once."""

    job: Job
    address: str
    decision: Decision
    request: CancellationRequest | None  # the homeowner's newest request
    case_id: str | None
    final_date: date | None  # while cancel pending: the last day to change one's mind
    cancelled_date: date | None
    within_cooling_off: bool  # today is inside the FTC's 3 business days
    cooling_off_deadline: date
    session_expires_at: datetime
    window_open: bool  # cancel pending, and its window has not ended yet (swept or not)

    @property
    def can_cancel(self) -> bool:
        return self.job.status is JobStatus.ACTIVE and self.decision.eligible

    @property
    def escalates(self) -> bool:
        return (
            self.job.status is JobStatus.ACTIVE
            and self.decision.action is Action.ESCALATE_TO_DEAL_PROCESSING
            and not self.escalated
        )

    @property
    def escalated(self) -> bool:
        return self.request is not None and self.request.outcome is Outcome.ESCALATED

    @property
    def refused(self) -> bool:
        return self.job.status is JobStatus.ACTIVE and self.decision.action is Action.STOP

    @property
    def may_withdraw(self) -> bool:
        return self.job.status is JobStatus.CANCEL_PENDING and self.window_open


def self_service_page(ctx: Context, session: str) -> SelfServicePage:
    now = ctx.now()
    with ctx.uow() as uow:
        link, job = _session(uow, session, now)
        decision = policy_in_force(uow, now).decide(job)
        own = [
            r for r in uow.requests.for_job(job.id) if r.requester_role is RequesterRole.HOMEOWNER
        ]
        request = max(own, key=lambda r: r.filed_at) if own else None
        cases = [c for c in uow.cases.for_job(job.id) if request and c.request_id == request.id]
        ops = ctx.operations_calendar(uow)
    cooling = ctx.cooling_off_calendar()
    assert link.session_expires_at is not None
    return SelfServicePage(
        job=job,
        address=link.address,
        decision=decision,
        request=request,
        case_id=cases[-1].id if cases else None,
        final_date=ops.day_ended_by(job.final_at) if job.final_at else None,
        cancelled_date=ops.local_date(job.cancelled_at) if job.cancelled_at else None,
        within_cooling_off=cooling.within(job.contract_signed_date, ops.local_date(now)),
        cooling_off_deadline=cooling.deadline(job.contract_signed_date),
        session_expires_at=link.session_expires_at,
        window_open=job.final_at is not None and now < job.final_at,
    )


def confirm_cancellation(
    ctx: Context, session: str, *, statement: str, file_name: str = ""
) -> None:
    """The homeowner's confirmed, written request: filed, verified, with the statement; then
    the one cancel, or Deal Processing's case where the table says escalate.

    A refusal by the table is committed with the request it closed and raised
    (``NotEligible``), as for every door.
    """
    now = ctx.now()
    with ctx.uow() as uow:
        link, job = _session(uow, session, now)
        actor = homeowner_actor(job)
        actx = _actx(job, now)
        given = WrittenStatement(
            kind=StatementKind.ONLINE_FORM,
            content=statement,
            source_ref=file_name,
            from_address=link.address,
        )
        request = open_request_of(uow, job.id, RequesterRole.HOMEOWNER)
        if request is None:
            request = open_request(
                uow,
                ctx,
                job,
                actx,
                RequestDraft(
                    job_id=job.id,
                    channel=Channel.SELF_SERVICE,
                    requester_role=RequesterRole.HOMEOWNER,
                    requester_name=job.homeowner.name,
                    statement=given,
                ),
            )
        elif request.outcome is Outcome.ESCALATED:
            return  # already with Deal Processing: the page says so
        else:
            written = given.received(now)
            request.statement = written
            uow.requests.save(request)
            data = statement_data(written) | {"request_id": request.id}
            record(uow, job.id, actx, [Event(EventKind.STATEMENT_ATTACHED, data)])
        if not request.verified:
            mark_verified(request, VerificationMethod.EMAIL_LINK, now)
            uow.requests.save(request)
            record(uow, job.id, actx, [verified_event(request, _evidence(link))])
        if policy_in_force(uow, now).decide(job).action is Action.ESCALATE_TO_DEAL_PROCESSING:
            _, decided = decide_and_record(uow, job, actor=actor, channel=CHANNEL, at=now)
            open_escalation(
                uow, request, job, decided, detail="the homeowner asked on the self-service page"
            )
        else:
            # A refusal (NotEligible) is committed by the cancel with the request it closed.
            cancel_request(
                uow,
                ctx,
                request,
                job,
                authority=Authority.HOMEOWNER_VERIFIED,
                actor=actor,
                channel=CHANNEL,
                reason=CANCEL_WHY,
                at=now,
            )
        uow.commit()


def withdraw(ctx: Context, session: str) -> None:
    """The homeowner changes their mind inside the window: the one restore."""
    now = ctx.now()
    with ctx.uow() as uow:
        _, job = _session(uow, session, now)
        restore_job(uow, ctx, job, _actx(job, now), WITHDRAW_WHY)
        uow.commit()


def choose_language(ctx: Context, session: str, language: Language) -> None:
    now = ctx.now()
    with ctx.uow() as uow:
        _, job = _session(uow, session, now)
        if language is not job.language:
            record(uow, job.id, _actx(job, now), [_language_event(uow, job, language)])
            uow.commit()
