"""Indicators against targets for any org node, computed by SQL aggregation.

For an indicator that counts people: its population is everyone holding one of
its roles at or below the node; achieved are those with all (or any) of its
milestones counted — approved, or accepted where no verification is needed
(pending ones too when `verified_only` is false). For an indicator that counts
schools: schools at or below the node whose principal reported its milestones.
People who used /forget stay in both numbers, anonymously.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.campaign.pack import CampaignPack, Indicator
from bot.families import member_label
from bot.text import Text
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
    if indicator.counts == "schools":
        population, achieved = await reports.school_tally(
            uow.reads,
            campaign_id=campaign_id,
            path=path,
            milestones=indicator.milestones,
            need=need,
            statuses=statuses,
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
        )
    return Tally(indicator, population, achieved)


async def tallies(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, path: str, *, people_only: bool = False
) -> list[Tally]:
    chosen = [i for i in pack.indicators if not people_only or i.counts == "people"]
    return [await tally(uow, campaign_id, indicator, path) for indicator in chosen]


@dataclass(frozen=True)
class MilestoneCount:
    milestone: str
    reported: int  # counted or waiting for verification
    total: int
    missing: tuple[str, ...]  # names of those who have not reported (empty when not shown)
    # The same people as the teacher sees them: "Nguyễn Thị Lan – mẹ em An" (bot.families).
    missing_labels: tuple[Text, ...] = ()


ROSTER_ROLES = {"class": ("parent", "student"), "unit": ("staff",), "school": ("staff",)}


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
            member
            for member in members
            if member.statuses.get(milestone.id) in ("pending", "approved", "accepted")
        ]
        missing = [
            member
            for member in members
            if member.statuses.get(milestone.id) not in ("pending", "approved", "accepted")
        ]
        counts.append(
            MilestoneCount(
                milestone.id,
                len(reported),
                len(members),
                tuple(m.name or "—" for m in missing) if names else (),
                tuple(member_label(m.name, m.child_names, m.relation) for m in missing)
                if names
                else (),
            )
        )
    return counts
