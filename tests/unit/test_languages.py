"""Every message the homeowner reads has its English and its Spanish: the catalogue holds
every message the sources mark (extracted now, with the README's Babel mapping), each with a
translation that keeps its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from rescind.adapters.i18n import catalog, translations
from rescind.domain.job import Language

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def marked_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    return {
        message
        for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)
        if isinstance(message, str)
    }


def test_every_marked_message_has_a_spanish_translation_and_nothing_stale_is_kept() -> None:
    marked = marked_messages()
    spanish = catalog(Language.ES)
    kept = {m.id for m in spanish if m.id}
    assert marked, "nothing was extracted: is babel.cfg's mapping right?"
    assert sorted(marked - kept) == [], "not in the Spanish catalogue"
    assert sorted(kept - marked) == [], "in the catalogue, but no longer in the sources"
    for message in spanish:
        if message.id:
            assert message.string, f"no Spanish for {message.id!r}"
            assert not message.fuzzy, f"fuzzy: {message.id!r}"


def test_each_translation_keeps_its_placeholders() -> None:
    for message in catalog(Language.ES):
        if message.id:
            assert isinstance(message.id, str)
            assert isinstance(message.string, str)
            names = sorted(PLACEHOLDER.findall(message.id))
            assert sorted(PLACEHOLDER.findall(message.string)) == names, message.id


def test_english_is_the_message_itself_and_spanish_is_not() -> None:
    assert translations(Language.EN).gettext("Cancel my project") == "Cancel my project"
    assert translations(Language.ES).gettext("Cancel my project") == "Cancelar mi proyecto"
