"""The rows of one generated job: its homeowner, requests, case, feed, emails and audit trail.

Pure generation, no database: ``JobMaker.make(n)`` returns plain tuples in the column order of
``COLUMNS``, ready for COPY. The shapes follow the procedure so the service reads them as its
own: an eligibility decision made by the real decision table (cached per set of facts), due
times and Cancel Pending windows from the real operations calendar, and every job's audit
events sealed with ``rescind.domain.audit.seal`` so ``rescind audit verify`` passes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.dataset_columns import TABLE_ORDER
from rescind.domain.audit import GENESIS_HASH, AuditChannel, AuditContext, job_stream, seal
from rescind.domain.calendar import OperationsCalendar
from rescind.domain.eligibility import DecisionTable
from rescind.domain.events import Event, EventKind, JSONValue
from rescind.domain.search import homeowner_keys
from rescind.entrypoints.cli.demo_jobs import FIRST, INSTALLERS, LAST, REPS

Row = tuple[Any, ...]


AGENT = "agent:agent"
MORE_FIRST = [*FIRST, "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aiden", "Bea"]
MORE_LAST = [*LAST, "Schmidt", "Tanaka", "Usman", "Vargas", "Walsh", "Xu", "Young", "Zimmer"]
REVIEW_ITEMS = ("Signed contract", "Site survey", "Utility bill")
STATEMENT = "I, {name}, want to cancel my solar contract for job {job}. Please confirm."


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Rows:
    """Rows for COPY, by table name."""

    tables: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})

    def add(self, table: str, row: Row) -> None:
        self.tables[table].append(row)

    def count(self, table: str) -> int:
        return len(self.tables[table])


@dataclass(frozen=True)
class Shares:
    """How a realistic book of business looks; ``cancellable`` makes every job a cancel."""

    with_request: float = 0.06
    pending: float = 0.03
    cancelled: float = 0.02
    cancellable: bool = False


@dataclass
class JobMaker:
    table: DecisionTable
    calendar: OperationsCalendar
    now: datetime
    events_per_job: float
    shares: Shares = field(default_factory=Shares)
    seed: int = 7
    _decisions: dict[tuple[Any, ...], dict[str, JSONValue]] = field(default_factory=dict)
    # id of each cached decision -> its JSON; the decisions live as long as the maker.
    _decision_json: dict[int, str] = field(default_factory=dict)
    _windows: dict[date, datetime] = field(default_factory=dict)
    _events_made: int = 0

    def make(self, n: int, rows: Rows) -> str | None:
        """Add job ``n``'s rows; returns its open, verified request's id when cancellable."""
        rng = random.Random(self.seed * 1_000_003 + n)
        job_id, ho_id = f"JOB-{n:07d}", f"HO-{n:07d}"
        first, last = rng.choice(MORE_FIRST), rng.choice(MORE_LAST)
        name, email = f"{first} {last}", f"{first}.{last}.{n}@homeowner.example".lower()
        phone = f"+1-{rng.randrange(200, 999)}-{rng.randrange(200, 999)}-{rng.randrange(10**4):04d}"
        keys = homeowner_keys(name=name, email=email, phone=phone)
        rows.add(
            "homeowner",
            (
                ho_id,
                name,
                email,
                phone,
                keys["email_key"],
                keys["name_key"],
                keys["phone_key"],
                keys["surname_key"],
            ),
        )
        facts = self._facts(rng)
        installer, rep = rng.choice(INSTALLERS), rng.choice(REPS)
        installer_signed, rep_signed = rng.random() < 0.6, rng.random() < 0.5
        signed = self.now.date() - timedelta(days=rng.randrange(2, 240))
        trail = Trail(job_id, rng, known_json=self._decision_json)
        decision = self._decide(facts)
        status = "active"
        pending_since = final_at = cancelled_at = None
        roll = rng.random()
        if not self.shares.cancellable and decision["eligible"]:
            if roll < self.shares.pending:
                status = "cancel_pending"
                pending_since = self.now - timedelta(days=rng.random() * 8)
            elif roll < self.shares.pending + self.shares.cancelled:
                # Long enough ago that the 14 business days are over.
                status = "cancelled"
                pending_since = self.now - timedelta(days=25 + rng.random() * 60)
        if pending_since is not None:
            final_at = self._window_end(pending_since)
            cancelled_at = final_at if status == "cancelled" else None
            start = pending_since - timedelta(minutes=30)
        else:
            start = self.now - timedelta(days=rng.randrange(3, 60), minutes=rng.randrange(1440))
        trail.add(start, AGENT, "phone", EventKind.ELIGIBILITY_DECIDED, decision, policy=1)
        open_request: str | None = None
        if self.shares.cancellable or status != "active" or rng.random() < self.shares.with_request:
            open_request = self._request(
                n,
                rows,
                rng,
                trail,
                facts,
                job_id,
                name,
                email,
                status,
                start,
                decision,
                installer,
                rep,
                (installer_signed, rep_signed),
            )
        if pending_since is not None and final_at is not None:
            self._cancel(
                rows,
                trail,
                job_id,
                ho_id,
                email,
                pending_since,
                final_at,
                installer,
                rep,
                (installer_signed, rep_signed),
                status,
            )
        items = facts["review_status"] == "pending_review"
        rows.add(
            "job",
            (
                job_id,
                ho_id,
                installer[0],
                rep[0],
                facts["product_model"],
                facts["milestone"],
                facts["review_status"],
                facts["invoice_uploaded"],
                facts["system_photos_uploaded"],
                facts["partner_program"],
                installer_signed,
                rep_signed,
                signed,
                facts["phase"],
                status,
                pending_since,
                final_at,
                self.calendar.version if final_at else None,
                cancelled_at,
                0,
                keys["name_key"],
            ),
        )
        if items:
            for position, description in enumerate(REVIEW_ITEMS):
                rows.add(
                    "review_item",
                    (job_id, f"{job_id}-R{position + 1}", description, "open", position),
                )
        # Agents look the job up again now and then: the padding that makes a long trail.
        quota = round((n + 1) * self.events_per_job) - round(n * self.events_per_job)
        moment = trail.last_at
        while len(trail.events) < quota:
            moment = min(moment + timedelta(minutes=rng.randrange(5, 600)), self.now)
            trail.add(moment, AGENT, "console", EventKind.ELIGIBILITY_DECIDED, decision, policy=1)
        trail.write(rows)
        self._events_made += len(trail.events)
        return open_request if self.shares.cancellable else None

    def _facts(self, rng: random.Random) -> dict[str, Any]:
        model = "direct_pay" if rng.random() < 0.45 else "regular"
        milestones = ("M1A", "M1B", "M2", "M3") if model == "direct_pay" else ("M1", "M2", "M3")
        weights = (5, 3, 2, 1) if model == "direct_pay" else (5, 3, 2)
        if self.shares.cancellable:
            weights = (1, 1, 1, 0) if model == "direct_pay" else (1, 1, 0)
        milestone = rng.choices(milestones, weights=weights)[0]
        partner = "none"
        if not self.shares.cancellable:
            partner = rng.choices(("none", "beam", "concert"), weights=(16, 2, 2))[0]
        flag = rng.random() < (0.0 if self.shares.cancellable and milestone != "M1" else 0.4)
        late = milestone in ("M2", "M3")
        return {
            "product_model": model,
            "milestone": milestone,
            "review_status": "pending_review" if milestone == "M1" and flag else "not_submitted",
            "invoice_uploaded": (milestone == "M1B" and flag) or (late and model == "direct_pay"),
            "system_photos_uploaded": (milestone == "M2" and flag) or milestone == "M3",
            "partner_program": partner,
            "phase": "operations" if rng.random() < 0.8 else "sales",
        }

    def _decide(self, facts: dict[str, Any]) -> dict[str, JSONValue]:
        key = tuple(sorted(facts.items()))
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self.table.decide_facts(facts).to_dict()
            self._decision_json[id(found)] = dumps(found)
        return found

    def _window_end(self, start: datetime) -> datetime:
        day = self.calendar.local_date(start)
        found = self._windows.get(day)
        if found is None:
            found = self._windows[day] = self.calendar.window_end(start)
        return found

    def _request(
        self,
        n: int,
        rows: Rows,
        rng: random.Random,
        trail: Trail,
        facts: dict[str, Any],
        job_id: str,
        name: str,
        email: str,
        status: str,
        start: datetime,
        decision: dict[str, JSONValue],
        installer: tuple[str, str, str],
        rep: tuple[str, str, str],
        signed: tuple[bool, bool],
    ) -> str:
        request_id = f"REQ-{n:012x}"
        filed = start + timedelta(minutes=1)
        channel = rng.choice(("phone", "email", "chat"))
        due = self.calendar.add_business_hours(filed, 48)
        done = status != "active"
        escalate = (
            not self.shares.cancellable
            and facts["milestone"] == "M1B"
            and facts["invoice_uploaded"]
            and facts["partner_program"] == "none"
        )
        verified = self.shares.cancellable or done or escalate or rng.random() < 0.5
        method = ("code" if channel != "email" else "address_on_file") if verified else None
        outcome, detail = ("open", "")
        if done:
            outcome, detail = "cancel_pending", "cancel pending"
        elif escalate:
            outcome, detail = "escalated", "escalated to Deal Processing"
        elif not decision["eligible"] and rng.random() < 0.7:
            outcome, detail = "not_eligible", str(decision["guidance"])
        trail.add(
            filed,
            AGENT,
            channel,
            EventKind.REQUEST_FILED,
            {
                "request_id": request_id,
                "channel": channel,
                "requester_role": "homeowner",
                "requester_name": name,
                "due_at": due.isoformat(),
                "within_cooling_off": False,
                "homeowner_emailed": False,
            },
        )
        statement = verified and (self.shares.cancellable or rng.random() < 0.8)
        if method == "code":
            code_at = filed + timedelta(minutes=2)
            self._email(
                rows,
                trail,
                code_at,
                "verification_code",
                "ho_outbound",
                job_id,
                [email],
                [],
                {"homeowner_name": name, "code": ""},
                sent=True,
            )
        if verified:
            trail.add(
                filed + timedelta(minutes=4),
                AGENT,
                channel,
                EventKind.REQUEST_VERIFIED,
                {"request_id": request_id, "method": method, "evidence": channel},
            )
        if statement:
            kind = "email" if channel == "email" else "chat_transcript"
            content = STATEMENT.format(name=name, job=job_id)
            at = filed + timedelta(minutes=5)
            rows.add("written_statement", (request_id, kind, content, at, None, "", email))
            trail.add(
                at,
                AGENT,
                channel,
                EventKind.STATEMENT_ATTACHED,
                {
                    "kind": kind,
                    "received_at": at.isoformat(),
                    "sent_date": None,
                    "source_ref": "",
                    "from_address": email,
                    "length": str(len(content)),
                },
            )
        if outcome not in ("open", "escalated", "cancel_pending"):
            trail.add(
                filed + timedelta(minutes=6),
                AGENT,
                channel,
                EventKind.REQUEST_CLOSED,
                {"request_id": request_id, "outcome": outcome, "detail": detail},
            )
        rows.add(
            "cancellation_request",
            (
                request_id,
                job_id,
                channel,
                "homeowner",
                name,
                AGENT,
                filed,
                due,
                False,
                verified,
                method,
                filed + timedelta(minutes=4) if verified else None,
                None,
                "",
                outcome,
                detail,
                0,
            ),
        )
        if escalate:
            case_id = f"CASE-{n:012x}"
            at = filed + timedelta(minutes=8)
            rows.add(
                "case",
                (
                    case_id,
                    job_id,
                    request_id,
                    "homeowner",
                    f"Cancellation request for {job_id} (Direct Pay M1B, invoice)",
                    "The invoice is uploaded; Deal Processing decides.",
                    "back_office",
                    at,
                    AGENT,
                    "open",
                    "",
                    None,
                    "",
                    0,
                ),
            )
            rows.add("case_assignment", (case_id, "deal_processing", at, "open"))
            trail.add(
                at,
                AGENT,
                channel,
                EventKind.CASE_OPENED,
                {
                    "case_id": case_id,
                    "request_id": request_id,
                    "requested_by": "homeowner",
                    "queue": "back_office",
                    "assignment": "deal_processing",
                },
            )
        return request_id

    def _cancel(
        self,
        rows: Rows,
        trail: Trail,
        job_id: str,
        ho_id: str,
        email: str,
        since: datetime,
        final_at: datetime,
        installer: tuple[str, str, str],
        rep: tuple[str, str, str],
        signed: tuple[bool, bool],
        status: str,
    ) -> None:
        final_date = self.calendar.day_ended_by(final_at).isoformat()
        trail.add(
            since,
            AGENT,
            "phone",
            EventKind.WORKFLOW_CANCEL_PENDING,
            {
                "from": "active",
                "to": "cancel_pending",
                "final_at": final_at.isoformat(),
                "business_days": 14,
                "calendar_version": self.calendar.version,
                "reason": "homeowner request",
            },
            policy=1,
        )
        body = f"Cancellation requested: homeowner request. Cancel pending until {final_date}."
        comment_id = f"FC-{job_id.removeprefix('JOB-')}"
        rows.add("feed_comment", (comment_id, ho_id, job_id, AGENT, body, since, True))
        trail.add(
            since,
            AGENT,
            "phone",
            EventKind.FEED_COMMENTED,
            {"comment_id": comment_id, "automatic": True, "body": body},
            policy=1,
        )
        cc = [p[2] for p, s in zip((installer, rep), signed, strict=True) if s]
        self._email(
            rows,
            trail,
            since,
            "cancellation_notice",
            "support",
            job_id,
            [email],
            cc,
            {"job_id": job_id, "final_date": final_date},
            sent=True,
        )
        if status == "cancelled":
            trail.add(
                final_at,
                "system:sweep",
                "system",
                EventKind.WORKFLOW_CANCELLED,
                {"final_at": final_at.isoformat()},
            )
            self._email(
                rows,
                trail,
                final_at,
                "final_cancellation",
                "notifications",
                job_id,
                [email],
                [],
                {"job_id": job_id},
                sent=True,
            )

    def _email(
        self,
        rows: Rows,
        trail: Trail,
        at: datetime,
        kind: str,
        sender: str,
        job_id: str,
        to: list[str],
        cc: list[str],
        context: dict[str, JSONValue],
        *,
        sent: bool,
    ) -> None:
        message_id = f"<{job_id.lower()}.{kind}.{rows.count('outbox_message')}@rescind.invalid>"
        failed = trail.rng.random() < 0.01
        status = "failed" if failed else ("sent" if sent else "queued")
        rows.add(
            "outbox_message",
            (
                message_id,
                kind,
                job_id,
                sender,
                dumps(to),
                dumps(cc),
                dumps(context),
                dumps([]),
                status,
                5 if failed else 1,
                at,
                at,
                at + timedelta(seconds=3) if status == "sent" else None,
                "550 mailbox unavailable" if failed else "",
            ),
        )
        trail.add(
            at,
            AGENT,
            "system",
            EventKind.EMAIL_QUEUED,
            {
                "message_id": message_id,
                "kind": kind,
                "from": sender,
                "to": list(to),
                "cc": list(cc),
            },
        )


@dataclass
class Trail:
    """One job's audit events, sealed in order into a valid hash chain."""

    job_id: str
    rng: random.Random
    events: list[tuple[AuditContext, Event]] = field(default_factory=list)
    last_at: datetime = datetime(2020, 1, 1, tzinfo=UTC)
    # The JSON of data shared by many events (a cached decision), written once, not per row.
    known_json: dict[int, str] = field(default_factory=dict)

    def add(
        self,
        at: datetime,
        actor: str,
        channel: str,
        kind: EventKind,
        data: dict[str, JSONValue],
        *,
        policy: int | None = None,
    ) -> None:
        # A trail is in time order; the microseconds make each moment distinct, as in life.
        at = max(at, self.last_at + timedelta(microseconds=1))
        self.last_at = at
        self.events.append(
            (AuditContext(actor, at, AuditChannel(channel), policy), Event(kind, data))
        )

    def write(self, rows: Rows) -> None:
        stream, prev = job_stream(self.job_id), GENESIS_HASH
        for seq, (ctx, event) in enumerate(self.events, start=1):
            record = seal(stream, seq, prev, ctx, event)
            rows.add(
                "audit_event",
                (
                    stream,
                    seq,
                    self.job_id,
                    ctx.at,
                    ctx.actor,
                    ctx.channel,
                    ctx.policy_version,
                    record.kind,
                    self.known_json.get(id(event.data)) or dumps(record.data),
                    prev,
                    record.hash,
                ),
            )
            prev = record.hash
        if self.events:
            rows.add("audit_stream", (stream, len(self.events), prev))
