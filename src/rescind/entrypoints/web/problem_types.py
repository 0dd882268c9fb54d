"""The problem types every web door speaks: which HTTP status each error class gets, and the
title of each stable code (served at ``/problems/<code>``, shown on the console's error pages).
"""

from __future__ import annotations

from rescind.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotFound,
    PolicyError,
    PostmarkAfterReceipt,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    RescindError,
    Unauthenticated,
)

# Most specific first.
STATUS: list[tuple[type[RescindError], int]] = [
    (PostmarkAfterReceipt, 409),
    (InvalidInput, 422),
    (PolicyError, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (RateLimited, 429),
    (NotAllowed, 409),
    (Conflict, 409),
]

TITLES: dict[str, str] = {
    "invalid_input": "The request has a bad or missing value",
    "webhook_address_refused": "The webhook URL reaches an internal address",
    "not_found": "No such thing (or not yours to see)",
    "unauthenticated": "Log in first",
    "forbidden": "Your role may not do this",
    "password_change_required": "Choose a new password before logging in",
    "precondition_failed": "Someone changed it since you read it",
    "precondition_required": "Send If-Match with the ETag you read",
    "rate_limited": "Too many attempts",
    "not_allowed": "The procedure does not allow this now",
    "not_eligible": "Not eligible for cancellation by support",
    "not_verified": "The request is not verified as the homeowner's",
    "written_statement_missing": "The homeowner's written statement is missing",
    "invalid_transition": "The job is not in a state that allows this",
    "written_request_required": "A written request from the homeowner is required",
    "verification_failed": "The code was not accepted",
    "postmark_after_receipt": "The postmark is after the request was received",
    "self_service_link_refused": "The link was not accepted",
    "verification_limit_reached": "This request has used up its codes or its attempts",
    "conflict": "Someone else changed the same thing at the same moment; retry",
    "policy_invalid": "The decision table cannot be published",
    "duplicate_request": "This requester already has an open request for the job",
    "already_exists": "It exists already",
    "idempotency_key_reused": "This Idempotency-Key was used for a different request",
    "idempotency_in_progress": "The first request with this Idempotency-Key has not finished",
    "internal_error": "Something went wrong on our side",
    "database_unavailable": "The database cannot be reached right now; retry shortly",
    "http_error": "The request could not be routed",
    "not_ready": "The service cannot serve requests now",
    "request_too_large": "The request body is larger than this server accepts",
}
