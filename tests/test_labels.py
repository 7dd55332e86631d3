"""Every report string exists in English and Chinese."""

from __future__ import annotations

import pytest

from opsanalysis.report import labels, table_notes


@pytest.mark.parametrize(
    "name, catalogue",
    [
        ("SECTIONS", labels.SECTIONS),
        ("TEXT", labels.TEXT),
        ("WORDS", labels.WORDS),
        ("TABLE_HEADS", labels.TABLE_HEADS),
        ("TABLE_NOTES", table_notes.TABLE_NOTES),
    ],
)
def test_every_string_has_english_and_chinese(name, catalogue):
    for key, texts in catalogue.items():
        assert {"en", "zh"} <= set(texts), f"{name}[{key!r}] lacks a language"
        en, zh = texts["en"], texts["zh"]
        if isinstance(en, list):  # table heads: one per column in both
            assert len(en) == len(zh), f"{name}[{key!r}]: {len(en)} vs {len(zh)} columns"
        elif en:  # a Chinese text is Chinese, not a copy of the English one
            assert zh != en or not any(c.isalpha() for c in en), f"{name}[{key!r}]"


def test_every_section_and_layout_key_has_a_title():
    from opsanalysis.report.sections import LAYOUTS, SECTIONS_BY_KEY

    for layout in LAYOUTS.values():
        for part in layout.values():
            for key in part:
                sec = SECTIONS_BY_KEY[key]
                assert not sec.titled or sec.title_key in labels.SECTIONS, key
