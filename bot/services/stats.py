"""What /stats shows at one org node: its tallies, and one indicator broken down over the
node's parts (a school's classes or units, a commune's or province's schools and communes).

The parts an indicator is broken down over are those it counts at: classes for what
families and students do, units for what staff do (a school's), schools and communes
below a school. A part's figures are the same `indicators.tally` as the node's own, so
the bars add up to the node's line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.campaign.pack import CampaignPack, Indicator
from bot.services import indicators
from bot.services.indicators import FAMILY_ROLES, STAFF_ROLES, Tally
from storage import org_units
from storage.db import UnitOfWork
from storage.models import OrgUnit

PAGE = 20  # parts in one chart, and drill-down buttons under it
MAX_PARTS = 2000  # a node's parts looked at (the biggest province has a few hundred schools)


@dataclass(frozen=True)
class Part:
    id: int
    name: str
    kind: str
    tally: Tally


@dataclass(frozen=True)
class Breakdown:
    indicator: Indicator
    parts: tuple[Part, ...]  # this page's
    total: int  # parts in all, over every page
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE))


def part_kinds(node: OrgUnit, indicator: Indicator) -> tuple[str, ...]:
    """The kinds of parts `indicator` is broken down over below `node` (none: not at all)."""
    if node.kind in ("class", "unit"):
        return ()
    if node.kind != "school":
        return ("school", "commune", "district")
    if indicator.counts == "classes":
        return ("class",)
    if indicator.counts == "units":
        return ("unit",)
    if indicator.counts != "people":
        return ()
    roles = set(indicators.counted_roles(indicator))
    kinds = []
    if roles & set(FAMILY_ROLES):
        kinds.append("class")
    if roles & set(STAFF_ROLES):
        kinds.append("unit")
    return tuple(kinds)


def by_name(unit: OrgUnit) -> tuple[object, ...]:
    """Names in the order people count them: 10A2 before 10A10, Lớp 01 before Lớp 07."""
    pieces = re.split(r"([0-9]+)", unicodedata.normalize("NFC", unit.name).casefold())
    key = tuple((0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p) for p in pieces if p)
    return (key, unit.id)


async def children(uow: UnitOfWork, node: OrgUnit) -> list[OrgUnit]:
    """Every part one can drill down to from `node`, by name."""
    return sorted(await org_units.children(uow.reads, node.id, MAX_PARTS), key=by_name)


async def breakdown(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    node: OrgUnit,
    indicator: Indicator,
    page: int = 0,
    below: Sequence[OrgUnit] | None = None,
) -> Breakdown:
    """`indicator` at each of the node's parts on `page` (PAGE parts a page); `below`, the
    node's children when the caller has read them already (`children`)."""
    if below is None:
        below = await children(uow, node)
    kinds = part_kinds(node, indicator)
    found = [unit for unit in below if unit.kind in kinds]
    page = min(max(page, 0), max(0, (len(found) - 1) // PAGE))
    shown = found[page * PAGE : (page + 1) * PAGE]
    if node.kind != "school" and indicator.counts == "people":
        return Breakdown(
            indicator, await _by_places(uow, campaign_id, node, indicator, shown), len(found), page
        )
    parts = []
    for unit in shown:
        tally = await indicators.tally(uow, campaign_id, indicator, unit.path, unit.kind)
        parts.append(Part(unit.id, unit.name, unit.kind, tally))
    return Breakdown(indicator, tuple(parts), len(found), page)


async def _by_places(
    uow: UnitOfWork,
    campaign_id: int,
    node: OrgUnit,
    indicator: Indicator,
    shown: Sequence[OrgUnit],
) -> tuple[Part, ...]:
    """Above a school, a people indicator's parts (schools, communes) from one pass over
    the node's classes and schools, each summed into the part it lies in: the same
    figures as a tally per part, in a few statements instead of a few per part. A part's
    `population` and `achieved` here are memberships in its places (no headcount: the bars
    say so)."""
    figures = await indicators.place_figures(uow, campaign_id, indicator, node.path, node.kind)
    inside: dict[int, list[indicators.PlaceFigure]] = {unit.id: [] for unit in shown}
    for figure in figures:
        for unit in shown:
            if figure.path.startswith(unit.path):
                inside[unit.id].append(figure)
                break
    parts = []
    for unit in shown:
        mine = inside[unit.id]
        coverage = indicators.coverage_of(mine)
        tally = Tally(indicator, sum(f.joined for f in mine), sum(f.done for f in mine), coverage)
        parts.append(Part(unit.id, unit.name, unit.kind, tally))
    return tuple(parts)


def chartable(tally: Tally) -> tuple[float | None, float | None]:
    """(progress, reach) of a part for its bars: None where there is no headcount; for
    schools, classes and units the share that did it, and no reach."""
    if tally.coverage is None:
        return (tally.fraction if tally.population else None), None
    return tally.progress, tally.reach
