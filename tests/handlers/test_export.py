"""/export through the real dispatcher: the card, the progress message, the document;
forged places and sheets, a second export while one runs, a file above the upload limit.

The export runs in a thread here (`Inline`), through the same `bot.services.export_job.run`
the process pool runs (tests/exports/test_export_process.py and the e2e test use the
pool itself)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiogram.methods import EditMessageText, SendDocument
from aiogram.types import FSInputFile

from bot.handlers.callbacks import VERSION, ExportCallback
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

PRINCIPAL = Person(8801, "Hùng")
OFFICER = Person(8802, "Mai")


class Inline:
    """Runs the worker's function in a thread: no process start, the same code. With
    `gate`, each export waits for it to open (an export still running)."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.calls = 0

    async def run(self, work: Any, *args: Any) -> Any:
        self.calls += 1

        def call() -> Any:
            if self.gate is not None:
                assert self.gate.wait(10)
            return work(*args)

        return await asyncio.to_thread(call)


def keep_documents(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes]]:
    """What the documents held when they went out (their files are removed afterwards)."""
    kept: list[tuple[str, bytes]] = []
    original = h.session.make_request

    async def keeping(bot: Any, method: Any, timeout: Any = None) -> Any:
        if isinstance(method, SendDocument) and isinstance(method.document, FSInputFile):
            kept.append((method.document.filename or "", Path(method.document.path).read_bytes()))
        return await original(bot, method, timeout)

    monkeypatch.setattr(h.session, "make_request", keeping)
    return kept


def export(org_id: int, action: str, sheet: str = "") -> str:
    return ExportCallback(v=VERSION, o=org_id, a=action, s=sheet).pack()  # type: ignore[arg-type]


@pytest.fixture
async def school(harness: Harness) -> tuple[Harness, int]:
    h = harness
    school_id = await h.org(*SCHOOL)
    await h.org(*SCHOOL, ("class", "10A1"))
    await onboard(h, PRINCIPAL, await h.invite(school_id, "principal"))
    h.app.shared.exports.workers = Inline()
    h.app.shared.exports.poll = 0.02
    return h, school_id


async def finished(h: Harness) -> None:
    await h.app.shared.background.drain(10.0)
    await h.sent()


def documents(h: Harness, chat_id: int) -> list[SendDocument]:
    return [m for m in h.session.of(SendDocument) if m.chat_id == chat_id]


async def test_a_principal_exports_the_school_as_a_workbook(
    school: tuple[Harness, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, school_id = school
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    kept = keep_documents(h, monkeypatch)
    await h.say(PRINCIPAL, "/export")
    card = h.last_text(PRINCIPAL)
    assert "Xuất dữ liệu của THPT Lý Thái Tổ: chọn loại tệp." in card, card
    xlsx = h.button(PRINCIPAL, "XLSX")
    assert xlsx == export(school_id, "xlsx")
    await h.press(PRINCIPAL, xlsx, message_id=77)
    await finished(h)
    edits = [m.text for m in h.session.of(EditMessageText) if m.message_id == 77]
    assert edits[0] == "Đang chuẩn bị dữ liệu của THPT Lý Thái Tổ…"
    assert edits[-1] == "Dữ liệu của THPT Lý Thái Tổ đã sẵn sàng."
    (document,) = documents(h, PRINCIPAL.id)
    assert document.caption == "THPT Lý Thái Tổ: dữ liệu tính đến ngày 5/9/2026."
    ((name, data),) = kept
    assert name == "hocvuso-THPT-Ly-Thai-To-2026-09-05.xlsx"
    (tmp_path / name).write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / name, read_only=True)
    assert book.sheetnames[:2] == ["Tổng hợp", "Người tham gia"]
    people = list(book["Người tham gia"].iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in people] == [("Hùng", "cán bộ quản lý nhà trường")]
    assert not list(tmp_path.glob("hocvuso-export-*"))  # the temporary folder is gone


async def test_forged_places_and_sheets_export_nothing(school: tuple[Harness, int]) -> None:
    h, school_id = school
    other = await h.org(("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THCS B"))
    province = await h.org(("province", "Bắc Ninh"))
    for data in (export(other, "xlsx"), export(province, "open"), export(other, "sheet", "people")):
        await h.press(PRINCIPAL, data)
        assert h.alerts()[-1] == (
            "Đơn vị này không thuộc phạm vi quản lý, nên không có dữ liệu nào được xuất."
        )
    await h.press(PRINCIPAL, export(school_id, "sheet", "payroll"))
    assert (
        h.alerts()[-1] == "Trang này không có trong bản xuất, nên không có dữ liệu nào được xuất."
    )
    await h.press(PRINCIPAL, f"ex:{VERSION}:{school_id}:sheet:DROP TABLE")  # does not parse
    await h.press(PRINCIPAL, f"ex:{VERSION}:{school_id}:delete:")
    await finished(h)
    assert documents(h, PRINCIPAL.id) == [] and h.app.shared.exports.workers.calls == 0
    assert "Đơn vị này" not in " ".join(h.session.texts(PRINCIPAL.id))  # alerts, not messages


async def test_one_sheet_as_csv(school: tuple[Harness, int]) -> None:
    h, school_id = school
    await h.press(PRINCIPAL, export(school_id, "csv"))
    assert "Tệp CSV của THPT Lý Thái Tổ lấy trang nào?" in h.last_text(PRINCIPAL)
    labels = [label for label, _ in h.buttons(PRINCIPAL)]
    assert labels[:3] == ["📄 Tổng hợp", "📄 Người tham gia", "📄 Kết quả trắc nghiệm"]
    await h.press(PRINCIPAL, h.button(PRINCIPAL, "Minh chứng"))
    await finished(h)
    (document,) = documents(h, PRINCIPAL.id)
    assert isinstance(document.document, FSInputFile)
    assert document.document.filename == "hocvuso-THPT-Ly-Thai-To-2026-09-05-evidence.csv"
    h.app.shared.exports.upload_limit = 1_500  # the people sheet's ~3 kB of headings zip to 1
    await h.press(PRINCIPAL, export(school_id, "sheet", "people"))
    await finished(h)
    zipped = documents(h, PRINCIPAL.id)[-1]
    assert isinstance(zipped.document, FSInputFile)
    assert zipped.document.filename == "hocvuso-THPT-Ly-Thai-To-2026-09-05-people.csv.zip"
    assert "Tệp đã được nén (ZIP) cho vừa dung lượng Telegram cho phép bot gửi." in (
        zipped.caption or ""
    )


async def test_a_second_export_waits_for_the_first(school: tuple[Harness, int]) -> None:
    h, school_id = school
    teacher = Person(8803, "Hoa")
    await onboard(h, teacher, await h.invite(school_id, "staff"))
    gate = threading.Event()
    h.app.shared.exports.workers = Inline(gate)
    await h.press(PRINCIPAL, export(school_id, "xlsx"))
    await h.say(PRINCIPAL, "/export")
    busy = "Bản xuất dữ liệu trước vẫn đang được chuẩn bị; tệp sẽ được gửi tới đây trong ít phút."
    assert h.last_text(PRINCIPAL) == busy
    await h.press(PRINCIPAL, export(school_id, "sheet", "people"))
    assert h.alerts()[-1] == busy
    await h.say(teacher, "/progress")  # others are answered meanwhile
    assert h.session.texts(teacher.id)[-1]
    gate.set()
    await finished(h)
    assert len(documents(h, PRINCIPAL.id)) == 1 and h.app.shared.exports.workers.calls == 1
    await h.press(PRINCIPAL, export(school_id, "sheet", "people"))  # done: a new one is fine
    await finished(h)
    assert len(documents(h, PRINCIPAL.id)) == 2


async def test_exports_of_two_people_queue(school: tuple[Harness, int]) -> None:
    h, school_id = school
    second = Person(8804, "Lan")
    await onboard(h, second, await h.invite(school_id, "principal"))
    gate = threading.Event()
    h.app.shared.exports.workers = Inline(gate)
    await h.press(PRINCIPAL, export(school_id, "xlsx"), message_id=5)
    await h.press(second, export(school_id, "xlsx"), message_id=6)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if any(m.message_id == 6 for m in h.session.of(EditMessageText)):
            break
    waiting = [m.text for m in h.session.of(EditMessageText) if m.message_id == 6]
    assert waiting == [
        "Đang có một bản xuất dữ liệu khác được chuẩn bị; bản này sẽ bắt đầu ngay khi bản kia xong."
    ]
    gate.set()
    await finished(h)
    assert len(documents(h, PRINCIPAL.id)) == 1 and len(documents(h, second.id)) == 1


async def test_above_the_upload_limit_the_file_comes_in_parts(
    school: tuple[Harness, int],
) -> None:
    h, school_id = school
    h.app.shared.exports.upload_limit = 4_000  # a workbook is ~15 kB, and does not compress
    await h.press(PRINCIPAL, export(school_id, "xlsx"))
    await finished(h)
    sent = documents(h, PRINCIPAL.id)
    assert len(sent) >= 3
    names = [m.document.filename for m in sent if isinstance(m.document, FSInputFile)]
    assert names[0].endswith(".xlsx.zip.001") and names[1].endswith(".xlsx.zip.002")
    assert sent[1].caption == f"Phần 2/{len(sent)}."
    notice = next(t for t in h.session.texts(PRINCIPAL.id) if "7-Zip" in t)
    assert f"được chia thành {len(sent)} phần" in notice


async def test_a_department_chooses_a_school_below_it(harness: Harness) -> None:
    h = harness
    commune = await h.org(("province", "Bắc Ninh"), ("commune", "Phường Từ Sơn"))
    first = await h.org(("province", "Bắc Ninh"), ("commune", "Phường Từ Sơn"), ("school", "A"))
    await h.org(("province", "Bắc Ninh"), ("commune", "Phường Từ Sơn"), ("school", "B"))
    elsewhere = await h.org(("province", "Bắc Ninh"), ("commune", "Phường Khác"), ("school", "C"))
    await onboard(h, OFFICER, await h.invite(commune, "dept_admin"))
    h.app.shared.exports.workers = Inline()
    h.app.shared.exports.poll = 0.02
    await h.say(OFFICER, "/export")
    assert "Xuất dữ liệu của Phường Từ Sơn: chọn loại tệp, hoặc chọn một đơn vị trực thuộc." in (
        h.last_text(OFFICER)
    )
    assert h.button(OFFICER, "📁 A") == export(first, "open")
    await h.press(OFFICER, export(first, "open"))
    assert "Xuất dữ liệu của A: chọn loại tệp." in h.last_text(OFFICER)
    assert h.button(OFFICER, "⬅️ Phường Từ Sơn") == export(commune, "open")
    await h.press(OFFICER, export(elsewhere, "xlsx"))
    assert h.alerts()[-1].startswith("Đơn vị này không thuộc phạm vi quản lý")
    await h.press(OFFICER, export(first, "xlsx"))
    await finished(h)
    (document,) = documents(h, OFFICER.id)
    assert isinstance(document.document, FSInputFile)
    assert document.document.filename == "hocvuso-A-2026-09-05.xlsx"
    assert "Nơi này chưa có ai tham gia bot" in (document.caption or "")  # an empty school


async def test_parents_are_refused_export(school: tuple[Harness, int]) -> None:
    h, school_id = school
    parent = Person(8805, "Bình")
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    await onboard(h, parent, await h.invite(class_id, "parent"))
    await h.say(parent, "/export")
    assert "/export" in h.last_text(parent) and "Xuất dữ liệu" not in h.last_text(parent)
    assert "/help" in h.last_text(parent)  # the polite refusal of a command above one's role
    await h.press(parent, export(school_id, "xlsx"))
    await finished(h)
    assert documents(h, parent.id) == []
