"""A 1,000,000-row people sheet to XLSX and to CSV with our writer, against pandas.

    pip install -e '.[bench]'          # pandas, for the comparison only
    python benchmarks/export.py [--rows 1000000] [--milestones 4] [--skip-pandas]

The sheet has the shape of /export's people sheet (bot.services.export_sheets.people):
name, role, class, school, then for each milestone its state (text, often empty) and
its date (a real date), in Vietnamese, names with their diacritics. Rows come from a
generator, as they come from the database batch by batch, so the writer never holds
the sheet.

Each run is a child process of its own, so that its peak RSS (getrusage's ru_maxrss)
is its own; the time is the writing only (imports done before, in every run):

- ours, XLSX: bot.services.spreadsheets.write_xlsx (xlsxwriter, constant memory);
- ours, CSV: bot.services.spreadsheets.write_csv (UTF-8 with a BOM);
- pandas, XLSX: the same rows into a DataFrame, then `DataFrame.to_excel` with openpyxl,
  the usual way (the time to build the DataFrame included: it is part of that way);
- pandas, CSV: `DataFrame.to_csv`, for reference.

Our children take the lean aiogram import (bot.lean_import), as the bot's worker
processes do, since the writer's texts go through bot.i18n.

Goals: our XLSX at least 3x faster than pandas' to_excel, and every one of our runs
under 300 MB peak RSS. Exit status 3 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Thị", "Văn", "Minh", "Ngọc", "Đức", "Thu", "Hữu", "Thanh")
GIVEN = ("Lan", "Hùng", "Mai", "Nam", "Hà", "Bình", "Dũng", "Hương", "Tuấn", "Yến", "Phúc")
ROLES = ("phụ huynh", "học sinh", "giáo viên, nhân viên")
STATES = ("đã hoàn thành", "đang chờ xác nhận", "chưa được chấp nhận", None, None)
START = date(2026, 9, 5)
GOAL_RATIO = 3.0
GOAL_RSS_MB = 300.0


def rows(count: int, milestones: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        cells: list[Any] = [
            f"{FAMILY[n % 10]} {MIDDLE[n // 10 % 8]} {GIVEN[n // 80 % 11]}",
            ROLES[n % 3],
            f"{6 + n % 4}A{n // 40 % 9 + 1}",
            f"Trường THCS số {n // 1500 + 1}",
        ]
        for m in range(milestones):
            state = STATES[(n + m) % 5]
            cells.append(state)
            cells.append(START + timedelta(days=(n + 7 * m) % 200) if state else None)
        yield tuple(cells)


def columns(milestones: int) -> list[tuple[str, str]]:
    out = [("Họ và tên", "text"), ("Vai trò", "text"), ("Lớp hoặc tổ", "text"), ("Trường", "text")]
    for m in range(milestones):
        out += [(f"Tiêu chí {m + 1}", "text"), (f"Tiêu chí {m + 1}: ngày", "date")]
    return out


# The children ---------------------------------------------------------------------------


def ours(kind: str, out: Path, count: int, milestones: int) -> Callable[[], int]:
    """Our writer, imported and set up: the returned call is what is timed."""
    from bot import lean_import

    lean_import.install()
    from zoneinfo import ZoneInfo

    from bot.i18n import Renderer, build_catalogues
    from bot.services.spreadsheets import Column, Sheet, write_csv, write_xlsx
    from bot.text import Plain

    render = Renderer(build_catalogues("vi"), "vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    sheet = Sheet(
        Plain("Người tham gia"),
        [Column(Plain(title), kind) for title, kind in columns(milestones)],  # type: ignore[arg-type]
        rows(count, milestones),
    )
    if kind == "xlsx":
        return lambda: write_xlsx(out, [sheet], render)
    return lambda: write_csv(out, sheet, render)


def with_pandas(kind: str, out: Path, count: int, milestones: int) -> Callable[[], int]:
    """pandas and openpyxl, imported: the returned call (the DataFrame built from the rows,
    then written) is what is timed."""
    import openpyxl  # noqa: F401 (imported before timing, as our writer is)
    import pandas as pd

    def write() -> int:
        frame = pd.DataFrame.from_records(
            rows(count, milestones), columns=[title for title, _ in columns(milestones)]
        )
        if kind == "xlsx":
            frame.to_excel(out, sheet_name="Người tham gia", index=False, engine="openpyxl")
        else:
            frame.to_csv(out, index=False, encoding="utf-8-sig")
        return len(frame)

    return write


def child(args: argparse.Namespace) -> int:
    writer, kind = args.child.split("-")
    out = Path(args.out)
    work = (ours if writer == "ours" else with_pandas)(kind, out, args.rows, args.milestones)
    began = time.perf_counter()
    written = work()
    seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "rows": written,
                "seconds": seconds,
                "rss_mb": peak_kb / 1024,
                "bytes": out.stat().st_size,
            }
        )
    )
    return 0


# The parent -------------------------------------------------------------------------------


def measure(name: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    suffix = name.split("-")[1]
    out = folder / f"{name}.{suffix}"
    command = [
        sys.executable, __file__, "--child", name, "--out", str(out),
        "--rows", str(args.rows), "--milestones", str(args.milestones),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == args.rows, figures
    out.unlink()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--milestones", type=int, default=4, help="milestones (2 columns each)")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    runs = ["ours-xlsx", "ours-csv"] + ([] if args.skip_pandas else ["pandas-xlsx", "pandas-csv"])
    cells = args.rows * (4 + 2 * args.milestones)
    print(f"people sheet: {args.rows:,} rows x {4 + 2 * args.milestones} columns ({cells:,} cells)")
    results: dict[str, dict[str, Any]] = {}
    with TemporaryDirectory(prefix="hocvuso-bench-") as folder:
        for name in runs:
            results[name] = found = measure(name, args, Path(folder))
            print(
                f"  {name:12} {found['seconds']:8.1f} s  {found['rss_mb']:7.0f} MB peak RSS  "
                f"{found['bytes'] / 1e6:7.1f} MB file  {args.rows / found['seconds']:10,.0f} rows/s"
            )
    ok = all(results[name]["rss_mb"] < GOAL_RSS_MB for name in ("ours-xlsx", "ours-csv"))
    print(f"peak RSS of ours under {GOAL_RSS_MB:.0f} MB: {'yes' if ok else 'NO'}")
    if "pandas-xlsx" in results:
        ratio = results["pandas-xlsx"]["seconds"] / results["ours-xlsx"]["seconds"]
        memory = results["pandas-xlsx"]["rss_mb"] / results["ours-xlsx"]["rss_mb"]
        csv_ratio = results["pandas-csv"]["seconds"] / results["ours-csv"]["seconds"]
        print(f"XLSX: ours {ratio:.1f}x faster than pandas.to_excel (openpyxl), "
              f"{memory:.1f}x less memory (goal: {GOAL_RATIO:.0f}x faster)")  # fmt: skip
        print(f"CSV: ours {csv_ratio:.2f}x the speed of pandas.to_csv")
        ok = ok and ratio >= GOAL_RATIO
    return 0 if ok else 3


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
