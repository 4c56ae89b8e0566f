"""Missed while down, stale items, school deadlines, and the tick itself."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FixedClock
from bot.jobs import JobContext
from bot.scheduler import RedisLock, Scheduler
from storage import deadlines as deadline_rows
from storage import firings, org_units
from storage.models import Firing, Membership, OutboxMessage, Person, Report
from tests.scheduler.world import World, build_world, make_app, scheduler_for

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZONE)  # type: ignore[misc]


@pytest.fixture
async def setup(db_url: str) -> AsyncIterator[tuple[App, World, FixedClock]]:
    """The world on each backend (SQLite, PostgreSQL)."""
    clock = FixedClock(local(2026, 9, 1))
    app = make_app(db_url, clock)
    world = await build_world(app.database, clock.now())
    try:
        yield app, world, clock
    finally:
        await app.database.dispose()


@pytest.fixture
async def sqlite_setup(sqlite_url: str) -> AsyncIterator[tuple[App, World, FixedClock]]:
    """The world on SQLite only, for what does not depend on the backend."""
    clock = FixedClock(local(2026, 9, 1))
    app = make_app(sqlite_url, clock)
    world = await build_world(app.database, clock.now())
    try:
        yield app, world, clock
    finally:
        await app.database.dispose()


async def keys(app: App) -> set[str]:
    async with app.database.transaction() as session:
        return set(await session.scalars(select(Firing.key)))


async def recipients(app: App, world: World, source: str) -> list[str]:
    async with app.database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.source == source))
        return sorted(world.name_of(row.person_id) for row in rows)


async def test_a_reminder_missed_fires_once_and_stale_ones_are_skipped(setup) -> None:
    app, _world, clock = setup
    scheduler = scheduler_for(app, clock)
    clock.at = local(2027, 5, 10, 8)
    assert await scheduler.tick() == {"fire_due": 0, "remind": 0, "announce": 0}
    # Down from 10/5 to 26/5 at 10:00: 20/5 and 25/5 have passed (skipped); of 27/5's
    # reminders (3 and 1 days before) only the later goes; of 31/5's (14, 7, 1) only 7.
    clock.at = local(2027, 5, 26, 10)
    assert await scheduler.tick() == {"fire_due": 0, "remind": 2, "announce": 0}
    assert await keys(app) == {
        "reminder:pack:council_review@bdhvs_khanh_hoa:2027-05-27:1",
        "reminder:pack:self_assessment_4725@bdhvs_khanh_hoa:2027-05-31:7",
        # The base's own, for schools outside any province pack (none here): fired empty.
        "reminder:pack:self_assessment_4725:2027-05-31:7",
    }
    assert await scheduler.tick() == {"fire_due": 0, "remind": 0, "announce": 0}
    clock.at = local(2027, 5, 27, 8)  # 30/5 minus 3 days; 27/5's last reminder went already
    assert await scheduler.tick() == {"fire_due": 0, "remind": 1, "announce": 0}
    assert "reminder:pack:dossiers_to_department@bdhvs_khanh_hoa:2027-05-30:3" in await keys(app)


@pytest.mark.parametrize(("back_on", "fires"), [(12, True), (13, True), (14, False)])
async def test_an_announcement_fires_late_up_to_three_days(setup, back_on, fires) -> None:
    app, world, clock = setup
    scheduler = scheduler_for(app, clock)
    clock.at = local(2027, 1, 9, 8)
    assert await scheduler.tick() == {"fire_due": 0, "remind": 0, "announce": 0}
    clock.at = local(2027, 1, back_on, 9)
    assert await scheduler.tick() == {"fire_due": 0, "remind": 0, "announce": int(fires)}
    got = await recipients(app, world, "announcement")
    assert got == (sorted(["SA1", "SA2", "P1", "ST1", "SB1", "P4"]) if fires else [])


async def test_a_school_deadline_reaches_its_subtree_and_not_those_done(setup) -> None:
    app, world, clock = setup
    async with app.database.transaction() as session:
        campaign_id = (await session.scalars(select(Report.campaign_id))).first()
        session.add(
            Report(
                person_id=world.ids["SA1"],
                campaign_id=campaign_id,
                milestone_key="staff_digital_skills",
                status="accepted",
                reported_at=clock.now(),
            )
        )
        made = {}
        for name, audience in (("staff", ("staff", "principal")), ("parents", ("parent",))):
            made[name] = await deadline_rows.add(
                session,
                org_id=world.orgs["THPT A"].id,
                created_by=world.ids["PA"],
                title=f"Hạn nộp ({name})",
                audience=audience,
                due_date=date(2026, 10, 10),
                remind_days_before=[7, 1],
                completes="staff_digital_skills" if name == "staff" else None,
                now=clock.now(),
            )
        cancelled = await deadline_rows.add(
            session,
            org_id=world.orgs["THPT A"].id,
            created_by=world.ids["PA"],
            title="Huỷ",
            audience=("parent", "student", "staff", "principal"),
            due_date=date(2026, 10, 10),
            remind_days_before=[7],
            completes=None,
            now=clock.now(),
        )
        assert await deadline_rows.cancel(session, cancelled)
    scheduler = scheduler_for(app, clock)
    clock.at = local(2026, 10, 3, 8)
    assert (await scheduler.tick() or {})["remind"] == 2
    got = await recipients(app, world, "reminder")
    # Staff of school A who have not done it (SA1 has), the principal; parents of A
    # (P2 too: reminders are not announcements; P3 is unreachable). Nobody in school B.
    assert got == sorted(["SA2", "PA", "P1", "P2", "SA2"])
    assert await keys(app) == {
        f"reminder:school:{made['staff']}:2026-10-10:7",
        f"reminder:school:{made['parents']}:2026-10-10:7",
    }
    async with app.database.transaction() as session:
        assert (
            await firings.recipients(session, f"reminder:school:{made['staff']}:2026-10-10:7") == 2
        )
        texts = {
            world.name_of(r.person_id): r.text
            for r in await session.scalars(select(OutboxMessage))
            if "(staff)" in r.text
        }
    assert "Thầy/Cô" in texts["PA"] and "10/10/2026" in texts["PA"] and "/report" in texts["PA"]


async def test_two_workers_ticking_at_once_fire_each_item_once(setup) -> None:
    app, _world, clock = setup
    other = make_app(app.database.url, clock)
    try:
        clock.at = local(2026, 9, 15, 8)
        first, second = await asyncio.gather(
            scheduler_for(app, clock).tick(), scheduler_for(other, clock).tick()
        )
    finally:
        await other.database.dispose()
    assert first is not None and second is not None
    assert first["announce"] + second["announce"] == 1
    async with app.database.transaction() as session:
        assert len(list(await session.scalars(select(OutboxMessage)))) == 6


async def test_a_failing_job_is_logged_and_the_tick_goes_on(sqlite_setup, caplog) -> None:
    app, _world, clock = sqlite_setup
    ran: list[datetime] = []

    async def broken(ctx: JobContext, now: datetime) -> int:
        raise RuntimeError("boom")

    async def counting(ctx: JobContext, now: datetime) -> int:
        ran.append(now)
        return 3

    scheduler = Scheduler(JobContext(app.shared, app.database, clock), [broken, counting])
    with caplog.at_level(logging.ERROR, logger="hocvuso.scheduler"):
        result = await scheduler.tick()
    assert result == {
        "test_a_failing_job_is_logged_and_the_tick_goes_on.<locals>.broken": -1,
        "test_a_failing_job_is_logged_and_the_tick_goes_on.<locals>.counting": 3,
    }
    assert ran == [clock.now()]
    assert "broken failed" in caplog.text


async def test_a_worker_without_the_lock_does_not_tick(sqlite_setup) -> None:
    app, _world, clock = sqlite_setup
    ran: list[int] = []

    async def job(ctx: JobContext, now: datetime) -> int:
        ran.append(1)
        return 1

    @asynccontextmanager
    async def taken() -> AsyncIterator[bool]:
        yield False

    ctx = JobContext(app.shared, app.database, clock)
    assert await Scheduler(ctx, [job], lock=taken).tick() is None
    assert ran == []


async def test_the_redis_lock_lets_one_worker_tick(redis_url) -> None:
    name = f"hocvuso:test-scheduler:{os.getpid()}"
    one, two = RedisLock(redis_url, name, ttl=10), RedisLock(redis_url, name, ttl=10)
    try:
        async with one() as held:
            assert held
            async with two() as also:
                assert not also
        async with two() as now_free:
            assert now_free
    finally:
        await one.close()
        await two.close()


async def test_the_scheduler_starts_ticks_and_stops(sqlite_setup) -> None:
    app, _world, clock = sqlite_setup
    ticked = asyncio.Event()

    async def job(ctx: JobContext, now: datetime) -> int:
        ticked.set()
        return 0

    scheduler = Scheduler(JobContext(app.shared, app.database, clock), [job], interval=3600)
    scheduler.start()
    try:
        await asyncio.wait_for(ticked.wait(), 5)  # the first tick comes at start
    finally:
        await scheduler.stop()


async def test_the_4725_reminder_skips_schools_it_does_not_assess(sqlite_setup) -> None:
    """QĐ 4725 assesses no kindergarten: its principal is not reminded, PB is (PA reached
    level 2, PC entered this school year's)."""
    app, world, clock = sqlite_setup
    async with app.database.transaction() as session:
        kindergarten, _ = await org_units.ensure(
            session,
            [("province", "Khánh Hòa"), ("district", "Từ Sơn"), ("school", "Mầm non D")],
            clock.now(),
        )
        kindergarten.level = "kindergarten"
        head = Person(
            tg_user_id=120,
            display_name="PD",
            language="vi",
            consent_at=clock.now(),
            status="active",
            created_at=clock.now(),
        )
        session.add(head)
        await session.flush()
        session.add(
            Membership(
                person_id=head.id, org_id=kindergarten.id, role="principal", created_at=clock.now()
            )
        )
    world.ids["PD"] = head.id
    scheduler = scheduler_for(app, clock)
    clock.at = local(2027, 5, 17, 8)  # 14 days before 31/5
    await scheduler.tick()
    async with app.database.transaction() as session:
        reminded = sorted(
            world.name_of(row.person_id)
            for row in await session.scalars(select(OutboxMessage))
            if "4725" in row.text
        )
    assert reminded == ["PB"]
