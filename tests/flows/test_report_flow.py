"""/report and the rejection reason as tables of (state, input) → (state, effects)."""

from __future__ import annotations

import pytest

from bot.flows import engine
from bot.flows.engine import FileInput, OtherInput, Pick, Record, Reply, State, TextInput
from bot.flows.report import REPORT, start_data
from bot.flows.review import REJECT
from tests.flows.texts import msgids

ITEMS = [
    {
        "id": "vneid",
        "title": "VNeID",
        "description": "Mức 2",
        "domain": 2,
        "domain_name": "Giao tiếp",
        "evidence": "none",
        "verification": False,
        "status": "",
        "reported_on": None,
    },
    {
        "id": "course",
        "title": "Khóa học",
        "description": "Chứng nhận",
        "domain": 5,
        "domain_name": "Giải quyết vấn đề",
        "evidence": "photo",
        "verification": True,
        "status": "rejected",
        "reported_on": "2026-09-01",
    },
    {
        "id": "pdf",
        "title": "Tệp",
        "description": "PDF",
        "domain": 5,
        "domain_name": "Giải quyết vấn đề",
        "evidence": "photo_or_document",
        "verification": True,
        "status": "",
        "reported_on": None,
    },
]
PHOTO = FileInput("photo", "f1", "u1", size=1000, caption="ok")
DOC = FileInput("document", "d1", "ud1", size=2000, mime_type="application/pdf", file_name="a.pdf")


def at(step: str, **data: object) -> State:
    return State("report", step, {"items": ITEMS, "milestone": None, "evidence": None, **data})


TABLE = [
    # (state, input, next step or None, record kind or None)
    (at("milestone"), Pick("milestone", "vneid"), "confirm", None),
    (at("milestone"), Pick("milestone", "pdf"), "evidence", None),
    (at("milestone"), Pick("milestone", "course"), "existing", None),
    (at("milestone"), Pick("milestone", "staff_only"), "milestone", None),  # forged key
    (at("milestone"), TextInput("1"), "confirm", None),
    (at("milestone"), OtherInput("sticker"), "milestone", None),
    (at("existing", milestone="course"), Pick("existing", "again"), "evidence", None),
    (at("existing", milestone="course"), Pick("existing", "withdraw"), None, "withdraw"),
    (at("existing", milestone="course"), Pick("existing", "back"), "milestone", None),
    (at("evidence", milestone="course"), PHOTO, "confirm", None),
    (at("evidence", milestone="course"), DOC, "evidence", None),  # a photo milestone
    (at("evidence", milestone="pdf"), DOC, "confirm", None),
    (
        at("evidence", milestone="pdf"),
        FileInput("photo", "f", "u", size=21 * 1024 * 1024),
        "evidence",
        None,
    ),
    (
        at("evidence", milestone="pdf"),
        FileInput("photo", "f", "u", caption="x" * 1025),
        "evidence",
        None,
    ),
    (at("evidence", milestone="pdf"), TextInput("here it is"), "evidence", None),
    (at("evidence", milestone="pdf"), OtherInput("voice"), "evidence", None),
    (at("confirm", milestone="vneid"), Pick("confirm", "send"), None, "report"),
    (at("confirm", milestone="vneid"), Pick("confirm", "cancel"), None, None),
]


@pytest.mark.parametrize(("before", "event", "after", "kind"), TABLE)
def test_report_table(
    before: State, event: engine.Input, after: str | None, kind: str | None
) -> None:
    result = engine.step(REPORT, before, event)
    assert (result.state.step if result.state else None) == after
    kinds = [e.kind for e in result.effects if isinstance(e, Record)]
    assert kinds == ([kind] if kind else [])


def test_evidence_travels_to_the_record() -> None:
    after_file = engine.step(REPORT, at("evidence", milestone="pdf"), DOC)
    sent = engine.step(REPORT, after_file.state, Pick("confirm", "send"))
    (record,) = [e for e in sent.effects if isinstance(e, Record)]
    assert record.data["milestone"] == "pdf"
    assert (
        record.data["evidence"]["file_id"] == "d1" and record.data["evidence"]["kind"] == "document"
    )


def test_problems_are_named() -> None:
    big = engine.step(
        REPORT, at("evidence", milestone="pdf"), FileInput("photo", "f", "u", size=10**9)
    )
    (reply,) = [e for e in big.effects if isinstance(e, Reply)]
    assert "That file is larger than 20 MB" in msgids(reply.text)[0]
    wrong = engine.step(REPORT, at("evidence", milestone="course"), DOC)
    (reply,) = [e for e in wrong.effects if isinstance(e, Reply)]
    assert msgids(reply.text)[0] == "This milestone does not take that kind of evidence."


def test_list_groups_by_domain_and_marks_status() -> None:
    result = engine.start(REPORT, {"items": ITEMS, "milestone": None, "evidence": None})
    (reply,) = result.effects
    listing = reply.text.parts[1].text
    assert listing.index("2. Giao tiếp") < listing.index("5. Giải quyết vấn đề")
    assert "✖️ Khóa học" in listing and "▫️ VNeID" in listing
    assert [c.key for c in reply.choices] == ["vneid", "course", "pdf"]


@pytest.mark.parametrize(
    ("start_at", "step"),
    [(None, "milestone"), ("course", "evidence"), ("vneid", "confirm"), ("forged", "milestone")],
)
def test_start_data(start_at: str | None, step: str) -> None:
    assert start_data(ITEMS, start_at)[0] == step


@pytest.mark.parametrize(
    ("event", "finished", "record"),
    [
        (TextInput("Ảnh mờ"), True, {"report_id": 5, "revision": 2, "reason": "Ảnh mờ"}),
        (TextInput("   "), False, None),
        (TextInput("x" * 301), False, None),
        (Pick("reason", "cancel"), True, None),
        (OtherInput("sticker"), False, None),
    ],
)
def test_reject_table(event: engine.Input, finished: bool, record: dict | None) -> None:
    result = engine.step(REJECT, State("reject", "reason", {"report_id": 5, "revision": 2}), event)
    assert (result.state is None) == finished
    records = [e.data for e in result.effects if isinstance(e, Record)]
    assert records == ([record] if record else [])
