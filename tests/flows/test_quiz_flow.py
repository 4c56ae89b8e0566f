"""The quiz flows as tables: the same steps whether a vote arrives from a poll (a pick)
or as a typed number (text rendering)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.engine import OtherInput, Pick, Record, Reply, TextInput
from bot.flows.quiz import CLOSED, QUIZ, QUIZ_MENU


def quiz_data(rendering: str, index: int = 0) -> dict[str, object]:
    questions = [
        {
            "text": "Q1",
            "options": ["b", "a"],
            "keys": ["1", "0"],
            "right": "0",
            "explanation": "E1",
            "seconds": None,
        },
        {
            "text": "Q2",
            "options": ["x", "y", "z"],
            "keys": ["0", "2", "1"],
            "right": "2",
            "explanation": "E2",
            "seconds": 30,
        },
    ]
    return {
        "attempt": 7,
        "quiz": "fraud",
        "title": "Fraud",
        "total": 2,
        "index": index,
        "offset": index,
        "rendering": rendering,
        "questions": questions[index:],
    }


def records(result: engine.Result) -> list[tuple[str, dict[str, object]]]:
    return [(e.kind, dict(e.data)) for e in result.effects if isinstance(e, Record)]


# (input, next index or None when finished, the answer recorded)
BY_POLL = [(Pick("question", "0"), 1, 0, True), (Pick("question", "1"), None, 1, False)]
BY_TEXT = [(TextInput("2"), 1, 0, True), (TextInput("2"), None, 2, True)]
TIMED_OUT = [(Pick("question", "1"), 1, 1, False), (OtherInput(CLOSED), None, None, False)]


@pytest.mark.parametrize(
    ("rendering", "table"),
    [("poll", BY_POLL), ("text", BY_TEXT), ("poll", TIMED_OUT)],
    ids=["poll", "text", "timer"],
)
def test_questions(
    rendering: str, table: list[tuple[object, int | None, int | None, bool]]
) -> None:
    state = engine.start(QUIZ, quiz_data(rendering)).state
    assert state is not None
    for event, following, chosen, correct in table:
        result = engine.step(QUIZ, state, event)  # type: ignore[arg-type]
        answer = records(result)[0]
        assert answer == (
            "answer",
            {
                "attempt": 7,
                "quiz": "fraud",
                "rendering": rendering,
                "question": state.data["index"],
                "chosen": chosen,
                "correct": correct,
            },
        )
        if following is None:
            assert result.state is None
            assert records(result)[1] == ("finish", {"attempt": 7, "quiz": "fraud"})
        else:
            assert result.state is not None and result.state.data["index"] == following
            prompt = result.effects[-1]
            assert isinstance(prompt, Reply) and [c.key for c in prompt.choices] == ["0", "2", "1"]
            state = result.state


@pytest.mark.parametrize("event", [TextInput("maybe"), TextInput("3"), OtherInput("sticker")])
def test_what_is_not_an_answer_asks_again(event: object) -> None:
    state = engine.start(QUIZ, quiz_data("text")).state
    assert state is not None
    result = engine.step(QUIZ, state, event)  # type: ignore[arg-type]
    assert result.state == state and not records(result)


def test_a_resumed_attempt_starts_at_its_question() -> None:
    result = engine.start(QUIZ, quiz_data("poll", index=1))
    prompt = result.effects[0]
    assert isinstance(prompt, Reply) and [c.label.text for c in prompt.choices] == ["x", "y", "z"]  # type: ignore[attr-defined]


def menu(state: str, **extra: object) -> dict[str, object]:
    item = {
        "id": "fraud",
        "title": "Fraud",
        "best": None,
        "total": 2,
        "passed": False,
        "state": state,
        "again_on": "2026-09-06",
        "answered": 1,
        **extra,
    }
    return {"items": [item], "standing": None, "quiz": None}


@pytest.mark.parametrize(
    ("state", "picks", "record"),
    [
        ("ready", ["fraud"], ("start", {"quiz": "fraud"})),
        ("open", ["fraud", "resume"], ("resume", {"quiz": "fraud"})),
        ("open", ["fraud", "restart"], ("restart", {"quiz": "fraud"})),
        ("cooling", ["fraud"], None),
    ],
)
def test_menu(state: str, picks: list[str], record: tuple[str, dict[str, str]] | None) -> None:
    current = engine.start(QUIZ_MENU, menu(state)).state
    result = None
    for key in picks:
        assert current is not None
        result = engine.step(QUIZ_MENU, current, Pick(current.step, key))
        current = result.state
    assert result is not None
    if record is None:
        assert result.state is not None and result.state.step == "list" and not records(result)
    else:
        assert result.state is None and records(result) == [record]
