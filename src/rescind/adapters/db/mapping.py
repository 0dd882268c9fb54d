"""Which table holds which domain object: one ``Fields`` declaration per table.

Repositories read, insert and update through these, never by naming columns one by one, so a
field added to a dataclass and its table needs no repository edit (``fields.py`` refuses a
declaration that leaves either unpaired).
"""

from __future__ import annotations

from rescind.adapters.db.fields import Fields, Stored
from rescind.adapters.db.tables import (
    ApiTokenRow,
    AppUserRow,
    AuditCheckpointRow,
    AuditEventRow,
    CancellationRequestRow,
    CaseAssignmentRow,
    CaseRow,
    EventRow,
    FeedCommentRow,
    HomeownerRow,
    IdempotencyRecordRow,
    InboundEmailRow,
    InstallerCompanyRow,
    JobRow,
    OutboxMessageRow,
    ReviewItemRow,
    SalesRepRow,
    SelfServiceLinkRow,
    VerificationChallengeRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WrittenStatementRow,
)
from rescind.domain.audit import AuditRecord
from rescind.domain.case import Case, CaseAssignment
from rescind.domain.checkpoint import IssuedCheckpoint, TreeHead
from rescind.domain.email import OutgoingEmail, QueuedEmail
from rescind.domain.feed import FeedComment
from rescind.domain.inbound import InboundRecord
from rescind.domain.job import Homeowner, InstallerCompany, Job, ReviewItem, SalesRep
from rescind.domain.request import CancellationRequest, WrittenStatement
from rescind.domain.search import name_key
from rescind.domain.self_service import SelfServiceLink
from rescind.domain.user import TokenRecord, User
from rescind.domain.verification import VerificationChallenge
from rescind.domain.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent
from rescind.services.ports import IdempotencyEntry, StoredResponse

# The job's people are joined in and its review items read apart; the rest are its columns.
# ``name_key`` is the homeowner's, kept on the job for the name search (``tables/job.py``).
JOB = Fields(
    JobRow,
    Job,
    paths={
        "homeowner_id": "homeowner.id",
        "installer_id": "installer.id",
        "sales_rep_id": "sales_rep.id",
        "review_status": "review.status",
        "name_key": "homeowner.name",
    },
    stored={"name_key": Stored(dump=name_key, load=str)},
    supplied=("homeowner", "installer", "sales_rep", "review"),
)
REVIEW_ITEM = Fields(ReviewItemRow, ReviewItem, given=("job_id", "position"))
# The search keys are derived from name, email and phone whenever a homeowner is written.
HOMEOWNER = Fields(
    HomeownerRow,
    Homeowner,
    given=("email_key", "name_key", "surname_key", "phone_key"),
)
INSTALLER = Fields(InstallerCompanyRow, InstallerCompany)
SALES_REP = Fields(SalesRepRow, SalesRep)

REQUEST = Fields(CancellationRequestRow, CancellationRequest, supplied=("statement",))
STATEMENT = Fields(WrittenStatementRow, WrittenStatement, given=("request_id",))
CHALLENGE = Fields(VerificationChallengeRow, VerificationChallenge)

CASE = Fields(CaseRow, Case, supplied=("assignments",))
# Assignment ids are the database's own (their order is the list's order).
ASSIGNMENT = Fields(CaseAssignmentRow, CaseAssignment, given=("id", "case_id"))
FEED_COMMENT = Fields(FeedCommentRow, FeedComment)

USER = Fields(AppUserRow, User)
TOKEN = Fields(ApiTokenRow, TokenRecord, key="digest")
SELF_SERVICE_LINK = Fields(SelfServiceLinkRow, SelfServiceLink)

# The sender check is two columns (verdict and why), both absent when nothing was judged.
INBOUND = Fields(
    InboundEmailRow,
    InboundRecord,
    given=("authenticated", "authentication"),
    supplied=("authentication",),
)

# A checkpoint row is its signed head and where the document is kept.
CHECKPOINT = Fields(
    AuditCheckpointRow,
    IssuedCheckpoint,
    paths={c: f"head.{c}" for c in ("created_at", "tree_size", "root", "key_id")},
    given=("id",),
    supplied=("head",),
)
TREE_HEAD = Fields(AuditCheckpointRow, TreeHead, given=("id", "signature", "name"))

# An email is written as the outgoing message it was queued as, and read as the queued one.
_RECIPIENTS = {"to_addrs": "recipients.to", "cc_addrs": "recipients.cc"}
OUTGOING = Fields(
    OutboxMessageRow,
    OutgoingEmail,
    paths=_RECIPIENTS,
    given=(
        "id",
        "message_id",
        "sender",
        "status",
        "attempts",
        "next_attempt_at",
        "queued_at",
        "sent_at",
        "last_error",
    ),
)
QUEUED = Fields(
    OutboxMessageRow,
    QueuedEmail,
    paths=_RECIPIENTS,
    given=("id", "next_attempt_at", "secret_keys"),
    supplied=("recipients",),
)

# An event's own id is its public one; the row's integer id is the feed's cursor.
EVENT = Fields(EventRow, WebhookEvent, paths={"public_id": "id"}, given=("id",))
ENDPOINT = Fields(WebhookEndpointRow, WebhookEndpoint)
# A delivery is shown with its event's public id and type, and its endpoint's url (joined).
DELIVERY = Fields(
    WebhookDeliveryRow,
    WebhookDelivery,
    given=("event_id",),
    supplied=("event_id", "event_type", "url"),
)

# A record's job is its stream's (``job:<id>``), kept apart for the job page's index.
AUDIT_EVENT = Fields(AuditEventRow, AuditRecord, given=("id", "job_id"))

# An idempotency record is the key's reservation, and once answered the stored response.
_RESERVATION = ("user_id", "key", "fingerprint", "reserved_at")
RESPONSE = Fields(IdempotencyRecordRow, StoredResponse, given=_RESERVATION)
ENTRY = Fields(
    IdempotencyRecordRow,
    IdempotencyEntry,
    given=(
        "user_id",
        "key",
        *(c.name for c in RESPONSE.table.columns if c.name not in _RESERVATION),
    ),
    supplied=("response",),
)
