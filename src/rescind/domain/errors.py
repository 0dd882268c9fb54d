"""The one error hierarchy of rescind.

Every error a user can meet is a ``RescindError`` with a stable ``code`` (for API clients
and scripts) and a message that says what was wrong and what to do. Only the entrypoints
translate them: the API to problem+json, the CLI to one line and an exit code.

``retryable`` says whether sending the same thing again may succeed: ``True`` for a
``Conflict`` (another change won the race; retry as sent), ``False`` for a refusal that
stands until something changes (``NotAllowed``, ``DuplicateRequest``), ``None`` where it
depends (the API leaves it out).

    RescindError
    ├── InvalidInput            bad or missing field, unknown enum value, malformed file
    │   ├── AddressRefused      a webhook URL that reaches an internal address (SSRF guard)
    │   └── PostmarkAfterReceipt  a notice postmarked after its receipt (409: the receipt's date)
    ├── NotFound                no such job / request / case / policy version (or not yours)
    │   └── UnknownReference    a field names a record that does not exist (a user's scope)
    ├── Unauthenticated         no valid credentials
    ├── Forbidden               your role may not do this
    │   └── PasswordChangeRequired  the right password, but an admin asked for a new one
    ├── PreconditionFailed      the version you edited is not the current one (If-Match)
    ├── PreconditionRequired    a state change sent without If-Match
    ├── RateLimited             too many attempts; wait and retry
    │   └── VerificationLimitReached  a request's codes or wrong guesses are used up
    ├── NotAllowed              the procedure forbids this step now
    │   ├── NotEligible         the decision table says support may not cancel
    │   ├── NotVerified         the request is not verified as the homeowner's
    │   ├── StatementMissing    no written statement from the homeowner yet
    │   ├── InvalidTransition   e.g. restore a cancelled job, cancel a cancelled one
    │   ├── WrittenRequestRequired  no Cancel Workflow button outside the operations phase
    │   ├── VerificationFailed  wrong / expired / locked 4-digit code
    │   └── LinkRefused         a used, expired or tampered self-service link
    ├── Conflict                someone else changed the same thing first; retry
    │   ├── DuplicateRequest    the same requester already has an open request for the job
    │   └── AlreadyExists       the value is valid but taken (a username, a holiday's date)
    └── PolicyError             a decision table that cannot be published
"""

from __future__ import annotations


class RescindError(Exception):
    """Base of every error a user may see; ``code`` never changes once released."""

    code = "rescind_error"
    retryable: bool | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RescindError):
    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AddressRefused(InvalidInput):
    code = "webhook_address_refused"


class PostmarkAfterReceipt(InvalidInput):
    """A notice's postmark after the day its request was received: a date the schema allows
    that only the receipt on record rules out, so the API answers it as a conflict (409)."""

    code = "postmark_after_receipt"
    retryable = False


class NotFound(RescindError):
    code = "not_found"


class UnknownReference(NotFound):
    """A well-formed id in a field that names no record (404, on its field): whether it
    exists is a fact of the data, which the schema cannot say."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def job_not_found(job_id: str) -> NotFound:
    """One message for a missing job and for one outside the actor's scope: nothing leaks."""
    return NotFound(f"no job with id {job_id!r}; check the id")


def request_not_found(request_id: str) -> NotFound:
    """As ``job_not_found``: the same words whether it is missing or another's."""
    return NotFound(
        f"no cancellation request with id {request_id!r}; check the id "
        "(the job's requests list shows them)"
    )


def not_a_cursor(field: str = "cursor") -> UnknownReference:
    """A paging cursor this API never handed out (naming no row, or a number past any row):
    whether a row exists is a fact of the data, so it is a 404 on the field, not a 422."""
    return UnknownReference(
        "not a cursor this API gave out (it names no row); start again without one", field=field
    )


def case_not_found(case_id: str) -> NotFound:
    """As ``job_not_found``: the same words whether it is missing or another's."""
    return NotFound(f"no case with id {case_id!r}; check the id (the job's cases list shows them)")


class Unauthenticated(RescindError):
    code = "unauthenticated"


class Forbidden(RescindError):
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


class PreconditionFailed(RescindError):
    code = "precondition_failed"


class PreconditionRequired(RescindError):
    """A state change of a job, request or case arrived without ``If-Match``: writing blind
    must be asked for (``If-Match: *``), never the default."""

    code = "precondition_required"
    retryable = False


class RateLimited(RescindError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds; None when waiting does not help


class VerificationLimitReached(RateLimited):
    """Codes sent to one request (an hour, a day) or wrong codes tried for it, used up."""

    code = "verification_limit_reached"


class NotAllowed(RescindError):
    code = "not_allowed"
    retryable = False


class NotEligible(NotAllowed):
    code = "not_eligible"

    def __init__(self, message: str, *, rule_number: int, policy_version: int) -> None:
        super().__init__(message)
        self.rule_number = rule_number
        self.policy_version = policy_version


class NotVerified(NotAllowed):
    code = "not_verified"


class StatementMissing(NotAllowed):
    code = "written_statement_missing"


class InvalidTransition(NotAllowed):
    code = "invalid_transition"


class WrittenRequestRequired(NotAllowed):
    """The installer clicked Cancel Workflow outside the operations phase, where Engine has no
    such button: only the homeowner's written request can start a cancel. The click is on
    record (a request closed with this reason) before it is raised."""

    code = "written_request_required"

    def __init__(self, message: str, *, cancellation_request_id: str) -> None:
        super().__init__(message)
        self.cancellation_request_id = cancellation_request_id


class VerificationFailed(NotAllowed):
    code = "verification_failed"

    def __init__(self, message: str, *, reason: str, attempts_left: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.attempts_left = attempts_left


class LinkRefused(NotAllowed):
    """The self-service link does not open; ``reason`` is ``self_service.LinkRefusal``."""

    code = "self_service_link_refused"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Conflict(RescindError):
    code = "conflict"
    retryable = True


class AlreadyExists(Conflict):
    """A valid value the data already holds (another user's username, a date that is a
    holiday already): a conflict with what is stored, not bad input, so the schema (which
    cannot know the data) and the answer agree. Named on its field like bad input."""

    code = "already_exists"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class DuplicateRequest(Conflict):
    """A second open request for the same job and requester: the first one is the one to
    work, so nothing new is filed and its id is given instead."""

    code = "duplicate_request"
    retryable = False

    def __init__(self, message: str, *, existing_request_id: str) -> None:
        super().__init__(message)
        self.existing_request_id = existing_request_id


class PolicyError(RescindError):
    code = "policy_invalid"
