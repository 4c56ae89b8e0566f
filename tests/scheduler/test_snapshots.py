"""The weekly snapshots behind /stats's line: each node from school up once a week, at the
week's first tick, whatever the ticks and restarts; the line reads them back."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.jobs import JobContext
from bot.services import snapshots
from storage import campaigns as campaign_rows
from storage.models import Report, Snapshot
from tests.scheduler.world import SPEAKING, build_world, make_app, scheduler_for

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST = date(2027, 3, 3)  # a Wednesday
HOURS = ((0, 5), (8, 0), (23, 30))
NODES = 5  # the province, the district, three schools
JOBS = (*SPEAKING, snapshots.weekly)  # every job but the nightly scrub (its own test)


async def test_each_node_once_a_week_through_restarts_and_the_line_reads_them(sqlite_url) -> None:
    clock = FixedClock(datetime(2027, 3, 3, tzinfo=ZONE))
    app = make_app(sqlite_url, clock)
    world = await build_world(app.database, clock.now())
    scheduler = scheduler_for(app, clock, JOBS)
    taken: Counter[tuple[date, tuple[int, int]]] = Counter()
    try:
        for n in range(19):  # Wednesday 3/3 to Sunday 21/3: three weeks
            day = FIRST + timedelta(days=n)
            if day == date(2027, 3, 10):  # PB's school reaches level 2 in the second week
                async with app.database.transaction() as session:
                    campaign = await campaign_rows.active(session)
                    assert campaign is not None
                    session.add(
                        Report(
                            person_id=world.ids["PB"],
                            campaign_id=campaign.id,
                            milestone_key="school_4725_level2",
                            status="approved",
                            reported_at=clock.now(),
                        )
                    )
            for hour, minute in HOURS:
                if day == date(2027, 3, 15) and (hour, minute) == (8, 0):  # a restart
                    await app.database.dispose()
                    app = make_app(sqlite_url, clock)
                    scheduler = scheduler_for(app, clock, JOBS)
                clock.at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
                result = await scheduler.tick()
                assert result is not None and result["weekly"] >= 0
                if result["weekly"]:
                    taken[(day, (hour, minute))] += result["weekly"]
                assert await scheduler.tick() == {**result, "weekly": 0}  # a second tick
        assert taken == Counter(
            {
                (date(2027, 3, 3), (0, 5)): NODES,
                (date(2027, 3, 8), (0, 5)): NODES,
                (date(2027, 3, 15), (0, 5)): NODES,
            }
        )
        async with app.database.transaction() as session:
            rows = list(await session.scalars(select(Snapshot)))
        per_week = Counter((row.org_id, row.indicator, row.week) for row in rows)
        assert set(per_week.values()) == {1}
        assert {row.week for row in rows} == {date(2027, 3, 1), date(2027, 3, 8), date(2027, 3, 15)}
        assert sum(row.indicator == snapshots.TAKEN for row in rows) == 3 * NODES

        province = world.orgs["Khánh Hòa"]
        uow = app.database.unit_of_work()
        try:
            _, pack = await app.shared.campaign.for_org(uow, province.path)
            line = await snapshots.series(
                uow, pack, province.id, date(2027, 3, 20), ["self_assessment_level2"]
            )
        finally:
            await uow.abort()
        assert line.weeks[-3:] == (date(2027, 3, 1), date(2027, 3, 8), date(2027, 3, 15))
        assert line.weeks[0] == snapshots.week_of(pack.period_start) or len(line.weeks) == 60
        ((key, values),) = line.lines
        # Three schools; A's report counted from the start; B's, made on Wednesday 10/3,
        # from the snapshot of the week after (a week's point is how it stood on its Monday).
        assert key == "self_assessment_level2" and values[-3:] == (1 / 3, 1 / 3, 2 / 3)
        assert set(values[:-3]) == {None}  # before the bot ran: a gap, not a guess
    finally:
        await app.database.dispose()


async def test_a_tree_bigger_than_a_batch_is_taken_over_the_ticks_each_node_once(
    sqlite_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick takes at most BATCH nodes; the next takes the ones not taken yet, not the
    same again (the unique key would refuse them, and the rest would never be taken)."""
    monday = datetime(2027, 3, 8, 0, 5, tzinfo=ZONE)
    clock = FixedClock(monday)
    app = make_app(sqlite_url, clock)
    await build_world(app.database, clock.now())
    monkeypatch.setattr(snapshots, "BATCH", 2)
    ctx = JobContext(app.shared, app.database, clock)
    try:
        assert [await snapshots.weekly(ctx, monday) for _ in range(4)] == [2, 2, 1, 0]
        async with app.database.transaction() as session:
            markers = list(
                await session.scalars(select(Snapshot).where(Snapshot.indicator == snapshots.TAKEN))
            )
        assert len({row.org_id for row in markers}) == len(markers) == NODES
    finally:
        await app.database.dispose()


def test_a_weeks_share_is_none_without_a_headcount_not_zero() -> None:
    def row(**figures: int | None) -> Snapshot:
        return Snapshot(indicator="x", week=date(2027, 3, 8), **figures)

    # People: did it / headcount; a headcount of 0 or none says nothing.
    assert snapshots.share(row(population=3, achieved=2, headcount=4, counted=2)) == 0.5
    assert snapshots.share(row(population=3, achieved=2, headcount=0, counted=0)) is None
    # Schools, classes, units: achieved / counted; none counted says nothing.
    assert snapshots.share(row(population=3, achieved=1, headcount=None, counted=None)) == 1 / 3
    assert snapshots.share(row(population=0, achieved=0, headcount=None, counted=None)) is None


async def test_weeks_outside_the_campaign_get_only_the_marker(sqlite_url) -> None:
    """The default pack runs 1/1/2025–31/12/2030: the week of Monday 30/12/2024 overlaps
    it and is taken in full; the week before and a week after its end have no figures,
    only the marker that says the node was looked at."""
    clock = FixedClock(datetime(2024, 12, 23, 0, 5, tzinfo=ZONE))
    app = make_app(sqlite_url, clock)
    await build_world(app.database, clock.now())
    ctx = JobContext(app.shared, app.database, clock)
    try:
        for day in (date(2024, 12, 23), date(2024, 12, 30), date(2031, 1, 6)):
            clock.at = datetime(day.year, day.month, day.day, 0, 5, tzinfo=ZONE)
            assert await snapshots.weekly(ctx, clock.now()) == NODES
        async with app.database.transaction() as session:
            rows = list(await session.scalars(select(Snapshot)))
        figures = Counter(row.week for row in rows if row.indicator != snapshots.TAKEN)
        markers = Counter(row.week for row in rows if row.indicator == snapshots.TAKEN)
        assert set(figures) == {date(2024, 12, 30)}
        assert markers == {
            date(2024, 12, 23): NODES,
            date(2024, 12, 30): NODES,
            date(2031, 1, 6): NODES,
        }
    finally:
        await app.database.dispose()
