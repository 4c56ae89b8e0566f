"""Indicators against targets for any org node, computed by SQL aggregation.

For an indicator that counts people, a target's percentage is of everyone it names,
not of those who joined the bot. So beside the people who joined (`population`) and
those who did it (`achieved`), a tally divides by the headcounts schools recorded
(bot.services.headcounts):

* families and students: per class, families (the number of students unless the
  school gave families apart) when the audience has parents, students otherwise;
* staff: per school (principals are staff too: the plan covers all cán bộ), or per
  unit for a unit's own tally.

`reach` is joined / headcount and `progress` is did it / headcount, summed over the
places that have a headcount (each place's numbers capped at its headcount); places
without one are counted apart, and with no headcount at all both are None: the bot
says so rather than dividing by those who joined. A parent is counted once per
membership (a parent of children in two classes, once in each class).

For an indicator that counts schools: schools at or below the node whose principal
reported its milestones. People who used /forget stay in every number, anonymously.

For one that counts classes or units: those at or below the node whose own
(collective) reports, sent by their homeroom teacher or head, count. With
`min_level`, only reports recognised at that level or above count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.campaign.pack import CampaignPack, Indicator
from bot.families import member_label
from bot.text import Text
from storage import headcounts, org_units, reports
from storage.db import UnitOfWork

STAFF_ROLES = ("staff", "principal")
FAMILY_ROLES = ("parent", "student")


@dataclass(frozen=True)
class Coverage:
    """What the headcounts say about a people indicator at one node."""

    headcount: int  # summed over the places that have one
    joined: int  # joined in those places (each capped at its headcount)
    achieved: int  # did it in those places (each capped at its headcount)
    missing_classes: int = 0  # classes without a headcount (families, students)
    missing_staff: int = 0  # schools or units without a staff headcount

    @property
    def known(self) -> bool:
        return self.headcount > 0

    @property
    def complete(self) -> bool:
        return self.known and not self.missing_classes and not self.missing_staff


@dataclass(frozen=True)
class Tally:
    indicator: Indicator
    population: int  # people: who joined; schools: schools
    achieved: int
    coverage: Coverage | None = None  # people indicators only

    @property
    def reach(self) -> float | None:
        """Joined / headcount; None without a headcount."""
        if self.coverage is None or not self.coverage.known:
            return None
        return self.coverage.joined / self.coverage.headcount

    @property
    def progress(self) -> float | None:
        """Did it / headcount; None without a headcount."""
        if self.coverage is None or not self.coverage.known:
            return None
        return self.coverage.achieved / self.coverage.headcount

    @property
    def fraction(self) -> float:
        """The share shown against the target: progress for people (0 without a
        headcount), achieved / population for schools."""
        if self.coverage is not None:
            return self.progress or 0.0
        return self.achieved / self.population if self.population else 0.0

    @property
    def target(self) -> float:
        return self.indicator.target_percent / 100

    @property
    def met(self) -> bool:
        if self.coverage is not None:
            return self.coverage.complete and self.fraction >= self.target
        return self.population > 0 and self.fraction >= self.target


def counted_roles(indicator: Indicator) -> tuple[str, ...]:
    """The roles an indicator counts: its audience, and principals wherever staff are."""
    roles = list(indicator.audience)
    if "staff" in roles and "principal" not in roles:
        roles.append("principal")
    return tuple(roles)


def node_id(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


class PlaceFigure(NamedTuple):
    """One place a headcount divides: a class (families, students), or a school or unit
    (staff). `size` is its headcount, None when it has none (counted apart). A named
    tuple: a province's tallies make one per class and indicator (6,000 × 14 on the
    benchmark's), where a frozen dataclass cost 150 ms of loop time per query."""

    place_id: int
    path: str
    kind: str  # "class", or "school" / "unit" for staff
    size: int | None
    joined: int
    done: int


# What `headcounts.places_with_counts` read, by (path, place kind): every people
# indicator at a node divides by the same places, so a node's tallies read them once.
Places = dict[tuple[str, str], tuple[list[tuple[int, str]], dict[int, dict[str, int]]]]


async def place_figures(
    uow: UnitOfWork,
    campaign_id: int,
    indicator: Indicator,
    path: str,
    node_kind: str,
    places: Places | None = None,
) -> list[PlaceFigure]:
    """Every place at or below `path` that `indicator`'s headcounts divide, with who joined
    and who did it there: a few statements for the whole subtree. `places` keeps the
    headcounts read for the next indicator at the same node."""
    roles = counted_roles(indicator)
    need = len(indicator.milestones) if indicator.rule == "all" else 1
    statuses = tuple(reports.counted_statuses(indicator.verified_only))
    groups: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = []  # roles, place, kinds
    family = tuple(r for r in roles if r in FAMILY_ROLES)
    if family:
        kinds = ("families", "students") if "parent" in family else ("students",)
        groups.append((family, "class", kinds))
    staff = tuple(r for r in roles if r in STAFF_ROLES)
    if staff:
        groups.append((staff, "unit" if node_kind == "unit" else "school", ("staff",)))
    figures: list[PlaceFigure] = []
    for group_roles, place_kind, kinds in groups:
        key = (path, place_kind)
        if places is not None and key in places:
            ids, counts = places[key]
        else:
            ids, counts = await headcounts.places_with_counts(uow.reads, path, place_kind)
            if places is not None:
                places[key] = (ids, counts)
        sized = {
            place_id: size
            for place_id, kept in counts.items()
            if (size := next((kept[kind] for kind in kinds if kept.get(kind)), None))
        }
        members = await reports.people_by_place(
            uow.reads,
            campaign_id=campaign_id,
            path=path,
            places=sized.keys(),
            place_kind=place_kind,
            roles=group_roles,
            milestones=indicator.milestones,
            need=need,
            statuses=statuses,
            levels=indicator.recognised(),
        )
        for place_id, place_path in ids:
            in_place, done = members.get(place_id, (0, 0))
            size = sized.get(place_id)
            figures.append(PlaceFigure(place_id, place_path, place_kind, size, in_place, done))
    return figures


def coverage_of(figures: Iterable[PlaceFigure]) -> Coverage:
    """What the places' headcounts say, summed (each place capped at its headcount)."""
    headcount = joined = achieved = missing_classes = missing_staff = 0
    for figure in figures:
        if figure.size is None:
            if figure.kind == "class":
                missing_classes += 1
            else:
                missing_staff += 1
            continue
        headcount += figure.size
        joined += min(figure.joined, figure.size)
        achieved += min(figure.done, figure.size)
    return Coverage(headcount, joined, achieved, missing_classes, missing_staff)


async def tally(
    uow: UnitOfWork,
    campaign_id: int,
    indicator: Indicator,
    path: str,
    node_kind: str | None = None,
    places: Places | None = None,
) -> Tally:
    need = len(indicator.milestones) if indicator.rule == "all" else 1
    statuses = reports.counted_statuses(indicator.verified_only)
    levels = indicator.recognised()
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
    if indicator.counts != "people":
        return Tally(indicator, population, achieved)
    roles = counted_roles(indicator)
    population, achieved = await reports.people_tally(
        uow.reads,
        campaign_id=campaign_id,
        path=path,
        roles=roles,
        milestones=indicator.milestones,
        need=need,
        statuses=statuses,
        levels=levels,
    )
    if node_kind is None:
        node = await org_units.get(uow.reads, node_id(path))
        node_kind = node.kind if node is not None else "school"
    figures = await place_figures(uow, campaign_id, indicator, path, node_kind, places)
    return Tally(indicator, population, achieved, coverage_of(figures))


COLLECTIVE_KINDS = {"classes": "class", "units": "unit"}


async def tallies(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    path: str,
    *,
    counts: tuple[str, ...] | None = None,
) -> list[Tally]:
    """Tallies of the pack's indicators at `path`: all, or those whose `counts` is one of
    `counts` (("people",): people's only)."""
    chosen = [i for i in pack.indicators if counts is None or i.counts in counts]
    node = await org_units.get(uow.reads, node_id(path))
    kind = node.kind if node is not None else "school"
    return await tallies_of(uow, campaign_id, chosen, path, kind)


async def tallies_of(
    uow: UnitOfWork,
    campaign_id: int,
    chosen: Sequence[Indicator],
    path: str,
    node_kind: str,
) -> list[Tally]:
    """`tally` of each of `chosen` at one node (of `node_kind`), its headcounts read once."""
    places: Places = {}
    return [
        await tally(uow, campaign_id, indicator, path, node_kind, places) for indicator in chosen
    ]


@dataclass(frozen=True)
class MilestoneCount:
    milestone: str
    reported: int  # counted or waiting for verification
    total: int
    missing: tuple[str, ...]  # names of those who have not reported (empty when not shown)
    # The same people as the teacher sees them: "Nguyễn Thị Lan – mẹ em An" (bot.families).
    missing_labels: tuple[Text, ...] = ()


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
