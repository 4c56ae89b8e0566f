"""/settings as tables of (state, input) → (state, effects), and typed quiet hours."""

from __future__ import annotations

import pytest

from bot.delivery import quiet
from bot.flows import engine
from bot.flows.engine import Pick, Record, Reply, SetLanguage, State, TextInput
from bot.flows.settings import (
    HOURS_HINT,
    NOT_A_TIME,
    SAME_ENDS,
    SETTINGS,
    TOO_LONG,
    parse_hours,
    start_data,
)
from tests.flows.texts import msgids

START = start_data("vi", None, "21:00-06:30", True)


def at(step: str, **data: object) -> State:
    return State("settings", step, {**START, **data})


def records(result: engine.Result) -> list[Record]:
    return [e for e in result.effects if isinstance(e, Record)]


TABLE = [
    # (state, input, next step or None, record (kind, data) or None, data expected after)
    (at("menu"), Pick("menu", "quiet"), "quiet", None, {"saved": False}),
    (at("menu"), Pick("menu", "news"), "news", None, {}),
    (at("menu"), Pick("menu", "language"), "language", None, {}),
    (at("menu"), Pick("menu", "done"), None, None, {}),
    (at("menu"), TextInput("2"), "quiet", None, {}),  # numbered answers, no buttons
    (at("quiet"), Pick("quiet", "2200-0700"), "menu", ("quiet_hours", "22:00-07:00"), {}),
    (at("quiet"), Pick("quiet", "off"), "menu", ("quiet_hours", "off"), {"quiet": "off"}),
    (at("quiet", quiet="off"), Pick("quiet", "school"), "menu", ("quiet_hours", None), {}),
    (at("quiet"), Pick("quiet", "back"), "menu", None, {"quiet": None, "saved": False}),
    (at("quiet"), TextInput("23:15-05:45"), "menu", ("quiet_hours", "23:15-05:45"), {}),
    (at("quiet"), TextInput("22h-6h30"), "menu", ("quiet_hours", "22:00-06:30"), {}),
    (at("quiet"), TextInput("13:00 – 14:30"), "menu", ("quiet_hours", "13:00-14:30"), {}),
    (at("quiet"), TextInput("tối nay"), "quiet", None, {}),
    (at("quiet"), Pick("quiet", "2100-0630"), "quiet", None, {}),  # the school's: not offered
    (at("news"), Pick("news", "off"), "menu", ("announcements", False), {"announcements": False}),
    (at("news", announcements=False), Pick("news", "on"), "menu", ("announcements", True), {}),
    (at("news"), Pick("news", "back"), "menu", None, {"announcements": True}),
    (at("language"), Pick("language", "en"), "menu", ("language", "en"), {"language": "en"}),
]


@pytest.mark.parametrize(("state", "event", "step", "record", "after"), TABLE)
def test_table(state: State, event, step, record, after) -> None:
    result = engine.step(SETTINGS, state, event)
    assert (result.state.step if result.state else None) == step
    found = [(r.kind, next(iter(r.data.values()))) for r in records(result)]
    assert found == ([record] if record else [])
    if result.state is not None:
        for key, value in after.items():
            assert result.state.data[key] == value
        if record:
            assert result.state.data["saved"] is True


def test_menu_shows_current_values_and_saved_after_a_change() -> None:
    opened = engine.start(SETTINGS, START)
    menu = opened.effects[0]
    assert isinstance(menu, Reply)
    assert [c.key for c in menu.choices] == ["language", "quiet", "news", "done"]
    ids = msgids(menu.text)
    assert "⚙️ Your settings" in ids and "✅ Saved." not in ids
    shown = menu.text.parts[2]  # the quiet hours line: the school's, with its hours
    assert shown.params["hours"].msgid == "the school's ({hours})"
    changed = engine.step(SETTINGS, at("quiet"), Pick("quiet", "off"))
    assert msgids(changed.effects[-1].text)[0] == "✅ Saved."


def test_language_is_the_language_question_itself() -> None:
    result = engine.step(SETTINGS, at("language"), Pick("language", "en"))
    assert SetLanguage("en") in result.effects
    prompt = engine.start(SETTINGS, START, at="language").effects[0]
    assert [c.key for c in prompt.choices] == ["vi", "en"]


def test_presets_leave_out_the_schools_own_window() -> None:
    keys = [c.key for c in engine.start(SETTINGS, START, at="quiet").effects[0].choices]
    assert keys == ["school", "2200-0700", "off", "back"]
    other = start_data("vi", None, "22:30-05:00", True)
    keys = [c.key for c in engine.start(SETTINGS, other, at="quiet").effects[0].choices]
    assert keys == ["school", "2100-0630", "2200-0700", "off", "back"]
    none = start_data("vi", None, "off", True)
    assert none["school_quiet"] is None


@pytest.mark.parametrize(
    ("typed", "value", "problem"),
    [
        ("22:00-07:00", "22:00-07:00", None),
        (" 21:30 - 6:00 ", "21:30-06:00", None),
        ("22 đến 6", "22:00-06:00", None),
        ("9.00-11.30", "09:00-11:30", None),
        ("25:00-06:00", None, NOT_A_TIME),
        ("22:61-06:00", None, NOT_A_TIME),
        ("22:00-22:00", None, SAME_ENDS),
        ("20:00-09:00", None, TOO_LONG),  # 13 hours
        ("08:00-21:00", None, TOO_LONG),
        ("22:00", None, HOURS_HINT),
        ("22:00-06:00-07:00", None, HOURS_HINT),
        ("", None, HOURS_HINT),
    ],
)
def test_typed_quiet_hours(typed: str, value: str | None, problem) -> None:
    assert parse_hours(typed) == (value, problem)
    if value is not None:
        assert quiet.parse(value) is not None  # what is stored, the outbox reads


def test_a_bad_typed_window_stays_with_a_hint() -> None:
    result = engine.step(SETTINGS, at("quiet"), TextInput("20:00-09:00"))
    assert result.state == at("quiet")
    assert msgids(result.effects[0].text)[0] == TOO_LONG.msgid
