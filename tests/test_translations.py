"""Chinese is the default language: every message of ours must have its Chinese text."""

from pathlib import Path

import polib
import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "zhengtong"
CATALOGUES = sorted(SOURCE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_there_are_chinese_catalogues():
    assert len(CATALOGUES) >= 3, CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_every_message_is_translated_and_placeholders_match(po_path):
    catalogue = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    for entry in catalogue.translated_entries():
        # A named placeholder missing from the translation would raise KeyError at run time.
        # Plural entries keep their texts in msgstr_plural (Chinese has one form).
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for placeholder in _placeholders(entry.msgid):
            for translation in translations:
                assert placeholder in translation, (entry.msgid, translation)


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\(\w+\)[sdif]|\{\w+\}", text))
