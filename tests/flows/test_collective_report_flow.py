"""/report for a class's or unit's own milestones and for an initiative with its level,
as tables of (state, input) → (state, record)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.flows import engine
from bot.flows.engine import FileInput, Pick, Record, Reply, State, TextInput
from bot.flows.report import REPORT, start_data
from bot.text import Joined, Plain, T
from tests.flows.texts import msgids


def _item(key: str, title: str, **more: Any) -> dict[str, Any]:
    return {
        "id": key,
        "title": title,
        "description": "…",
        "domain": 5,
        "domain_name": "Giải quyết vấn đề",
        "evidence": "document",
        "verification": True,
        "asks_level": False,
        "status": "",
        "reported_on": None,
        "place": None,
        "place_kind": None,
        **more,
    }


ITEMS = [
    _item("staff_initiative", "Sáng kiến", asks_level=True),
    _item("signature", "Chữ ký số", evidence="none", verification=False),
    _item("registered@12", "Đăng ký thi đua tập thể", place="10A1", place_kind="class"),
    _item(
        "registered@5",
        "Đăng ký thi đua tập thể",
        place="Tổ Toán - Tin",
        place_kind="unit",
        status="pending",
        reported_on="2026-09-20",
    ),
    _item("good_model@5", "Mô hình hay", place="Tổ Toán - Tin", place_kind="unit", evidence="none"),
]
DOC = FileInput("document", "d1", "ud1", size=2000, mime_type="application/pdf", file_name="a.pdf")


def at(step: str, **data: object) -> State:
    base = {"items": ITEMS, "milestone": None, "evidence": None, "level": None}
    return State("report", step, {**base, **data})


TABLE = [
    # (state, input, next step or None, record or None)
    (at("milestone"), Pick("milestone", "staff_initiative"), "level", None),
    (at("milestone"), Pick("milestone", "registered@12"), "evidence", None),
    (at("milestone"), Pick("milestone", "registered@5"), "existing", None),
    (at("milestone"), Pick("milestone", "good_model@5"), "confirm", None),
    (at("milestone"), Pick("milestone", "registered@99"), "milestone", None),  # forged
    (at("level", milestone="staff_initiative"), Pick("level", "province"), "evidence", None),
    (at("level", milestone="staff_initiative"), Pick("level", "galaxy"), "level", None),
    (at("level", milestone="staff_initiative"), TextInput("cấp tỉnh"), "level", None),
    (at("existing", milestone="registered@5"), Pick("existing", "again"), "evidence", None),
    (
        at("existing", milestone="registered@5"),
        Pick("existing", "withdraw"),
        None,
        {"milestone": "registered@5"},
    ),
    (at("evidence", milestone="registered@12"), DOC, "confirm", None),
    (
        at("confirm", milestone="registered@12", evidence={"kind": "document"}),
        Pick("confirm", "send"),
        None,
        {"milestone": "registered@12", "evidence": {"kind": "document"}, "level": None},
    ),
    (
        at("confirm", milestone="staff_initiative", level="national", evidence={"kind": "doc"}),
        Pick("confirm", "send"),
        None,
        {"milestone": "staff_initiative", "evidence": {"kind": "doc"}, "level": "national"},
    ),
]


@pytest.mark.parametrize(("before", "event", "after", "record"), TABLE)
def test_collective_and_level_table(
    before: State, event: engine.Input, after: str | None, record: dict[str, Any] | None
) -> None:
    result = engine.step(REPORT, before, event)
    assert (result.state.step if result.state else None) == after
    records = [e.data for e in result.effects if isinstance(e, Record)]
    assert records == ([record] if record else [])


def test_the_level_travels_from_the_question_to_the_record() -> None:
    chosen = engine.step(
        REPORT, at("level", milestone="staff_initiative"), Pick("level", "commune")
    )
    assert chosen.state is not None and chosen.state.data["level"] == "commune"
    filed = engine.step(REPORT, chosen.state, DOC)
    assert filed.state is not None and filed.state.step == "confirm"
    (reply,) = [e for e in filed.effects if isinstance(e, Reply)]
    assert "Recognised at: {level}" in msgids(reply.text)
    sent = engine.step(REPORT, filed.state, Pick("confirm", "send"))
    (record,) = [e for e in sent.effects if isinstance(e, Record)]
    assert record.data["level"] == "commune" and record.data["evidence"]["file_id"] == "d1"


def test_level_question_offers_the_four_levels() -> None:
    result = engine.step(REPORT, at("milestone"), Pick("milestone", "staff_initiative"))
    (reply,) = [e for e in result.effects if isinstance(e, Reply)]
    assert [c.key for c in reply.choices] == ["school", "commune", "province", "national"]
    assert "Which level recognised it?" in msgids(reply.text)


def test_list_puts_each_class_and_unit_under_its_name() -> None:
    result = engine.start(REPORT, at("milestone").data)
    (reply,) = result.effects
    parts = reply.text.parts
    assert msgids(parts[0]) == ["Which milestone would you like to report?"]
    assert "▫️ Sáng kiến" in parts[1].text and "Đăng ký" not in parts[1].text
    sections = [p for p in parts if isinstance(p, Joined)]
    assert len(sections) == 2  # lớp 10A1, then Tổ Toán - Tin
    headers = [section.parts[0] for section in sections]
    assert all(isinstance(h, T) and h.msgid == "For {place}:" for h in headers)
    assert headers[0].params["place"] == T("class {name}", name=Plain("10A1"))
    assert headers[1].params["place"] == Plain("Tổ Toán - Tin")
    assert sections[0].parts[1] == Plain("▫️ Đăng ký thi đua tập thể")
    assert sections[1].parts[1] == Plain("⏳ Đăng ký thi đua tập thể\n▫️ Mô hình hay")
    labels = {c.key: c.label for c in reply.choices}
    assert isinstance(labels["registered@12"], Joined)
    assert msgids(labels["registered@12"]) == ["(for {place})"]
    assert labels["signature"] == Plain("▫️ Chữ ký số")


def test_confirm_names_the_class_it_is_for() -> None:
    result = engine.step(REPORT, at("evidence", milestone="registered@12"), DOC)
    (reply,) = [e for e in result.effects if isinstance(e, Reply)]
    assert "For: {place}" in msgids(reply.text)


def test_existing_collective_report_is_the_unit_s() -> None:
    result = engine.step(REPORT, at("milestone"), Pick("milestone", "registered@5"))
    (reply,) = [e for e in result.effects if isinstance(e, Reply)]
    assert msgids(reply.text)[0] == "“{title}” for {place} was reported on {day}. Status: {status}."


@pytest.mark.parametrize(
    ("start_at", "step"),
    [
        ("staff_initiative", "level"),
        ("registered@12", "evidence"),
        ("good_model@5", "confirm"),
        ("registered@77", "milestone"),
    ],
)
def test_report_again_opens_at_the_right_step(start_at: str, step: str) -> None:
    assert start_data(ITEMS, start_at)[0] == step
