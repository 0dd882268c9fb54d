"""Turning a page's data into HTML, and an error into words next to the field that caused it.

Errors keep the API's mapping to HTTP statuses (``api.problems.STATUS``) so a browser, a proxy
log and the API agree on what went wrong; the console only changes how it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from rescind.domain.access import Permission
from rescind.domain.audit_sentence import person_name, sentence
from rescind.domain.errors import RescindError
from rescind.domain.wording import a, count
from rescind.entrypoints.console.session import (
    COOKIE_PATH,
    FLASH_COOKIE,
    CsrfRefused,
    Session,
    set_flash,
    take_flash,
)
from rescind.entrypoints.web.problem_types import STATUS, TITLES

HERE = Path(__file__).parent


@dataclass
class Problems:
    """What went wrong with a form: by field where the service named one, else a banner."""

    fields: dict[str, str] = field(default_factory=dict)
    banner: str = ""
    title: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.banner)


def problems_of(error: RescindError, field_name: str | None = None) -> Problems:
    """``field_name`` places an error the service did not tie to a field (a wrong code)."""
    title = TITLES.get(error.code, "")
    field = getattr(error, "field", None)  # InvalidInput, AlreadyExists, UnknownReference
    if isinstance(field, str) and field:
        return Problems(fields={_form_field(field): error.message}, title=title)
    if field_name and not isinstance(error, CsrfRefused):
        return Problems(fields={field_name: error.message}, title=title)
    return Problems(banner=error.message, title=title)


def _form_field(name: str) -> str:
    """The services name fields as the API does (``body.reason``); forms use the last part."""
    return name.rsplit(".", 1)[-1]


def status_of(error: RescindError) -> int:
    if isinstance(error, CsrfRefused):
        return 403
    return next((s for kind, s in STATUS if isinstance(error, kind)), 400)


def time_left(final_at: datetime | None, now: datetime) -> str:
    """What the countdown says before the page's script takes over."""
    if final_at is None:
        return ""
    minutes = int((final_at - now).total_seconds() // 60)
    if minutes <= 0:
        return "the window has ended"
    days, rest = divmod(minutes, 1440)
    hours = rest // 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes % 60} min")
    return " ".join(parts) + " left"


def make_templates(tz: ZoneInfo, now: Callable[[], datetime]) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True

    def when(value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")

    def day(value: date | None) -> str:
        return value.strftime("%a %Y-%m-%d") if value else "—"

    def words(value: object) -> str:
        text = str(getattr(value, "value", value))
        return text.replace("_", " ")

    env.filters["when"] = when
    env.filters["day"] = day
    env.filters["words"] = words
    # {{ record | sentence(o.names) }} and {{ comment.author | person(o.names) }}
    env.filters["sentence"] = lambda record, names: sentence(record, tz=tz, names=names)
    env.filters["person"] = person_name
    env.filters["count"] = count  # {{ n | count("job") }}: "1 job", "2 jobs"
    env.filters["a"] = a  # {{ "installer" | a }}: "an installer"
    env.filters["iso"] = lambda v: v.isoformat() if v else ""
    env.filters["time_left"] = lambda v: time_left(v, now())
    return templates


def page(
    request: Request,
    name: str,
    session: Session | None,
    *,
    status: int = 200,
    problems: Problems | None = None,
    **context: Any,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    flash = take_flash(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "session": session,
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "flash": flash,
            "problems": problems or Problems(),
            "now": request.app.state.console.ctx.now(),
            # What to offer is asked of the same grants the services check: {% if may("…") %}
            "may": lambda name: session is not None and session.actor.may(Permission(name)),
            **context,
        },
        status_code=status,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    # Pages show personal data and carry CSRF tokens: never from a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(request: Request, url: str, flash: str = "") -> RedirectResponse:
    """303 See Other: after a POST the browser GETs the result (a reload does not resubmit)."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, request, flash)
    return response


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/login?next={quote(target)}"
