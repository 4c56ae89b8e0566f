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


# Reader variants (msgctxt): kept by the upkeep, and the readers the code declares -------


def _tool():  # type: ignore[no-untyped-def]
    from tests.i18n.test_address import tool

    return tool()


def test_update_keeps_reader_variants_while_the_code_says_the_message() -> None:
    from babel.messages.catalog import Catalog

    tool = _tool()
    template = Catalog()
    template.add("Please type your name.", auto_comments=["readers: parent student"])
    catalog = Catalog(locale="vi")
    catalog.add("Please type your name.", "Vui lòng gõ họ tên.")
    catalog.add("Please type your name.", "Mời Quý phụ huynh gõ họ tên.", context="parent")
    catalog.add("Gone from the code.", "Đã bỏ.")
    catalog.add("Gone from the code.", "Em đã bỏ.", context="student")
    tool.merge(catalog, template, "vi")
    kept = {(m.id, m.context): m for m in catalog if m.id}
    assert set(kept) == {("Please type your name.", None), ("Please type your name.", "parent")}
    variant = kept[("Please type your name.", "parent")]
    assert variant.string == "Mời Quý phụ huynh gõ họ tên."
    assert variant.auto_comments == ["readers: parent student"]
    english = Catalog(locale="en")
    tool.merge(english, template, "en")
    assert english.get("Please type your name.").string == "Please type your name."


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalogues_name_the_readers_the_code_declares(language: str) -> None:
    """The `#. readers:` comments translators read are the code's (run scripts/i18n.py all)."""
    tool = _tool()
    code = tool.collect()
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    stale = [
        m.id
        for m in catalog
        if m.id and tool.readers_of(catalog, m.id) != tool.readers_of(code, m.id)
    ]
    assert not stale, f"readers out of date (run scripts/i18n.py all): {stale[:5]}"


def test_a_readers_comment_names_only_known_readers(tmp_path: Path) -> None:
    tool = _tool()
    module = tmp_path / "flow.py"
    module.write_text(
        '"""A flow."""\n\n# readers: principal dept_admin\nfrom bot.text import T\n\n'
        'A = T("For the school.")\n# readers: parent\nB = T("For parents.")\n',
        encoding="utf-8",
    )
    found = tool.collect(tmp_path)
    assert tool.readers_of(found, "For the school.") == {"staff", "officer"}
    assert tool.readers_of(found, "For parents.") == {"parent"}
    module.write_text('# readers: teachers\nfrom bot.text import T\nA = T("x")\n', "utf-8")
    with pytest.raises(SystemExit, match="unknown reader 'teachers'"):
        tool.collect(tmp_path)
