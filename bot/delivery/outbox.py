"""The outbox: every message the bot sends on its own initiative, durable and paced.

A message to send is a row (`storage.outbox`) written in the same transaction as
the decision to send it: `Outbox.post(uow, [Outgoing(...)])`. After that
transaction commits, the sender wakes up and drains due rows:

- it claims a few rows at a time (status `sending`), takes each one's turn under
  Telegram's limits (`bot.delivery.pace`: `HOCVUSO_SEND_RATE` overall, about one a
  second per chat, 20 a minute per group), and sends it in a task of its own, so
  that many sends are in flight while the API answers;
- turns are taken one at a time, so a 3,000-recipient broadcast never stands in
  the limiter's queue ahead of the replies people are waiting for;
- outcomes are written in batches: `sent` (with Telegram's message id), `blocked`
  (403: the person is marked unreachable and their other queued rows are closed),
  `failed` with the reason after the retries `Pace` makes and `ATTEMPTS` rounds of
  the queue's own;
- non-urgent rows wait out quiet hours (the school's, `HOCVUSO_QUIET_HOURS`, and
  the person's own from /settings), both when queued and again when claimed.

After a crash, rows left `sending` are queued again at start: a message is sent
twice only if it was in flight when the process died. With several workers
(`lease`), only rows whose claim is older than the lease are taken back.
Sending never holds up updates: the sender is a task of its own, and the claim
and close transactions are short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import InlineKeyboardMarkup

from bot.delivery import quiet
from bot.delivery.pace import PREPAID, Pace
from bot.delivery.wire import Wire, WireError
from storage import outbox as rows
from storage.db import Database, UnitOfWork
from storage.outbox import Claimed, Outcome

log = logging.getLogger("hocvuso.outbox")

ATTEMPTS = 5  # rounds through the queue for a row whose sends keep failing
RETRY_AFTER = 30.0  # seconds, times the attempt number, before such a row is tried again


@dataclass(frozen=True)
class Outgoing:
    """One message for one chat, already in its recipient's words and language."""

    chat_id: int
    text: str
    source: str  # notice, broadcast, reminder, announcement, nudge, progress
    person_id: int | None = None
    markup: InlineKeyboardMarkup | None = None
    urgent: bool = False
    quiet_hours: str | None = None  # the recipient's own window, if they set one
    broadcast_id: int | None = None
    kind: str = "message"  # message | photo | document (text is then the caption)
    file_id: str | None = None


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    deferred: int = 0
    requeued: int = 0


Listener = Callable[[Sequence[tuple[Claimed, Outcome]]], Any]


@dataclass
class Outbox:
    database: Database
    zone: tzinfo
    quiet_hours: str | None
    now: Callable[[], datetime]
    in_flight: int = 32
    lease: float | None = None  # seconds; None: one worker, every `sending` row is ours
    patience: float = 30.0  # seconds of retries over the wire before a row is put back
    flush_every: float = 0.05
    idle_poll: float = 1.0
    stats: Stats = field(default_factory=Stats)
    listeners: list[Listener] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._window = quiet.parse(self.quiet_hours)
        self._wake = asyncio.Event()
        self._closed: list[tuple[Claimed, Outcome]] = []
        self._put_back: dict[int, datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = False
        self._slots = asyncio.Semaphore(self.in_flight)
        self._wire: Wire | None = None
        self._pace: Pace | None = None

    # Queueing ---------------------------------------------------------------

    def not_before(self, now: datetime, urgent: bool, own: str | None) -> datetime:
        if urgent:
            return now
        return quiet.release(now, (self._window, _window(own)), self.zone)

    async def post(self, uow: UnitOfWork, messages: Sequence[Outgoing]) -> None:
        """Queue messages in this unit of work; the sender wakes once it commits."""
        if not messages:
            return
        now = self.now()
        await rows.add(uow.session, [self._row(m, now) for m in messages])
        uow.after_commit(self.wake)

    async def post_one(self, uow: UnitOfWork, message: Outgoing) -> int:
        """Queue one message and return its row id."""
        row_id = await rows.add_one(uow.session, self._row(message, self.now()))
        uow.after_commit(self.wake)
        return row_id

    def _row(self, message: Outgoing, now: datetime) -> dict[str, Any]:
        return {
            "chat_id": message.chat_id,
            "person_id": message.person_id,
            "source": message.source,
            "broadcast_id": message.broadcast_id,
            "kind": message.kind,
            "text": message.text,
            "file_id": message.file_id,
            "markup": message.markup.model_dump(mode="json", exclude_none=True)
            if message.markup
            else None,
            "urgent": message.urgent,
            "quiet_hours": message.quiet_hours,
            "not_before": self.not_before(now, message.urgent, message.quiet_hours),
            "created_at": now,
        }

    def wake(self) -> None:
        self._wake.set()

    # Sending ----------------------------------------------------------------

    async def start(self, bot: Bot, pace: Pace | None, wire: Wire | None = None) -> None:
        """Take back what a crash left in flight, then send until `stop`: over `wire`
        when given (the bot does), else through the bot's aiogram session."""
        self._wire = wire
        async with self.database.transaction() as session:
            before = None if self.lease is None else self.now() - timedelta(seconds=self.lease)
            taken = await rows.requeue(session, before)
        if taken:
            self.stats.requeued += taken
            log.info("outbox: %d messages in flight at the last stop are queued again", taken)
        self._stopping = False
        self._pace = pace
        self._runner = asyncio.get_running_loop().create_task(self._run(bot, pace), name="outbox")
        self._flusher = asyncio.get_running_loop().create_task(
            self._flush_loop(), name="outbox-close"
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let sends in flight finish (up to `timeout`), record them.

        Nothing is cancelled in the middle of a transaction: a task cancelled while
        SQLite works for it leaves that connection's lock behind."""
        self._stopping = True
        self.wake()
        if self._runner is not None:
            await asyncio.wait({self._runner}, timeout=timeout)
            self._runner.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        if self._flusher is not None:
            await asyncio.wait({self._flusher}, timeout=timeout)
            self._flusher.cancel()
        await self._flush()
        if self._wire is not None:
            await self._wire.close()

    async def idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing due is queued or in flight (tests and benchmarks)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if not self._tasks and not self._closed and not self._put_back:
                async with self.database.transaction() as session:
                    due, sending = await rows.pending(session)
                if sending == 0 and (due is None or due > self.now()):
                    return True
            await asyncio.sleep(0.02)
        return False

    async def _run(self, bot: Bot, pace: Pace | None) -> None:
        waiting: list[Claimed] = []  # claimed, their chat not ready yet
        while not self._stopping:
            try:
                self._wake.clear()  # before claiming: a post committed after this wakes us
                if len(waiting) < self.in_flight:
                    waiting.extend(await self._claim(self.in_flight * 2 - len(waiting)))
                if not waiting:
                    await self._sleep_until_due()
                    continue
                started = 0
                for row in list(waiting):
                    # Asked row by row: a turn just taken makes that chat wait.
                    if pace is not None and not pace.ready(row.chat_id):
                        continue
                    waiting.remove(row)
                    await self._slots.acquire()
                    if pace is not None:
                        await pace.take_turn(row.chat_id, spare=1)
                    task = asyncio.get_running_loop().create_task(self._send(bot, row))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    started += 1
                    if self._stopping:
                        break
                if not started:  # every chat claimed is waiting for its turn
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox: sender loop failed; trying again in a second")
                await asyncio.sleep(1.0)
        # Claimed but never sent: back to the queue at once.
        for row in waiting:
            self._put_back[row.id] = self.now()

    async def _claim(self, limit: int) -> list[Claimed]:
        if limit <= 0:
            return []
        now = self.now()
        async with self.database.transaction() as session:
            claimed = await rows.claim(
                session, now, limit, skip_locked=self.database.dialect == "postgresql"
            )
            # Quiet hours may have begun since these were queued (or the bot was down).
            later = {
                row.id: self.not_before(now, False, row.quiet_hours)
                for row in claimed
                if not row.urgent
            }
            later = {row_id: when for row_id, when in later.items() if when > now}
            if later:
                await rows.put_back(session, later)
                self.stats.deferred += len(later)
        return [row for row in claimed if row.id not in later]

    async def _sleep_until_due(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.idle_poll)

    async def _send(self, bot: Bot, row: Claimed) -> None:
        try:
            PREPAID.set(True)
            if self._wire is not None:
                outcome = await self._over_wire(self._wire, row)
            else:
                outcome = await self._attempt(bot, row)
            if outcome is not None:
                self._closed.append((row, outcome))
        except Exception:
            log.exception("outbox: row %s could not be sent", row.id)
            self._closed.append((row, Outcome(row.id, "failed", self.now(), error="internal")))
        finally:
            self._slots.release()

    async def _attempt(self, bot: Bot, row: Claimed) -> Outcome | None:
        try:
            sent = await bot(method_for(row))
        except TelegramForbiddenError:
            log.info("outbox: row %s: chat %s blocked the bot", row.id, row.chat_id)
            return Outcome(row.id, "blocked", self.now(), error="blocked", person_id=row.person_id)
        except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as problem:
            wait = float(problem.retry_after) if isinstance(problem, TelegramRetryAfter) else 0.0
            return self._retry_later(row, type(problem).__name__, wait)
        except TelegramAPIError as problem:
            log.error(
                "outbox: row %s to chat %s refused: %s", row.id, row.chat_id, type(problem).__name__
            )
            return Outcome(row.id, "failed", self.now(), error=type(problem).__name__[:64])
        return Outcome(row.id, "sent", self.now(), message_id=getattr(sent, "message_id", None))

    async def _over_wire(self, wire: Wire, row: Claimed) -> Outcome | None:
        """As `Pace` retries aiogram's calls: 429 holds the chat for retry_after, 5xx and
        network errors are tried again with growing pauses for `patience` seconds; after
        that the row goes back to the queue (`_retry_later`)."""
        pace = self._pace
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.patience
        pause = 0.5
        method, params = wire_params(row)
        first = True
        while True:
            if not first and pace is not None:
                await pace.wait_for_hold(row.chat_id)
                await pace.take_turn(row.chat_id, spare=1)
            first = False
            try:
                answer = await wire.call(method, params)
            except WireError as problem:
                reason = f"network: {problem}"
            else:
                if answer.ok:
                    return Outcome(row.id, "sent", self.now(), message_id=answer.message_id)
                if answer.code == 403:
                    log.info("outbox: row %s: chat %s blocked the bot", row.id, row.chat_id)
                    return Outcome(
                        row.id, "blocked", self.now(), error="blocked", person_id=row.person_id
                    )
                if answer.code == 429:
                    wait = float(answer.retry_after or 1)
                    log.warning("outbox: row %s: 429, retry after %s s", row.id, wait)
                    if pace is not None:
                        pace.hold(row.chat_id, wait)
                    if wait > self.patience:
                        return self._retry_later(row, "TelegramRetryAfter", wait)
                    continue
                if answer.code < 500:
                    log.error(
                        "outbox: row %s to chat %s refused: %s", row.id, row.chat_id, answer.code
                    )
                    return Outcome(row.id, "failed", self.now(), error=f"{answer.code}")
                reason = f"server {answer.code}"
            if loop.time() + pause > give_up:
                return self._retry_later(row, reason, 0.0)
            await asyncio.sleep(pause * random.uniform(0.8, 1.2))
            pause = min(pause * 2, 4.0)

    def _retry_later(self, row: Claimed, reason: str, at_least: float) -> Outcome | None:
        if row.attempts >= ATTEMPTS:
            log.error("outbox: row %s to chat %s failed: %s", row.id, row.chat_id, reason)
            return Outcome(row.id, "failed", self.now(), error=reason[:64])
        pause = max(at_least, RETRY_AFTER * row.attempts * random.uniform(0.8, 1.2))
        log.warning("outbox: row %s: %s; queued again in %.0f s", row.id, reason, pause)
        self._put_back[row.id] = self.now() + timedelta(seconds=pause)
        return None

    # Recording ----------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.flush_every)
            try:
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox: recording outcomes failed; trying again")

    async def _flush(self) -> None:
        if not self._closed and not self._put_back:
            return
        closed, self._closed = self._closed, []
        put_back, self._put_back = self._put_back, {}
        try:
            async with self.database.transaction() as session:
                await rows.close(session, [outcome for _, outcome in closed])
                await rows.put_back(session, put_back)
        except BaseException:
            self._closed[:0] = closed
            self._put_back.update(put_back)
            raise
        for _, outcome in closed:
            if outcome.status == "sent":
                self.stats.sent += 1
            elif outcome.status == "blocked":
                self.stats.blocked += 1
            else:
                self.stats.failed += 1
        if put_back:
            self.wake()
        for listener in self.listeners:
            try:
                result = listener(closed)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("outbox: listener failed")


def _window(value: str | None) -> quiet.Window | None:
    try:
        return quiet.parse(value)
    except ValueError:
        return None


def wire_params(row: Claimed) -> tuple[str, dict[str, Any]]:
    """The Bot API method and JSON parameters of a row (as `method_for`, for the wire)."""
    params: dict[str, Any] = {"chat_id": row.chat_id}
    if row.markup:
        params["reply_markup"] = row.markup
    if row.kind in ("photo", "document") and row.file_id:
        params[row.kind] = row.file_id
        if row.text:
            params["caption"] = row.text
        return ("sendPhoto" if row.kind == "photo" else "sendDocument"), params
    params["text"] = row.text
    params["link_preview_options"] = {"is_disabled": True}
    return "sendMessage", params


def method_for(row: Claimed) -> TelegramMethod[Any]:
    markup = InlineKeyboardMarkup.model_validate(row.markup) if row.markup else None
    if row.kind == "photo" and row.file_id:
        return SendPhoto(
            chat_id=row.chat_id, photo=row.file_id, caption=row.text or None, reply_markup=markup
        )
    if row.kind == "document" and row.file_id:
        return SendDocument(
            chat_id=row.chat_id, document=row.file_id, caption=row.text or None, reply_markup=markup
        )
    return SendMessage(chat_id=row.chat_id, text=row.text, reply_markup=markup)
