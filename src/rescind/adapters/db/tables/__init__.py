"""Every table of rescind, one module per noun; importing this package registers them all."""

from rescind.adapters.db.tables.audit import AuditCheckpointRow, AuditEventRow, AuditStreamRow
from rescind.adapters.db.tables.base import NAMING_CONVENTION, Base
from rescind.adapters.db.tables.case import CaseAssignmentRow, CaseRow, FeedCommentRow
from rescind.adapters.db.tables.idempotency import IdempotencyRecordRow
from rescind.adapters.db.tables.inbound import InboundEmailRow
from rescind.adapters.db.tables.insight import InsightDayRow
from rescind.adapters.db.tables.job import JobRow, ReviewItemRow
from rescind.adapters.db.tables.outbox import OutboxMessageRow
from rescind.adapters.db.tables.people import HomeownerRow, InstallerCompanyRow, SalesRepRow
from rescind.adapters.db.tables.policy import (
    CalendarRevisionRow,
    CompanyHolidayRow,
    PolicyVersionRow,
)
from rescind.adapters.db.tables.request import (
    CancellationRequestRow,
    VerificationChallengeRow,
    WrittenStatementRow,
)
from rescind.adapters.db.tables.self_service import SelfServiceLinkRow
from rescind.adapters.db.tables.user import ApiTokenRow, AppUserRow
from rescind.adapters.db.tables.webhook import EventRow, WebhookDeliveryRow, WebhookEndpointRow

__all__ = [
    "NAMING_CONVENTION",
    "ApiTokenRow",
    "AppUserRow",
    "AuditCheckpointRow",
    "AuditEventRow",
    "AuditStreamRow",
    "Base",
    "CalendarRevisionRow",
    "CancellationRequestRow",
    "CaseAssignmentRow",
    "CaseRow",
    "CompanyHolidayRow",
    "EventRow",
    "FeedCommentRow",
    "HomeownerRow",
    "IdempotencyRecordRow",
    "InboundEmailRow",
    "InsightDayRow",
    "InstallerCompanyRow",
    "JobRow",
    "OutboxMessageRow",
    "PolicyVersionRow",
    "ReviewItemRow",
    "SalesRepRow",
    "SelfServiceLinkRow",
    "VerificationChallengeRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
    "WrittenStatementRow",
]
