"""A school's own yearly entries: the QĐ 4725 self-assessment and its school figures.

A principal enters the scores of the pack's criteria groups (0–100) and which
mandatory items are met; the level follows from the pack's rule and is kept by
school year (2025 is 2025–2026), so the history shows the years side by side.
Figures are numbers out of a denominator (records digitised: 120 of 150).

Reaching the pack's target awards the milestone it names to the principal who
entered it, as an accepted report, so the school counts in the pack's school
indicators and its deadline stops reminding; falling below withdraws it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected, NotAllowed
from bot.services import reports as report_service
from bot.services.people import PersonView
from bot.services.schools import COVERED_BY_4725, infer_level
from storage import audit, org_units, school_entries
from storage.db import UnitOfWork

SCHOOL_YEAR_STARTS = 8  # August: a school year is named by the year it starts in


def school_year(day: date) -> int:
    """The school year a day belongs to: 2026-05-31 → 2025 (2025–2026)."""
    return day.year if day.month >= SCHOOL_YEAR_STARTS else day.year - 1


@dataclass(frozen=True)
class AssessmentView:
    school_year: int
    scores: dict[str, float]
    met: frozenset[str]
    level: int
    target_level: int
    entered_at: datetime

    @property
    def on_target(self) -> bool:
        return self.level >= self.target_level


@dataclass(frozen=True)
class FigureView:
    key: str
    value: float
    out_of: float
    target_percent: float

    @property
    def fraction(self) -> float:
        return self.value / self.out_of if self.out_of else 0.0

    @property
    def met(self) -> bool:
        return self.out_of > 0 and self.fraction * 100 >= self.target_percent


def principal_school(person: PersonView | None) -> int:
    """The school a principal enters figures for; NotAllowed for anyone else."""
    if person is not None:
        for membership in person.memberships:
            if membership.role == "principal" and membership.school_id is not None:
                return membership.school_id
    raise NotAllowed("principal")


async def covered(uow: UnitOfWork, school_id: int) -> bool:
    """Whether QĐ 4725 assesses this school (general and continuing education)."""
    unit = await org_units.get(uow.reads, school_id)
    if unit is None:
        return False
    return (unit.level or infer_level(unit.name)) in COVERED_BY_4725


async def enter_assessment(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView,
    scores: dict[str, float],
    met: Iterable[str],
    now: datetime,
    zone: tzinfo,
) -> AssessmentView:
    """Record this school year's self-assessment (replacing an earlier entry of the year)."""
    assessment = pack.self_assessment
    if assessment is None:
        raise NotAllowed("self_assessment")
    school_id = principal_school(person)
    if not await covered(uow, school_id):
        raise NotAllowed("not_covered")
    groups = {group.id for group in assessment.groups}
    if set(scores) != groups or any(not 0 <= v <= 100 for v in scores.values()):
        raise InputRejected("scores")
    items = set(met)
    if not items <= {item.id for item in assessment.mandatory}:
        raise InputRejected("mandatory")
    level = assessment.level(scores, items)
    year = school_year(now.astimezone(zone).date())
    _, created = await school_entries.put_assessment(
        uow.session,
        org_id=school_id,
        school_year=year,
        scores=scores,
        met=sorted(items),
        level=level,
        person_id=person.id,
        now=now,
    )
    await audit.record(
        uow.session,
        now,
        person.tg_user_id,
        "self_assessment.enter" if created else "self_assessment.replace",
        f"org:{school_id}",
        school_year=year,
        level=level,
    )
    if assessment.awards:
        on_target = level >= assessment.target_level
        await _award(uow, campaign_id, person, assessment.awards, on_target, now)
    return AssessmentView(year, dict(scores), frozenset(items), level, assessment.target_level, now)


async def history(uow: UnitOfWork, pack: CampaignPack, school_id: int) -> list[AssessmentView]:
    """Every year's self-assessment of a school, the latest first."""
    target = pack.self_assessment.target_level if pack.self_assessment else 2
    return [
        AssessmentView(
            row.school_year,
            {str(k): float(v) for k, v in row.scores.items()},
            frozenset(row.met.get("items", [])),
            row.level,
            target,
            row.entered_at,
        )
        for row in await school_entries.assessments(uow.reads, school_id)
    ]


async def enter_figure(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView,
    figure_id: str,
    value: float,
    out_of: float,
    now: datetime,
    zone: tzinfo,
) -> FigureView:
    figure = next((f for f in pack.school_figures if f.id == figure_id), None)
    if figure is None:
        raise NotAllowed("figure")
    if out_of <= 0 or not 0 <= value <= out_of:
        raise InputRejected("value_above_denominator")
    school_id = principal_school(person)
    year = school_year(now.astimezone(zone).date())
    await school_entries.put_figure(
        uow.session,
        org_id=school_id,
        school_year=year,
        key=figure.id,
        value=value,
        out_of=out_of,
        entered_by=person.id,
        entered_at=now,
    )
    await audit.record(
        uow.session,
        now,
        person.tg_user_id,
        "school_figure.enter",
        f"org:{school_id}",
        key=figure.id,
        school_year=year,
    )
    shown = FigureView(figure.id, value, out_of, figure.target_percent)
    if figure.awards:
        await _award(uow, campaign_id, person, figure.awards, shown.met, now)
    return shown


async def figures(
    uow: UnitOfWork, pack: CampaignPack, school_ids: Iterable[int], year: int
) -> dict[int, dict[str, FigureView]]:
    """This year's figures by school and key."""
    targets = {f.id: f.target_percent for f in pack.school_figures}
    found: dict[int, dict[str, FigureView]] = {}
    for row in await school_entries.figures(uow.reads, list(school_ids), year):
        if row.key in targets:
            found.setdefault(row.org_id, {})[row.key] = FigureView(
                row.key, row.value, row.out_of, targets[row.key]
            )
    return found


async def _award(
    uow: UnitOfWork, campaign_id: int, person: PersonView, milestone: str, on: bool, now: datetime
) -> None:
    """The principal's report of `milestone`: accepted while the target is met, else withdrawn."""
    if on:
        await report_service.award(
            uow, campaign_id=campaign_id, person=person, milestone_id=milestone, now=now
        )
    else:
        await report_service.withdraw(
            uow, campaign_id=campaign_id, person=person, milestone_id=milestone, now=now
        )
