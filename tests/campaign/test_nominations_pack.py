"""Awards in a pack (`nominations:`): the default's, and broken ones that must not load."""

from __future__ import annotations

import pytest

from bot.campaign.checks import PackInconsistent
from bot.campaign.loader import PackError, load_default_pack, parse_document, parse_pack
from bot.campaign.nominations import award_of
from bot.campaign.overlay import PackOverlay, merge
from tests.campaign.test_pack import MINI

STAFF = """\
  - id: signed
    audience: [staff]
    domain: 4
    asks_level: {asks}
    title: {{vi: Chữ ký số, en: Signature}}
    description: {{vi: Có chữ ký số, en: Has one}}
"""
STAFF_INDICATOR = """\
  - id: signed_staff
    title: {vi: Ký số, en: Signed}
    counts: people
    audience: [staff]
    milestones: [signed]
    target_percent: 90
    source: test
"""


def pack_text(rules: str, audience: str = "[staff]", asks: str = "false") -> str:
    text = MINI.replace("indicators:\n", "").replace(
        "  - id: vneid\n", STAFF.format(asks=asks) + "indicators:\n  - id: vneid\n"
    )
    return (
        text
        + STAFF_INDICATOR
        + "nominations:\n"
        + "  - id: model\n"
        + "    title: {vi: Tiêu biểu, en: Model}\n"
        + f"    audience: {audience}\n"
        + "    source: test\n"
        + "    rules:\n"
        + rules
    )


def test_the_default_awards_cite_their_sources_and_check_out() -> None:
    pack = load_default_pack()
    ids = [award.id for award in pack.nominations]
    assert ids == [
        "staff_certificate",
        "staff_merit_province",
        "student_prized_project",
        "class_certificate",
        "unit_certificate",
    ]
    for award in pack.nominations:
        assert award.source.startswith("seed 0"), award.id
        assert all(rule.source for rule in award.rules)
    staff = award_of(pack, "staff_certificate")
    assert staff is not None and not staff.collective
    assert [rule.kind for rule in staff.rules] == ["registered", "milestones", "quiz", "initiative"]
    assert staff.rules[3].recognised() == ("school", "commune", "province", "national")
    merit = award_of(pack, "staff_merit_province")
    assert merit is not None and merit.rules[2].recognised() == ("province", "national")
    klass = award_of(pack, "class_certificate")
    assert klass is not None and klass.collective and klass.rules[2].percent == 50
    assert award_of(pack, "nope") is None


def test_a_good_award_loads() -> None:
    text = pack_text(
        "      - milestones: all\n        source: test\n"
        "      - initiative: signed\n        min_level: province\n        source: test\n",
        asks="true",
    )
    award = parse_pack(text, "ok.yaml").nominations[0]
    assert award.rules[0].milestones == "all" and award.rules[0].milestone_ids() == []
    assert award.rules[1].milestone_ids() == ["signed"]


@pytest.mark.parametrize(
    ("rules", "audience", "expected"),
    [
        (
            "      - registered: signd\n        source: test\n",
            "[staff]",
            "nominations[0].rules[0].registered: unknown milestone 'signd' (did you mean 'signed'?)",
        ),
        (
            "      - registered: vneid_level2\n        source: test\n",
            "[staff]",
            "milestone 'vneid_level2' is for parent, none of staff",
        ),
        (
            "      - initiative: signed\n        source: test\n",
            "[staff]",
            "milestone 'signed' does not ask for a level, so min_level cannot be checked",
        ),
        (
            "      - families: vneid_level2\n        percent: 50\n        source: test\n",
            "[unit]",
            "a families rule is for an award to classes ([class]) only",
        ),
        (
            "      - families: vneid_level2\n        source: test\n",
            "[class]",
            "'families' needs 'percent'",
        ),
        (
            "      - quiz: q\n        registered: signed\n        source: test\n",
            "[staff]",
            "needs exactly one of 'milestones', 'quiz', 'registered', 'initiative' or "
            "'families' (got quiz, registered)",
        ),
        (
            "      - milestones: [signed]\n        min_level: school\n        source: test\n",
            "[staff]",
            "min_level goes with 'initiative' only",
        ),
        (
            "      - milestones: [signed, signed]\n        source: test\n",
            "[staff]",
            "has 'signed' twice",
        ),
        (
            "      - milestones: [signed]\n",
            "[staff]",
            "nominations[0].rules[0].source: is missing",
        ),
        (
            "      - milestones: [signed]\n        source: test\n",
            "[staff, class]",
            "mixes people and collectives",
        ),
        ("      - quiz: none_such\n        source: test\n", "[staff]", "unknown quiz 'none_such'"),
    ],
)
def test_a_broken_award_names_its_place(rules: str, audience: str, expected: str) -> None:
    with pytest.raises(PackError) as caught:
        parse_pack(pack_text(rules, audience), "awards.yaml")
    assert expected in str(caught.value)
    assert "awards.yaml:" in str(caught.value)
    assert "Input should be" not in str(caught.value)


def test_award_ids_are_unique() -> None:
    text = pack_text("      - registered: signed\n        source: test\n")
    text += text[text.index("  - id: model") :].replace("nominations:\n", "")
    with pytest.raises(PackError, match=r"nominations\[1\]\.id: duplicate id 'model'"):
        parse_pack(text, "twice.yaml")


PROVINCE = """\
id: bdhvs_test_province
version: 1
title: {vi: Tỉnh thử, en: Test province}
extends: bdhvs_2025_2030
"""


def test_a_province_adds_replaces_and_removes_awards() -> None:
    base = load_default_pack()
    text = PROVINCE + (
        "nominations:\n"
        "  - id: class_certificate\n"
        "    title: {vi: Lớp tiêu biểu, en: Model class}\n"
        "    audience: [class]\n"
        "    source: seed 003, line 21\n"
        "    rules:\n"
        "      - families: bdhvs_course\n"
        "        percent: 80\n"
        "        source: seed 003, line 21\n"
        "remove:\n"
        "  nominations: [unit_certificate]\n"
    )
    overlay = parse_document(text, "province.yaml", base)
    assert isinstance(overlay, PackOverlay)
    merged = merge(base, overlay)
    ids = [award.id for award in merged.nominations]
    assert "unit_certificate" not in ids and "staff_certificate" in ids
    klass = award_of(merged, "class_certificate")
    assert klass is not None and klass.rules[0].percent == 80
    # The base's awards go through every shipped province pack.
    assert len(merge(base, overlay.model_copy(update={"nominations": []})).nominations) == 4


def test_a_province_cannot_remove_a_quiz_an_award_needs() -> None:
    base = load_default_pack()
    overlay = PackOverlay.model_validate(
        {
            "id": "bdhvs_test_province",
            "version": 1,
            "title": {"vi": "Tỉnh", "en": "Province"},
            "extends": base.id,
            "remove": {"quizzes": ["fraud_awareness"]},
        }
    )
    with pytest.raises(PackInconsistent, match="unknown quiz 'fraud_awareness'"):
        merge(base, overlay)
