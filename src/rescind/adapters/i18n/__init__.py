"""The homeowner's languages: gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``).

The catalogues are kept as ``.po`` text (edited and updated with Babel's ``pybabel extract`` /
``update``, see the README) and compiled in memory with Babel on first use, so there is no
binary ``.mo`` to keep in step and no build step. English is the source language: its
"translation" is the message itself.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from rescind.domain.job import Language

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalog_path(language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog(language: Language) -> Catalog:
    with catalog_path(language).open("rb") as f:
        return read_po(f, locale=language.value)


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The language's messages; English (and any language without a catalogue) as written."""
    path = catalog_path(language)
    if language is Language.EN or not path.exists():
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, catalog(language))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
