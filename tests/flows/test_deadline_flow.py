"""/deadline as tables of (state, input) → (state, effects)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.deadline import DEADLINE, parse_date
from bot.flows.engine import OtherInput, Pick, Record, Reply, State, TextInput
from tests.flows.texts import msgids

BASE = {
    "today": "2026-09-05",
    "places": [[3, "THPT Lý Thái Tổ"]],
    "deadlines": [{"id": 9, "title": "Nộp kế hoạch", "due": "2026-10-01", "place": "THPT"}],
    "milestones": [
        {"id": "vneid_level2", "title": "VNeID mức 2", "audience": ["parent", "student"]},
        {"id": "staff_digital_signature", "title": "Chữ ký số", "audience": ["staff"]},
    ],
}
FILLED = {**BASE, "org_id": 3, "title": "Nộp minh chứng", "due": "2026-09-20"}


def at(step: str, **data: object) -> State:
    return State("deadline", step, {**FILLED, **data})


def last_reply(result: engine.Result) -> Reply:
    replies = [e for e in result.effects if isinstance(e, Reply)]
    return replies[-1]


def test_start_lists_own_deadlines_with_cancel_buttons() -> None:
    result = engine.start(DEADLINE, BASE)
    reply = last_reply(result)
    assert "Upcoming deadlines set here:" in msgids(reply.text)
    assert [c.key for c in reply.choices] == ["add", "x9"]


@pytest.mark.parametrize(
    ("state", "event", "step", "hint"),
    [
        # one place: straight to the title
        (State("deadline", "menu", BASE), Pick("menu", "add"), "title", None),
        (State("deadline", "menu", BASE), Pick("menu", "x9"), "drop", None),
        (at("drop", drop=9), Pick("drop", "no"), "menu", None),
        (at("title"), TextInput("  Nộp   hồ sơ  "), "date", None),
        (
            at("title"),
            TextInput("ab"),
            "title",
            "Please keep the title between {low} and {high} characters.",
        ),
        (at("title"), TextInput("/start"), "title", "Please type the title as plain text."),
        (at("title"), OtherInput("sticker"), "title", "Please type the title as text."),
        (at("date"), TextInput("25/5/2027"), "audience", None),
        (at("date"), TextInput("5.9.2026"), "audience", None),  # today is fine
        (at("date"), TextInput("5/9/2028"), "audience", None),  # two years exactly
        (
            at("date"),
            TextInput("31/2/2027"),
            "date",
            "There is no {day} in the calendar. Please check the date.",
        ),
        (
            at("date"),
            TextInput("4/9/2026"),
            "date",
            "That date has already passed. Please type a date from today on.",
        ),
        (
            at("date"),
            TextInput("6/9/2028"),
            "date",
            "That date is more than two years ahead. Please type a nearer date.",
        ),
        (
            at("date"),
            TextInput("next Monday"),
            "date",
            "Please type the date as day/month/year, for example 25/5/2026.",
        ),
        (at("audience"), Pick("audience", "parents"), "offsets", None),
        (at("offsets", audience="parents"), Pick("offsets", "7-3-1"), "milestone", None),
        (at("offsets", audience="parents"), Pick("offsets", "other"), "days", None),
        (at("days", audience="parents"), TextInput("10, 5 2"), "milestone", None),
        (at("days", audience="parents"), TextInput("1"), "milestone", None),
        (
            at("days", audience="parents"),
            TextInput("ten"),
            "days",
            "Please type up to {count} numbers of days, for example: 10, 5, 2",
        ),
        (
            at("days", audience="parents"),
            TextInput("1,2,3,4,5,6"),
            "days",
            "Please type up to {count} numbers of days, for example: 10, 5, 2",
        ),
        (
            at("days", audience="parents"),
            TextInput("400"),
            "days",
            "A reminder can go at most {days} days before.",
        ),
        (
            at("milestone", audience="parents", offsets=[7]),
            Pick("milestone", "vneid_level2"),
            "confirm",
            None,
        ),
        # a milestone not offered for this audience (forged or stale button): nothing changes
        (
            at("milestone", audience="parents", offsets=[7]),
            Pick("milestone", "staff_digital_signature"),
            "milestone",
            None,
        ),
    ],
)
def test_steps(state: State, event: engine.Input, step: str, hint: str | None) -> None:
    result = engine.step(DEADLINE, state, event)
    assert result.state is not None and result.state.step == step
    if hint is not None:
        assert msgids(last_reply(result).text)[0] == hint


def test_offsets_whose_day_has_passed_are_dropped() -> None:
    # due 20/9, today 5/9: 30 days before is gone, 14, 7 and 1 are kept
    result = engine.step(DEADLINE, at("days", audience="parents"), TextInput("1 30 14 7 7"))
    assert result.state is not None and result.state.data["offsets"] == [14, 7, 1]


def test_no_milestone_for_the_audience_skips_that_question() -> None:
    data = {**FILLED, "milestones": [BASE["milestones"][1]]}
    result = engine.step(
        DEADLINE,
        State("deadline", "offsets", {**data, "audience": "parents"}),
        Pick("offsets", "3-1"),
    )
    assert result.state is not None and result.state.step == "confirm"


def test_two_places_ask_which_first() -> None:
    data = {**BASE, "places": [[3, "A"], [4, "B"]]}
    result = engine.step(DEADLINE, State("deadline", "menu", data), Pick("menu", "add"))
    assert result.state is not None and result.state.step == "place"
    result = engine.step(DEADLINE, result.state, Pick("place", "4"))
    assert result.state is not None and result.state.step == "title"
    assert result.state.data["org_id"] == 4


def test_save_records_the_deadline_and_cancel_records_nothing() -> None:
    state = at("confirm", audience="staff", offsets=[7, 3, 1], completes="staff_digital_signature")
    summary = msgids(engine.step(DEADLINE, state, OtherInput("sticker")).effects[0].text)
    assert "Done for those who reported: {milestone}" in summary
    saved = engine.step(DEADLINE, state, Pick("confirm", "save"))
    assert saved.state is None
    assert saved.effects == (
        Record(
            "add",
            {
                "org_id": 3,
                "title": "Nộp minh chứng",
                "due": "2026-09-20",
                "audience": "staff",
                "offsets": [7, 3, 1],
                "completes": "staff_digital_signature",
            },
        ),
    )
    dropped = engine.step(DEADLINE, state, Pick("confirm", "cancel"))
    assert dropped.state is None and not any(isinstance(e, Record) for e in dropped.effects)


def test_cancelling_one_records_its_id() -> None:
    result = engine.step(DEADLINE, at("drop", drop=9), Pick("drop", "yes"))
    assert result.state is None and result.effects == (Record("cancel", {"id": 9}),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/5/2026", "2026-05-25"),
        (" 1-12-2026 ", "2026-12-01"),
        ("29/2/2028", "2028-02-29"),
        ("29/2/2027", "29/2/2027"),
        ("31/4/2027", "31/4/2027"),
        ("0/1/2027", "0/1/2027"),
        ("25/5/26", None),
        ("25 tháng 5", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    parsed = parse_date(text)
    assert (parsed if parsed is None or isinstance(parsed, str) else parsed.isoformat()) == expected
