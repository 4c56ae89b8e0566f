"""`hocvuso export`: the same workbook as /export, or one sheet as CSV, from the shell."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from storage import migrate
from storage.db import Database
from tests.exports import world

SCHOOL = "Tỉnh Thử/THCS Sao Mai"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HOCVUSO_BOT_TOKEN", "HOCVUSO_REDIS_URL", "HOCVUSO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOCVUSO_DATABASE_URL", url)

    async def build() -> None:
        database = Database(url)
        await migrate.upgrade(database)
        await world.build(database)
        await database.dispose()

    asyncio.run(build())
    return tmp_path


def test_export_writes_the_workbook_and_a_sheet_as_csv(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--org", SCHOOL, "--format", "xlsx", "-o", "school.xlsx"]) == 0
    out = capsys.readouterr().out
    assert "THCS Sao Mai: school.xlsx written (summary " in out and "people 6" in out
    book = openpyxl.load_workbook(workdir / "school.xlsx", read_only=True)
    assert book.sheetnames[:2] == ["Tổng hợp", "Người tham gia"]
    names = [row[0] for row in book["Người tham gia"].iter_rows(min_row=2, values_only=True)]
    assert "Nguyễn Thị Lan" in names and len(names) == 6

    code = main(
        ["export", "--org", str(world.SCHOOL), "--format", "csv", "--sheet", "evidence",
         "--language", "en", "-o", "evidence.csv"]
    )  # fmt: skip
    assert code == 0
    with (workdir / "evidence.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["Report number", "Person, class or unit"] and len(rows) == 12
    assert main(["export", "--org", SCHOOL, "--format", "csv", "-o", "people.csv"]) == 0
    assert "people 6" in capsys.readouterr().out  # the default sheet


def test_export_refuses_what_does_not_exist(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--org", "Tỉnh Thử/Không Có", "-o", "x.xlsx"]) == 1
    assert "no org matches" in capsys.readouterr().err
    assert main(["export", "--org", SCHOOL, "--format", "csv", "--sheet", "pay", "-o", "x"]) == 1
    assert "no sheet 'pay'" in capsys.readouterr().err
    assert main(["export", "--org", SCHOOL, "--sheet", "people", "-o", "x.xlsx"]) == 1
    assert "give --format csv" in capsys.readouterr().err
    assert not (workdir / "x.xlsx").exists()
