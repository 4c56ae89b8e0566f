"""Indicators against targets for any org node, computed by SQL aggregation.

For an indicator that counts people: its population is everyone holding one of
its roles at or below the node; achieved are those with all (or any) of its
milestones counted — approved, or accepted where no verification is needed
(pending ones too when `verified_only` is false). For an indicator that counts
schools: schools at or below the node whose principal reported its milestones.
For one that counts classes or units: those at or below the node whose own
(collective) reports, sent by their homeroom teacher or head, count.
With `min_level`, only reports recognised at that level or above count.
People who used /forget stay in both numbers, anonymously.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.campaign.pack import CampaignPack, Indicator
from storage import reports
from storage.db import UnitOfWork


@dataclass(frozen=True)
class Tally:
    indicator: Indicator
    population: int
    achieved: int

    @property
    def fraction(self) -> float:
        return self.achieved / self.population if self.population else 0.0

    @property
    def target(self) -> float:
        return self.indicator.target_percent / 100

    @property
    def met(self) -> bool:
        return self.population > 0 and self.fraction >= self.target


async def tally(uow: UnitOfWork, campaign_id: int, indicator: Indicator, path: str) -> Tally:
    need = len(indicator.milestones) if indicator.rule == "all" else 1
    statuses = reports.counted_statuses(indicator.verified_only)
    levels = indicator.levels()
    if indicator.counts in COLLECTIVE_KINDS:
        population, achieved = await reports.collective_tally(
            uow.reads,
            campaign_id=campaign_id,
            path=path,
            kind=COLLECTIVE_KINDS[indicator.counts],
            milestones=indicator.milestones,
            need=need,
            statuses=statuses,
            levels=levels,
        )
    elif indicator.counts == "schools":
        population, achieved = await reports.school_tally(
            uow.reads,
            campaign_id=campaign_id,
            path=path,
            milestones=indicator.milestones,
            need=need,
            statuses=statuses,
            levels=levels,
        )
    else:
        population, achieved = await reports.people_tally(
            uow.reads,
            campaign_id=campaign_id,
            path=path,
            roles=indicator.audience,
            milestones=indicator.milestones,
            need=need,
            statuses=statuses,
            levels=levels,
        )
    return Tally(indicator, population, achieved)


COLLECTIVE_KINDS = {"classes": "class", "units": "unit"}


async def tallies(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    path: str,
    *,
    people_only: bool = False,
    counts: tuple[str, ...] | None = None,
) -> list[Tally]:
    """Tallies of the pack's indicators at `path`: all, people's only, or those whose
    `counts` is one of `counts`."""
    chosen = [
        i
        for i in pack.indicators
        if (not people_only or i.counts == "people") and (counts is None or i.counts in counts)
    ]
    return [await tally(uow, campaign_id, indicator, path) for indicator in chosen]


@dataclass(frozen=True)
class MilestoneCount:
    milestone: str
    reported: int  # counted or waiting for verification
    total: int
    missing: tuple[str, ...]  # names of those who have not reported (empty when not shown)


ROSTER_ROLES = {"class": ("parent", "student"), "unit": ("staff",), "school": ("staff",)}


@dataclass(frozen=True)
class UnitStatus:
    """A class's or unit's own (collective) milestone and what became of its report."""

    milestone: str
    status: str  # "" when not reported
    level: str | None


async def unit_statuses(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, org_id: int, kind: str
) -> list[UnitStatus]:
    """For one class or unit: its collective milestones, reported or not."""
    found = {
        r.milestone_key: r
        for r in await reports.of_orgs(uow.reads, campaign_id, [org_id])
        if r.status != "withdrawn"
    }
    return [
        UnitStatus(
            m.id,
            found[m.id].status if m.id in found else "",
            found[m.id].level if m.id in found else None,
        )
        for m in pack.milestones
        if kind in m.audience
    ]


async def class_view(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, org_id: int, kind: str, names: bool
) -> list[MilestoneCount]:
    """For one class or unit: per milestone of its members' roles, who has reported."""
    roles = ROSTER_ROLES.get(kind, ("staff",))
    members = await reports.roster(uow.reads, campaign_id, org_id, roles)
    counts = []
    for milestone in pack.milestones:
        if not set(milestone.audience) & set(roles):
            continue
        reported = [
            name
            for _, name, statuses in members
            if statuses.get(milestone.id) in ("pending", "approved", "accepted")
        ]
        missing = tuple(
            name or "—"
            for _, name, statuses in members
            if statuses.get(milestone.id) not in ("pending", "approved", "accepted")
        )
        counts.append(
            MilestoneCount(milestone.id, len(reported), len(members), missing if names else ())
        )
    return counts
