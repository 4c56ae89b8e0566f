"""Campaign pack: the default pack's content, and errors for broken packs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from bot.campaign.loader import (
    PackError,
    Problem,
    default_pack_path,
    load_default_pack,
    load_pack,
    parse_pack,
)
from bot.campaign.pack import DOMAINS, Announcement, CampaignPack, Deadline, LocalText, Quiz
from bot.errors import HocvusoError

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))

MINI_MILESTONES = """\
id: mini
version: 1
title: {vi: Thử, en: Test}
period_start: 2025-01-01
period_end: 2030-12-31
milestones:
  - id: vneid_level2
    audience: [parent]
    domain: 2
    title: {vi: VNeID mức 2, en: VNeID level 2}
    description: {vi: Đã kích hoạt, en: Activated}
"""
MINI = MINI_MILESTONES + (
    "indicators:\n"
    "  - id: vneid\n"
    "    title: {vi: VNeID, en: VNeID}\n"
    "    counts: people\n"
    "    audience: [parent]\n"
    "    milestones: [vneid_level2]\n"
    "    target_percent: 90\n"
    "    source: default, change it\n"
)


@pytest.fixture(scope="module")
def pack() -> CampaignPack:
    return load_default_pack()


def _title(vi: str = "Hạn", en: str = "Due") -> dict[str, str]:
    return {"vi": vi, "en": en}


# --- the default pack ------------------------------------------------------


def test_default_pack_loads(pack: CampaignPack) -> None:
    assert default_pack_path().is_file()
    assert pack.id == "bdhvs_2025_2030"
    assert (pack.period_start, pack.period_end) == (dt.date(2025, 1, 1), dt.date(2030, 12, 31))
    assert load_default_pack() is pack


def test_milestones_for_every_role_cover_all_domains(pack: CampaignPack) -> None:
    for role in ("parent", "student", "staff", "principal"):
        assert pack.milestones_for(role), role
    people = {m.domain for r in ("parent", "student", "staff") for m in pack.milestones_for(r)}
    assert people == set(DOMAINS) == {1, 2, 3, 4, 5, 6}


def test_evidence_needs_and_verification(pack: CampaignPack) -> None:
    course = pack.milestone("bdhvs_course")
    assert course.evidence == "photo" and course.verification
    assert pack.milestone("vneid_level2").evidence == "none"  # no ID photos, ever
    with pytest.raises(KeyError):
        pack.milestone("nope")


def test_quizzes(pack: CampaignPack) -> None:
    assert len(pack.quizzes) >= 2
    for quiz in pack.quizzes:
        assert len(quiz.questions) >= 8, quiz.id
        assert quiz.awards is not None
        assert set(pack.milestone(quiz.awards).audience) >= set(quiz.audience)
        for question in quiz.questions:
            assert 3 <= len(question.options) <= 4
            assert len(question.correct) == 1
            assert 0 <= question.answer < len(question.options)
    assert {q.id for q in pack.quizzes_for("parent")} >= {"fraud_awareness", "data_protection"}
    assert pack.quiz("fraud_awareness").domain == 4


def _quiz(questions: int, **fields: object) -> dict[str, object]:
    question = {
        "text": _title(),
        "options": [_title(), _title()],
        "correct": [1],
        "explanation": _title(),
    }
    return {
        "id": "q",
        "title": _title(),
        "audience": ["parent"],
        "domain": 4,
        "source": "default, change it",
        "questions": [question] * questions,
        **fields,
    }


@pytest.mark.parametrize(
    ("questions", "fields", "passing"),
    [
        (10, {}, 8),  # 80 % by default
        (11, {}, 9),  # 8.8 rounds up
        (10, {"pass_percent": 70.0}, 7),  # exactly 7, not 8 by floating error
        (3, {"pass_percent": 100.0}, 3),
        (3, {"pass_percent": 1.0}, 1),
        (10, {"pass_mark": 6}, 6),
    ],
)
def test_pass_mark(questions: int, fields: dict[str, object], passing: int) -> None:
    assert Quiz.model_validate(_quiz(questions, **fields)).passing == passing


def test_time_limits_and_cool_down() -> None:
    data = _quiz(2, time_limit=30)
    data["questions"] = [data["questions"][0], {**data["questions"][1], "time_limit": 90}]
    quiz = Quiz.model_validate(data)
    assert [quiz.seconds(0), quiz.seconds(1)] == [30, 90]
    assert quiz.retake_after_hours == 24
    assert Quiz.model_validate(_quiz(1)).seconds(0) is None


def test_default_quizzes_fit_telegram_polls(pack: CampaignPack) -> None:
    for quiz in pack.quizzes:
        for question in quiz.questions:
            assert len(question.text.vi) <= 300 and len(question.text.en) <= 300
            assert all(len(o.vi) <= 100 and len(o.en) <= 100 for o in question.options)
            assert len(question.explanation.vi) <= 200 and len(question.explanation.en) <= 200
        milestone = pack.milestone(quiz.awards or "")
        assert milestone.evidence == "none" and not milestone.verification


def test_seed_indicators(pack: CampaignPack) -> None:
    got = {i.id: (i.counts, i.target_percent) for i in pack.indicators}
    seeds = {
        "staff_basic_skills": ("people", 100),
        "families_digital_services": ("people", 90),
        "staff_signature": ("people", 100),
        "records_digitised": ("schools", 100),
        "cashless_einvoice": ("schools", 100),
        "self_assessment_level2": ("schools", 100),
    }
    assert {key: got.get(key) for key in seeds} == seeds
    families = next(i for i in pack.indicators if i.id == "families_digital_services")
    assert set(families.audience) == {"parent", "student"}


def test_everything_tracked_is_counted(pack: CampaignPack) -> None:
    fed: dict[str, set[str]] = {}
    for indicator in pack.indicators:
        for milestone_id in indicator.milestones:
            fed.setdefault(milestone_id, set()).add(indicator.counts)
    assert {m.id for m in pack.milestones} == set(fed)
    # The movement's headline outcome has a tally of its own.
    for milestone_id in ("vneid_level2", "online_public_service", "bdhvs_course"):
        assert "people" in fed[milestone_id]
    parents = [i for i in pack.indicators if i.milestones == ["bdhvs_course"]]
    assert any(i.audience == ["parent"] for i in parents)


def test_emulation_as_the_plans_judge_it(pack: CampaignPack) -> None:
    collective = {m.id: m.audience for m in pack.milestones if m.collective}
    assert collective["collective_registered"] == ["unit", "class"]
    assert collective["unit_good_model"] == ["unit"]
    assert collective["class_parents_guided"] == ["class"]
    assert pack.milestone("emulation_registered").audience == ["staff"]
    assert pack.milestone("staff_initiative").asks_level
    assert pack.milestone("school_good_model").audience == ["principal"]
    counts = {i.id: (i.counts, i.audience) for i in pack.indicators}
    assert counts["units_registered"] == ("units", ["unit"])
    assert counts["classes_registered"] == ("classes", ["class"])
    province = next(i for i in pack.indicators if i.id == "staff_initiatives_province")
    assert province.recognised() == ("province", "national")
    assert next(i for i in pack.indicators if i.id == "staff_initiatives").recognised() == (
        "school",
        "commune",
        "province",
        "national",
    )
    # Every new item names where it comes from.
    for indicator in pack.indicators[6:]:
        assert indicator.source, indicator.id


def test_quiz_milestones_are_awarded(pack: CampaignPack) -> None:
    assert pack.awarded() == {"spots_online_fraud", "protects_personal_data"}


def test_base_keeps_only_national_dates(pack: CampaignPack) -> None:
    """The award calendars (20/5–30/5, 15/6, 30/8/2026) belong to provinces' packs."""
    assert {d.yearly for d in pack.deadlines if d.yearly} == {"31/05"}
    dated = {d.date for d in pack.deadlines if d.date}
    assert any(d.year == 2027 and d.month >= 10 for d in dated)  # Q4/2027 mid-term review
    assert any(d.year == 2030 and d.month >= 10 for d in dated)  # Q4/2030 final review
    assert not dated & {dt.date(2030, 6, 15), dt.date(2026, 8, 30)}
    self_assessment = next(d for d in pack.deadlines if d.yearly == "31/05")
    assert self_assessment.completes == "school_4725_level2"
    assert "kindergarten" not in (self_assessment.levels or [])
    assert "vocational" not in (self_assessment.levels or [])
    assert not pack.deadlines_for("parent")
    assert pack.deadlines_for("principal")


def test_every_target_date_and_threshold_names_its_source(pack: CampaignPack) -> None:
    for item in (*pack.indicators, *pack.deadlines, *pack.quizzes):
        assert item.source.startswith(("seed 0", "default, change it")), item.id


def test_announcements_speak_to_each_role_in_its_own_words(pack: CampaignPack) -> None:
    for announcement in pack.announcements:
        assert announcement.texts is not None and set(announcement.texts) == {
            "parent",
            "student",
            "staff",
        }
        assert "Quý phụ huynh" in announcement.text_for("parent").vi
        assert re.search(r"\bem\b", announcement.text_for("student").vi, re.IGNORECASE)
        assert "Thầy/Cô" in announcement.text_for("staff").vi
        assert announcement.text_for("principal") == announcement.text_for("staff")
        for role in ("student", "staff"):
            assert "Quý phụ huynh" not in announcement.text_for(role).vi
    tet = next(a for a in pack.announcements if a.id == "tet_fraud_warning")
    assert tet.occurrences(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [dt.date(2026, 1, 10)]


def _local_texts(value: object) -> list[LocalText]:
    if isinstance(value, LocalText):
        return [value]
    if isinstance(value, BaseModel):
        return [t for name in type(value).model_fields for t in _local_texts(getattr(value, name))]
    if isinstance(value, list):
        return [t for item in value for t in _local_texts(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _local_texts(item)]
    return []


def test_every_text_has_both_languages(pack: CampaignPack) -> None:
    texts = _local_texts(pack)
    assert len(texts) > 150
    for text in texts:
        assert text.vi.strip() and text.en.strip()
        assert text.vi != text.en or " " not in text.vi  # untranslated sentence?


# --- models ------------------------------------------------------------------


def test_yearly_deadline_occurrences() -> None:
    deadline = Deadline(
        id="report", title=_title(), audience=["principal"], yearly="20/5", source="test"
    )
    assert deadline.yearly == "20/05"
    assert deadline.remind_days_before == [7, 1]
    dates = deadline.occurrences(dt.date(2025, 5, 20), dt.date(2027, 5, 19))
    assert dates == [dt.date(2025, 5, 20), dt.date(2026, 5, 20)]
    assert deadline.occurrences(dt.date(2025, 5, 21), dt.date(2026, 5, 19)) == []


def test_dated_deadline_occurrences() -> None:
    deadline = Deadline(
        id="shortlist",
        title=_title(),
        audience=["principal"],
        date=dt.date(2026, 8, 30),
        remind_days_before=[1, 30, 7],
        source="seed 000, line 143",
    )
    assert deadline.remind_days_before == [30, 7, 1]
    assert deadline.occurrences(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [deadline.date]
    assert deadline.occurrences(dt.date(2026, 8, 31), dt.date(2030, 1, 1)) == []


def test_yearly_29_february_is_rejected() -> None:
    with pytest.raises(ValidationError, match="real day and month"):
        Deadline(id="leap", title=_title(), audience=["staff"], yearly="29/02", source="t")


def test_local_text_is_nfc_and_stripped() -> None:
    decomposed = "Chua\u0302\u0309n đổi số"  # "Chuẩn" with combining marks
    text = LocalText(vi=f"  {decomposed} \n", en="Digital")
    assert text.vi == "Chuẩn đổi số"
    assert text.get("en") == "Digital" and text.get("fr") == text.vi
    with pytest.raises(ValidationError):
        LocalText(vi="   ", en="x")


# --- broken packs ------------------------------------------------------------


def test_enough_broken_packs() -> None:
    assert len(BROKEN) >= 14


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_pack(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# expect: "), "first line must name the expected error"
    expected = first.removeprefix("# expect: ")
    with pytest.raises(PackError) as caught:
        parse_pack(text, path.name)
    assert expected in str(caught.value)
    assert "Input should be" not in str(caught.value)
    assert "pydantic.dev" not in str(caught.value)


def test_load_pack_names_the_path() -> None:
    path = next(p for p in BROKEN if p.stem == "domain_out_of_range")
    with pytest.raises(PackError) as caught:
        load_pack(path)
    assert str(caught.value).startswith(f"{path}:12: milestones[0].domain: ")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PackError) as caught:
        load_pack(missing)
    assert str(caught.value) == f"{missing}: file not found"
    assert isinstance(caught.value, HocvusoError)


def test_every_problem_is_reported_one_per_line() -> None:
    text = MINI_MILESTONES.replace("domain: 2", "domain: 7\n    evidence: video").replace(
        "audience: [parent]", "audience: [parent, parent]"
    )
    text += "colour: blue\n"
    with pytest.raises(PackError) as caught:
        parse_pack(text, "multi.yaml")
    lines = str(caught.value).splitlines()
    assert lines == [
        "multi.yaml:8: milestones[0].audience: has 'parent' twice",
        "multi.yaml:9: milestones[0].domain: must be between 1 and 6 (got 7)",
        "multi.yaml:10: milestones[0].evidence: must be one of 'none', 'photo', 'document'"
        " or 'photo_or_document' (got 'video')",
        "multi.yaml:13: colour: unknown field 'colour' (allowed: id, version, title,"
        " period_start, period_end, milestones, indicators, quizzes, deadlines, announcements,"
        " self_assessment, school_figures, nominations)",
    ]
    assert [p.line for p in caught.value.problems] == [8, 9, 10, 13]
    assert all(re.fullmatch(r"multi\.yaml:\d+: \S+: .+", line) for line in lines)


def test_cross_reference_problems_are_all_reported() -> None:
    text = MINI_MILESTONES + (
        "indicators:\n"
        "  - id: a\n"
        "    title: {vi: A, en: A}\n"
        "    counts: people\n"
        "    audience: [staff]\n"
        "    target_percent: 100\n"
        "    milestones: [vneid_level2, ghost]\n"
        "    source: test\n"
        "deadlines:\n"
        "  - id: late\n"
        "    title: {vi: Muộn, en: Late}\n"
        "    audience: [principal]\n"
        "    date: 2031-01-01\n"
        "    source: test\n"
    )
    with pytest.raises(PackError) as caught:
        parse_pack(text, "refs.yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (18, "indicators[0].milestones[0]"),
        (18, "indicators[0].milestones[1]"),
        (24, "deadlines[0].date"),
    ]
    assert "milestone 'vneid_level2' is for parent, none of staff" in str(caught.value)
    assert "unknown milestone 'ghost'" in str(caught.value)


def test_problem_rendering() -> None:
    assert str(Problem("a.yaml", 3, "milestones[0].id", "bad")) == "a.yaml:3: milestones[0].id: bad"
    assert str(Problem("a.yaml", 0, "", "file not found")) == "a.yaml: file not found"


def test_direct_construction_still_cross_checks() -> None:
    data = parse_pack(MINI, "mini.yaml").model_dump()
    data["quizzes"] = [
        {
            "id": "q",
            "title": _title(),
            "audience": ["parent"],
            "domain": 4,
            "awards": "ghost",
            "source": "test",
            "questions": [
                {
                    "text": _title(),
                    "options": [_title(), _title()],
                    "correct": [0],
                    "explanation": _title(),
                }
            ],
        }
    ]
    with pytest.raises(
        ValidationError, match=re.escape("quizzes[0].awards: unknown milestone 'ghost'")
    ):
        CampaignPack.model_validate(data)


def test_json_round_trip(pack: CampaignPack) -> None:
    """Packs are stored as JSON: dates come back as ISO strings."""
    assert CampaignPack.model_validate(pack.model_dump(mode="json")) == pack
    assert CampaignPack.model_validate_json(pack.model_dump_json()) == pack


def test_weekly_and_monthly_announcement_occurrences() -> None:
    text = {"vi": "Mẹo", "en": "Tip"}
    weekly = Announcement(id="tip", audience=["parent"], text=text, weekly="monday")
    monthly = Announcement(id="news", audience=["parent"], text=text, monthly=5)
    december = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert weekly.occurrences(*december) == [dt.date(2026, 12, d) for d in (7, 14, 21, 28)]
    assert monthly.occurrences(dt.date(2026, 11, 6), dt.date(2027, 2, 5)) == [
        dt.date(2026, 12, 5),
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
    ]
    with pytest.raises(ValidationError):
        Announcement(id="x", audience=["parent"], text=text)  # no rhythm at all
