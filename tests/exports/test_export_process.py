"""The export in a real worker process (spawn start, as the bot runs it): the job and
its result cross the process boundary, the worker opens its own database connections,
and its progress file tells the bot how far it got."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from bot.services import export_job, exports
from bot.workers import Workers
from storage import migrate
from storage.db import Database
from tests.exports import world


async def test_a_worker_process_writes_the_workbook(sqlite_url: str, tmp_path: Path) -> None:
    database = Database(sqlite_url)
    await migrate.upgrade(database)
    await world.build(database)
    await database.dispose()
    out, beat = tmp_path / "school.xlsx", tmp_path / "progress.json"
    job = world.job(sqlite_url, str(out), progress=str(beat))
    workers = Workers()
    try:
        written = await workers.run(export_job.run, job)
    finally:
        workers.close()
    assert written.path == str(out) and written.count("people") == 6
    assert [key for key, _ in written.rows] == [spec.key for spec in exports.SHEETS]
    last = "Đề nghị khen thưởng"  # the award shortlists: nobody on them in this school
    assert export_job.read_progress(beat) == (last, 0, len(exports.SHEETS))
    assert json.loads(beat.read_text(encoding="utf-8"))["sheet"] == last
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[0] == "Tổng hợp"


def test_progress_that_cannot_be_read_is_none(tmp_path: Path) -> None:
    assert export_job.read_progress(tmp_path / "missing.json") is None
    (tmp_path / "half.json").write_text('{"sheet": "Tổng', encoding="utf-8")
    assert export_job.read_progress(tmp_path / "half.json") is None
