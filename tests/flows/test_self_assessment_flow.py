"""The QĐ 4725 self-assessment and school figures as tables of (state, input) → (state, effects)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.engine import OtherInput, Pick, Record, Reply, State, TextInput
from bot.flows.self_assessment import (
    ABOVE,
    ASK_FRACTION,
    ASK_NUMBER,
    NO_DENOMINATOR,
    SCHOOL_FIGURE,
    SELF_ASSESSMENT,
    assessment_data,
    parse_fraction,
    parse_score,
)
from bot.text import Plain
from tests.flows.texts import msgids

BASE = assessment_data(
    "2025–2026",
    [{"id": "teaching", "title": "Dạy, học"}, {"id": "management", "title": "Quản trị"}],
    [{"id": "plan", "title": "Kế hoạch CĐS"}, {"id": "data", "title": "CSDL ngành"}],
    50,
    75,
    2,
)


def at(step: str, **data: object) -> State:
    return State("self_assessment", step, {**BASE, **data})


def reply(result: engine.Result) -> Reply:
    return [e for e in result.effects if isinstance(e, Reply)][-1]


@pytest.mark.parametrize(
    ("state", "event", "step", "changed"),
    [
        (at("score"), TextInput("72,5"), "score", {"index": 1, "scores": {"teaching": 72.5}}),
        (
            at("score", index=1, scores={"teaching": 72.5}),
            TextInput("80"),
            "mandatory",
            {"scores": {"teaching": 72.5, "management": 80}},
        ),
        (
            at("mandatory", scores={"teaching": 60, "management": 80}),
            Pick("mandatory", "plan"),
            "mandatory",
            {"met": ["plan"]},
        ),
        (at("mandatory", met=["plan"]), Pick("mandatory", "plan"), "mandatory", {"met": []}),
        (
            at("mandatory", met=["plan"], scores={"teaching": 60, "management": 80}),
            Pick("mandatory", "done"),
            "confirm",
            {"met": ["plan"]},
        ),
        (
            at("confirm", scores={"teaching": 1, "management": 2}, met=["plan"]),
            Pick("confirm", "again"),
            "score",
            {"scores": {}, "index": 0, "met": []},
        ),
    ],
)
def test_steps(state: State, event: engine.Input, step: str, changed: dict) -> None:
    result = engine.step(SELF_ASSESSMENT, state, event)
    assert result.state is not None and result.state.step == step
    for key, value in changed.items():
        assert result.state.data[key] == value


@pytest.mark.parametrize("typed", ["abc", "-1", "100.5", "nan", "inf", "", "1e400", "72%", "½"])
def test_a_score_that_is_not_0_to_100_is_asked_again(typed: str) -> None:
    result = engine.step(SELF_ASSESSMENT, at("score"), TextInput(typed))
    assert result.state == at("score")
    assert ASK_NUMBER.msgid in msgids(reply(result).text)


def test_parse_score() -> None:
    assert parse_score(" 100 ") == 100
    assert parse_score("72,56") == 72.6
    assert parse_score("0") == 0
    assert parse_score("７２") == 72  # full-width digits from some keyboards


def test_stickers_and_forged_items_change_nothing() -> None:
    assert engine.step(SELF_ASSESSMENT, at("score"), OtherInput("sticker")).state == at("score")
    forged = engine.step(SELF_ASSESSMENT, at("mandatory"), Pick("mandatory", "made_up"))
    assert forged.state == at("mandatory")
    stale = engine.step(SELF_ASSESSMENT, at("mandatory"), Pick("confirm", "save"))
    assert stale.state == at("mandatory")


@pytest.mark.parametrize(
    ("met", "scores", "verdict"),
    [
        (
            ["plan", "data"],
            {"teaching": 60, "management": 80},
            "Level {level}: the target (level {target}) is met.",
        ),
        (
            ["plan"],
            {"teaching": 90, "management": 90},
            "Level {level}: below the target (level {target}).",
        ),
    ],
)
def test_confirm_shows_the_level_and_saving_records_the_entry(met, scores, verdict) -> None:
    state = at("confirm", scores=scores, met=met)
    shown = engine.step(
        SELF_ASSESSMENT, at("mandatory", scores=scores, met=met), Pick("mandatory", "done")
    )
    assert verdict in msgids(reply(shown).text)
    saved = engine.step(SELF_ASSESSMENT, state, Pick("confirm", "save"))
    assert saved.state is None
    assert saved.effects == (Record("self_assessment", {"scores": scores, "met": met}),)


def test_without_mandatory_items_the_last_score_goes_to_confirm() -> None:
    state = State(
        "self_assessment", "score", {**BASE, "items": [], "index": 1, "scores": {"teaching": 50}}
    )
    result = engine.step(SELF_ASSESSMENT, state, TextInput("50"))
    assert result.state is not None and result.state.step == "confirm"


FIGURES = {
    "year": "2025–2026",
    "figures": [
        {
            "id": "records_digitised",
            "title": "Hồ sơ được số hóa",
            "unit": "hồ sơ",
            "target": 100,
            "now": "120/150",
        },
        {
            "id": "cashless_charges",
            "title": "Khoản thu không dùng tiền mặt",
            "unit": "khoản thu",
            "target": 100,
        },
    ],
}


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("120/150", (120, 150)),
        ("1.200 / 1.500", (1200, 1500)),
        ("1,200/1,500", (1200, 1500)),
        ("0/3", (0, 3)),
        ("151/150", ABOVE),
        ("5/0", NO_DENOMINATOR),
        ("a/b", ASK_FRACTION),
        ("120", ASK_FRACTION),
        ("1/2/3", ASK_FRACTION),
        ("-1/5", ASK_FRACTION),
        ("½/2", ASK_FRACTION),
        ("1/99999999", NO_DENOMINATOR),
    ],
)
def test_fractions(typed: str, answer: object) -> None:
    assert parse_fraction(typed) == answer


def test_a_figure_is_picked_then_typed() -> None:
    first = engine.start(SCHOOL_FIGURE, FIGURES)
    assert [c.key for c in reply(first).choices] == ["records_digitised", "cashless_charges"]
    assert (
        "• Hồ sơ được số hóa: 120/150"
        in next(p.text for p in reply(first).text.parts if isinstance(p, Plain))
    )
    picked = engine.step(SCHOOL_FIGURE, first.state, Pick("pick", "cashless_charges"))
    assert picked.state is not None and picked.state.step == "value"
    wrong = engine.step(SCHOOL_FIGURE, picked.state, TextInput("200/100"))
    assert wrong.state == picked.state and ABOVE.msgid in msgids(reply(wrong).text)
    done = engine.step(SCHOOL_FIGURE, picked.state, TextInput("98/100"))
    assert done.state is None
    assert done.effects == (
        Record("school_figure", {"figure": "cashless_charges", "value": 98, "out_of": 100}),
    )
