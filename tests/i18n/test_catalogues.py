"""Every message the code can say is translated in vi and en; numbers and dates follow Babel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Renderer, build_catalogues, fmt_date, fmt_number, fmt_percent
from bot.text import Joined, Plain, T

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"T": None, "_": None, "__": None}


def code_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_message_is_translated(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(code_msgids() - translated)
    assert not missing, (
        f"{language} lacks {len(missing)} translations (run scripts/i18n.py all): {missing[:5]}"
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_placeholders_survive_translation(language: str) -> None:
    import string

    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    fields = string.Formatter()
    for message in catalog:
        if not message.id:
            continue
        wanted = {name for _, name, _, _ in fields.parse(message.id) if name}
        got = {name for _, name, _, _ in fields.parse(message.string) if name}
        assert wanted == got, f"{language}: {message.id!r} → {message.string!r}"


def test_vietnamese_is_nfc() -> None:
    import unicodedata

    text = (LOCALES_DIR / "vi" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text


def test_rendering_in_both_languages() -> None:
    catalogues = build_catalogues("vi")
    vi, en = Renderer(catalogues, "vi"), Renderer(catalogues, "en")
    text = Joined((T("Name: {name}", name=Plain("Lan")), T("parent")), sep=" / ")
    assert vi(text) == "Tên: Lan / phụ huynh"
    assert en(text) == "Name: Lan / parent"
    assert vi(
        T("That name is too long: please keep it to {limit} characters.", limit=1234)
    ).endswith("tối đa 1.234 ký tự.")


def test_babel_formats() -> None:
    assert fmt_date(date(2026, 5, 25), "vi") == "25/5/2026"
    assert fmt_date(date(2026, 5, 25), "en") == "25 May 2026"
    assert fmt_number(1234567.5, "vi") == "1.234.567,5"
    assert fmt_number(1234567.5, "en") == "1,234,567.5"
    assert fmt_percent(0.905, "vi") == "90,5%"
