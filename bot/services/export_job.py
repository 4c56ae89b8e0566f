"""What a worker process is given to export, and how it tells the bot how far it got.

Kept apart from bot.services.exports, and importing nothing heavy at the top, so that
the bot's process reads progress without loading the export's modules. The worker
imports aiogram the ordinary way: bot.lean_import (1.5 s and ~100 MB less per process)
leans on pydantic's internals and stays limited to `hocvuso run`'s own opt-in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.services.exports import Written

Format = Literal["xlsx", "csv"]
NICENESS = 10  # a worker preparing an export yields the CPU to the bot's own process


@dataclass(frozen=True)
class Job:
    """Everything a worker process needs, picklable: where to read, what, for whom."""

    database_url: str
    org_id: int
    language: str
    reader: str | None
    default_language: str
    zone: str
    today: date
    out: str
    fmt: Format
    sheet: str | None = None
    progress: str | None = None  # a JSON file the worker keeps up to date


def run(job: Job) -> Written:
    """The export, in a process of its own (bot.workers), with its own event loop; at a
    lower CPU priority, so that on a small server people's replies do not wait for it.
    (The pool's process stays at that priority for later work: charts are short.)"""
    import asyncio
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # a worker of the bot's pool
        os.nice(NICENESS)  # the bot's replies first: an export can wait a moment
    from bot.services import exports

    return asyncio.run(exports.run_job(job))


class Reporter:
    """Progress written where the bot reads it: {"sheet", "rows", "sheets", "at"}, replaced
    atomically so that a reader never sees half a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sheets: list[str] = []

    def __call__(self, sheet: str, rows: int) -> None:
        if sheet not in self.sheets:
            self.sheets.append(sheet)
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        state = {"sheet": sheet, "rows": rows, "sheets": len(self.sheets), "at": stamp}
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(part, self.path)


def read_progress(path: Path) -> tuple[str, int, int] | None:
    """(sheet, rows written in it, sheets begun) from the worker's progress file, if any."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return str(state["sheet"]), int(state["rows"]), int(state["sheets"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
