"""/broadcast as tables of (state, input) → (next step, record, first hint)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.broadcast import BROADCAST, parse_when, start_at
from bot.flows.engine import FileInput, OtherInput, Pick, Record, Reply, State, TextInput
from tests.flows.texts import msgids

BASE = {
    "scopes": [{"id": 3, "name": "THPT Lý Thái Tổ", "kind": "school"}],
    "scope": 3,
    "parts": {"3": [{"id": 4, "name": "10A1"}, {"id": 5, "name": "Tổ Toán"}]},
    "milestones": [{"id": "vneid", "title": "VNeID"}],
    "text_limit": 3900,
    "caption_limit": 900,
    "menu": [],
    "orgs": [],
    "now_local": "2026-09-05T15:00",
    "count": 12,
    "skipped": 0,
}
PHOTO = FileInput("photo", "ph1", "u1", caption="Lịch thi")
BARE_PHOTO = FileInput("photo", "ph2", "u2")


def at(step: str, **data: object) -> State:
    return State("broadcast", step, {**BASE, **data})


TEXTED = {"audience": "everyone", "text": "Thông báo"}
TOO_LONG = "That text has {length} characters"
PAST = "That time has already passed. Please choose a time in the future."

TABLE = [
    # (state, input, next step or None, record kind or None, hint msgid prefix or None)
    (at("menu", menu=["scheduled"]), Pick("menu", "new"), "audience", None, None),
    (at("menu", menu=["scheduled"]), Pick("menu", "scheduled"), None, "scheduled", None),
    (at("menu", menu=["scheduled"]), Pick("menu", "results"), "menu", None, None),  # not offered
    (at("menu", scope=None, menu=["results"]), Pick("menu", "new"), "scope", None, None),
    (at("scope", scope=None), Pick("scope", "3"), "audience", None, None),
    (at("scope", scope=None), Pick("scope", "99"), "scope", None, None),  # forged: another school
    (at("audience"), Pick("audience", "parents"), "text", None, None),
    (at("audience"), Pick("audience", "orgs"), "orgs", None, None),
    (at("audience"), Pick("audience", "missing"), "milestone", None, None),
    (at("audience"), Pick("audience", "teachers"), "audience", None, None),  # forged
    (at("audience"), TextInput("tất cả"), "audience", None, "Please answer with one"),
    (at("orgs", audience="orgs"), Pick("orgs", "4"), "orgs", None, None),
    (at("orgs", audience="orgs"), Pick("orgs", "done"), "orgs", None, None),  # none chosen yet
    (at("orgs", audience="orgs"), Pick("orgs", "77"), "orgs", None, None),  # outside the scope
    (at("orgs", audience="orgs", orgs=[4]), Pick("orgs", "done"), "text", None, None),
    (at("milestone", audience="missing"), Pick("milestone", "vneid"), "text", None, None),
    (at("milestone", audience="missing"), Pick("milestone", "nope"), "milestone", None, None),
    (at("text", audience="everyone"), TextInput("  Họp phụ huynh  "), "media", None, None),
    (at("text", audience="everyone"), TextInput("   "), "text", None, "Please write the text"),
    (at("text", audience="everyone"), TextInput("x" * 3901), "text", None, TOO_LONG),
    (at("text", audience="everyone"), TextInput("x" * 3900), "media", None, None),
    (at("text", audience="everyone"), PHOTO, "english", None, None),
    (at("text", audience="everyone"), BARE_PHOTO, "text", None, "Please write the text as"),
    (at("text", audience="everyone"), OtherInput("sticker"), "text", None, "Please write the"),
    (at("media", **TEXTED), PHOTO, "english", None, None),
    (at("media", **TEXTED), Pick("media", "skip"), "english", None, None),
    (at("media", audience="everyone", text="x" * 901), PHOTO, "media", None, "With a photo"),
    (at("english", **TEXTED), TextInput("Notice"), "ack", None, None),
    (at("english", **TEXTED), Pick("english", "skip"), "ack", None, None),
    (at("english", **TEXTED), TextInput("x" * 3901), "english", None, TOO_LONG),
    (at("english", **TEXTED, media_kind="photo"), TextInput("x" * 901), "english", None, "With"),
    (at("ack", **TEXTED), Pick("ack", "yes"), "urgent", None, None),
    (at("urgent", **TEXTED), Pick("urgent", "no"), None, "draft", None),
    (at("confirm", **TEXTED), Pick("confirm", "now"), None, "send", None),
    (at("confirm", **TEXTED), Pick("confirm", "later"), "when", None, None),
    (at("confirm", **TEXTED), Pick("confirm", "cancel"), None, None, None),
    (at("when", **TEXTED), TextInput("25/5/2027 08:00"), None, "schedule", None),
    (at("when", **TEXTED), TextInput("6/9/2026 7h"), None, "schedule", None),
    (at("when", **TEXTED), TextInput("31/2/2027 08:00"), "when", None, "There is no such date"),
    (at("when", **TEXTED), TextInput("29/2/2027 08:00"), "when", None, "There is no such date"),
    (at("when", **TEXTED), TextInput("5/9/2026 15:00"), "when", None, PAST),
    (at("when", **TEXTED), TextInput("1/1/2020 08:00"), "when", None, PAST),
    (at("when", **TEXTED), TextInput("7/9/2027 08:00"), "when", None, "That is more than a year"),
    (at("when", **TEXTED), TextInput("ngày mai"), "when", None, "Please write the date"),
    (at("when", **TEXTED), TextInput("6/9/2026 25:00"), "when", None, "Please write the date"),
]


@pytest.mark.parametrize(("before", "event", "after", "kind", "hint"), TABLE)
def test_broadcast_table(
    before: State, event: engine.Input, after: str | None, kind: str | None, hint: str | None
) -> None:
    result = engine.step(BROADCAST, before, event)
    assert (result.state.step if result.state else None) == after
    kinds = [e.kind for e in result.effects if isinstance(e, Record)]
    assert kinds == ([kind] if kind else [])
    if hint is not None:
        first = next(e for e in result.effects if isinstance(e, Reply))
        assert msgids(first.text)[0].startswith(hint), msgids(first.text)


def test_the_draft_carries_what_was_chosen() -> None:
    state = at("text", audience="orgs", orgs=[4, 5])
    for event in (
        TextInput("Ho\u0323p phụ huynh"),  # a combining dot below: stored NFC
        Pick("media", "skip"),
        TextInput("Meeting"),
        Pick("ack", "yes"),
        Pick("urgent", "yes"),
    ):
        result = engine.step(BROADCAST, state, event)
        if result.state is not None:
            state = result.state
    (record,) = [e for e in result.effects if isinstance(e, Record)]
    data = record.data
    assert data["text"] == "Họp phụ huynh"
    assert (data["orgs"], data["text_en"], data["needs_ack"], data["urgent"]) == (
        [4, 5],
        "Meeting",
        True,
        True,
    )
    assert data["media_kind"] is None


def test_choosing_classes_toggles() -> None:
    state = at("orgs", audience="orgs")
    state = engine.step(BROADCAST, state, Pick("orgs", "4")).state
    state = engine.step(BROADCAST, state, Pick("orgs", "5")).state
    state = engine.step(BROADCAST, state, Pick("orgs", "4")).state
    assert state.data["orgs"] == [5]
    prompt = engine.start(BROADCAST, state.data, "orgs").effects[0]
    labels = [c.label.text for c in prompt.choices if hasattr(c.label, "text")]
    assert labels == ["▫️ 10A1", "☑️ Tổ Toán"]


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("commune", "🏫 Chosen schools"),
        ("district", "🏫 Chosen schools"),  # a tree imported from an old file
        ("province", "🏫 Chosen communes, wards or schools"),
    ],
)
def test_a_department_picks_schools_and_parts_need_a_list(kind: str, label: str) -> None:
    dept = at("audience", scopes=[{"id": 2, "name": "Từ Sơn", "kind": kind}], scope=2)
    dept.data["parts"] = {"2": [{"id": 3, "name": "THPT Lý Thái Tổ"}]}
    (reply,) = engine.start(BROADCAST, dept.data, "audience").effects
    assert label in [c.label.msgid for c in reply.choices if hasattr(c.label, "msgid")]
    empty = {**BASE, "parts": {}, "milestones": []}
    (reply,) = engine.start(BROADCAST, empty, "audience").effects
    assert [c.key for c in reply.choices] == ["everyone", "staff", "parents", "students"]


def test_opening_step() -> None:
    assert start_at({"scope": 3, "menu": []}) == "audience"
    assert start_at({"scope": None, "menu": []}) == "scope"
    assert start_at({"scope": 3, "menu": ["scheduled"]}) == "menu"


def test_parse_when() -> None:
    assert parse_when("25/5/2026 08:00").isoformat() == "2026-05-25T08:00:00"
    assert parse_when("31/2/2026 08:00") == "no_such_day"
    assert parse_when("25/5/2026") == "format"
