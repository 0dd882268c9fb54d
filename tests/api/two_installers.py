"""One homeowner with jobs of two installer companies, and something of every kind on both.

Ada (HO-1) has JOB-000301 with Sunny Roofs (INST-1) and Sam Rep (REP-1), inside the scope of
every scoped test user, and JOB-000302 with Shady Panels (INST-2) and Sue Rep (REP-2), which only
the homeowner herself (and the staff) may see. Both are Direct Pay M1B with the invoice
uploaded, so each gets: an email from Ada naming it (filed as a request, then escalated to a
Deal Processing case), an open phone request, a comment on Ada's feed, queued emails and an
audit trail. One more email from Ada names no job and, her having several open jobs, waits
in triage: it belongs to none. And a phone request on JOB-001 (the suite's seeded job of Ada's
with INST-1 and REP-1, eligible, so its statement step lists the emails received) shows what
a scoped reader's guided cancellation lists.

Every item's text names its job, so a page or answer that shows one of JOB-000302's items to
someone scoped out of it is caught by the id (``Items.markers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.access import Actor
from rescind.domain.inbound import InboundStatus
from rescind.domain.job import Job, Milestone, Phase, ProductModel
from rescind.domain.request import Channel, RequestDraft, RequesterRole
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.feed import comment_on_feed
from rescind.services.inbound import receive_email
from rescind.services.requests import file_request
from tests.api.conftest import INSTALLER, OTHER_INSTALLER, OTHER_REP, REP, homeowner

ELIGIBLE = "JOB-001"  # tests/api/conftest.py's: Ada's too, INST-1 and REP-1, eligible
OURS = "JOB-000301"  # INST-1, REP-1, HO-1: every scoped test user may see it
THEIRS = "JOB-000302"  # INST-2, REP-2, HO-1: only the homeowner (and the staff) may see it
ADA = homeowner(1, "Ada Lovelace")
SYSTEM = Actor.system("two-installers")


@dataclass(frozen=True)
class Items:
    """What exists about one job, by id (each one's text also names the job)."""

    job_id: str
    emailed_request_id: str  # filed from Ada's email, then escalated
    case_id: str
    phone_request_id: str  # still open
    comment: str
    inbound_id: str
    inbound_subject: str

    @property
    def markers(self) -> tuple[str, ...]:
        """Strings that appear only where one of this job's items is shown."""
        return (
            self.job_id,
            self.emailed_request_id,
            self.case_id,
            self.phone_request_id,
            self.comment,
            self.inbound_id,
            self.inbound_subject,
        )


@dataclass(frozen=True)
class World:
    ours: Items
    theirs: Items
    triage_inbound_id: str  # Ada's email naming no job: neither job's
    eligible_request_id: str  # on ELIGIBLE, open: its page has the statement step


def a_job(job_id: str, *, ours: bool) -> Job:
    return Job(
        id=job_id,
        homeowner=ADA,
        installer=INSTALLER if ours else OTHER_INSTALLER,
        sales_rep=REP if ours else OTHER_REP,
        product_model=ProductModel.DIRECT_PAY,
        milestone=Milestone.M1B,
        invoice_uploaded=True,
        contract_signed_date=date(2026, 10, 1),
        installer_signed=True,
        sales_rep_signed=True,
        phase=Phase.OPERATIONS,
    )


def an_email(message_id: str, subject: str, body: str) -> bytes:
    return (
        f"From: Ada Lovelace <{ADA.email}>\r\n"
        "To: support@rescind.example\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 -0500\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def _items(ctx: Context, job_id: str) -> Items:
    subject = f"Please cancel {job_id}"
    raw = an_email(f"<cancel-{job_id}@mail.home.example>", subject, f"I cancel {job_id}.")
    received = receive_email(ctx, parse_email(raw), raw)
    assert received.status is InboundStatus.FILED, received
    assert received.job_id == job_id, received
    assert received.request_id is not None
    case = escalate_to_deal_processing(ctx, received.request_id, actor=SYSTEM)
    phoned = file_request(
        ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.SALES_REP,
            requester_name=f"Sam about {job_id}",
        ),
        actor=SYSTEM,
    )
    comment = f"Called Ada about {job_id}: her roof is being replaced"
    comment_on_feed(ctx, job_id, comment, actor=SYSTEM)
    return Items(
        job_id=job_id,
        emailed_request_id=received.request_id,
        case_id=case.id,
        phone_request_id=phoned.id,
        comment=comment,
        inbound_id=received.inbound_id,
        inbound_subject=subject,
    )


def two_installers(ctx: Context) -> World:
    """Add both jobs and their items (through the services, as the system)."""
    with ctx.uow() as uow:
        uow.jobs.add(a_job(OURS, ours=True))
        uow.jobs.add(a_job(THEIRS, ours=False))
        uow.commit()
    ours, theirs = _items(ctx, OURS), _items(ctx, THEIRS)
    raw = an_email("<which@mail.home.example>", "About my solar", "Which one? Both?")
    triage = receive_email(ctx, parse_email(raw), raw)
    assert triage.status is InboundStatus.TRIAGE, triage
    eligible = file_request(
        ctx,
        RequestDraft(
            job_id=ELIGIBLE,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Ada Lovelace",
        ),
        actor=SYSTEM,
    )
    return World(
        ours=ours,
        theirs=theirs,
        triage_inbound_id=triage.inbound_id,
        eligible_request_id=eligible.id,
    )
