"""The synthetic school's workbook (tests/exports/world.py), every figure against the hand
computation, read back the way a school office opens it: openpyxl, and the csv module.
Reads go two people (or reports, units) at a time, so every sheet crosses batches."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.i18n import Renderer, build_catalogues
from bot.services import exports
from storage import migrate, org_units
from storage.db import Database
from tests.exports import world

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SHEET_NAMES = [
    "Tổng hợp",
    "Người tham gia",
    "Kết quả trắc nghiệm",
    "Thống kê câu hỏi",
    "Minh chứng",
    "Thông báo",
    "Hạn cần hoàn thành",
    "Thi đua",
    "Lớp và tổ",
    "Đề nghị khen thưởng",
]


def day(d: int, month: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, d)  # noqa: DTZ001 (Excel's dates have no zone)


def renderer(language: str = "vi") -> Renderer:
    return Renderer(build_catalogues("vi"), language, ZONE, "staff")


async def export(
    db: Database, out: Path, fmt: exports.Format = "xlsx", sheet: str | None = None, **kw
) -> tuple[exports.Written, dict[str, str]]:
    """Write school 3's export; returns what was written and the pack's indicator titles."""
    async with db.reading() as uow:
        unit = await org_units.get(uow.reads, kw.pop("org", world.SCHOOL))
        assert unit is not None
        _, pack = await exports.pack_for(uow, unit)
        render = renderer(kw.pop("language", "vi"))
        written = await exports.write(
            uow, unit, render, world.TODAY, out, fmt, sheet, batch=kw.pop("batch", 2)
        )
    return written, {i.id: i.title.get(render.locale) for i in pack.indicators}


def table(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
async def school(db: Database) -> Database:
    """On SQLite and on PostgreSQL."""
    await world.build(db)
    return db


@pytest.fixture
async def sqlite_school(sqlite_url: str) -> AsyncIterator[Database]:
    """On SQLite only: for what does not depend on the database's SQL."""
    database = Database(sqlite_url)
    await migrate.upgrade(database)
    await world.build(database)
    try:
        yield database
    finally:
        await database.dispose()


async def test_the_workbook_of_the_synthetic_school(school: Database, tmp_path: Path) -> None:
    out = tmp_path / "school.xlsx"
    written, titles = await export(school, out)
    assert dict(written.rows) == {
        "summary": len(titles),
        "people": 6,
        "quiz": 1,
        "questions": 18,
        "evidence": 11,
        "broadcasts": 1,
        "deadlines": 4,
        "emulation": 3,
        "collectives": 3,
        "nominations": 0,  # nobody meets an award's rules here (tests/services/test_nominations.py)
    }
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == SHEET_NAMES
    for page in book:
        assert page.freeze_panes == "A2", page.title
        assert all(cell.font.b for cell in page[1]), page.title

    summary = {row[0]: row[1:] for row in table(book["Tổng hợp"])}
    assert summary.pop("Chỉ tiêu") == (
        "Tính theo", "Sĩ số", "Đã tham gia", "Hoàn thành", "Tỉ lệ hoàn thành", "Tỉ lệ tham gia",
        "Chỉ tiêu đề ra", "Đạt chỉ tiêu", "Số lớp chưa có sĩ số",
        "Số trường, tổ chưa có sĩ số cán bộ",
    )  # fmt: skip
    by_id = {key: summary[title] for key, title in titles.items()}
    # families: classes 6A (4) and 6B (3); Lan (services approved), Minh (fees accepted) and
    # Hà (services accepted) joined and did it; Minh's rejected report does not count twice
    assert by_id["families_digital_services"] == (
        "người", 7, 3, 3, pytest.approx(3 / 7), pytest.approx(3 / 7), 0.9, "chưa đạt", 0, 0
    )  # fmt: skip
    assert by_id["families_vneid"][:5] == ("người", 7, 3, 0, 0)  # Lan's is only pending
    # staff: the school's 3 (the principal counts), Hoa's basic skills approved
    assert by_id["staff_basic_skills"] == (
        "người", 3, 3, 1, pytest.approx(1 / 3), 1, 1, "chưa đạt", 0, 0
    )  # fmt: skip
    # Hoa's initiative, recognised by the province: 1 of 3 ≥ 20%, and ≥ 5% at province level
    assert by_id["staff_initiatives"][3:8] == (1, pytest.approx(1 / 3), 1, 0.2, "đạt")
    assert by_id["staff_initiatives_province"][3:8] == (1, pytest.approx(1 / 3), 1, 0.05, "đạt")
    assert by_id["staff_registered"][3] == 0  # Nam's registration waits for verification
    assert by_id["records_digitised"] == ("trường", 1, None, 1, 1, None, 1, "đạt", None, None)
    assert by_id["classes_registered"] == ("lớp", 2, None, 1, 0.5, None, 1, "chưa đạt", None, None)
    assert by_id["units_detailed_plan"][:4] == ("tổ", 1, None, 0)  # pending
    reported = {
        "families_digital_services",
        "staff_basic_skills",
        "staff_initiatives",
        "staff_initiatives_province",
        "records_digitised",
        "classes_registered",
    }
    assert all(row[3] == 0 for key, row in by_id.items() if key not in reported), by_id
    page = book["Tổng hợp"]
    share = page.cell(row=2, column=6)
    assert share.number_format == "0.0%" and page.cell(row=2, column=3).number_format == "#,##0"

    people = table(book["Người tham gia"])
    header = people[0]
    assert header[:4] == ("Họ và tên", "Vai trò", "Lớp hoặc tổ", "Trường")
    services = header.index("Sử dụng dịch vụ số của nhà trường")
    assert header[services + 1] == "Sử dụng dịch vụ số của nhà trường: ngày"
    rows = {row[0]: row for row in people[1:]}
    assert list(rows) == [
        "Trần Văn Hùng", "Phạm Thị Hoa", "Lê Văn Nam", "Nguyễn Thị Lan", "Đỗ Minh", "Vũ Hà"
    ]  # fmt: skip
    assert all(unicodedata.is_normalized("NFC", name) for name in rows)
    lan = rows["Nguyễn Thị Lan"]
    assert lan[1:4] == ("phụ huynh", "6A", "THCS Sao Mai")
    assert lan[services : services + 2] == ("đã hoàn thành", day(10))
    vneid = header.index("Kích hoạt tài khoản định danh điện tử VNeID mức 2")
    assert lan[vneid : vneid + 2] == ("đang chờ xác nhận", day(11))
    assert rows["Đỗ Minh"][services] == "chưa được chấp nhận"
    assert rows["Phạm Thị Hoa"][1:3] == ("giáo viên, nhân viên", "Tổ Toán")
    assert rows["Trần Văn Hùng"][1:4] == ("cán bộ quản lý nhà trường", None, "THCS Sao Mai")
    assert "Người Trường Khác" not in rows  # another school's parent
    date_cell = book["Người tham gia"].cell(row=5, column=services + 2)
    assert date_cell.is_date and date_cell.number_format == "d/m/yyyy"

    quiz = table(book["Kết quả trắc nghiệm"])
    assert quiz[1] == (
        "Nguyễn Thị Lan", "phụ huynh", "6A", "THCS Sao Mai", "Nhận biết lừa đảo trực tuyến",
        8, 9, "đạt", 2, day(21),
    )  # fmt: skip
    questions = table(book["Thống kê câu hỏi"])
    assert questions[1][1:2] + questions[1][3:] == (1, 1, 1, 1)  # question 1 missed by Lan
    assert [row[3:5] for row in questions[2:10]] == [(1, 0)] * 8
    assert all(row[3] == 0 and row[5] is None for row in questions[10:])  # the other quiz

    evidence = table(book["Minh chứng"])
    initiative = next(row for row in evidence if row[12] == "FILE-INIT")
    assert initiative[1:] == (
        "Phạm Thị Hoa", "Tổ Toán", "THCS Sao Mai",
        "Có sáng kiến, giải pháp về chuyển đổi số được công nhận", day(15), "đã xác nhận",
        "Cấp tỉnh", "Trần Văn Hùng", day(15), "tệp văn bản", "sang-kien.pdf", "FILE-INIT",
    )  # fmt: skip
    collective = next(row for row in evidence if row[1] == "Tổ Toán")
    assert collective[4:7] == (
        "Tổ có kế hoạch chi tiết thực hiện phong trào",
        day(19),
        "đang chờ xác nhận",
    )
    assert len(evidence) == 12  # the other school's report is not there

    assert table(book["Thông báo"])[1] == (
        day(22), "THCS Sao Mai", "Họp phụ huynh thứ Bảy", "đã gửi", 3, 2, 0, 1, 0, 0, 1, 0.5
    )  # fmt: skip
    assert book["Thông báo"].cell(row=2, column=12).number_format == "0.0%"

    deadlines = {row[0]: row[1:] for row in table(book["Hạn cần hoàn thành"])[1:]}
    assert deadlines["Nộp kế hoạch"] == (
        "THCS Sao Mai", day(1, 10), "giáo viên, nhân viên",
        "Hoàn thành bồi dưỡng kỹ năng số cơ bản", 2, 1, 0.5,
    )  # fmt: skip
    yearly = deadlines["Nộp bản tự đánh giá mức độ chuyển đổi số (Quyết định 4725)"]
    assert yearly[1] == day(31, 5, 2027) and yearly[4:] == (1, 0, 0)  # the principal, not yet

    emulation = table(book["Thi đua"])[1:]
    assert [(row[0], row[1], row[5], row[6]) for row in emulation] == [
        ("Sáng kiến, giải thưởng", "Phạm Thị Hoa", "Cấp tỉnh", "đã xác nhận"),
        ("Đăng ký thi đua", "Lê Văn Nam", None, "đang chờ xác nhận"),
        ("Đăng ký thi đua", "6A", None, "đã xác nhận"),
    ]
    units = {row[0]: row[1:] for row in table(book["Lớp và tổ"])}
    head = units.pop("Lớp hoặc tổ")
    registered = head.index("Đăng ký thi đua tập thể đầu năm học")
    plan = head.index("Tổ có kế hoạch chi tiết thực hiện phong trào")
    assert units["6A"][:2] == ("lớp", "THCS Sao Mai")
    assert units["6A"][registered : registered + 2] == ("đã hoàn thành", day(18))
    assert units["6B"][registered] is None
    assert units["Tổ Toán"][plan] == "đang chờ xác nhận"


async def test_english_headers_for_an_english_reader(
    sqlite_school: Database, tmp_path: Path
) -> None:
    out = tmp_path / "en.xlsx"
    await export(sqlite_school, out, language="en")
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[:2] == ["Summary", "People"]
    header = next(book["People"].iter_rows(max_row=1, values_only=True))
    assert header[:4] == ("Name", "Role", "Class or unit", "School")
    first = next(book["People"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[1] == "school leader"


async def test_one_sheet_as_csv_with_a_bom(sqlite_school: Database, tmp_path: Path) -> None:
    out = tmp_path / "people.csv"
    written, _ = await export(sqlite_school, out, "csv", "people")
    assert written.rows == (("people", 6),)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Họ và tên", "Vai trò", "Lớp hoặc tổ", "Trường"]
    lan = next(row for row in rows if row[0].startswith("Nguyễn"))
    assert lan[0] == "Nguyễn Thị Lan" and unicodedata.is_normalized("NFC", lan[0])
    services = rows[0].index("Sử dụng dịch vụ số của nhà trường")
    assert lan[services : services + 2] == ["đã hoàn thành", "10/9/2026"]
    out = tmp_path / "summary.csv"
    await export(sqlite_school, out, "csv", "summary")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        summary = list(csv.reader(handle))
    assert any(row[5] == "42,9%" and row[2] == "7" for row in summary)  # 3 of 7 families


async def test_an_empty_school_has_headers_only(sqlite_school: Database, tmp_path: Path) -> None:
    async with sqlite_school.transaction() as session:
        from sqlalchemy import insert

        from storage.models import OrgUnit

        await session.execute(
            insert(OrgUnit).values(
                id=50, kind="school", name="THCS Mới", parent_id=1, path="/1/50/",
                created_at=world.NOW,
            )
        )  # fmt: skip
    out = tmp_path / "empty.xlsx"
    written, titles = await export(sqlite_school, out, org=50)
    assert written.count("people") == 0 and written.count("summary") == len(titles)
    book = openpyxl.load_workbook(out)
    people = table(book["Người tham gia"])
    assert len(people) == 1 and people[0][0] == "Họ và tên"
    assert book["Người tham gia"].freeze_panes == "A2"


async def test_a_province_export_covers_both_schools(school: Database, tmp_path: Path) -> None:
    out = tmp_path / "province.csv"
    written, _ = await export(school, out, "csv", "people", org=1)
    assert written.rows == (("people", 7),)
    text = out.read_text(encoding="utf-8-sig")
    assert "Người Trường Khác" in text and "THCS Khác" in text


def test_a_sheet_key_fits_a_button() -> None:
    import re

    assert len({spec.key for spec in exports.SHEETS}) == len(exports.SHEETS)
    for spec in exports.SHEETS:
        assert re.fullmatch(r"[a-z_]{1,12}", spec.key), spec.key
    assert exports.DEFAULT_CSV in exports.BY_KEY


def test_fit_compresses_then_splits(tmp_path: Path) -> None:
    import os
    import zipfile

    text = tmp_path / "people.csv"
    text.write_text("Nguyễn Thị Lan,6A\n" * 5000, encoding="utf-8")  # ~100 kB, compresses well
    assert exports.fit(text, 200_000) == exports.Fitted((text,), "as_is")
    zipped = exports.fit(text, 50_000)
    assert zipped.how == "zipped" and zipped.files[0].stat().st_size <= 50_000
    with zipfile.ZipFile(zipped.files[0]) as bundle:
        assert bundle.read("people.csv") == text.read_bytes()
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(os.urandom(25_000))  # does not compress
    split = exports.fit(noise, 10_000)
    assert split.how == "split" and [p.name for p in split.files] == [
        "noise.xlsx.zip.001", "noise.xlsx.zip.002", "noise.xlsx.zip.003"
    ]  # fmt: skip
    assert all(p.stat().st_size <= 10_000 for p in split.files)
    joined = tmp_path / "joined.zip"
    joined.write_bytes(b"".join(p.read_bytes() for p in split.files))
    with zipfile.ZipFile(joined) as bundle:
        assert bundle.read("noise.xlsx") == noise.read_bytes()
