"""/forget leaves nothing recoverable in the SQLite files: the database, its write-ahead
log and its shared memory are read as raw bytes and searched."""

from __future__ import annotations

import struct
from pathlib import Path

from sqlalchemy import select

from storage.models import Person, Report
from tests.handlers.test_onboarding import onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support.harness import Harness
from tests.support.harness import Person as User

NAME = "Zyxwa Đặng Thị Quế"
TG_FIRST_NAME = "Qqqtgfirst"
CAPTION = "CAPTIONXYZ chứng nhận của Quế"
REASON = "REASONXYZ ảnh mờ"
TG_ID = 8_765_432_101


def raw(db_file: Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for path in (
            db_file,
            db_file.with_name(db_file.name + "-wal"),
            db_file.with_name(db_file.name + "-shm"),
        )
        if path.exists()
    )


def traces(blob: bytes) -> list[str]:
    needles = {
        "name": NAME.encode(),
        "name (Telegram)": TG_FIRST_NAME.encode(),
        "caption": CAPTION.encode(),
        "reason": REASON.encode(),
        "id as text": str(TG_ID).encode(),
        "id as an integer": struct.pack(">q", TG_ID),
    }
    return [what for what, needle in needles.items() if needle in blob]


async def test_forget_leaves_nothing_in_the_database_files(harness: Harness, tmp_path) -> None:
    db_file = tmp_path / "test.db"
    school_id, class_id = await school(harness, "12Q")
    principal = User(1701, "Thầy Hùng")
    parent = User(TG_ID, TG_FIRST_NAME)
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"), name=NAME)
    await report_course_with_photo(harness, parent, caption=CAPTION)
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Từ chối"))
    await harness.say(principal, REASON)
    await harness.say(parent, "/report")  # an open conversation holding their data too
    assert set(traces(raw(db_file))) >= {"name", "caption", "reason"}  # the test can see

    await harness.say(parent, "/forget")
    await harness.press(parent, harness.button(parent, "xóa"))
    assert "đã được xóa" in harness.last_text(parent)
    await harness.app.shared.background.drain()

    assert traces(raw(db_file)) == []
    async with harness.app.database.reading() as uow:  # the tallies keep an anonymous row
        assert await uow.session.scalar(select(Person.status).where(Person.display_name == "")) == (
            "forgotten"
        )
        assert await uow.session.scalar(select(Report.status)) == "rejected"
