"""The homeowner's self-service page, ``/cancel``: public (no staff login), in their language.

A sub-application mounted by ``api.app.create_app``, over ``services.self_service``: it never
decides a rule. What it adds is what a public door needs:

- the same answer whether or not the job, email or phone exists, and throttles per client and
  per typed target (the API's ``Throttle``), so the form enumerates nothing;
- the link is opened by a button (POST), not by loading it: a mail scanner that fetches
  links does not use up the homeowner's;
- the page session lives in an http-only cookie scoped to ``/cancel``; every form posts a
  CSRF token derived from it (an HMAC), checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from rescind.domain.errors import InvalidInput, LinkRefused, NotAllowed, RateLimited, RescindError
from rescind.domain.job import Language
from rescind.domain.self_service import SESSION_LIFETIME
from rescind.entrypoints.selfservice.render import Pages, language_of
from rescind.entrypoints.web.clients import client_key
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services import self_service
from rescind.services.context import Context

PATH = "/cancel"
SESSION_COOKIE = "rescind_self_service"
LANGUAGE_COOKIE = "rescind_language"
LINKS_PER_CLIENT = "20/hour"
LINKS_PER_TARGET = "5/hour"
OPENS_PER_CLIENT = "30/hour"
MAX_STATEMENT = 50_000


def _csrf(session: str) -> str:
    return hmac.new(session.encode(), b"self-service csrf", hashlib.sha256).hexdigest()


def _target_key(target: str) -> str:
    """A target however typed: case and punctuation do not make it a fresh one."""
    text = target.strip().lower()
    return "".join(c for c in text if c.isalnum() or c in "@.+-_")


def create_self_service(ctx: Context, throttle: Throttle) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    pages = Pages(ctx)

    def language(request: Request) -> Language:
        return language_of(request.cookies.get(LANGUAGE_COOKIE, ""))

    def _chosen(request: Request) -> Language | None:
        value = request.cookies.get(LANGUAGE_COOKIE)
        return language_of(value) if value else None

    def session_of(request: Request) -> str:
        return request.cookies.get(SESSION_COOKIE, "")

    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def start(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
        return pages.render(request, "start.html", language(request), status=status, **extra)

    @app.get("/", response_class=HTMLResponse)
    def start_page(request: Request) -> HTMLResponse:
        return start(request)

    @app.post("/", response_class=HTMLResponse)
    def ask_for_link(
        request: Request, target: Annotated[str, Form(max_length=320)] = ""
    ) -> HTMLResponse:
        if not target.strip():
            return start(request, 422, missing=True)
        try:
            # Both limits count every attempt, known or not: a refusal tells nothing either.
            throttle.hit(LINKS_PER_CLIENT, "ss-link-client", client_key(request), what="link")
            throttle.hit(LINKS_PER_TARGET, "ss-link-target", _target_key(target), what="link")
        except RateLimited as limited:
            answer = pages.render(request, "throttled.html", language(request), status=429)
            answer.headers["Retry-After"] = str(limited.retry_after or 60)
            return answer
        self_service.request_link(ctx, target, language=_chosen(request))
        return pages.render(request, "sent.html", language(request))

    @app.get("/link", response_class=HTMLResponse)
    def link_page(request: Request, t: str = "") -> HTMLResponse:
        return pages.render(request, "link.html", language(request), token=t[:100])

    @app.post("/link", response_model=None)
    def open_link(request: Request, token: Annotated[str, Form(max_length=100)] = "") -> Response:
        try:
            throttle.hit(OPENS_PER_CLIENT, "ss-open-client", client_key(request), what="link")
            session = self_service.open_link(ctx, token, language=_chosen(request))
        except (LinkRefused, RateLimited) as refused:
            return pages.render(
                request, "refused.html", language(request), status=400, refusal=refused
            )
        answer = RedirectResponse(f"{PATH}/job", status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=PATH,
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        return answer

    def job_page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
        session = session_of(request)
        try:
            view = self_service.self_service_page(ctx, session)
        except LinkRefused as refused:
            return pages.render(
                request, "refused.html", language(request), status=401, refusal=refused
            )
        return pages.render(
            request,
            "job.html",
            view.job.language,
            status=status,
            view=view,
            csrf=_csrf(session),
            **extra,
        )

    @app.get("/job", response_class=HTMLResponse)
    def show_job(request: Request) -> HTMLResponse:
        return job_page(request)

    def checked(request: Request, csrf: str) -> str | None:
        session = session_of(request)
        if not session or not hmac.compare_digest(_csrf(session), csrf):
            return None
        return session

    @app.post("/job/confirm", response_model=None)
    async def confirm(
        request: Request,
        csrf: Annotated[str, Form(max_length=100)] = "",
        statement: Annotated[str, Form(max_length=MAX_STATEMENT)] = "",
        upload: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        session = checked(request, csrf)
        if session is None:
            return job_page(request, 403, stale=True)
        text, file_name = statement, ""
        if upload is not None and upload.filename:
            raw = await upload.read(MAX_STATEMENT * 4 + 1)
            text = (text + "\n\n" if text.strip() else "") + raw.decode(
                "utf-8", errors="replace"
            ).replace("\x00", "")
            file_name = upload.filename[:200]
        try:
            self_service.confirm_cancellation(
                ctx, session, statement=text[:MAX_STATEMENT], file_name=file_name
            )
        except InvalidInput:
            return job_page(request, 422, statement_missing=True, statement_text=statement)
        except LinkRefused:
            return job_page(request)
        except NotAllowed as error:
            return job_page(request, 409, refusal=error)
        return RedirectResponse(f"{PATH}/job", status_code=303)

    @app.post("/job/withdraw", response_model=None)
    def withdraw(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
        session = checked(request, csrf)
        if session is None:
            return job_page(request, 403, stale=True)
        try:
            self_service.withdraw(ctx, session)
        except LinkRefused:
            return job_page(request)
        except NotAllowed as error:
            return job_page(request, 409, refusal=error)
        return RedirectResponse(f"{PATH}/job", status_code=303)

    @app.get("/job/notice", response_class=HTMLResponse)
    def notice(request: Request) -> HTMLResponse:
        try:
            view = self_service.self_service_page(ctx, session_of(request))
        except LinkRefused as refused:
            return pages.render(
                request, "refused.html", language(request), status=401, refusal=refused
            )
        return pages.render(request, "notice.html", view.job.language, view=view)

    @app.post("/language", response_model=None)
    def choose_language(
        request: Request,
        language_code: Annotated[str, Form(alias="language", max_length=5)] = "en",
        back: Annotated[str, Form(max_length=20)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        chosen = language_of(language_code)
        goes_to = f"{PATH}/job" if back == "job" else f"{PATH}/"
        session = checked(request, csrf)
        if session is not None:
            try:
                self_service.choose_language(ctx, session, chosen)
            except RescindError:
                goes_to = f"{PATH}/"
        answer = RedirectResponse(goes_to, status_code=303)
        answer.set_cookie(
            LANGUAGE_COOKIE,
            chosen.value,
            max_age=365 * 86400,
            path=PATH,
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        return answer

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _: RequestValidationError) -> Response:
        return start(request, 422, missing=True)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        return pages.render(request, "error.html", language(request), status=error.status_code)

    return app
