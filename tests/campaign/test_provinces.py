"""Province packs over the national base: each loads, each school sees its own calendar,
levels keep QĐ 4725 away from kindergartens, and the shipped quizzes fit Telegram polls."""

from __future__ import annotations

import datetime as dt
import typing

import pytest

from bot.campaign.checks import PackInconsistent
from bot.campaign.fields import SchoolLevel
from bot.campaign.loader import (
    PackError,
    load_default_pack,
    load_province_packs,
    parse_document,
    parse_pack,
)
from bot.campaign.overlay import PackOverlay, merge
from bot.campaign.pack import CampaignPack
from bot.services.schools import COVERED_BY_4725
from storage.models import SCHOOL_LEVELS

# Bot API sendPoll: question 1-300 characters, options 1-100, explanation 0-200.
QUESTION, OPTION, EXPLANATION = 300, 100, 200


def packs() -> dict[str, CampaignPack]:
    base = load_default_pack()
    return {o.id: merge(base, o) for o in load_province_packs()}


def calendar(pack: CampaignPack) -> set[str]:
    found = {d.yearly for d in pack.deadlines if d.yearly}
    return found | {d.date.isoformat() for d in pack.deadlines if d.date}


def test_every_province_pack_loads_and_attaches_to_its_province() -> None:
    found = {o.id: o.attach for o in load_province_packs()}
    assert found == {
        "bdhvs_bac_ninh": "Bắc Ninh",
        "bdhvs_khanh_hoa": "Khánh Hòa",
        "bdhvs_quang_ngai": "Quảng Ngãi",
        "bdhvs_thai_nguyen": "Thái Nguyên",
    }
    for overlay in load_province_packs():
        assert overlay.extends == load_default_pack().id
        for item in (*overlay.indicators, *overlay.deadlines, *overlay.quizzes):
            assert item.source.startswith(("seed 0", "default, change it")), item.id


def test_a_school_sees_only_its_own_provinces_calendar() -> None:
    merged = packs()
    bac_ninh = calendar(merged["bdhvs_bac_ninh"].for_level("upper_secondary"))
    assert "2026-08-30" in bac_ninh
    assert not bac_ninh & {"20/05", "25/05", "27/05", "30/05", "15/06", "2030-06-15"}
    khanh_hoa = calendar(merged["bdhvs_khanh_hoa"])
    assert {"20/05", "25/05", "27/05", "30/05"} <= khanh_hoa
    assert not khanh_hoa & {"15/06", "2026-08-30"}
    quang_ngai = calendar(merged["bdhvs_quang_ngai"])
    assert {"15/06", "2030-06-15"} <= quang_ngai
    assert not quang_ngai & {"20/05", "30/05", "2026-08-30"}
    # Every province keeps the national items: the 4725 self-assessment, the reviews.
    base = load_default_pack()
    for pack in merged.values():
        assert {"31/05", "2027-12-15", "2030-12-15"} <= calendar(pack)
        # …and what no overlay section replaces: the 4725 scores and the school figures.
        assert pack.self_assessment == base.self_assessment is not None
        assert pack.school_figures == base.school_figures and pack.school_figures
        assert (pack.period_start, pack.period_end) == (base.period_start, base.period_end)


def test_bac_ninh_targets_are_its_plans_to_2026() -> None:
    pack = packs()["bdhvs_bac_ninh"]
    families = next(i for i in pack.indicators if i.id == "families_digital_services")
    assert families.target_percent == 90 and families.source.startswith("seed 000, line 71")
    # Its own targets (from its plan, seed 000) say "to 2026"; the base's others stay as they are.
    base = {i.id: i for i in load_default_pack().indicators}
    own = [i for i in pack.indicators if i != base.get(i.id)]
    assert len(own) >= 5
    assert all("2026" in i.title.vi for i in own if i.id != "self_assessment_level2")
    assert load_default_pack().indicators[0].source.startswith("default, change it")


@pytest.mark.parametrize("level", ["kindergarten", "vocational"])
def test_schools_not_covered_by_4725_see_none_of_it(level: str) -> None:
    for pack in (load_default_pack(), *packs().values()):
        seen = pack.for_level(level)
        assert "self_assessment_4725" not in {d.id for d in seen.deadlines}
        assert "school_4725_level2" not in {m.id for m in seen.milestones}
        assert "self_assessment_level2" not in {i.id for i in seen.indicators}
        assert all("4725" not in d.title.vi for d in seen.deadlines)
    covered = load_default_pack().for_level("primary")
    assert "self_assessment_4725" in {d.id for d in covered.deadlines}
    assert load_default_pack().for_level(None) is load_default_pack()  # level unknown: all


def test_kindergarten_items_of_thai_nguyen_reach_kindergartens_only() -> None:
    pack = packs()["bdhvs_thai_nguyen"]
    ids = {a.id for a in pack.for_level("kindergarten").announcements}
    assert "kindergarten_parents_cashless" in ids
    assert "kindergarten_parents_cashless" not in {
        a.id for a in pack.for_level("primary").announcements
    }


def test_levels_are_the_storage_levels_and_4725_matches() -> None:
    assert typing.get_args(SchoolLevel) == SCHOOL_LEVELS
    limited = next(d for d in load_default_pack().deadlines if d.id == "self_assessment_4725")
    assert set(limited.levels or ()) == COVERED_BY_4725


BASE = load_default_pack()
HEAD = "id: p\nversion: 1\nextends: bdhvs_2025_2030\ntitle: {vi: Tỉnh, en: Province}\n"


def test_override_add_and_remove_by_id() -> None:
    text = HEAD + (
        "deadlines:\n"
        "  - id: midterm_review_2027\n"
        "    title: {vi: Sơ kết, en: Review}\n"
        "    audience: [principal]\n"
        "    date: 2027-11-20\n"
        "    source: test\n"
        "  - id: own_day\n"
        "    title: {vi: Riêng, en: Own}\n"
        "    audience: [staff]\n"
        "    yearly: 01/11\n"
        "    source: test\n"
        "remove:\n"
        "  deadlines: [final_review_2030]\n"
    )
    overlay = parse_document(text, "p.yaml", BASE)
    assert isinstance(overlay, PackOverlay)
    merged = merge(BASE, overlay)
    by_id = {d.id: d for d in merged.deadlines}
    assert by_id["midterm_review_2027"].date == dt.date(2027, 11, 20)  # replaced in place
    assert [d.id for d in merged.deadlines][-1] == "own_day"  # added at the end
    assert "final_review_2030" not in by_id
    assert merged.id == BASE.id and merged.milestones == BASE.milestones


def test_a_province_pack_is_checked_against_the_base_with_its_own_lines() -> None:
    text = HEAD + (
        "deadlines:\n"
        "  - id: own\n"
        "    title: {vi: Riêng, en: Own}\n"
        "    audience: [principal]\n"
        "    yearly: 01/11\n"
        "    completes: school_4725_lvl2\n"
        "    source: test\n"
        "remove:\n"
        "  indicators: [ghost]\n"
    )
    with pytest.raises(PackError) as caught:
        parse_document(text, "p.yaml", BASE)
    got = [(p.line, p.field) for p in caught.value.problems]
    assert (13, "remove.indicators[0]") in got or (14, "remove.indicators[0]") in got
    with pytest.raises(PackError) as caught:
        parse_document(
            text.replace("  indicators: [ghost]\n", "  indicators: []\n"), "p.yaml", BASE
        )
    assert "p.yaml:10: deadlines[0].completes: unknown milestone 'school_4725_lvl2'" in str(
        caught.value
    )
    assert "levels" in str(caught.value) or "did you mean" in str(caught.value)
    with pytest.raises(PackError, match="province pack"):
        parse_pack(HEAD, "p.yaml")


def test_an_item_referring_to_a_level_limited_milestone_must_be_limited_too() -> None:
    text = HEAD + (
        "deadlines:\n"
        "  - id: own\n"
        "    title: {vi: Riêng, en: Own}\n"
        "    audience: [principal]\n"
        "    yearly: 01/11\n"
        "    completes: school_4725_level2\n"
        "    source: test\n"
    )
    with pytest.raises(PackError, match="only for schools of levels"):
        parse_document(text, "p.yaml", BASE)
    limited = text.replace("    source: test\n", "    source: test\n    levels: [primary]\n")
    assert isinstance(parse_document(limited, "p.yaml", BASE), PackOverlay)


def test_a_province_pack_over_another_base_does_not_merge() -> None:
    overlay = parse_document(HEAD.replace("bdhvs_2025_2030", "other"), "p.yaml")
    assert isinstance(overlay, PackOverlay)
    with pytest.raises(PackInconsistent, match="extends 'other'"):
        merge(BASE, overlay)


def test_shipped_quizzes_fit_telegram_polls() -> None:
    """Checked over every shipped pack, so that content stays fit for quiz polls."""
    quizzes = [q for p in (BASE, *packs().values()) for q in p.quizzes]
    assert quizzes
    longest_right = total = 0
    for quiz in quizzes:
        for question in quiz.questions:
            assert len(question.correct) == 1, quiz.id
            for lang in ("vi", "en"):
                assert len(question.text.get(lang)) <= QUESTION
                assert len(question.explanation.get(lang)) <= EXPLANATION
                options = [o.get(lang) for o in question.options]
                assert all(1 <= len(o) <= OPTION for o in options), options
                total += 1
                longest_right += len(options[question.correct[0]]) == max(map(len, options))
    assert longest_right * 4 <= total, (longest_right, total)  # the answer is rarely longest


def test_no_legal_trivia_or_retired_facts_in_pack_texts() -> None:
    import re

    from tests.campaign.test_pack import _local_texts

    for pack in (BASE, *packs().values()):
        for quiz in pack.quizzes:
            for question in quiz.questions:
                for text in _local_texts(question):
                    assert not re.search(r"\d+/20\d\d/(NĐ|QH|TT)", text.vi), text.vi
                    assert not re.search(r"\b(19|20)\d\d\b", text.vi), text.vi
        for text in _local_texts(pack):
            assert "13/2023" not in text.vi and "Phòng GDĐT" not in text.vi
            assert "học phí" not in text.vi.casefold(), text.vi
            assert "đường link" not in text.vi
