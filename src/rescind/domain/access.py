"""Who may do what, and on which jobs: SPEC's table of people, as data.

Every use case names the permission it needs and checks it against the acting person here,
so the API, the console and the CLI enforce the same rules. A job outside an actor's scope
(another installer company's, another rep's, another homeowner's) is reported as not found,
never as forbidden, so its existence does not leak.

What a scoped person may read is one value, ``Actor.scope`` (a ``JobScope``): a single item
(a job, or a request or case through its job) is checked with ``JobScope.covers``, and every
list of things that belong to jobs (jobs found, the homeowner's feed, received email) is
narrowed by the same value in the repositories' SQL. The work lists that span every job
(queues, the outbox, triage) are granted to unscoped roles only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rescind.domain.errors import Forbidden, InvalidInput, job_not_found
from rescind.domain.job import Job
from rescind.domain.request import RequesterRole
from rescind.domain.wording import a


class Role(StrEnum):
    AGENT = "agent"
    BACK_OFFICE = "back_office"
    DEAL_PROCESSING = "deal_processing"
    INSTALLER = "installer"
    SALES_REP = "sales_rep"
    HOMEOWNER = "homeowner"
    ADMIN = "admin"
    SYSTEM = "system"  # the CLI, the sweep, the demo: operators at the machine


class Permission(StrEnum):
    READ_JOBS = "read_jobs"
    READ_QUEUES = "read_queues"
    READ_AUDIT = "read_audit"
    READ_OUTBOX = "read_outbox"
    FILE_REQUEST = "file_request"
    ATTACH_STATEMENT = "attach_statement"
    SEND_CODE = "send_code"
    CONFIRM_CODE = "confirm_code"
    VERIFY_ADDRESS = "verify_address"
    CANCEL = "cancel"
    CLOSE_REQUEST = "close_request"  # refuse or close a request with a reason
    TRIAGE_EMAIL = "triage_email"  # attach a waiting email to a job, or dismiss it
    RESEND_EMAIL = "resend_email"  # a failed email: fix an address or send it again
    RESTORE = "restore"
    INSTALLER_CANCEL = "installer_cancel"
    ESCALATE = "escalate"
    REASSIGN_CASE = "reassign_case"
    DECIDE_CASE = "decide_case"
    COMMENT = "comment"
    IMPORT_JOBS = "import_jobs"
    PUBLISH_POLICY = "publish_policy"
    MANAGE_HOLIDAYS = "manage_holidays"
    MANAGE_USERS = "manage_users"
    SWEEP = "sweep"
    READ_EVENTS = "read_events"
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_DEMO_MAILBOX = "read_demo_mailbox"  # the embedded demo's outgoing mail, unsent
    READ_INSIGHTS = "read_insights"  # the insights page, scoped like every read


P = Permission
_READ_ALL = {
    P.READ_JOBS,
    P.READ_QUEUES,
    P.READ_AUDIT,
    P.READ_OUTBOX,
    P.READ_EVENTS,
    P.READ_INSIGHTS,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    # Everything in the procedure, for any job.
    Role.AGENT: frozenset(
        _READ_ALL
        | {
            P.FILE_REQUEST,
            P.ATTACH_STATEMENT,
            P.SEND_CODE,
            P.CONFIRM_CODE,
            P.VERIFY_ADDRESS,
            P.CANCEL,
            P.CLOSE_REQUEST,
            P.TRIAGE_EMAIL,
            P.RESEND_EMAIL,
            P.RESTORE,
            P.ESCALATE,
            P.REASSIGN_CASE,
            P.COMMENT,
            P.READ_DEMO_MAILBOX,
        }
    ),
    # Works the Back Office queue: creates and reassigns cases.
    Role.BACK_OFFICE: frozenset(
        _READ_ALL | {P.ESCALATE, P.REASSIGN_CASE, P.COMMENT, P.RESEND_EMAIL}
    ),
    # Approves or denies escalated cancellations.
    Role.DEAL_PROCESSING: frozenset(_READ_ALL | {P.DECIDE_CASE, P.COMMENT}),
    # Its own company's jobs: the Cancel Workflow button, or a request for the homeowner.
    # Its systems may poll its company's events (GET /events, narrowed by its scope), and it
    # sees its company's insights.
    Role.INSTALLER: frozenset(
        {P.READ_JOBS, P.READ_EVENTS, P.READ_INSIGHTS, P.FILE_REQUEST, P.INSTALLER_CANCEL}
    ),
    # Own jobs: may file a request on the homeowner's behalf.
    Role.SALES_REP: frozenset({P.READ_JOBS, P.FILE_REQUEST}),
    # Own jobs: a written request, and reading back the code (self-service).
    Role.HOMEOWNER: frozenset({P.READ_JOBS, P.FILE_REQUEST, P.ATTACH_STATEMENT, P.CONFIRM_CODE}),
    # Operations: users, policy versions, holidays, imports, webhook endpoints.
    Role.ADMIN: frozenset(
        _READ_ALL
        | {
            P.IMPORT_JOBS,
            P.PUBLISH_POLICY,
            P.MANAGE_HOLIDAYS,
            P.MANAGE_USERS,
            P.SWEEP,
            P.MANAGE_WEBHOOKS,
            P.READ_DEMO_MAILBOX,
            P.RESEND_EMAIL,
        }
    ),
    Role.SYSTEM: frozenset(Permission),
}

SCOPED_ROLES = frozenset({Role.INSTALLER, Role.SALES_REP, Role.HOMEOWNER})


@dataclass(frozen=True)
class JobScope:
    """The jobs a reader may see: every job (nothing set), or those of one installer company,
    one sales rep or one homeowner. An item of no job (a comment or email filed on none)
    lies outside every narrowed scope."""

    installer_id: str | None = None
    sales_rep_id: str | None = None
    homeowner_id: str | None = None

    @property
    def every_job(self) -> bool:
        return self.installer_id is None and self.sales_rep_id is None and self.homeowner_id is None

    def covers(self, job: Job) -> bool:
        return (
            self.installer_id in (None, job.installer.id)
            and self.sales_rep_id in (None, job.sales_rep.id)
            and self.homeowner_id in (None, job.homeowner.id)
        )


EVERY_JOB = JobScope()


@dataclass(frozen=True)
class Actor:
    """The person (or process) acting; ``id`` is what the audit trail records.

    ``scope_id`` ties an installer to its company, a sales rep or a homeowner to themself.
    """

    id: str
    role: Role
    scope_id: str | None = None

    def __post_init__(self) -> None:
        if self.role in SCOPED_ROLES and not self.scope_id:
            raise InvalidInput(
                f"{a(self.role.value.replace('_', ' '))} acts only within its own jobs: give its "
                f"{'installer company' if self.role is Role.INSTALLER else self.role.value} id",
                field="scope_id",
            )

    def __str__(self) -> str:
        return self.id

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(id=f"system:{name}", role=Role.SYSTEM)

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def scope(self) -> JobScope:
        match self.role:
            case Role.INSTALLER:
                return JobScope(installer_id=self.scope_id)
            case Role.SALES_REP:
                return JobScope(sales_rep_id=self.scope_id)
            case Role.HOMEOWNER:
                return JobScope(homeowner_id=self.scope_id)
            case _:
                return EVERY_JOB

    def sees(self, job: Job) -> bool:
        return self.scope.covers(job)


# Who a scoped person can file a request as: only as themself.
FILES_AS: dict[Role, RequesterRole] = {
    Role.INSTALLER: RequesterRole.INSTALLER,
    Role.SALES_REP: RequesterRole.SALES_REP,
    Role.HOMEOWNER: RequesterRole.HOMEOWNER,
}


def require_files_as(actor: Actor, requester_role: RequesterRole) -> None:
    own = FILES_AS.get(actor.role)
    if own is not None and own is not requester_role:
        raise Forbidden(
            f"{a(actor.role.value.replace('_', ' '))} files requests as "
            f"{own.value.replace('_', ' ')}, not as {requester_role.value.replace('_', ' ')}"
        )


def permission_refusal(actor: Actor, permission: Permission) -> Forbidden | None:
    """Why ``actor`` may not do what ``permission`` grants, or None: the words ``require``
    refuses with, for a page to show next to the button it does not offer."""
    if actor.may(permission):
        return None
    return Forbidden(
        f"{a(actor.role.value.replace('_', ' '))} may not {permission.value.replace('_', ' ')}"
    )


def require(actor: Actor, permission: Permission, job: Job | None = None) -> None:
    """Refuse unless ``actor`` holds ``permission`` (and, for a job, may see it)."""
    if job is not None and not actor.sees(job):
        raise job_not_found(job.id)
    refusal = permission_refusal(actor, permission)
    if refusal is not None:
        raise refusal
