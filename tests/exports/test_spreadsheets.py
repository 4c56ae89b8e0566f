"""Workbooks and CSV files as a school office opens them: read back with openpyxl."""

from __future__ import annotations

import csv
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.i18n import Renderer, build_catalogues
from bot.services.spreadsheets import SAMPLE, Column, Sheet, write_csv, write_xlsx
from bot.text import Plain

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DECOMPOSED = unicodedata.normalize("NFD", "Nguyễn Thị Lan")


def people(count: int = 3) -> Sheet:
    rows = [
        (DECOMPOSED, date(2026, 5, 25), 0.455, 40),
        ("Trần Văn Bình", datetime(2026, 5, 31, 18, 30, tzinfo=UTC), 1.0, 1234),  # 1/6 in Hà Nội
        ("Lê Thu", None, None, None),
    ][:count]
    return Sheet(
        Plain("Người tham gia"),
        [
            Column(Plain("Họ và tên")),
            Column(Plain("Ngày"), "date"),
            Column(Plain("Tỷ lệ"), "percent"),
            Column(Plain("Sĩ số"), "int"),
        ],
        rows,
    )


@pytest.fixture
def render() -> Renderer:
    return Renderer(build_catalogues("vi"), "vi", ZONE)


def test_xlsx_cells_are_typed_and_the_header_frozen(tmp_path: Path, render: Renderer) -> None:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, [people()], render) == 3
    sheet = openpyxl.load_workbook(path)["Người tham gia"]
    assert [c.value for c in sheet[1]] == ["Họ và tên", "Ngày", "Tỷ lệ", "Sĩ số"]
    assert sheet.freeze_panes == "A2"
    name, day, share, count = sheet[2]
    assert name.value == "Nguyễn Thị Lan" and unicodedata.is_normalized("NFC", name.value)
    assert day.value == datetime(2026, 5, 25) and day.number_format == "d/m/yyyy"  # noqa: DTZ001
    assert share.value == pytest.approx(0.455) and share.number_format == "0.0%"
    assert count.value == 40
    assert sheet["B3"].value == datetime(2026, 6, 1)  # noqa: DTZ001 (the local day)
    assert sheet["B4"].value is None and sheet["C4"].value is None
    assert sheet.column_dimensions["A"].width >= len("Nguyễn Thị Lan")


def test_english_dates_and_sheet_names_unique_and_short(tmp_path: Path) -> None:
    render = Renderer(build_catalogues("vi"), "en", ZONE)
    long = Plain("A sheet name far longer than Excel's thirty-one characters")
    sheets = [
        Sheet(long, [Column(Plain("When"), "date")], [(date(2026, 5, 25),)]) for _ in range(2)
    ]
    sheets.append(Sheet(Plain("Bad/name?"), [Column(Plain("x"))], []))
    path = tmp_path / "en.xlsx"
    write_xlsx(path, sheets, render)
    book = openpyxl.load_workbook(path)
    names = book.sheetnames
    assert len(set(n.casefold() for n in names)) == 3 and all(len(n) <= 31 for n in names)
    assert names[2] == "Bad name"
    assert book[names[0]]["A2"].number_format == "d mmm yyyy"


def test_a_large_sheet_streams_past_the_sample(tmp_path: Path, render: Renderer) -> None:
    total = SAMPLE * 5 + 7
    seen: list[tuple[str, int]] = []

    def rows():  # a generator: read once, never held whole
        for n in range(total):
            yield (f"Học sinh {n}", n)

    sheet = Sheet(Plain("Lớn"), [Column(Plain("Tên")), Column(Plain("Số"), "int")], rows())
    path = tmp_path / "big.xlsx"
    assert write_xlsx(path, [sheet], render, progress=lambda s, n: seen.append((s, n))) == total
    book = openpyxl.load_workbook(path, read_only=True)
    values = [row for row in book["Lớn"].iter_rows(min_row=2, values_only=True)]
    assert len(values) == total and values[-1] == (f"Học sinh {total - 1}", total - 1)
    assert seen[-1] == ("Lớn", total)


def test_a_row_of_the_wrong_length_is_refused(tmp_path: Path, render: Renderer) -> None:
    sheet = Sheet(Plain("x"), [Column(Plain("a")), Column(Plain("b"))], [("only one",)])
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        write_xlsx(tmp_path / "bad.xlsx", [sheet], render)
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        write_csv(tmp_path / "bad.csv", Sheet(sheet.name, sheet.columns, [("only one",)]), render)


def test_csv_has_a_bom_and_cells_as_the_reader_sees_them(tmp_path: Path, render: Renderer) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, people(), render) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Họ và tên", "Ngày", "Tỷ lệ", "Sĩ số"]
    assert rows[1] == ["Nguyễn Thị Lan", "25/5/2026", "45,5%", "40"]
    assert rows[2] == ["Trần Văn Bình", "1/6/2026", "100%", "1.234"]
    assert rows[3] == ["Lê Thu", "", "", ""]
