"""The flow engine as tables: (state, input) → (state, effects). No Telegram, no database."""

from __future__ import annotations

import json

import pytest

from bot.flows import engine
from bot.flows.engine import (
    FileInput,
    OtherInput,
    Pick,
    Record,
    Reply,
    SetLanguage,
    State,
    TextInput,
)
from bot.flows.forget import FORGET
from bot.flows.invite import INVITE
from bot.flows.language import LANGUAGE
from bot.flows.onboarding import ONBOARDING
from bot.handlers.callbacks import VERSION, FlowCallback
from tests.flows.texts import msgids

# A student: the engine is the point here (a parent's child steps: test_onboarding_flow.py).
BASE = {"code": "abc", "school": "THPT A", "unit": "10A1", "role": "student", "tg_name": "Lan"}


def state(step: str, **extra: object) -> State:
    return State("onboarding", step, {**BASE, **extra})


def replies(result: engine.Result) -> list[Reply]:
    return [e for e in result.effects if isinstance(e, Reply)]


def records(result: engine.Result) -> list[Record]:
    return [e for e in result.effects if isinstance(e, Record)]


ONBOARDING_TABLE = [
    # (state, input, next step or None for the end, record kinds)
    (state("language"), Pick("language", "vi"), "consent", []),
    (state("language"), Pick("language", "en"), "consent", []),
    (state("language"), TextInput("2"), "consent", []),
    (state("language"), TextInput("tiếng việt"), "language", []),
    (state("language"), TextInput("²"), "language", []),  # a digit to str, not to int()
    (state("language"), TextInput("٢"), "language", []),
    (state("language"), TextInput("0"), "language", []),
    (state("language"), TextInput("9" * 5000), "language", []),
    (state("language"), OtherInput("sticker"), "language", []),
    (state("language"), Pick("language", "fr"), "language", []),
    (state("language"), Pick("consent", "accept"), "language", []),
    # a key the current step also offers, from another step's button: still refused
    (state("consent", language="vi"), Pick("language", "accept"), "consent", []),
    (state("name", language="vi", tg_name="Lan"), Pick("consent", "keep"), "name", []),
    (state("consent", language="vi"), Pick("consent", "accept"), "name", []),
    (state("consent", language="vi"), Pick("consent", "decline"), None, ["declined"]),
    (state("consent", language="vi"), TextInput("1"), "name", []),
    (state("consent", language="vi"), TextInput("yes"), "consent", []),
    (state("name", language="vi"), Pick("name", "keep"), None, ["join"]),
    (state("name", language="vi"), TextInput("1"), None, ["join"]),
    (state("name", language="vi"), TextInput("Trần Văn Ba"), None, ["join"]),
    (state("name", language="vi"), TextInput("   "), "name", []),
    (state("name", language="vi"), TextInput("x" * 65), "name", []),
    (state("name", language="vi"), TextInput("!!!"), "name", []),
    (state("name", language="vi"), FileInput("photo", "f", "u"), "name", []),
]


@pytest.mark.parametrize(("before", "event", "after", "kinds"), ONBOARDING_TABLE)
def test_onboarding_table(
    before: State, event: engine.Input, after: str | None, kinds: list[str]
) -> None:
    result = engine.step(ONBOARDING, before, event)
    assert (result.state.step if result.state else None) == after
    assert [r.kind for r in records(result)] == kinds
    if after is not None:
        assert replies(result), "every step that waits must say what it waits for"


def test_language_pick_switches_rendering_before_the_next_prompt() -> None:
    result = engine.step(ONBOARDING, state("language"), Pick("language", "en"))
    assert result.effects[0] == SetLanguage("en")
    assert result.state is not None and result.state.data["language"] == "en"


def test_join_record_carries_a_clean_name() -> None:
    result = engine.step(
        ONBOARDING, state("name", language="vi"), TextInput(" Nguye\u0302\u0303n\u200b  Lan\x00 ")
    )
    assert records(result)[0].data == {"code": "abc", "name": "Nguyễn Lan", "language": "vi"}


def test_stale_pick_says_so_and_asks_again() -> None:
    result = engine.step(ONBOARDING, state("consent", language="vi"), Pick("language", "vi"))
    first, again = replies(result)
    assert msgids(first.text) == [engine.STALE.msgid]
    assert again.step == "consent" and again.choices


def test_wrong_kind_hint_comes_with_the_question() -> None:
    result = engine.step(ONBOARDING, state("name", language="vi"), OtherInput("voice"))
    (reply,) = replies(result)
    assert msgids(reply.text)[0] == "Please type your name as text."


def test_name_step_without_telegram_name_offers_no_button() -> None:
    result = engine.start(ONBOARDING, {**BASE, "tg_name": None})
    following = engine.step(
        ONBOARDING,
        engine.step(ONBOARDING, result.state, Pick("language", "vi")).state,
        Pick("consent", "accept"),
    )
    assert following.state is not None and following.state.step == "name"
    assert replies(following)[-1].choices == ()


def test_state_is_json_safe() -> None:
    result = engine.start(ONBOARDING, BASE)
    assert result.state is not None
    raw = json.loads(json.dumps(result.state.to_json()))
    assert State.from_json(raw) == result.state


INVITE_DATA = {
    "units": [[7, "Lớp 6A"], [9, "THCS B"]],
    "roles": {"7": ["parent"], "9": ["staff", "parent"]},
}


@pytest.mark.parametrize(
    ("step", "data", "event", "after", "record"),
    [
        ("unit", INVITE_DATA, Pick("unit", "7"), None, {"org_id": 7, "role": "parent"}),
        ("unit", INVITE_DATA, Pick("unit", "9"), "role", None),
        ("unit", INVITE_DATA, Pick("unit", "8"), "unit", None),
        (
            "role",
            {**INVITE_DATA, "unit": "9"},
            Pick("role", "staff"),
            None,
            {"org_id": 9, "role": "staff"},
        ),
        ("role", {**INVITE_DATA, "unit": "9"}, Pick("role", "principal"), "role", None),
    ],
)
def test_invite_table(
    step: str, data: dict, event: engine.Input, after: str | None, record: dict | None
) -> None:
    result = engine.step(INVITE, State("invite", step, data), event)
    assert (result.state.step if result.state else None) == after
    assert ([r.data for r in records(result)] or [None])[0] == record


def test_forget_and_language_tables() -> None:
    keep = engine.step(FORGET, State("forget", "confirm"), Pick("confirm", "keep"))
    assert keep.state is None and not records(keep)
    delete = engine.step(FORGET, State("forget", "confirm"), Pick("confirm", "delete"))
    assert [r.kind for r in records(delete)] == ["forget"]
    chosen = engine.step(LANGUAGE, State("language", "pick"), TextInput("2"))
    assert SetLanguage("en") in chosen.effects and records(chosen)[0].data == {"language": "en"}


@pytest.mark.parametrize("flow", [ONBOARDING, INVITE, FORGET, LANGUAGE])
def test_every_button_fits_in_64_bytes(flow: engine.Flow) -> None:
    data = {**BASE, **INVITE_DATA, "unit": "9", "language": "vi"}
    for name, step in flow.steps.items():
        for choice in step.choices(data):
            packed = FlowCallback(v=VERSION, flow=flow.name, step=name, key=choice.key).pack()
            assert len(packed.encode()) <= 64, packed
    longest = FlowCallback(
        v=VERSION, flow=flow.name, step=max(flow.steps, key=len), key="9" * 12
    ).pack()
    assert len(longest.encode()) <= 64
