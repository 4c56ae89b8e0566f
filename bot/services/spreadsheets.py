"""Sheets of rows written as an XLSX workbook or as CSV, with constant memory.

A `Sheet` names its columns and the kind of each (text, whole number, number,
percentage, date); its rows are any iterable, read once, so a generator can stream
a large export straight from the database. XLSX uses xlsxwriter's constant-memory
mode: each row goes to disk as it is written. Column widths are taken from the
header and the first `SAMPLE` rows, so they fit without holding the sheet.

Headers are texts (`T`) rendered in the reader's language; names are NFC; dates are
real dates shown as 25/5/2026 (or 25 May 2026); percentages are numbers formatted
as percentages. CSV is UTF-8 with a byte-order mark so that Excel opens Vietnamese
correctly, with the same cells written as the reader would see them.
"""

from __future__ import annotations

import csv
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import xlsxwriter

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
    rows: Iterable[Sequence[Any]]


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
        return fmt_number(value, locale)
    if isinstance(value, date):
        return fmt_date(local(value, zone), locale)
        return fmt_date(value, locale)
    return str(clean(value))


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


def _rows(sheet: Sheet) -> tuple[list[Sequence[Any]], Iterator[Sequence[Any]]]:
    rows = iter(sheet.rows)
    sample = list(itertools.islice(rows, SAMPLE))
    for row in sample:
        if len(row) != len(sheet.columns):
            raise ValueError(f"a row has {len(row)} cells for {len(sheet.columns)} columns")
    return sample, rows


def write_xlsx(
    path: Path, sheets: Iterable[Sheet], render: Renderer, progress: Progress | None = None
) -> int:
    """Write the workbook; returns the number of data rows written."""
    locale = render.locale
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_urls": False})
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "date": book.add_format({"num_format": DATE_FORMATS.get(locale, "d/m/yyyy")}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "number": book.add_format({"num_format": "#,##0.##"}),
    }
    total = 0
    taken: set[str] = set()
    try:
        for sheet in sheets:
            name = _sheet_name(render, sheet, taken)
            headers = [render(column.title) for column in sheet.columns]
            sample, rest = _rows(sheet)
            page = book.add_worksheet(name)
            for index, width in enumerate(_widths(headers, sample, sheet.columns, locale)):
                page.set_column(index, index, width)
            page.freeze_panes(1, 0)
            for index, header in enumerate(headers):
                page.write_string(0, index, header, formats["header"])
            line = 0
            for line, row in enumerate(itertools.chain(sample, rest), start=1):
                _write_row(page, line, row, sheet.columns, formats, render.zone)
                if progress is not None and line % PROGRESS_EVERY == 0:
                    progress(name, line)
            if line:
                page.autofilter(0, 0, line, len(headers) - 1)
            total += line
            if progress is not None:
                progress(name, line)
    finally:
        book.close()
    return total


def _write_row(
    page: Any,
    line: int,
    row: Sequence[Any],
    columns: Sequence[Column],
    formats: dict[str, Any],
    zone: Any,
) -> None:
    if len(row) != len(columns):
        raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns")
    for index, (value, column) in enumerate(zip(row, columns, strict=True)):
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            page.write_boolean(line, index, value)
        elif column.kind == "date" and isinstance(value, date):
            day = local(value, zone)
            naive = datetime(day.year, day.month, day.day)  # noqa: DTZ001 (Excel has no zones)
            page.write_datetime(line, index, naive, formats["date"])
        elif column.kind in ("percent", "int", "number") and isinstance(value, int | float):
            page.write_number(line, index, value, formats[column.kind])
        else:
            page.write_string(line, index, str(clean(value)))


def write_csv(path: Path, sheet: Sheet, render: Renderer) -> int:
    """One sheet as CSV, UTF-8 with a byte-order mark; returns the rows written."""
    locale = render.locale
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow([render(column.title) for column in sheet.columns])
        for row in sheet.rows:
            if len(row) != len(sheet.columns):
                raise ValueError(f"a row has {len(row)} cells for {len(sheet.columns)} columns")
            out.writerow(
                [
                    _shown(value, column.kind, locale, render.zone)
                    for value, column in zip(row, sheet.columns, strict=True)
                ]
            )
            count += 1
    return count
