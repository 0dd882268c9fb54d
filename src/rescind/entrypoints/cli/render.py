"""How the CLI shows things: plain tables and lines a support person can read."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from rescind.domain.audit_sentence import person_name, sentence
from rescind.domain.eligibility import Decision, DecisionTable
from rescind.domain.job import JobStatus
from rescind.domain.wording import count
from rescind.services.audit import TrailCheck
from rescind.services.queries import JobOverview


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def print_decision(out: Console, decision: Decision) -> None:
    verdict = "ELIGIBLE" if decision.eligible else "NOT ELIGIBLE"
    out.print(
        f"{verdict} for cancellation by support — rule {decision.rule_number}: "
        f"{decision.rule_text} (policy v{decision.policy_version})",
        markup=False,
    )
    if decision.guidance:
        out.print(f"  what to do: {decision.guidance}", markup=False)
    if decision.steps_before_cancel:
        out.print(f"  before cancelling: {', then '.join(decision.steps_before_cancel)}")


def print_overview(out: Console, view: JobOverview, tz: ZoneInfo) -> None:
    job = view.job
    status = view.status.value
    if view.finalization is not None:
        status += f" — final since {local(job.final_at, tz)}, being processed"
    elif view.status is JobStatus.CANCEL_PENDING and view.final_date:
        status += f" until the end of {view.final_date.isoformat()}"
    rows = [
        ("job", job.id),
        ("status", status),
        ("homeowner", f"{job.homeowner.name} <{job.homeowner.email}> {job.homeowner.phone}"),
        ("installer", f"{job.installer.name} <{job.installer.email}>"),
        ("sales rep", f"{job.sales_rep.name} <{job.sales_rep.email}>"),
        ("product model", job.product_model.value),
        ("milestone", f"{job.milestone.value} (review: {job.review.status.value})"),
        ("invoice uploaded", "yes" if job.invoice_uploaded else "no"),
        ("system photos uploaded", "yes" if job.system_photos_uploaded else "no"),
        ("partner program", job.partner_program.value),
        ("contract signers", ", ".join(_signers(view))),
        ("contract signed", job.contract_signed_date.isoformat()),
        ("phase", job.phase.value),
    ]
    table = Table(show_header=False, box=None)
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    print_decision(out, view.decision)
    if view.requests:
        out.print("requests:")
        for r in view.requests:
            flags = " [within FTC cooling-off]" if r.within_cooling_off else ""
            verified = r.verification_method.value if r.verification_method else "not verified"
            out.print(
                f"  {r.id} {r.channel.value} from {r.requester_role.value} {r.requester_name}: "
                f"{r.outcome.value}, {verified}, due {local(r.due_at, tz)}{flags}",
                markup=False,
            )
    if view.cases:
        out.print("cases:")
        for c in view.cases:
            out.print(f"  {c.id} {c.status.value} in {c.queue.value}: {c.subject}", markup=False)
    if view.feed:
        out.print("feed:")
        for comment in view.feed:
            out.print(
                f"  {local(comment.created_at, tz)} {person_name(comment.author, view.names)}: "
                f"{comment.body}",
                markup=False,
            )
    out.print(f"audit trail ({count(len(view.trail), 'event')}):")
    for record in view.trail[-15:]:
        out.print(
            f"  #{record.seq} {local(record.occurred_at, tz)} "
            f"{sentence(record, tz=tz, names=view.names)}",
            markup=False,
        )


def _signers(view: JobOverview) -> list[str]:
    job = view.job
    signers = ["homeowner"]
    if job.installer_signed:
        signers.append("installer")
    if job.sales_rep_signed:
        signers.append("sales rep")
    return signers


def print_policy(out: Console, table: DecisionTable) -> None:
    out.print(
        f"policy v{table.version} — {table.name} (effective {table.effective_at.isoformat()})",
        markup=False,
    )
    grid = Table("#", "when", "eligible", "action", "what the agent is told")
    for rule in table.rules:
        when = ", ".join(
            f"{fact}={'/'.join(str(v).lower() for v in values)}"
            for fact, values in rule.when.items()
        )
        grid.add_row(
            str(rule.number),
            when,
            "yes" if rule.eligible else "no",
            rule.action.value,
            rule.guidance,
        )
    out.print(grid)


def print_trail_check(out: Console, check: TrailCheck) -> None:
    if check.ok:
        sealed = (
            f"; all {check.sealed} streams the checkpoint sealed hold what it sealed"
            if check.sealed
            else ""
        )
        out.print(
            f"audit trail intact: {check.streams} streams, {check.records} records verified"
            + sealed
        )
    else:
        out.print(f"audit trail BROKEN: {count(len(check.problems), 'problem')}")
        for problem in check.problems:
            out.print(f"  {problem}", markup=False)
    if check.checkpoint:
        out.print(f"({check.checkpoint})", markup=False)
