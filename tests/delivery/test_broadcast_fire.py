"""Firing broadcasts without Telegram updates: the scheduled job, and 3,000 recipients."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery import broadcasts as delivery
from bot.jobs import JobContext
from bot.services import broadcasts as service
from storage import broadcasts as store
from storage import outbox as rows
from storage import people
from storage.models import OutboxMessage
from tests.handlers.test_onboarding import SCHOOL
from tests.support.harness import Harness


async def seeded(h: Harness, parents: int, english_every: int = 0) -> tuple[int, int]:
    """A school with one class of `parents` (every `english_every`-th in English) and a
    principal; (school id, principal's person id)."""
    school_id = await h.org(*SCHOOL)
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    now = h.clock.now()
    async with h.app.database.transaction() as session:
        rows_ = [(500_000, "HT", "vi", now)]
        for n in range(parents):
            lang = "en" if english_every and n % english_every == 0 else "vi"
            rows_.append((600_000 + n, f"PH {n}", lang, now))
        ids = await people.create_many(session, rows_)
        await people.add_memberships(
            session,
            [(ids[0], school_id, "principal", None, now)]
            + [(pid, class_id, "parent", None, now) for pid in ids[1:]],
        )
    return school_id, ids[0]


async def schedule(h: Harness, school_id: int, principal_id: int, at_minutes: int) -> int:
    uow = h.app.database.unit_of_work()
    campaign_id, pack = await h.app.shared.campaign.get(uow)
    broadcast = await service.create(
        uow,
        service.Draft(scope=school_id, audience="parents", text="Nghỉ học", needs_ack=True),
        person=None,
        superadmin=True,
        campaign_id=campaign_id,
        pack=pack,
        send_at=h.clock.now() + timedelta(minutes=at_minutes),
        now=h.clock.now(),
        sender_chat_id=500_000,
    )
    await uow.finish()
    return broadcast.id


async def test_fire_due_fires_once_and_carries_on_after_a_failure(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    school_id, principal = await seeded(h, 5)
    first = await schedule(h, school_id, principal, 10)
    second = await schedule(h, school_id, principal, 20)
    ctx = JobContext(h.app.shared, h.app.database, h.clock)
    real = service.start_firing

    async def failing(uow, broadcast_id, now):  # type: ignore[no-untyped-def]
        if broadcast_id == first:
            raise RuntimeError("boom")
        return await real(uow, broadcast_id, now)

    h.clock.advance(timedelta(minutes=30))
    monkeypatch.setattr(service, "start_firing", failing)
    assert await delivery.fire_due(ctx, h.clock.now()) == 1  # the second, despite the first
    monkeypatch.setattr(service, "start_firing", real)
    # Two ticks at once (a late one and the next): the first fires once.
    fired = await asyncio.gather(
        delivery.fire_due(ctx, h.clock.now()), delivery.fire_due(ctx, h.clock.now())
    )
    assert sum(fired) == 1
    assert await delivery.fire_due(ctx, h.clock.now()) == 0
    async with h.app.database.transaction() as session:
        for broadcast_id in (first, second):
            counts = await store.counts(session, broadcast_id)
            assert sum(counts.values()) == 5, counts
            b = await store.get(session, broadcast_id)
            assert b is not None and b.status in ("sending", "done") and b.total == 5


async def test_three_thousand_recipients_are_queued_quickly(harness: Harness) -> None:
    h = harness
    school_id, principal = await seeded(h, 3000, english_every=10)
    broadcast_id = await schedule(h, school_id, principal, 0)
    uow = h.app.database.unit_of_work()
    began = time.perf_counter()
    firing = await delivery.fire(uow, h.app.shared, broadcast_id, h.clock.now())
    await uow.finish()
    took = time.perf_counter() - began
    assert firing is not None and firing.broadcast.total == 3000
    assert took < 5.0, f"queueing 3,000 took {took:.1f} s"
    async with h.app.database.transaction() as session:
        assert sum((await store.counts(session, broadcast_id)).values()) == 3000
        texts = {
            chat: text
            for chat, text in await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.text).where(
                    OutboxMessage.broadcast_id == broadcast_id,
                    OutboxMessage.chat_id.in_((600_000, 600_001)),
                )
            )
        }
        assert texts[600_000].startswith("📢 Notice from THPT Lý Thái Tổ to parents")
        assert texts[600_001].startswith("📢 Thông báo của THPT Lý Thái Tổ gửi Quý phụ huynh")
        b = await store.get(session, broadcast_id)
        assert b is not None and b.progress_outbox_id is not None
        chat, _ = await rows.message_id(session, b.progress_outbox_id) or (0, None)
        assert chat == 500_000


async def test_a_broadcast_fires_once_however_often_it_is_fired(harness: Harness) -> None:
    h = harness
    school_id, principal = await seeded(h, 4)
    broadcast_id = await schedule(h, school_id, principal, 0)
    for attempt in range(2):  # "send" pressed twice, or a tick racing the handler
        uow = h.app.database.unit_of_work()
        firing = await delivery.fire(uow, h.app.shared, broadcast_id, h.clock.now())
        await uow.finish()
        assert (firing is not None) == (attempt == 0)
    async with h.app.database.transaction() as session:
        assert sum((await store.counts(session, broadcast_id)).values()) == 4
