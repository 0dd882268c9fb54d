"""``rescind demo``: load demo jobs, then walk real requests through the procedure and say
what happened at each step, so a newcomer sees the whole thing work in one command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from rich.console import Console

from rescind.bootstrap import App
from rescind.domain.access import Actor, Role
from rescind.domain.errors import RescindError
from rescind.domain.job import Milestone, PartnerProgram
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.entrypoints.cli.demo_jobs import demo_jobs, ids_where, job_id
from rescind.services.audit import verify_trail
from rescind.services.cancellation import cancel_workflow
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.importing import import_jobs
from rescind.services.requests import attach_statement, file_request
from rescind.services.sweep import sweep
from rescind.services.verification import (
    confirm_verification_code,
    send_verification_code,
    verify_by_address_on_file,
)

AGENT = Actor(id="agent:demo", role=Role.AGENT)
SYSTEM = Actor.system("demo")

# Jobs of the generated set picked by shape (the first jobs cover every combination).
M1_REVIEW_PENDING_BOTH_SIGNED = ids_where(
    lambda s: (
        s.milestone is Milestone.M1
        and s.flag
        and s.partner is PartnerProgram.NONE
        and s.installer_signed
        and s.rep_signed
    )
)[0]
BEAM_M1 = ids_where(lambda s: s.milestone is Milestone.M1 and s.partner is PartnerProgram.BEAM)[0]
M1B_INVOICE = ids_where(
    lambda s: s.milestone is Milestone.M1B and s.flag and s.partner is PartnerProgram.NONE
)[0]
ELIGIBLE = ids_where(
    lambda s: (
        s.partner is PartnerProgram.NONE
        and (
            s.milestone in (Milestone.M1A, Milestone.M1)
            or (s.milestone is Milestone.M2 and not s.flag)
        )
    )
)


def load_demo_data(app: App, out: Console, *, jobs: int = 300, seed: int = 7) -> bool:
    """Import the demo jobs and a few month-old cancellations; False if already loaded."""
    ctx = app.ctx
    with ctx.uow() as uow:
        if uow.jobs.find(job_id(1)) is not None:
            return False
    today = ctx.now().astimezone(ctx.tz).date()
    report = import_jobs(
        ctx,
        ((n, j) for n, j in enumerate(demo_jobs(jobs, seed=seed, today=today), 2)),
        actor=SYSTEM,
    )
    out.print(f"loaded {report.imported} demo jobs into {app.settings.effective_database_url}")
    _backdated_cancellations(ctx, out)
    return True


def run(app: App, out: Console, *, jobs: int, seed: int) -> None:
    ctx = app.ctx
    if not load_demo_data(app, out, jobs=jobs, seed=seed):
        out.print("demo jobs already loaded; walking through the procedure again")

    _step(out, "1. A homeowner calls to cancel job " + M1_REVIEW_PENDING_BOTH_SIGNED)
    _phone_cancellation(ctx, out, M1_REVIEW_PENDING_BOTH_SIGNED)
    _step(out, f"2. A Beam customer asks to cancel job {BEAM_M1}")
    _attempt(out, lambda: _verified_request_and_cancel(ctx, BEAM_M1))
    _step(out, f"3. Direct Pay M1B with the invoice uploaded: job {M1B_INVOICE}")
    _attempt(out, lambda: _escalate(ctx, M1B_INVOICE))
    _step(out, "4. The sweep finalizes windows that have ended")
    swept = sweep(ctx)
    out.print(f"   finalized {swept.finalized} jobs (each got a final-cancellation email)")
    _step(out, "5. The audit trail is hash-chained")
    check = verify_trail(ctx, actor=SYSTEM)
    out.print(f"   {check.streams} streams, {check.records} records, intact: {check.ok}")
    out.print(
        "\nTry next (the CLI is .venv/bin/rescind):\n"
        f"  rescind jobs show {M1_REVIEW_PENDING_BOTH_SIGNED}\n"
        f"  rescind eligibility {BEAM_M1}\n"
        "  rescind policy show\n"
        "  rescind audit verify"
    )


def _step(out: Console, title: str) -> None:
    out.print(f"\n[bold]{title}[/bold]")


def _attempt(out: Console, action: Callable[[], str]) -> None:
    try:
        out.print("   " + action(), markup=False)
    except RescindError as e:
        out.print(f"   refused ({e.code}): {e.message}", markup=False)


def _phone_cancellation(ctx: Context, out: Console, target: str) -> None:
    request = file_request(
        ctx,
        RequestDraft(
            job_id=target,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="the homeowner (demo call)",
        ),
        actor=AGENT,
    )
    due = request.due_at.astimezone(ctx.tz)
    out.print(
        f"   filed {request.id}, due {due:%Y-%m-%d %H:%M %Z} (48 business hours)", markup=False
    )
    sent = send_verification_code(ctx, request.id, actor=AGENT)
    code = _code_from_outbox(ctx, sent.message_id)
    out.print(f"   emailed a 4-digit code from HO Outbound to {sent.sent_to}", markup=False)
    confirm_verification_code(ctx, request.id, code, actor=AGENT)
    out.print("   the homeowner read the code back: verified")
    attach_statement(
        ctx,
        request.id,
        WrittenStatement(
            kind=StatementKind.CHAT_TRANSCRIPT,
            content="I want to cancel my solar contract. — the homeowner",
        ),
        actor=AGENT,
    )
    out.print("   the homeowner's written statement is attached")
    _attempt(out, lambda: _cancel(ctx, request.id))


def _cancel(ctx: Context, request_id: str) -> str:
    result = cancel_workflow(ctx, request_id, actor=AGENT, reason="Homeowner changed their mind")
    return result.message + (
        "" if result.already_pending else "; feed commented; notice queued to the signers"
    )


def _verified_request_and_cancel(ctx: Context, target: str) -> str:
    request = file_request(
        ctx,
        RequestDraft(
            job_id=target,
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="the homeowner (demo email)",
            statement=WrittenStatement(kind=StatementKind.EMAIL, content="Please cancel."),
        ),
        actor=AGENT,
    )
    return _cancel(ctx, request.id)


def _escalate(ctx: Context, target: str) -> str:
    request = file_request(
        ctx,
        RequestDraft(
            job_id=target,
            channel=Channel.PHONE,
            requester_role=RequesterRole.SALES_REP,
            requester_name="the sales rep (demo)",
        ),
        actor=AGENT,
    )
    case = escalate_to_deal_processing(ctx, request.id, actor=AGENT)
    return f"case {case.id} opened for Deal Processing, in the {case.queue.value} queue"


def _code_from_outbox(ctx: Context, message_id: str) -> str:
    """The demo reads the code the way the homeowner would: from the queued email."""
    with ctx.uow() as uow:
        code = uow.outbox.get(message_id).context.get("code")
    return str(code)


def _backdated_cancellations(ctx: Context, out: Console) -> None:
    """Cancel a few jobs as of a month ago, so the sweep has windows to finalize."""
    past = ctx.with_clock_offset(-timedelta(days=30))
    done = 0
    for target in [t for t in ELIGIBLE if t != M1_REVIEW_PENDING_BOTH_SIGNED][:12]:
        try:
            request = file_request(
                past,
                RequestDraft(
                    job_id=target,
                    channel=Channel.EMAIL,
                    requester_role=RequesterRole.HOMEOWNER,
                    requester_name="the homeowner",
                    statement=WrittenStatement(kind=StatementKind.EMAIL, content="Cancel."),
                ),
                actor=AGENT,
            )
            with past.uow() as uow:
                email = uow.jobs.get(target).homeowner.email
            verify_by_address_on_file(
                past, request.id, sender=email, authenticated=True, actor=AGENT
            )
            cancel_workflow(past, request.id, actor=AGENT, reason="Homeowner request")
            done += 1
        except RescindError:
            continue
    out.print(f"cancelled {done} demo jobs as of a month ago (their windows have ended)")
