"""Headcount as tables of (state, input) → (state, effects)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.engine import STALE, OtherInput, Pick, Record, Reply, State, TextInput
from bot.flows.headcount import HEADCOUNT, parse_count
from tests.flows.texts import msgids

STAFF = {
    "key": "s3",
    "org": 3,
    "kind": "staff",
    "name": "THPT Lý Thái Tổ",
    "current": None,
    "joined": 12,
    "counts": "staff",
}
CLASS = {
    "key": "c12",
    "org": 12,
    "kind": "students",
    "name": "10A1",
    "current": 40,
    "joined": 10,
    "counts": "families",
}
PRINCIPAL = {"places": [STAFF, CLASS]}
TEACHER = {"places": [CLASS], "chosen": "c12"}


def at(data: dict, chosen: str = "c12") -> State:
    return State("headcount", "count", {**data, "chosen": chosen})


def last_reply(result: engine.Result) -> Reply:
    return [e for e in result.effects if isinstance(e, Reply)][-1]


def records(result: engine.Result) -> list[Record]:
    return [e for e in result.effects if isinstance(e, Record)]


def test_a_principal_picks_the_school_staff_or_a_class() -> None:
    result = engine.start(HEADCOUNT, PRINCIPAL)
    reply = last_reply(result)
    assert msgids(reply.text) == ["Which headcount would you like to record?"]
    assert [c.key for c in reply.choices] == ["s3", "c12"]
    assert [msgids(c.label) for c in reply.choices] == [
        ["👥 Staff of the school: not recorded yet"],
        ["Class {name}: {count} students"],
    ]
    picked = engine.step(HEADCOUNT, result.state, Pick("place", "s3"))
    assert picked.state == at(PRINCIPAL, "s3")
    assert msgids(last_reply(picked).text) == [
        "How many staff does {school} have, its leaders included? Please type the number.",
        "So far {count} staff of the school have joined the bot.",
    ]


def test_a_teacher_starts_at_the_count_of_their_class() -> None:
    reply = last_reply(engine.start(HEADCOUNT, TEACHER, at="count"))
    assert msgids(reply.text) == [
        "How many students does class {name} have? Please type the number.",
        "Recorded now: {count}.",
        "So far {count} parents and students of the class have joined the bot.",
    ]
    assert reply.choices == ()


TOO_FEW_CLASS = (
    "{joined} people of class {name} have already joined the bot, so it has at least "
    "{joined}. Please check the number; nothing was saved."
)
TOO_FEW_STAFF = (
    "{joined} staff of {name} have already joined the bot, so the school has at least "
    "{joined}. Please check the number; nothing was saved."
)
DIGITS = "Please type the number in digits, for example 40."


@pytest.mark.parametrize(
    ("state", "event", "hint"),
    [
        (at(TEACHER), TextInput("abc"), DIGITS),
        (at(TEACHER), TextInput("bốn mươi"), DIGITS),
        (at(TEACHER), TextInput("40.5"), DIGITS),
        (at(TEACHER), TextInput("٤٠"), DIGITS),  # Arabic-Indic digits: not what int() reads
        (
            at(TEACHER),
            TextInput("-5"),
            "A headcount cannot be negative. Please type the number of people.",
        ),
        (at(TEACHER), TextInput("0"), "Please type a number from 1 to {high}."),
        (at(TEACHER), TextInput("5001"), "Please type a number from 1 to {high}."),
        (at(TEACHER), TextInput("1.000.000"), "Please type a number from 1 to {high}."),
        (at(TEACHER), TextInput("9"), TOO_FEW_CLASS),  # 10 joined
        (at(PRINCIPAL, "s3"), TextInput("11"), TOO_FEW_STAFF),  # 12 joined
        (at(TEACHER), OtherInput("sticker"), DIGITS),
    ],
)
def test_numbers_that_cannot_be_right_are_refused_and_nothing_is_recorded(
    state: State, event: engine.Input, hint: str
) -> None:
    result = engine.step(HEADCOUNT, state, event)
    assert result.state == state
    assert records(result) == []
    assert msgids(last_reply(result).text)[0] == hint


@pytest.mark.parametrize(
    ("state", "typed", "record"),
    [
        (at(TEACHER), " 42 ", {"org": 12, "kind": "students", "name": "10A1", "count": 42}),
        (at(TEACHER), "10", {"org": 12, "kind": "students", "name": "10A1", "count": 10}),
        (at(TEACHER), "5000", {"org": 12, "kind": "students", "name": "10A1", "count": 5000}),
        (
            at(PRINCIPAL, "s3"),
            "1.020",
            {"org": 3, "kind": "staff", "name": "THPT Lý Thái Tổ", "count": 1020},
        ),
    ],
)
def test_a_good_number_ends_the_flow_with_its_record(
    state: State, typed: str, record: dict
) -> None:
    result = engine.step(HEADCOUNT, state, TextInput(typed))
    assert result.state is None
    assert records(result) == [Record("set", record)]


def test_a_pick_for_a_place_not_offered_changes_nothing() -> None:
    start = engine.start(HEADCOUNT, PRINCIPAL).state
    assert start is not None
    forged = engine.step(HEADCOUNT, start, Pick("place", "c999"))  # another school's class
    assert forged.state == start
    assert msgids(forged.effects[0].text) == [STALE.msgid]  # type: ignore[union-attr]
    stale = engine.step(HEADCOUNT, at(PRINCIPAL), Pick("place", "s3"))  # the step has passed
    assert stale.state == at(PRINCIPAL)
    assert records(stale) == []


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("40", 40),
        (" 7 ", 7),
        ("1.200", 1200),
        ("1,200", 1200),
        ("1 200", 1200),
        ("12.00", None),
        ("4 0", None),
        ("", None),
        ("+5", None),
        ("²", None),
    ],
)
def test_parse_count(typed: str, value: int | None) -> None:
    assert parse_count(typed) == value
