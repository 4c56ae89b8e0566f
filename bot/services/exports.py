"""An export: the workbook of one node of the tree (a school, a commune, a province), or
one of its sheets as CSV, the same from /export and from `hocvuso export`.

The sheets are `SHEETS`, in their order in the workbook: a key (for buttons and
`--sheet`), and a builder `async (Scope) -> Sheet`. To add a sheet, write its builder
(its rows an async generator reading in batches, as those of bot.services.export_sheets)
and add one line here, as the award shortlists' was:

    SheetSpec("nominations", T("Nominations"), nomination_sheet.for_export),

A key is at most `KEY_MAX` characters of a-z and _ (it travels in a button); the title
is the tab's name (at most 31 characters in Excel) and the CSV file's.

A worker process runs `bot.services.export_job.run(job)` (bot.workers, spawn start),
which comes here (`run_job`): it opens its own database connections, reads in batches
and writes the file as it reads, so memory stays flat; progress goes to a small JSON
file that the bot reads to edit its progress message (export_job.read_progress).
"""

# readers: principal officer

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from bot.campaign.pack import CampaignPack
from bot.i18n import Renderer, build_catalogues
from bot.services import export_deadlines, export_records, export_sheets, nomination_sheet
from bot.services.export_job import Format, Job, Reporter
from bot.services.export_sheets import Scope
from bot.services.packs import ActiveCampaign
from bot.services.spreadsheets import Sheet, write_csv_async, write_xlsx_async
from bot.text import T, Text
from storage import org_units
from storage.db import Database, UnitOfWork
from storage.models import OrgUnit

Builder = Callable[[Scope], Awaitable[Sheet]]
KEY_MAX = 12


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: Text  # the tab's name (it overrides the builder's)
    build: Builder

    async def sheet(self, scope: Scope) -> Sheet:
        return replace(await self.build(scope), name=self.title)


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("summary", T("Summary"), export_sheets.summary),
    SheetSpec("people", T("People"), export_sheets.people),
    SheetSpec("quiz", T("Quiz results"), export_sheets.quiz_results),
    SheetSpec("questions", T("Quiz questions"), export_sheets.questions),
    SheetSpec("evidence", T("Evidence"), export_records.evidence),
    SheetSpec("broadcasts", T("Broadcasts"), export_records.broadcast_results),
    SheetSpec("deadlines", T("Deadlines"), export_deadlines.deadlines),
    SheetSpec("emulation", T("Emulation"), export_records.emulation),
    SheetSpec("collectives", T("Classes and units"), export_records.collectives),
    SheetSpec("nominations", T("Nominations"), nomination_sheet.for_export),
)
BY_KEY = {spec.key: spec for spec in SHEETS}
DEFAULT_CSV = "people"


def titles(render: Renderer) -> dict[str, str]:
    """Each sheet's name in the reader's language, by key (its tab in the workbook)."""
    return {spec.key: render(spec.title) for spec in SHEETS}


async def pack_for(uow: UnitOfWork, unit: OrgUnit) -> tuple[int, CampaignPack]:
    """The campaign id and the pack the node sees (its school's level, when it is one or
    lies below one)."""
    return await ActiveCampaign(recheck=0).for_unit(uow, unit)


@dataclass(frozen=True)
class Written:
    """What an export wrote: rows per sheet key, in order."""

    path: str
    rows: tuple[tuple[str, int], ...]

    def count(self, key: str) -> int:
        return dict(self.rows).get(key, 0)


async def write(
    uow: UnitOfWork,
    unit: OrgUnit,
    render: Renderer,
    today: date,
    out: Path,
    fmt: Format,
    sheet: str | None = None,
    progress: Callable[[str, int], None] | None = None,
    batch: int = export_sheets.BATCH,
) -> Written:
    """Write the node's workbook (or one sheet as CSV) to `out`."""
    campaign_id, pack = await pack_for(uow, unit)
    scope = Scope(uow, campaign_id, pack, unit, render, today, batch)
    counted: dict[str, int] = {}
    current = ""

    def seen(name: str, rows: int) -> None:
        counted[current] = rows
        if progress is not None:
            progress(name, rows)

    if fmt == "csv":
        current = sheet or DEFAULT_CSV
        if current not in BY_KEY:
            raise KeyError(current)
        await write_csv_async(out, await BY_KEY[current].sheet(scope), render, seen)
        return Written(str(out), tuple(counted.items()))

    async def built() -> AsyncIterator[Sheet]:
        nonlocal current
        for spec in SHEETS:  # the writer takes the next only once it wrote this one
            current = spec.key
            counted[current] = 0
            yield await spec.sheet(scope)

    await write_xlsx_async(out, built(), render, seen)
    return Written(str(out), tuple(counted.items()))


async def run_job(job: Job) -> Written:
    """The export a worker process runs (bot.services.export_job.run): its own database
    connections (read-only on SQLite), the file written as the rows are read, every sheet
    from one snapshot (`Database.snapshot`), so that its figures agree while people go
    on joining and reporting."""
    database = Database(job.database_url)
    try:
        async with database.snapshot() as uow:
            unit = await org_units.get(uow.reads, job.org_id)
            if unit is None:
                raise LookupError(f"org {job.org_id} is gone")
            render = Renderer(
                build_catalogues(job.default_language),
                job.language,
                ZoneInfo(job.zone),
                job.reader,
            )
            report = Reporter(Path(job.progress)) if job.progress else None
            out = Path(job.out)
            return await write(uow, unit, render, job.today, out, job.fmt, job.sheet, report)
    finally:
        await database.dispose()


# Fitting Telegram's upload limit ---------------------------------------------------------


@dataclass(frozen=True)
class Fitted:
    """The files to send: the export itself, or compressed, or a compressed archive in parts."""

    files: tuple[Path, ...]
    how: Literal["as_is", "zipped", "split"]


def fit(path: Path, limit: int) -> Fitted:
    """`path` if it is at most `limit` bytes; else a ZIP of it if that fits (CSV shrinks
    tenfold); else that ZIP cut into numbered parts of at most `limit` bytes (name.zip.001,
    .002, …: 7-Zip and WinRAR open the first and join the rest)."""
    if path.stat().st_size <= limit:
        return Fitted((path,), "as_is")
    archive = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
        bundle.write(path, arcname=path.name)
    if archive.stat().st_size <= limit:
        return Fitted((archive,), "zipped")
    parts: list[Path] = []
    with archive.open("rb") as whole:
        while chunk := whole.read(limit):
            part = archive.with_name(f"{archive.name}.{len(parts) + 1:03d}")
            part.write_bytes(chunk)
            parts.append(part)
    archive.unlink()
    return Fitted(tuple(parts), "split")
