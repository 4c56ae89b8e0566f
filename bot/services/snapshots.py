"""Weekly snapshots of the indicators, the points of /stats's progress line.

Once a week (the first tick on or after Monday, local time) the scheduler stores each
indicator's figures at every node from school up: what `indicators.tally` says then.
A node's week is one transaction: its rows and a marker row (indicator "") that says
the node was taken, so a node without indicators is not looked at again that week and
a second tick, a restart or a second worker never takes it twice (the unique key).
A tick takes at most `BATCH` nodes; the next ticks take the rest.

Weeks before the bot ran have no snapshot: the line shows a gap there, not a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.campaign.pack import CampaignPack
from bot.jobs import JobContext
from bot.services import indicators
from bot.services.indicators import Tally
from storage import snapshots as store
from storage.db import UnitOfWork
from storage.models import Snapshot
from storage.snapshots import Node

log = logging.getLogger(__name__)

BATCH = 40
TAKEN = ""  # the marker row's indicator
MAX_WEEKS = 60  # a line longer than this shows its last MAX_WEEKS weeks


def week_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def rows_of(
    campaign_id: int, org_id: int, week: date, tallies: Sequence[Tally], now: datetime
) -> list[Snapshot]:
    rows = [
        Snapshot(
            campaign_id=campaign_id,
            org_id=org_id,
            indicator=t.indicator.id,
            week=week,
            population=t.population,
            achieved=t.achieved,
            headcount=t.coverage.headcount if t.coverage is not None else None,
            counted=t.coverage.achieved if t.coverage is not None else None,
            taken_at=now,
        )
        for t in tallies
    ]
    marker = Snapshot(
        campaign_id=campaign_id,
        org_id=org_id,
        indicator=TAKEN,
        week=week,
        population=0,
        achieved=0,
        taken_at=now,
    )
    return [*rows, marker]


async def take(ctx: JobContext, unit: Node, week: date, now: datetime) -> int:
    """One node's week in one transaction; the rows written (0: another worker took it)."""
    uow = ctx.database.unit_of_work()
    try:
        campaign_id, pack = await ctx.shared.campaign.for_unit(uow, unit)
        live = pack.period_start <= week + timedelta(days=6) and week <= pack.period_end
        tallies = await indicators.tallies(uow, campaign_id, pack, unit.path) if live else []
        rows = rows_of(campaign_id, unit.id, week, tallies, now)
        store.put(uow.session, rows)
        await uow.finish()
    except IntegrityError:
        await uow.abort()
        return 0
    except BaseException:
        await uow.abort()
        raise
    return len(rows)


async def weekly(ctx: JobContext, now: datetime) -> int:
    """Take this week's snapshots of the nodes not taken yet (at most BATCH a tick)."""
    week = week_of(now.astimezone(ctx.clock.zone).date())
    uow = ctx.database.unit_of_work()
    try:
        due = await store.due_nodes(uow.reads, week, BATCH)
    finally:
        await uow.abort()
    taken = 0
    for unit in due:
        try:
            taken += await take(ctx, unit, week, now) > 0
        except Exception:
            log.exception("snapshot of org %s for %s failed", unit.id, week)
    return taken


@dataclass(frozen=True)
class Series:
    """Each indicator's share against its target by week, None where nothing is known."""

    weeks: tuple[date, ...]
    lines: tuple[tuple[str, tuple[float | None, ...]], ...]  # indicator id, by week


def share(row: Snapshot) -> float | None:
    """What the week's snapshot says against the target: did it / headcount for people
    (None without a headcount), achieved / counted for schools, classes and units."""
    if row.headcount is not None:
        return (row.counted or 0) / row.headcount if row.headcount else None
    return row.achieved / row.population if row.population else None


async def series(
    uow: UnitOfWork, pack: CampaignPack, org_id: int, today: date, ids: Sequence[str]
) -> Series:
    """The weekly line of `ids` at one node, from the campaign's start (or the last
    MAX_WEEKS weeks) to this week."""
    last = week_of(min(today, pack.period_end))
    first = max(week_of(pack.period_start), last - timedelta(weeks=MAX_WEEKS - 1))
    weeks = tuple(first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    found = {
        (row.indicator, row.week): row for row in await store.series(uow.reads, org_id, ids, first)
    }
    lines = tuple(
        (key, tuple(share(found[(key, w)]) if (key, w) in found else None for w in weeks))
        for key in ids
    )
    return Series(weeks, lines)
