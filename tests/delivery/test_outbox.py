"""The outbox: queued in the deciding transaction, sent at pace, outcomes recorded, nothing lost."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramForbiddenError, TelegramServerError
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy import func, select, update

from bot.delivery import outbox as outbox_module
from bot.delivery import quiet
from bot.delivery.outbox import Outbox, Outgoing
from bot.delivery.pace import Limits, Pace
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.support.fake_session import BOT_USER

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội


class Recording(BaseSession):
    """Answers sends like Telegram; chats in `blocked` answer 403, in `failing` 502."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.calls: list[tuple[float, TelegramMethod[Any]]] = []
        self.blocked: set[int] = set()
        self.failing: set[int] = set()
        self._ids = 500

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise AssertionError("no downloads")

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls.append((time.monotonic(), method))
        if self.latency:
            await asyncio.sleep(self.latency)
        chat = int(getattr(method, "chat_id", 0))
        if chat in self.blocked:
            raise TelegramForbiddenError(method=method, message="Forbidden: bot was blocked")
        if chat in self.failing:
            raise TelegramServerError(method=method, message="Bad Gateway")
        self._ids += 1
        return Message(
            message_id=self._ids,
            date=datetime.now(UTC),
            chat=Chat(id=chat, type="private"),
            from_user=BOT_USER,
            text=getattr(method, "text", None),
        )

    def chats(self) -> list[int]:
        return [int(m.chat_id) for _, m in self.calls]  # type: ignore[attr-defined]


class Now:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make(db: Database, now: Now, quiet_hours: str | None = "21:00-06:30", **options: Any) -> Outbox:
    return Outbox(db, ZONE, quiet_hours, now, flush_every=0.01, idle_poll=0.05, **options)


def paced_bot(session: Recording, limits: Limits | None = None, patience: float = 0.2) -> Pace:
    pace = Pace(limits=limits, patience=patience, max_pause=0.05)
    session.middleware(pace)
    return pace


async def person(db: Database, tg_id: int, status: str = "active") -> int:
    async with db.transaction() as session:
        row = Person(
            tg_user_id=tg_id, display_name="x", language="vi", status=status, created_at=NOON
        )
        session.add(row)
        await session.flush()
        return row.id


async def statuses(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: n for status, n in rows}


async def post(box: Outbox, db: Database, *messages: Outgoing, commit: bool = True) -> None:
    uow = db.unit_of_work()
    await box.post(uow, list(messages))
    if commit:
        await uow.finish()
    else:
        await uow.abort()


def note(chat: int, **fields: Any) -> Outgoing:
    return Outgoing(chat_id=chat, text=f"tin {chat}", source="notice", **fields)


async def test_only_committed_messages_are_sent_with_their_buttons_and_ids(db: Database) -> None:
    session = Recording()
    pace = paced_bot(session)
    box = make(db, Now(NOON))
    bot = Bot("42:TEST", session=session)
    await box.start(bot, pace)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Đã đọc", callback_data="ack:1")]]
        )
        await post(box, db, note(1, markup=markup), note(2))
        await post(box, db, note(3), commit=False)  # rolled back: never sent
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(session.chats()) == [1, 2]
    first = next(m for _, m in session.calls if m.chat_id == 1)  # type: ignore[attr-defined]
    assert isinstance(first, SendMessage) and first.reply_markup == markup
    async with db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [(r.status, r.message_id is not None, r.sent_at is not None) for r in rows] == [
        ("sent", True, True),
        ("sent", True, True),
    ]


async def test_a_photo_goes_with_its_caption(db: Database) -> None:
    session = Recording()
    box = make(db, Now(NOON))
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        await post(box, db, Outgoing(5, "chú thích", "broadcast", kind="photo", file_id="AgAD"))
        assert await box.idle(5)
    finally:
        await box.stop()
    ((_, sent),) = session.calls
    assert isinstance(sent, SendPhoto) and sent.photo == "AgAD" and sent.caption == "chú thích"


async def test_sends_keep_the_overall_rate_and_one_chat_waits_its_turn(db: Database) -> None:
    session = Recording(latency=0.02)
    pace = paced_bot(session, Limits(per_second=20, chat_burst=1, chat_period=0.5))
    box = make(db, Now(NOON), in_flight=8)
    await box.start(Bot("42:TEST", session=session), pace)
    try:
        started = time.monotonic()
        await post(box, db, *(note(chat) for chat in range(100, 160)), note(7), note(7), note(7))
        assert await box.idle(20)
        took = time.monotonic() - started
    finally:
        await box.stop()
    assert len(session.calls) == 63
    # 20 at once, then 20 a second: 63 sends need about two seconds, never much less
    assert took >= 1.8, took
    times = sorted(at for at, _ in session.calls)
    for i in range(len(times)):
        in_a_second = sum(1 for t in times[i:] if t - times[i] < 1.0)
        assert in_a_second <= 40  # the bucket's 20 plus a second's 20, at most
    sevens = [at for at, m in session.calls if m.chat_id == 7]  # type: ignore[attr-defined]
    gaps = [b - a for a, b in itertools.pairwise(sevens)]
    assert all(gap >= 0.4 for gap in gaps), gaps
    # the chat that had to wait did not hold the others up
    assert max(at for at, m in session.calls if m.chat_id != 7) < sevens[-1]  # type: ignore[attr-defined]


async def test_a_blocked_recipient_is_unreachable_and_gets_nothing_more(db: Database) -> None:
    session = Recording()
    session.blocked.add(900)
    blocked = await person(db, 900)
    box = make(db, Now(NOON), in_flight=1)
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        await post(box, db, note(900, person_id=blocked), note(901))
        assert await box.idle(5)
        await post(box, db, note(900, person_id=blocked))
        await post(box, db, note(900, person_id=blocked), note(902))
        assert await box.idle(5)
    finally:
        await box.stop()
    counts = await statuses(db)
    assert counts["sent"] == 2 and counts.get("failed", 0) == 0
    async with db.transaction() as s:
        assert (await s.get(Person, blocked)).status == "unreachable"  # type: ignore[union-attr]
    # later messages to them are closed without a call, once the first 403 is recorded
    assert session.chats().count(900) <= 2
    assert box.stats.blocked >= 1


async def test_server_errors_are_retried_then_the_row_fails_with_the_reason(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "RETRY_AFTER", 0.0)
    monkeypatch.setattr(outbox_module, "ATTEMPTS", 3)
    session = Recording()
    session.failing.add(50)
    box = make(db, Now(NOON))
    await box.start(Bot("42:TEST", session=session), paced_bot(session, patience=0.05))
    try:
        await post(box, db, note(50), note(51))
        assert await box.idle(10)
    finally:
        await box.stop()
    assert session.chats().count(51) == 1
    assert session.chats().count(50) >= 3  # Pace's own retries, then the queue's rounds
    async with db.transaction() as s:
        failed = (
            await s.execute(select(OutboxMessage).where(OutboxMessage.chat_id == 50))
        ).scalar_one()
    assert (failed.status, failed.error, failed.attempts) == ("failed", "TelegramServerError", 3)


async def test_a_failing_chat_comes_back_and_gets_its_message(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "RETRY_AFTER", 0.0)
    session = Recording()
    session.failing.add(60)
    box = make(db, Now(NOON))
    await box.start(Bot("42:TEST", session=session), paced_bot(session, patience=0.05))
    try:
        await post(box, db, note(60))
        while session.chats().count(60) < 2:
            await asyncio.sleep(0.01)
        session.failing.clear()  # the outage is over
        assert await box.idle(10)
    finally:
        await box.stop()
    assert await statuses(db) == {"sent": 1}


async def test_non_urgent_waits_out_quiet_hours_urgent_does_not(db: Database) -> None:
    late = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 22:00 in Hà Nội
    clock = Now(late)
    session = Recording()
    box = make(db, clock)
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        await post(box, db, note(1), note(2, urgent=True), note(3, quiet_hours="off"))
        assert await box.idle(5)
        assert sorted(session.chats()) == [2]  # the school's window holds 1 and 3
        clock.at = datetime(2026, 12, 1, 23, 31, tzinfo=UTC)  # 06:31 the next morning
        box.wake()
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(session.chats()) == [1, 2, 3]


async def test_ones_own_quiet_hours_hold_a_message_the_school_would_send(db: Database) -> None:
    clock = Now(NOON)
    session = Recording()
    box = make(db, clock)
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        await post(box, db, note(1, quiet_hours="11:00-13:30"), note(2))
        assert await box.idle(5)
        assert session.chats() == [2]
        clock.at = NOON + timedelta(hours=1, minutes=31)
        box.wake()
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(session.chats()) == [1, 2]


async def test_quiet_hours_that_began_while_queued_hold_a_claimed_message(db: Database) -> None:
    clock = Now(NOON)
    box = make(db, clock)
    await post(box, db, note(1))  # queued at noon, sender not running (the bot was down)
    clock.at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # it comes back at 22:00
    session = Recording()
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        assert await box.idle(5)
    finally:
        await box.stop()
    assert session.calls == []
    async with db.transaction() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "queued"
    assert row.not_before == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 06:30 local
    assert box.stats.deferred == 1


async def test_after_a_crash_only_what_was_in_flight_is_sent_again(db: Database) -> None:
    box = make(db, Now(NOON))
    await post(box, db, *(note(chat) for chat in range(1, 11)))
    async with db.transaction() as s:  # as a killed sender leaves them: 3 sent, 2 in flight
        await s.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id <= 3).values(status="sent")
        )
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id.in_([4, 5]))
            .values(status="sending", claimed_at=NOON)
        )
    session = Recording()
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(session.chats()) == list(range(4, 11))
    assert box.stats.requeued == 2
    assert await statuses(db) == {"sent": 10}


async def test_with_a_lease_fresh_claims_of_another_worker_are_left_alone(db: Database) -> None:
    clock = Now(NOON)
    box = make(db, clock, lease=120.0)
    await post(box, db, note(1), note(2))
    async with db.transaction() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == 1)
            .values(status="sending", claimed_at=NOON - timedelta(seconds=30))
        )
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == 2)
            .values(status="sending", claimed_at=NOON - timedelta(minutes=10))
        )
    session = Recording()
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        for _ in range(100):
            if session.calls:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        await box.stop()
    assert session.chats() == [2]  # the stale claim only


async def test_listeners_hear_each_recorded_outcome(db: Database) -> None:
    heard: list[tuple[int, str]] = []
    session = Recording()
    box = make(db, Now(NOON))
    box.listeners.append(lambda closed: heard.extend((r.chat_id, o.status) for r, o in closed))
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        await post(box, db, note(1), note(2))
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(heard) == [(1, "sent"), (2, "sent")]


@pytest.mark.parametrize(
    ("local", "windows", "released"),
    [
        ("12:00", ["21:00-06:30"], "12:00"),
        ("22:15", ["21:00-06:30"], "06:30+1"),
        ("03:00", ["21:00-06:30"], "06:30"),
        ("06:30", ["21:00-06:30"], "06:30"),
        ("12:00", ["11:00-13:00"], "13:00"),
        ("22:15", ["21:00-06:30", "06:00-07:00"], "07:00+1"),  # one window ends inside another
        ("22:15", [None, "off"], "22:15"),
        ("20:59", ["21:00-06:30"], "20:59"),
    ],
)
def test_release_times(local: str, windows: list[str | None], released: str) -> None:
    day = datetime(2026, 12, 1, tzinfo=ZONE)
    hour, minute = map(int, local.split(":"))
    now = day.replace(hour=hour, minute=minute)
    parsed = [quiet.parse(w) for w in windows]
    clock, _, plus = released.partition("+")
    hour, minute = map(int, clock.split(":"))
    expected = (day + timedelta(days=int(plus or 0))).replace(hour=hour, minute=minute)
    assert quiet.release(now, parsed, ZONE) == expected


@pytest.mark.parametrize("bad", ["25:00-06:00", "21:00", "soon", "21:00-06:30-07:00"])
def test_bad_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        quiet.parse(bad)


# Over the wire: the bot's own path, against the tests' Bot API over HTTP -------------------


async def wired(db: Database, api: Any, now: Now, **options: Any) -> tuple[Outbox, Bot]:
    from bot.delivery.wire import Wire

    session = Recording()  # aiogram's path: must stay unused when the wire is given
    pace = paced_bot(session, Limits(per_second=30), patience=5.0)
    bot = Bot("42:TEST", session=session)
    box = make(db, now, **options)
    await box.start(bot, pace, Wire(api.token, api.base_url))
    return box, bot


async def test_over_the_wire_through_429s_5xx_and_a_blocked_chat(sqlite_url: str) -> None:
    from storage import migrate
    from tests.support.botapi import FakeBotApi

    db = Database(sqlite_url)
    await migrate.upgrade(db)
    async with FakeBotApi(token="42:TEST") as api:
        people = {tg: await person(db, tg) for tg in range(7000, 7030)}
        for tg in people:
            api.user(tg, f"PH{tg}")
        api.block(7029)
        throttled = api.inject("429", rate=0.3, retry_after=1, seed=3)
        failing = api.inject("5xx", rate=0.2, seed=4)
        box, bot = await wired(db, api, Now(NOON))
        try:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Đã đọc", callback_data="ack:9")]]
            )
            await post(
                box,
                db,
                *(note(tg, person_id=pid, markup=markup) for tg, pid in people.items()),
                Outgoing(4242, "không ai", "notice"),  # a chat that does not exist
            )
            assert await box.idle(60)
        finally:
            await box.stop()
            await db.dispose()
        assert throttled.served > 3 and failing.served > 2
        for tg in range(7000, 7029):
            (message,) = api.sent(tg)
            assert message["text"] == f"tin {tg}"
            assert message["reply_markup"]["inline_keyboard"][0][0]["text"] == "Đã đọc"
        assert api.sent(7029) == []
        assert api.retry_after_violations() == []
        assert api.limit_refusals() == []
        assert api.duplicates() == []
        assert box.stats.sent == 29 and box.stats.blocked == 1 and box.stats.failed == 1
        assert bot.session.calls == []  # type: ignore[attr-defined]


async def test_a_row_due_later_waits_for_its_time(db: Database) -> None:
    clock = Now(NOON)
    box = make(db, clock)
    await post(box, db, note(1), note(2))
    async with db.transaction() as s:  # as a retry puts a row back: not before 13:00
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == 1)
            .values(not_before=NOON + timedelta(hours=1))
        )
    session = Recording()
    await box.start(Bot("42:TEST", session=session), paced_bot(session))
    try:
        assert await box.idle(5)
        assert session.chats() == [2]
        clock.at = NOON + timedelta(hours=1)
        box.wake()
        assert await box.idle(5)
    finally:
        await box.stop()
    assert sorted(session.chats()) == [1, 2]
