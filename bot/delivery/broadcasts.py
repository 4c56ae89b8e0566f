"""A broadcast on its way: frames, outbox rows, the scheduled job and the progress message.

Each recipient gets the principal's text as written (the English version if they use
the bot in English and there is one) inside the bot's own frame, in their language and
worded for their role: a header naming who sends it, and for acknowledgements a line
asking them to press the button. Frames are rendered once per (language, role).

`fire` queues a broadcast in the caller's unit of work (an update's, or one of
`fire_due`'s); `ProgressReporter` edits the sender's progress message in place as
outcomes come in, at most once every few seconds.
"""

# readers: principal dept_admin

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.outbox import Outbox, Outgoing
from bot.handlers.callbacks import VERSION, AckCallback, BroadcastCallback
from bot.i18n import Renderer
from bot.jobs import JobContext
from bot.services import broadcasts as service
from bot.services.broadcasts import Results
from bot.text import READERS, Joined, Plain, T, Text
from bot.turn import Shared
from storage import broadcasts as store
from storage import outbox as rows
from storage import people
from storage.db import UnitOfWork
from storage.models import Broadcast

log = logging.getLogger("hocvuso.broadcasts")

# Worded for each reader group (msgctxt variants: "gửi Quý phụ huynh", ...).
# readers: parent student staff officer
HEADER = T("📢 Notice from {org}")
# readers: parent student staff officer
ASK_ACK = T("Please press “I have read this” once you have read it.")
# readers: parent student staff officer
URGENT = T("🔴 URGENT")
# readers: parent student staff officer
ACK_BUTTON = T("✔️ I have read this")
# readers: parent student staff officer
ACKED_BUTTON = T("✅ Read")
FRAME_ROLES = READERS  # frame_role() gives one of them: render the frame for it


def frame(org: str, body: str, *, urgent: bool, needs_ack: bool) -> Text:
    """A broadcast as a recipient sees it; render it for their address group."""
    header: Text = T(HEADER.msgid, org=Plain(org))
    if urgent:
        header = Joined((URGENT, header), sep=" ")
    parts: list[Text] = [header, Plain(body)]
    if needs_ack:
        parts.append(ASK_ACK)
    return Joined(tuple(parts))


def reserve(renderers: list[Renderer], orgs: list[str]) -> int:
    """The most characters a frame adds around the text, over languages, roles and orgs."""
    most = 0
    for render in renderers:
        for org in orgs or [""]:
            for role in FRAME_ROLES:
                text = render.to(role)(frame(org, "", urgent=True, needs_ack=True))
                most = max(most, len(text))
    return most


def ack_markup(render: Renderer, broadcast_id: int, done: bool = False) -> InlineKeyboardMarkup:
    label = render(ACKED_BUTTON if done else ACK_BUTTON)
    data = AckCallback(v=VERSION, b=broadcast_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]]
    )


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None


class Frames:
    """Each (language, role)'s message for one broadcast, made once (a role: an address
    group, `frame_role`)."""

    def __init__(self, renderer: Any, broadcast: Broadcast, org: str) -> None:
        self.renderer = renderer
        self.broadcast = broadcast
        self.org = org
        self._made: dict[tuple[str, str], Rendered] = {}

    def get(self, language: str, role: str) -> Rendered:
        key = (language, role)
        found = self._made.get(key)
        if found is None:
            b = self.broadcast
            render = self.renderer(language, role)
            body = b.text_en if language == "en" and b.text_en else b.text
            text = render(frame(self.org, body, urgent=b.urgent, needs_ack=b.needs_ack))
            markup = ack_markup(render, b.id) if b.needs_ack else None
            found = self._made[key] = Rendered(text, markup)
        return found


def kind_of(broadcast: Broadcast) -> str:
    return broadcast.media_kind if broadcast.media_kind and broadcast.media_file_id else "message"


async def fire(
    uow: UnitOfWork, shared: Shared, broadcast_id: int, now: datetime
) -> service.Firing | None:
    """Queue a scheduled (or just created) broadcast in `uow`; None when it was fired or
    cancelled already."""
    firing = await service.start_firing(uow, broadcast_id, now)
    if firing is None:
        return None
    broadcast = firing.broadcast

    def renderer(language: str, reader: str | None) -> Renderer:
        return Renderer(shared.catalogues, language, shared.zone, reader)

    outbox: Outbox = shared.outbox
    sender_language = await _sender_language(uow, broadcast, shared)
    if broadcast.sender_chat_id:
        render = renderer(sender_language, None)  # progress texts are neutral (staff, officers)
        initial = progress_text(render, _initial(broadcast), eta=None)
        progress_id = await outbox.post_one(
            uow,
            Outgoing(
                chat_id=broadcast.sender_chat_id,
                text=render(initial),
                source="progress",
                person_id=broadcast.created_by,
                urgent=True,
                broadcast_id=broadcast.id,
            ),
        )
        await store.set_fields(uow.session, broadcast.id, progress_outbox_id=progress_id)
        broadcast.progress_outbox_id = progress_id
    frames = Frames(renderer, broadcast, firing.scope.name)
    kind = kind_of(broadcast)
    messages = []
    for r in firing.recipients:
        made = frames.get(r.language, service.frame_role(r.roles))
        messages.append(
            Outgoing(
                chat_id=r.tg_user_id,
                text=made.text,
                source="broadcast",
                person_id=r.person_id,
                markup=made.markup,
                urgent=broadcast.urgent,
                quiet_hours=r.quiet_hours,
                broadcast_id=broadcast.id,
                kind=kind,
                file_id=broadcast.media_file_id if kind != "message" else None,
            )
        )
    await outbox.post(uow, messages)
    if not messages:
        await store.move(uow.session, broadcast.id, "sending", "done", finished_at=now)
    log.info(
        "broadcast %s fired: %d queued, %d skipped", broadcast.id, len(messages), firing.skipped
    )
    return firing


async def _sender_language(uow: UnitOfWork, broadcast: Broadcast, shared: Shared) -> str:
    if broadcast.created_by is None:
        return str(shared.catalogues.default_locale)
    person = await people.by_id(uow.session, broadcast.created_by)
    return person.language if person is not None else str(shared.catalogues.default_locale)


def _initial(broadcast: Broadcast) -> Results:
    return Results(
        broadcast.id,
        "sending",
        broadcast.total,
        broadcast.skipped,
        0,
        0,
        0,
        broadcast.total,
        0,
        broadcast.needs_ack,
    )


async def fire_due(ctx: JobContext, now: datetime) -> int:
    """The scheduler's job: fire every scheduled broadcast whose time has come, one
    transaction each; a failure is logged and the others still fire. Returns how many
    fired."""
    uow = ctx.database.unit_of_work()
    try:
        ids = await service.due(uow, now)
    finally:
        await uow.abort()
    fired = 0
    for broadcast_id in ids:
        uow = ctx.database.unit_of_work()
        try:
            done = await fire(uow, ctx.shared, broadcast_id, now)
            await uow.finish()
        except Exception:
            await uow.abort()
            log.exception("broadcast %s: firing failed; the others carry on", broadcast_id)
            continue
        if done is not None:
            fired += 1
    return fired


# The progress message --------------------------------------------------------------


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


def duration(seconds: float) -> Text:
    if seconds < 90:
        return T("about {seconds} s", seconds=max(1, round(seconds)))
    return T("about {minutes} min", minutes=round(seconds / 60))


def results_text(found: Results) -> Text:
    lines: list[Text] = [
        T(
            "Delivered: {sent} of {total}. Failed: {failed}. Blocked the bot: {blocked}.",
            sent=found.sent,
            total=found.total,
            failed=found.failed,
            blocked=found.blocked,
        )
    ]
    if found.skipped:
        lines.append(
            T(
                "Not sent to {skipped} people who cannot be reached or turned announcements off.",
                skipped=found.skipped,
            )
        )
    if found.needs_ack:
        lines.append(
            T(
                "Read (pressed “I have read this”): {acked} of {sent}.",
                acked=found.acknowledged,
                sent=found.sent,
            )
        )
    return Joined(tuple(lines), sep="\n")


def progress_text(render: Renderer, found: Results, eta: float | None) -> Text:
    done = found.sent + found.failed + found.blocked
    if found.finished or found.status == "done":
        head: Text = T("✅ The notice has been sent.")
        return Joined((head, results_text(found)))
    lines: list[Text] = [
        T("📤 Sending the notice: {done} of {total}", done=done, total=found.total),
        Plain(bar(done, found.total)),
        T(
            "Failed: {failed} · Blocked the bot: {blocked}",
            failed=found.failed,
            blocked=found.blocked,
        ),
    ]
    if eta is not None:
        lines.append(T("Time left: {left}", left=duration(eta)))
    return Joined(tuple(lines), sep="\n")


def results_markup(render: Renderer, found: Results) -> InlineKeyboardMarkup | None:
    if not found.needs_ack or not found.sent or found.acknowledged >= found.sent:
        return None
    data = BroadcastCallback(v=VERSION, id=found.broadcast_id, a="unread").pack()
    label = render(T("👀 Who has not read it"))
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]]
    )


class ProgressReporter:
    """Edits each broadcast's progress message as its outcomes are recorded.

    An outbox listener marks broadcasts whose rows closed; one task edits each marked
    broadcast's message at most once every `every` seconds (Telegram allows about one
    message a second in a chat, edits included), and the last edit once nothing of it
    is left to send, when the broadcast becomes `done`.
    """

    def __init__(self, shared: Shared, bot: Bot, every: float = 3.0) -> None:
        self.shared = shared
        self.bot = bot
        self.every = every
        self.dirty: set[int] = set()
        self.last: dict[int, float] = {}
        self.shown: dict[int, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.recovering: asyncio.Task[None] | None = None
        self.stopped = False

    async def recover(self) -> None:
        try:
            async with self.shared.outbox.database.transaction() as session:
                for broadcast in await store.sending(session):
                    self.dirty.add(broadcast.id)
        except Exception:
            log.exception("progress: could not look for broadcasts still sending")
        self._kick()

    def __call__(self, batch: Any) -> None:
        for claimed, _ in batch:
            if claimed.broadcast_id is not None:
                self.dirty.add(claimed.broadcast_id)
        self._kick()

    def watch(self, broadcast_id: int) -> None:
        self.dirty.add(broadcast_id)
        self._kick()

    async def stop(self, timeout: float = 10.0) -> None:
        """Let an edit in progress finish (never cancelled inside its transaction)."""
        self.stopped = True
        running = {t for t in (self._task, self.recovering) if t is not None and not t.done()}
        if running:
            await asyncio.wait(running, timeout=timeout)

    def _kick(self) -> None:
        if self.stopped:
            return
        if self.dirty and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(), name="progress")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.dirty and not self.stopped:
            now = loop.time()
            ready = [b for b in self.dirty if now - self.last.get(b, -1e9) >= self.every]
            for broadcast_id in ready:
                self.dirty.discard(broadcast_id)
                try:
                    await self.update(broadcast_id)
                except Exception:
                    log.exception("broadcast %s: progress update failed", broadcast_id)
                self.last[broadcast_id] = loop.time()
            await asyncio.sleep(0.2)

    async def update(self, broadcast_id: int) -> None:
        shared = self.shared
        uow = shared.outbox.database.unit_of_work()
        try:
            broadcast = await store.get(uow.session, broadcast_id)
            if broadcast is None or broadcast.status not in ("sending", "done"):
                await uow.abort()
                return
            now = shared.outbox.now()
            if await service.finish_if_done(uow, broadcast, now):
                await uow.session.refresh(broadcast)
            found = await service.results(uow, broadcast)
            located = (
                await rows.message_id(uow.session, broadcast.progress_outbox_id)
                if broadcast.progress_outbox_id
                else None
            )
            language = await _sender_language(uow, broadcast, shared)
            await uow.finish()
        except BaseException:
            await uow.abort()
            raise
        if located is None or located[1] is None:
            return  # the progress message itself is not out yet: its own send marks us again
        render = Renderer(shared.catalogues, language, shared.zone)
        eta = None
        done = found.sent + found.failed + found.blocked
        if broadcast.fired_at is not None and done and found.waiting:
            elapsed = max((now - broadcast.fired_at).total_seconds(), 0.001)
            eta = found.waiting * elapsed / done
        text = render(progress_text(render, found, eta))
        finished = found.finished or broadcast.status == "done"
        markup = results_markup(render, found) if finished else None
        if self.shown.get(broadcast_id) == text:
            return
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=located[0], message_id=located[1], reply_markup=markup
            )
            self.shown[broadcast_id] = text
        except TelegramAPIError as problem:
            log.warning(
                "broadcast %s: progress edit refused: %s", broadcast_id, type(problem).__name__
            )
        if finished:
            self.last.pop(broadcast_id, None)
            self.shown.pop(broadcast_id, None)


def reporter(shared: Shared) -> ProgressReporter | None:
    return next((x for x in shared.outbox.listeners if isinstance(x, ProgressReporter)), None)


def attach(shared: Shared, bot: Bot) -> ProgressReporter:
    """The progress reporter for this outbox, registered once as its listener. The first
    time, broadcasts still sending (a restart in the middle) are picked up again."""
    found = reporter(shared)
    if found is None:
        found = ProgressReporter(shared, bot)
        shared.outbox.listeners.append(found)
        found.recovering = asyncio.get_running_loop().create_task(found.recover())
    return found
