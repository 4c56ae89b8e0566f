"""Onboarding as a table of (state, input) → (state, effects): parents also name their
children in the class and say what they are to them; everyone else joins after the name."""

from __future__ import annotations

from typing import Any

import pytest

from bot.flows import engine
from bot.flows.engine import FileInput, OtherInput, Pick, Record, Reply, State, TextInput
from bot.flows.onboarding import CHILD_PROBLEMS, ONBOARDING
from tests.flows.texts import msgids

BASE = {"code": "c0de", "school": "THPT Lý Thái Tổ", "unit": "10A1", "language": "vi"}


def at(step: str, role: str = "parent", **data: Any) -> State:
    return State("onboarding", step, {**BASE, "role": role, "tg_name": "Nguyễn Thị Lan", **data})


def joined(result: engine.Result) -> dict[str, Any] | None:
    found = [e for e in result.effects if isinstance(e, Record) and e.kind == "join"]
    return dict(found[0].data) if found else None


CHILD = "child"
TABLE: list[tuple[State, Any, str | None, dict[str, Any] | None]] = [
    # (state, input, next step or None when finished, the join record's data or None)
    # Name: a parent goes on to their child; a student or teacher joins there and then.
    (at("name"), Pick("name", "keep"), CHILD, None),
    (at("name"), TextInput("Trần Thị Hoa"), CHILD, None),
    (
        at("name", role="student"),
        Pick("name", "keep"),
        None,
        {"code": "c0de", "name": "Nguyễn Thị Lan", "language": "vi"},
    ),
    (
        at("name", role="staff"),
        TextInput("Phạm Văn Đức"),
        None,
        {"code": "c0de", "name": "Phạm Văn Đức", "language": "vi"},
    ),
    # Child: one name, two names, and the ways people separate them.
    (at(CHILD, name="Lan"), TextInput("An"), "relation", None),
    (at(CHILD, name="Lan"), TextInput("An, Bình"), "relation", None),
    (at(CHILD, name="Lan"), TextInput("  Nguyễn Văn An  và  Bình "), "relation", None),
    (at(CHILD, name="Lan"), TextInput(""), CHILD, None),
    (at(CHILD, name="Lan"), TextInput("123"), CHILD, None),
    (at(CHILD, name="Lan"), TextInput("a" * 41), CHILD, None),
    (at(CHILD, name="Lan"), TextInput("A, B, C, D, E"), CHILD, None),
    (at(CHILD, name="Lan"), OtherInput("sticker"), CHILD, None),
    (at(CHILD, name="Lan"), FileInput("photo", "f", "u"), CHILD, None),
    # Relation: a button finishes the join with the family.
    (
        at("relation", name="Nguyễn Thị Lan", children=["An", "Bình"]),
        Pick("relation", "mother"),
        None,
        {
            "code": "c0de",
            "name": "Nguyễn Thị Lan",
            "language": "vi",
            "children": ["An", "Bình"],
            "relation": "mother",
        },
    ),
    (
        at("relation", name="Lê Văn Tám", children=["Tí"]),
        TextInput("5"),  # numbered answers, for channels without buttons
        None,
        {
            "code": "c0de",
            "name": "Lê Văn Tám",
            "language": "vi",
            "children": ["Tí"],
            "relation": "guardian",
        },
    ),
    # A known parent joining another class starts at the child and has no name to give.
    (
        at("relation", name=None, tg_name=None, children=["Chi"]),
        Pick("relation", "grandmother"),
        None,
        {
            "code": "c0de",
            "name": None,
            "language": "vi",
            "children": ["Chi"],
            "relation": "grandmother",
        },
    ),
    (at("relation", name="Lan", children=["An"]), Pick("relation", "uncle"), "relation", None),
    (at("relation", name="Lan", children=["An"]), TextInput("mẹ"), "relation", None),
]


@pytest.mark.parametrize(("state", "event", "step", "record"), TABLE)
def test_table(state: State, event: Any, step: str | None, record: dict | None) -> None:
    result = engine.step(ONBOARDING, state, event)
    assert (result.state.step if result.state else None) == step
    assert joined(result) == record


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("An", ["An"]),
        ("An, Bình", ["An", "Bình"]),
        ("An;Bình\nChi", ["An", "Bình", "Chi"]),
        ("Nguye\u0302\u0303n Văn An & Bình", ["Nguyễn Văn An", "Bình"]),
        ("An, an, An", ["An"]),  # the same child twice
        ("Vân, Hoàn", ["Vân", "Hoàn"]),  # "và" only between words
    ],
)
def test_the_children_are_kept_as_written_nfc(typed: str, kept: list[str]) -> None:
    result = engine.step(ONBOARDING, at(CHILD, name="Lan"), TextInput(typed))
    assert result.state is not None and result.state.data["children"] == kept


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("", "empty"), (" , ;", "empty"), ("12", "no_letters"), ("x" * 41, "too_long")],
)
def test_each_problem_has_its_hint(typed: str, problem: str) -> None:
    result = engine.step(ONBOARDING, at(CHILD, name="Lan"), TextInput(typed))
    (reply,) = result.effects
    assert isinstance(reply, Reply)
    assert msgids(reply.text)[0] == CHILD_PROBLEMS[problem].msgid


def test_the_relation_question_names_the_children_and_offers_five_relations() -> None:
    result = engine.step(ONBOARDING, at(CHILD, name="Lan"), TextInput("An, Bình"))
    (reply,) = result.effects
    assert isinstance(reply, Reply) and reply.step == "relation"
    assert [c.key for c in reply.choices] == [
        "mother",
        "father",
        "grandfather",
        "grandmother",
        "guardian",
    ]
    children = reply.text.params["children"]
    assert [part.params["name"].text for part in children.parts] == ["An", "Bình"]


def test_only_a_parent_is_told_about_the_child_question_at_consent() -> None:
    for role, told in (("parent", True), ("student", False), ("staff", False)):
        started = engine.start(ONBOARDING, {**BASE, "role": role, "tg_name": "Lan"}, "consent")
        (reply,) = started.effects
        assert isinstance(reply, Reply)
        assert any("child's name" in m for m in msgids(reply.text)) == told
