"""Sheets of rows written as an XLSX workbook or as CSV, with constant memory.

A `Sheet` names its columns and the kind of each (text, whole number, number,
percentage, date); its rows are any iterable or async iterable, read once, so a
generator can stream a large export straight from the database (`write_xlsx_async`,
`write_csv_async` take sheets whose rows are read from it batch by batch). XLSX uses xlsxwriter's constant-memory
mode: each row goes to disk as it is written. Column widths are taken from the
header and the first `SAMPLE` rows, so they fit without holding the sheet.

Headers are texts (`T`) rendered in the reader's language; names are NFC; dates are
real dates shown as 25/5/2026 (or 25 May 2026); percentages are numbers formatted
as percentages. CSV is UTF-8 with a byte-order mark so that Excel opens Vietnamese
correctly, with the same cells written as the reader would see them.
"""

from __future__ import annotations

import csv
import functools
import itertools
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from bot.i18n import Renderer, fmt_date, fmt_number, fmt_percent
from bot.text import Text

Kind = Literal["text", "int", "number", "percent", "date"]

SAMPLE = 200  # rows read ahead to size the columns
WIDTH_MIN, WIDTH_MAX = 6, 60
SHEET_NAME_MAX = 31  # Excel's limit
DATE_FORMATS = {"vi": "d/m/yyyy", "en": "d mmm yyyy"}
PROGRESS_EVERY = 5000  # rows between progress callbacks


@dataclass(frozen=True)
class Column:
    title: Text
    kind: Kind = "text"


@dataclass
class Sheet:
    name: Text
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]  # read once


Progress = Callable[[str, int], None]  # (sheet name, rows written so far)


def clean(value: Any) -> Any:
    """Texts in NFC, everything else as it is."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _sheet_name(render: Renderer, sheet: Sheet, taken: set[str]) -> str:
    name = render(sheet.name)
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    name = name.strip()[:SHEET_NAME_MAX] or "Sheet"
    base, n = name, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(name.casefold())
    return name


def local(value: date, zone: Any) -> date:
    """A date as is; a datetime as the day it was in the campaign's zone."""
    if isinstance(value, datetime):
        return (value.astimezone(zone) if zone is not None and value.tzinfo else value).date()
    return value


def _shown(value: Any, kind: Kind, locale: str, zone: Any = None) -> str:
    """A cell as the reader sees it (CSV cells, and column widths)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if kind == "percent" and isinstance(value, int | float):
        return fmt_percent(value, locale)
    if kind in ("int", "number") and isinstance(value, int | float):
        return _number_text(value, locale)
    if isinstance(value, date):
        return _date_text(local(value, zone), locale)
    return str(clean(value))


@functools.lru_cache(maxsize=4096)
def _date_text(day: date, locale: str) -> str:
    return fmt_date(day, locale)  # Babel: slow, and an export repeats its days


@functools.lru_cache(maxsize=4096)
def _number_text(value: float, locale: str) -> str:
    return fmt_number(value, locale)


def _widths(
    headers: list[str], sample: list[Sequence[Any]], columns: Sequence[Column], locale: str
) -> list[int]:
    widths = []
    for index, (header, column) in enumerate(zip(headers, columns, strict=True)):
        longest = max(
            [len(header), *(len(_shown(row[index], column.kind, locale)) for row in sample)]
        )
        widths.append(min(WIDTH_MAX, max(WIDTH_MIN, longest + 2)))
    return widths


def _checked(row: Sequence[Any], columns: Sequence[Column]) -> Sequence[Any]:
    if len(row) != len(columns):
        raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns")
    return row


def _rows(sheet: Sheet) -> tuple[list[Sequence[Any]], Iterator[Sequence[Any]]]:
    rows = iter(sheet.rows)  # type: ignore[arg-type]
    sample = [_checked(row, sheet.columns) for row in itertools.islice(rows, SAMPLE)]
    return sample, rows


async def _rows_async(
    sheet: Sheet,
) -> tuple[list[Sequence[Any]], AsyncIterator[Sequence[Any]]]:
    rows = aiter(sheet.rows)  # type: ignore[arg-type]
    sample: list[Sequence[Any]] = []
    async for row in rows:
        sample.append(_checked(row, sheet.columns))
        if len(sample) == SAMPLE:
            break
    return sample, rows


class _Book:
    """One workbook being written: sheets started, rows added, then closed."""

    def __init__(self, path: Path, render: Renderer, progress: Progress | None) -> None:
        self.render = render
        self.progress = progress
        # Its row files beside the workbook: one folder to remove, whatever happens.
        options = {"constant_memory": True, "strings_to_urls": False, "tmpdir": str(path.parent)}
        import xlsxwriter  # here: workbooks are written in the worker, not the bot's process

        self.book = xlsxwriter.Workbook(str(path), options)
        book = self.book
        self.formats = {
            "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "date": book.add_format({"num_format": DATE_FORMATS.get(render.locale, "d/m/yyyy")}),
            "percent": book.add_format({"num_format": "0.0%"}),
            "int": book.add_format({"num_format": "#,##0"}),
            "number": book.add_format({"num_format": "#,##0.##"}),
        }
        self.taken: set[str] = set()
        self.total = 0

    def start(self, sheet: Sheet, sample: list[Sequence[Any]]) -> _Cells:
        name = _sheet_name(self.render, sheet, self.taken)
        headers = [self.render(column.title) for column in sheet.columns]
        page = self.book.add_worksheet(name)
        widths = _widths(headers, sample, sheet.columns, self.render.locale)
        for index, width in enumerate(widths):
            page.set_column(index, index, width)
        page.freeze_panes(1, 0)
        for index, header in enumerate(headers):
            page.write_string(0, index, header, self.formats["header"])
        return _Cells(page, sheet.columns, self.formats, self.render.zone)

    def row(self, cells: _Cells, line: int, row: Sequence[Any]) -> None:
        cells.write(line, row)
        if self.progress is not None and line % PROGRESS_EVERY == 0:
            self.progress(cells.page.name, line)

    def finish(self, cells: _Cells, lines: int) -> None:
        if lines:
            cells.page.autofilter(0, 0, lines, len(cells.kinds) - 1)
        self.total += lines
        if self.progress is not None:
            self.progress(cells.page.name, lines)


def write_xlsx(
    path: Path, sheets: Iterable[Sheet], render: Renderer, progress: Progress | None = None
) -> int:
    """Write the workbook; returns the number of data rows written."""
    book = _Book(path, render, progress)
    try:
        for sheet in sheets:
            sample, rest = _rows(sheet)
            page = book.start(sheet, sample)
            line = 0
            for line, row in enumerate(itertools.chain(sample, rest), start=1):
                book.row(page, line, row)
            book.finish(page, line)
    finally:
        book.book.close()
    return book.total


async def write_xlsx_async(
    path: Path,
    sheets: AsyncIterable[Sheet] | Iterable[Sheet],
    render: Renderer,
    progress: Progress | None = None,
) -> int:
    """`write_xlsx` for sheets (and rows) that come from the database as they are read:
    each sheet's rows may be an async iterable, and the sheets themselves too."""
    book = _Book(path, render, progress)
    try:
        async for sheet in _each(sheets):
            sample, rest = await _rows_async(sheet) if _is_async(sheet) else _rows(sheet)
            page = book.start(sheet, sample)
            line = 0
            for line, row in enumerate(sample, start=1):
                book.row(page, line, row)
            async for row in _each(rest):
                line += 1
                book.row(page, line, row)
            book.finish(page, line)
    finally:
        book.book.close()
    return book.total


def _is_async(sheet: Sheet) -> bool:
    return isinstance(sheet.rows, AsyncIterable)


async def _each(items: AsyncIterable[Any] | Iterable[Any]) -> AsyncIterator[Any]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's serial dates (the 1900 system)
NUMERIC = ("percent", "int", "number")


class _Cells:
    """Writes one sheet's rows, each cell as its column's kind asks: the hot loop of a
    large export, so each column's kind is looked up once and each day's serial number
    once (a date cell is its serial with a date format, as xlsxwriter writes datetimes)."""

    def __init__(
        self, page: Any, columns: Sequence[Column], formats: dict[str, Any], zone: Any
    ) -> None:
        self.page = page
        self.kinds = tuple(column.kind for column in columns)
        self.formats = formats
        self.zone = zone
        self.serials: dict[date, int] = {}

    def serial(self, value: date) -> int:
        day = local(value, self.zone)
        found = self.serials.get(day)
        if found is None:
            if len(self.serials) > 100_000:
                self.serials.clear()
            found = self.serials[day] = (day - EXCEL_EPOCH).days
        return found

    def write(self, line: int, row: Sequence[Any]) -> None:
        kinds = self.kinds
        if len(row) != len(kinds):
            raise ValueError(f"a row has {len(row)} cells for {len(kinds)} columns")
        page = self.page
        for index, value in enumerate(row):
            if value is None:
                continue
            cls = type(value)
            if cls is str:
                if value:
                    page.write_string(line, index, value if value.isascii() else clean(value))
            elif cls is bool:
                page.write_boolean(line, index, value)
            elif kinds[index] == "date" and isinstance(value, date):
                page.write_number(line, index, self.serial(value), self.formats["date"])
            elif kinds[index] in NUMERIC and isinstance(value, int | float):
                page.write_number(line, index, value, self.formats[kinds[index]])
            else:
                page.write_string(line, index, str(clean(value)))


def _csv_row(row: Sequence[Any], columns: Sequence[Column], render: Renderer) -> list[str]:
    return [
        _shown(value, column.kind, render.locale, render.zone)
        for value, column in zip(_checked(row, columns), columns, strict=True)
    ]


class _CsvOut:
    """One sheet going to CSV: the header, then each row as the reader sees it, with
    progress every PROGRESS_EVERY rows (shared by `write_csv` and `write_csv_async`)."""

    def __init__(self, handle: Any, sheet: Sheet, render: Renderer, progress: Progress | None):
        self.out = csv.writer(handle)
        self.sheet, self.render, self.progress = sheet, render, progress
        self.count = 0
        self.out.writerow([render(column.title) for column in sheet.columns])

    def add(self, row: Sequence[Any]) -> None:
        self.out.writerow(_csv_row(row, self.sheet.columns, self.render))
        self.count += 1
        if self.progress is not None and self.count % PROGRESS_EVERY == 0:
            self.progress(self.render(self.sheet.name), self.count)

    def done(self) -> int:
        if self.progress is not None:
            self.progress(self.render(self.sheet.name), self.count)
        return self.count


def write_csv(path: Path, sheet: Sheet, render: Renderer, progress: Progress | None = None) -> int:
    """One sheet as CSV, UTF-8 with a byte-order mark; returns the rows written."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = _CsvOut(handle, sheet, render, progress)
        for row in sheet.rows:  # type: ignore[union-attr]
            out.add(row)
        return out.done()


async def write_csv_async(
    path: Path, sheet: Sheet, render: Renderer, progress: Progress | None = None
) -> int:
    """`write_csv` for rows that may be an async iterable (read from the database)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = _CsvOut(handle, sheet, render, progress)
        async for row in _each(sheet.rows):
            out.add(row)
        return out.done()
