"""The self-service pages' templates, rendered in the homeowner's language.

One Jinja2 environment with the ``i18n`` extension; each render passes that language's
``gettext``/``ngettext`` in its context (never installed globally: two homeowners reading in
two languages at once each get their own). Dates read the way the language writes them
(Babel's CLDR data).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from rescind.adapters.i18n import translations
from rescind.domain.job import Language
from rescind.entrypoints.selfservice.policy_words import refusal_text
from rescind.services.context import Context

HERE = Path(__file__).parent
LANGUAGE_NAMES = {Language.EN: "English", Language.ES: "Español"}


def language_of(value: str) -> Language:
    try:
        return Language(value.strip().lower()[:2])
    except ValueError:
        return Language.EN


class Pages:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        templates = Jinja2Templates(directory=HERE / "templates")
        env = templates.env
        env.autoescape = True
        env.trim_blocks = True
        env.lstrip_blocks = True
        env.add_extension("jinja2.ext.i18n")
        self._templates = templates

    def render(
        self, request: Request, name: str, language: Language, *, status: int = 200, **data: Any
    ) -> HTMLResponse:
        words = translations(language)
        tz = self._ctx.tz

        def long_date(value: date | None) -> str:
            return format_date(value, format="full", locale=language.value) if value else ""

        def moment(value: datetime | None) -> str:
            if value is None:
                return ""
            return format_datetime(value, format="long", tzinfo=tz, locale=language.value)

        context = {
            "gettext": words.gettext,
            "ngettext": words.ngettext,
            "_": words.gettext,
            "language": language,
            "languages": LANGUAGE_NAMES,
            "long_date": long_date,
            "moment": moment,
            "refusal_text": refusal_text,
            **data,
        }
        return self._templates.TemplateResponse(request, name, context, status_code=status)
