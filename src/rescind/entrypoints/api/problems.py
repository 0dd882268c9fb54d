"""RFC 9457 problem details: every error the API returns, in one shape.

``type`` is stable (``/problems/<code>``, served by the API itself with a description);
``detail`` says what to do; validation problems list each bad field. Only this module knows
how rescind's errors map to HTTP statuses. ``retryable`` is the error class's own answer to
"will sending it again help?"; a retryable one also says when, in ``Retry-After``.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rescind.adapters.db.outage import RETRY_AFTER_SECONDS, database_unavailable
from rescind.domain.errors import (
    RateLimited,
    RescindError,
    Unauthenticated,
)
from rescind.entrypoints.processes.logs import current_request_id
from rescind.entrypoints.web.problem_types import STATUS as STATUS  # re-exported
from rescind.entrypoints.web.problem_types import TITLES as TITLES  # re-exported

log = logging.getLogger(__name__)
# A lost race is over once the winner commits: a second is plenty before trying again.
CONFLICT_RETRY_AFTER_SECONDS = 1
REQUEST_ID_HEADER = "X-Request-ID"
PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(examples=["body.requester_name"])
    message: str = Field(examples=["Field required"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not_eligible"])
    title: str = Field(examples=["Not eligible for cancellation by support"])
    status: int = Field(examples=[409])
    detail: str = Field(
        examples=["not eligible for cancellation by support (rule 1: Partner program is Beam…)"]
    )
    code: str = Field(examples=["not_eligible"])
    errors: list[FieldProblem] = Field(default_factory=list)
    retryable: bool | None = Field(
        default=None,
        description="Whether sending the same request again may succeed: true for a change "
        "that lost a race (wait `Retry-After` seconds, then retry as sent), false for a "
        "refusal that stands until something else changes; absent when it depends.",
    )
    rule_number: int | None = None
    policy_version: int | None = None
    attempts_left: int | None = None
    cancellation_request_id: str | None = Field(
        default=None,
        description="On `written_request_required`: the request recorded (and closed) for "
        "the installer's click.",
    )
    existing_request_id: str | None = Field(
        default=None,
        description="On `duplicate_request`: the open request to work instead (nothing new "
        "was filed).",
    )
    request_id: str | None = Field(
        default=None,
        description="The X-Request-ID of the request (an RFC 9457 extension member): quote it "
        "when reporting a problem; the server's log lines for it carry the same id.",
    )


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        type=f"/problems/{code}",
        title=TITLES.get(code, code.replace("_", " ")),
        status=status,
        detail=detail,
        code=code,
        errors=errors or [],
        request_id=current_request_id(),
        **{k: v for k, v in extra.items() if v is not None},
    )
    if body.request_id is not None:
        # The access middleware sets the header too, except on a 500, answered outside it.
        headers = {**(headers or {}), REQUEST_ID_HEADER: body.request_id}
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def from_error(error: RescindError) -> JSONResponse:
    status = next((s for kind, s in STATUS if isinstance(error, kind)), 400)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    errors: list[FieldProblem] = []
    field = getattr(error, "field", None)  # InvalidInput, AlreadyExists, UnknownReference
    if isinstance(field, str) and field:
        errors.append(FieldProblem(field=field, message=error.message))
    if isinstance(error, RateLimited) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if error.retryable and "Retry-After" not in headers:
        headers["Retry-After"] = str(CONFLICT_RETRY_AFTER_SECONDS)
    extra["retryable"] = error.retryable
    for name in (
        "rule_number",
        "policy_version",
        "attempts_left",
        "cancellation_request_id",
        "existing_request_id",
    ):
        extra[name] = getattr(error, name, None)
    return problem_response(
        status, error.code, error.message, errors=errors, headers=headers or None, **extra
    )


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@lru_cache(maxsize=256)
def _path_pattern(template: str) -> re.Pattern[str]:
    """``/jobs/{job_id}/feed`` as a pattern for the URLs it names (a parameter is one segment)."""
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives the path this request's URL names.

    Starlette's 405 names only the methods of the first route whose path matched, and each
    method of a path is a route of its own here (GET and POST /holidays), so it said
    ``Allow: GET`` where POST works too. The document is the contract (and public API,
    unlike the router's internals); it is built once and cached by FastAPI. As in OpenAPI, a
    concrete path wins over a templated one: ``/jobs/import`` is not ``/jobs/{job_id}``.
    """
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    url = request.url.path
    matching = [t for t in paths if _path_pattern(t).fullmatch(url)]
    if not matching:
        return []
    fewest = min(t.count("{") for t in matching)
    methods = {
        method.upper()
        for template in matching
        if template.count("{") == fewest
        for method in paths[template]
        if method in HTTP_METHODS
    }
    return sorted(methods)


def first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _method_not_allowed(request: Request, allow: str, headers: dict[str, str]) -> JSONResponse:
    return problem_response(
        405,
        "http_error",
        f"{request.method} is not a method of {request.url.path}; it allows {allow}",
        headers={**headers, "Allow": allow},
    )


def install(app: FastAPI) -> None:
    """Route every error through problem details; nothing reaches a client as a traceback."""

    @app.exception_handler(RescindError)
    async def _rescind(_: Request, error: RescindError) -> JSONResponse:
        return from_error(error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        allow = allowed_methods(request)
        method = "GET" if request.method == "HEAD" else request.method
        if allow and method not in allow:
            # The URL is a concrete path of the document that lacks this method, routed to a
            # template it also fits (DELETE /holidays/preview to /holidays/{day}): a 405.
            return _method_not_allowed(request, ", ".join(allow), {})
        errors = [
            FieldProblem(
                field=".".join(str(p) for p in e.get("loc", ())), message=str(e.get("msg", ""))
            )
            for e in error.errors()
        ]
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3])
        return problem_response(
            422, "invalid_input", f"fix these fields and send again — {summary}", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's "error parsing the body" (e.g. JSON that is not UTF-8): bad input like
            # any other, so the documented 422 rather than a bare 400.
            return problem_response(
                422,
                "invalid_input",
                "the body could not be read: send UTF-8 JSON with Content-Type: application/json",
                errors=[FieldProblem(field="body", message=str(error.detail))],
            )
        if error.status_code == 405:
            # A route outside the document (e.g. /problems/{code}) keeps Starlette's own list.
            allow = ", ".join(allowed_methods(request)) or (error.headers or {}).get("Allow", "")
            return _method_not_allowed(request, allow, dict(error.headers or {}))
        code = {404: "not_found", 401: "unauthenticated"}.get(error.status_code, "http_error")
        return problem_response(
            error.status_code, code, str(error.detail), headers=dict(error.headers or {})
        )

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, error: DBAPIError) -> JSONResponse:
        # Registered apart from ``Exception`` so it is answered here, not re-raised to the
        # server's log as a traceback after the answer (Starlette does that for ``Exception``).
        if not database_unavailable(error):
            log.exception("unexpected database error", exc_info=error)
            return problem_response(
                500, "internal_error", "an unexpected error occurred; it has been logged"
            )
        log.warning("database unavailable: %s", first_line(error.orig))
        return problem_response(
            503,
            "database_unavailable",
            "the database cannot be reached right now; retry in a few seconds (a change retried "
            "with the same Idempotency-Key is never done twice)",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            retryable=True,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=error)
        return problem_response(
            500, "internal_error", "an unexpected error occurred; it has been logged"
        )
