"""Exports requested in chat: prepared in a worker process after the update committed,
with one progress message edited in place, then sent as documents.

- One export per person at a time (`busy`); the second request is told so.
- `AT_ONCE` exports in the worker pool at a time; the others wait their turn (their
  progress message says so) without holding anything else up: the waiting is a task's,
  not an update's, and charts still find a free worker.
- The progress message is edited at most every `poll` seconds (Telegram allows about
  one message a second in a chat; edits count), from the worker's progress file.
- The file goes out through the bot's session, so `bot.delivery.pace` keeps Telegram's
  limits and retries 429s and 5xx. Above the upload limit it is compressed, or
  compressed and cut into parts (bot.services.exports.fit), with a message saying so.
- Temporary files are removed whatever happens.

`workers` is anything with `async run(fn, *args)`: the bot's process pool (bot.workers)
unless a test gives an in-process one.
"""

# readers: principal officer

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import EditMessageText, SendDocument, SendMessage
from aiogram.types import FSInputFile

from bot.i18n import Renderer
from bot.services import export_job, exports
from bot.text import T, Text

log = logging.getLogger("hocvuso.exports")

UPLOAD_LIMIT = 50_000_000  # bytes: Telegram's 50 MB for bots, with room for the form around it
AT_ONCE = 1  # exports in the worker pool at a time
POLL = 2.5  # seconds between progress edits


@dataclass(frozen=True)
class Request:
    """One person's export, as the handler decided it."""

    user_id: int
    chat_id: int
    message_id: int | None  # the card to turn into the progress message
    org_id: int
    org_name: str
    fmt: export_job.Format
    sheet: str | None
    render: Renderer
    database_url: str
    default_language: str
    today: date


def filename(org_name: str, today: date, fmt: str, sheet: str | None) -> str:
    """hocvuso-THCS-Sao-Mai-2026-09-25.xlsx: ASCII, so that every mail client and file
    system keeps it."""
    plain = unicodedata.normalize("NFKD", org_name.replace("Đ", "D").replace("đ", "d"))
    ascii_name = "".join(c for c in plain if c.isascii() and (c.isalnum() or c in " -_"))
    words = "-".join(ascii_name.split())[:60] or "export"
    tail = f"-{sheet}" if fmt == "csv" and sheet else ""
    return f"hocvuso-{words}-{today.isoformat()}{tail}.{fmt}"


class Exports:
    def __init__(
        self,
        upload_limit: int = UPLOAD_LIMIT,
        workers: Any = None,
        poll: float = POLL,
        at_once: int = AT_ONCE,
    ) -> None:
        self.upload_limit = upload_limit
        self.workers = workers  # None: the bot's pool, given to `start`
        self.poll = poll
        self._at_once = at_once
        self._slots: asyncio.Semaphore | None = None
        self._running: set[int] = set()

    def busy(self, user_id: int) -> bool:
        return user_id in self._running

    def start(self, shared: Any, bot: Bot, request: Request) -> None:
        """Begin, after the update committed: from now on the person is busy until it ends."""
        self._running.add(request.user_id)
        workers = self.workers or shared.workers
        shared.background.spawn(
            self._run(bot, request, workers, str(shared.zone)), f"export:{request.org_id}"
        )

    async def _run(self, bot: Bot, request: Request, workers: Any, zone: str) -> None:
        progress = Progress(bot, request.chat_id, request.message_id, request.render)
        folder = Path(tempfile.mkdtemp(prefix="hocvuso-export-"))
        try:
            if self._slots is None:
                self._slots = asyncio.Semaphore(self._at_once)
            if self._slots.locked():
                await progress.show(WAITING)
            async with self._slots:
                await progress.show(T("Preparing the export of {org}…", org=request.org_name))
                written = await self._prepare(request, workers, zone, folder, progress)
            await self._send(bot, request, Path(written.path), written, progress)
        except Exception:
            log.exception("export of org %s for chat %s failed", request.org_id, request.chat_id)
            await progress.show(FAILED)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self._running.discard(request.user_id)

    async def _prepare(
        self, request: Request, workers: Any, zone: str, folder: Path, progress: Progress
    ) -> exports.Written:
        name = filename(request.org_name, request.today, request.fmt, request.sheet)
        beat = folder / "progress.json"
        job = export_job.Job(
            database_url=request.database_url,
            org_id=request.org_id,
            language=request.render.locale,
            reader=request.render.reader,
            default_language=request.default_language,
            zone=zone,
            today=request.today,
            out=str(folder / name),
            fmt=request.fmt,
            sheet=request.sheet,
            progress=str(beat),
        )
        task = asyncio.ensure_future(workers.run(export_job.run, job))
        seen = None
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.poll)
            if done:
                return task.result()
            state = export_job.read_progress(beat)
            if state is not None and state != seen:
                seen = state
                sheet, rows, sheets = state
                await progress.show(
                    T(
                        "Preparing the export of {org}: sheet {sheet} ({number} of {total}), "
                        "{rows} rows so far…",
                        org=request.org_name,
                        sheet=sheet,
                        number=sheets,
                        total=1 if request.fmt == "csv" else len(exports.SHEETS),
                        rows=rows,
                    )
                )

    async def _send(
        self,
        bot: Bot,
        request: Request,
        path: Path,
        written: exports.Written,
        progress: Progress,
    ) -> None:
        # zipping a large file takes seconds: a thread's (zlib lets go of the interpreter lock)
        fitted = await asyncio.to_thread(exports.fit, path, self.upload_limit)
        render = request.render
        caption = render(T("{org}: data as of {date}.", org=request.org_name, date=request.today))
        if written.count("people") == 0 and (request.fmt == "xlsx" or request.sheet == "people"):
            caption += "\n" + render(EMPTY)
        if fitted.how == "zipped":
            caption += "\n" + render(ZIPPED)
        if fitted.how == "split":
            await bot(SendMessage(chat_id=request.chat_id, text=render(
                T(
                    "The file is larger than Telegram lets a bot send, even compressed, so it "
                    "comes in {count} parts. Save them all in one folder and open the first "
                    "(.001) with 7-Zip or WinRAR: it joins them and extracts the file.",
                    count=len(fitted.files),
                )
            )))  # fmt: skip
        for number, part in enumerate(fitted.files, start=1):
            text = caption if number == 1 else render(
                T("Part {number} of {count}.", number=number, count=len(fitted.files))
            )  # fmt: skip
            await bot(
                SendDocument(
                    chat_id=request.chat_id,
                    document=FSInputFile(part, filename=part.name),
                    caption=text,
                )
            )
        await progress.show(T("The export of {org} is ready.", org=request.org_name))


WAITING = T("Another export is being prepared; this one starts as soon as it is done.")
FAILED = T("Sorry, the export could not be prepared. Please try again later.")
EMPTY = T("Nobody has joined here yet, so the sheets have their headings only.")
ZIPPED = T("The file was compressed (ZIP) to fit the size Telegram lets a bot send.")


class Progress:
    """The one message that tells how the export is going, edited in place."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int | None, render: Renderer) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.message_id = message_id
        self.render = render

    async def show(self, text: Text) -> None:
        shown = self.render(text)
        try:
            if self.message_id is not None:
                try:
                    await self.bot(
                        EditMessageText(
                            chat_id=self.chat_id, message_id=self.message_id, text=shown
                        )
                    )
                    return
                except TelegramBadRequest as problem:
                    if "not modified" in str(problem):
                        return
            sent = await self.bot(SendMessage(chat_id=self.chat_id, text=shown))
            self.message_id = sent.message_id
        except TelegramAPIError as problem:  # progress is a courtesy: the export goes on
            log.warning("export progress to chat %s: %s", self.chat_id, type(problem).__name__)
