"""Every message is worded for each reader it reaches (DOMAIN.md "How to address people").

Who reads a message comes from the code (`# readers: …` comments, collected by
`scripts/i18n.py`; without one, everyone, including people who have not joined yet);
how it is worded for them comes from the catalogue (a msgctxt variant for their address
group, else the neutral text). Each message is rendered through `Renderer` for every
group it reaches, and the text that group would see is judged:

- forms of address fit the group: parents "Quý phụ huynh" or "Quý vị", students "em"
  (or "bạn"), staff and principals "Thầy/Cô", officers "đồng chí" or "Quý vị", and
  someone not joined yet (guest) none at all; one form per message;
- one term for a milestone ("tiêu chí"), one for a link ("đường liên kết"), no "các cháu",
  and no facts that are history (Phòng GDĐT, học phí at public schools, Decree 13/2023);
- in English, "an" before a vowel, no "a {role}" (roles may start with a vowel), and the
  campaign named "Bình dân học vụ số (Digital literacy for all)".
"""

from __future__ import annotations

import importlib.util
import re
import string
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Renderer, build_catalogues
from bot.text import READER_OF_ROLE, READERS, Plain, T, reader_of

ROOT = Path(__file__).resolve().parents[2]
GUEST = "guest"

# form of address → the pattern that finds it in Vietnamese
FORMS = {
    "Quý phụ huynh": re.compile(r"\b[Qq]uý phụ huynh\b"),
    "Quý vị": re.compile(r"\b[Qq]uý vị\b"),
    "Thầy/Cô": re.compile(r"\b[Tt]hầy/[Cc]ô\b"),
    "đồng chí": re.compile(r"\b[Đđ]ồng chí\b"),
    # "em" addresses a student; "em {child}" or "em học sinh" names or describes one
    "em": re.compile(r"(?<!\w)(?<!con )[Ee]m(?!\w)(?! \{)(?! học sinh)"),
    "bạn": re.compile(r"(?<!\w)[Bb]ạn(?!\w)"),
}
FITS = {
    "parent": {"Quý phụ huynh", "Quý vị"},
    "student": {"em", "bạn"},
    "staff": {"Thầy/Cô"},
    "officer": {"đồng chí", "Quý vị"},
    GUEST: set(),  # not joined yet: no form of address at all
}
BANNED_VI = {
    "các cháu": re.compile(r"\bcác cháu\b", re.IGNORECASE),
    "link (say “đường liên kết”)": re.compile(r"(?<!\{)\blink\b(?!\})", re.IGNORECASE),
    "Phòng GDĐT (no district level since 1/7/2025)": re.compile(
        r"\bPhòng( |/)(GD|Giáo dục|Sở)", re.IGNORECASE
    ),
    "học phí (waived at public schools; say “các khoản thu”)": re.compile(
        r"\bhọc phí\b", re.IGNORECASE
    ),
    "Decree 13/2023 (say “the law on personal data protection”)": re.compile(
        r"13/2023|Nghị định 13\b", re.IGNORECASE
    ),
    "mốc (a milestone is a “tiêu chí”)": re.compile(r"\bmốc\b", re.IGNORECASE),
    "nội dung “…” (a milestone is a “tiêu chí”)": re.compile(r"\bnội dung “", re.IGNORECASE),
}
MILESTONE_WORDS = re.compile(r"\b(nội dung|kết quả|mốc)\b", re.IGNORECASE)
CAMPAIGN_EN = "Bình dân học vụ số (Digital literacy for all)"


def vietnamese_problems(text: str, group: str, msgid: str) -> list[str]:
    found = {form for form, pattern in FORMS.items() if pattern.search(text)}
    problems = [
        f"“{form}” is not how {group} readers are addressed" for form in sorted(found - FITS[group])
    ]
    if len(found) > 1:
        problems.append(f"mixed forms of address: {', '.join(sorted(found))}")
    problems += [f"says {name}" for name, pattern in BANNED_VI.items() if pattern.search(text)]
    if "milestone" in msgid.lower() and MILESTONE_WORDS.search(text):
        problems.append("a milestone is a “tiêu chí”, not “nội dung”, “kết quả” or “mốc”")
    return problems


def english_problems(text: str) -> list[str]:
    problems = []
    if re.search(r"\ba [aeiouAEIOU]", text):
        problems.append("“a” before a vowel (an education department officer)")
    if re.search(r"\ba \{", text):
        problems.append("“a {…}”: the article depends on the value; put it in the value")
    if "Digital literacy for all" in text and CAMPAIGN_EN not in text:
        problems.append(f"the campaign is named “{CAMPAIGN_EN}”")
    return problems


# The catalogues, and whom each message reaches ----------------------------------------


@cache
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def code() -> Catalog:
    return tool().collect()


@cache
def catalogue(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def catalogues():  # type: ignore[no-untyped-def]
    return build_catalogues("vi")


def rendered(msgid: str, language: str, group: str) -> str:
    """What `group` reads: through the Renderer, placeholders shown as themselves."""
    names = {name for _, name, _, _ in string.Formatter().parse(msgid) if name}
    reader = None if group == GUEST else group
    render = Renderer(catalogues(), language, reader=reader)
    return render(T(msgid, **{name: Plain("{" + name + "}") for name in names}))


def readings(language: str) -> list[tuple[str, str]]:
    return [
        (str(message.id), group)
        for message in code()
        if message.id
        for group in sorted(tool().readers_of(code(), str(message.id)))
    ]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_reader_reads_fitting_words(language: str) -> None:
    problems = []
    for msgid, group in readings(language):
        text = rendered(msgid, language, group)
        found = (
            vietnamese_problems(text, group, msgid) if language == "vi" else english_problems(text)
        )
        problems += [f"{group} reads {text!r}: {problem}" for problem in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_variants_are_for_readers_who_get_them(language: str) -> None:
    """A variant's context is an address group the message reaches, and it has a neutral
    twin (what everyone else, and someone not joined yet, reads)."""
    reach = {str(m.id): tool().readers_of(code(), str(m.id)) for m in code() if m.id}
    problems = []
    for message in catalogue(language):
        if not message.context:
            continue
        msgid = str(message.id)
        if message.context not in READERS:
            problems.append(f"{msgid!r}: context {message.context!r} is not an address group")
        elif msgid not in reach:
            problems.append(f"{msgid!r} ({message.context}): the code no longer says it")
        elif message.context not in reach[msgid]:
            problems.append(f"{msgid!r}: no {message.context} reader reaches it")
        if catalogue(language).get(msgid) is None:
            problems.append(f"{msgid!r} ({message.context}) has no neutral entry")
        if not message.string:
            problems.append(f"{msgid!r} ({message.context}) is empty")
    assert not problems, "\n".join(problems)


def test_the_renderer_picks_the_readers_variant() -> None:
    msgid = "Please type your name as text."
    variants = {
        m.context: m.string for m in catalogue("vi") if m.id == msgid and m.context is not None
    }
    assert set(variants) == set(READERS)
    for group, wording in variants.items():
        assert Renderer(catalogues(), "vi", reader=group)(T(msgid)) == wording
    neutral = catalogue("vi").get(msgid).string
    assert Renderer(catalogues(), "vi")(T(msgid)) == neutral
    assert neutral not in variants.values()
    assert Renderer(catalogues(), "en", reader="student")(T(msgid)) == msgid  # en: one wording


def test_address_group_by_precedence() -> None:
    assert reader_of({"parent", "staff"}) == "staff"  # a teacher who is also a parent
    assert reader_of({"student", "parent"}) == "parent"
    assert reader_of({"principal"}) == "staff"
    assert reader_of({"dept_admin", "principal"}) == "officer"
    assert reader_of((), superadmin=True) == "officer"
    assert reader_of(()) is None
    assert set(READER_OF_ROLE.values()) == set(READERS)


# The judge itself fails on what it should catch ------------------------------------

WRONG_VI = [
    ("Mời Quý vị gõ lại tên.", "student", "not how"),
    ("Kính mong Quý phụ huynh bấm “Đã đọc”.", "student", "not how"),
    ("Thầy/Cô vui lòng gõ lý do.", "student", "not how"),
    ("Em hãy báo cáo nhé.", "parent", "not how"),
    ("Kính gửi đồng chí.", "staff", "not how"),
    ("Mời Quý vị gõ lại tên.", GUEST, "not how"),
    ("Quý vị đã tham gia. Quý phụ huynh báo cáo bằng /report.", "parent", "mixed"),
    ("Chúng tôi không hỏi điểm số của các cháu.", "parent", "các cháu"),
    ("Mở đường link mời.", "parent", "link"),
    ("Gửi cán bộ Phòng GDĐT.", "officer", "Phòng GDĐT"),
    ("Nộp học phí không dùng tiền mặt.", "parent", "học phí"),
    ("Theo Nghị định 13/2023/NĐ-CP.", "parent", "Decree"),
]


@pytest.mark.parametrize(("text", "group", "wanted"), WRONG_VI)
def test_the_judge_catches(text: str, group: str, wanted: str) -> None:
    assert any(wanted in problem for problem in vietnamese_problems(text, group, "x"))


def test_the_judge_lets_fitting_words_pass() -> None:
    assert not vietnamese_problems("Mời Quý phụ huynh gõ họ tên.", "parent", "x")
    assert not vietnamese_problems("Em hãy gõ họ tên nhé.", "student", "x")
    assert not vietnamese_problems("Kính mời Thầy/Cô gõ họ tên.", "staff", "x")
    assert not vietnamese_problems("Kính mời đồng chí gõ họ tên.", "officer", "x")
    assert not vietnamese_problems("Vui lòng gõ họ tên.", GUEST, "x")
    assert not vietnamese_problems("Nguyễn Thị Lan – mẹ em {child}", "staff", "x")
    assert vietnamese_problems("Chọn nội dung cần báo cáo.", "parent", "Which milestone?")
    assert english_problems("You joined as a {role}.")
    assert english_problems("a education department officer")
    assert english_problems("the “Digital literacy for all” campaign")
    assert not english_problems(f"the “{CAMPAIGN_EN}” campaign, as an officer")
