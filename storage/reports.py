"""Reports repository: one row per person and milestone; queues and tallies in SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from storage.models import COUNTED, Membership, OrgUnit, Person, Report


def under(path: str, unit: Any = OrgUnit) -> ColumnElement[bool]:
    """Org units at or below `path`, as an index-friendly range ('/1/4/' ≤ p < '/1/40')."""
    bounds = span(path)
    return and_(unit.path >= bounds["lo"], unit.path < bounds["hi"])


def under_any(paths: Sequence[str], unit: Any = OrgUnit) -> ColumnElement[bool]:
    return or_(*(under(path, unit) for path in paths))


# Statements every /report, /progress and /class runs, built once (bound parameters).
_OF_PERSON = select(Report).where(
    Report.campaign_id == bindparam("campaign_id"), Report.person_id == bindparam("person_id")
)
_FIND = _OF_PERSON.where(Report.milestone_key == bindparam("milestone"))
_OF_ORGS = select(Report).where(
    Report.campaign_id == bindparam("campaign_id"),
    Report.org_id.in_(bindparam("org_ids", expanding=True)),
)
_FIND_COLLECTIVE = select(Report).where(
    Report.campaign_id == bindparam("campaign_id"),
    Report.org_id == bindparam("org_id"),
    Report.milestone_key == bindparam("milestone"),
)


async def of_person(session: AsyncSession, campaign_id: int, person_id: int) -> list[Report]:
    params = {"campaign_id": campaign_id, "person_id": person_id}
    return list(await session.scalars(_OF_PERSON, params))


async def find(
    session: AsyncSession, campaign_id: int, person_id: int, milestone: str
) -> Report | None:
    params = {"campaign_id": campaign_id, "person_id": person_id, "milestone": milestone}
    return (await session.scalars(_FIND, params)).first()


async def of_orgs(session: AsyncSession, campaign_id: int, org_ids: Sequence[int]) -> list[Report]:
    """Collective reports of these units and classes."""
    if not org_ids:
        return []
    params = {"campaign_id": campaign_id, "org_ids": list(org_ids)}
    return list(await session.scalars(_OF_ORGS, params))


async def sent_by(session: AsyncSession, person_id: int) -> list[tuple[Report, str]]:
    """Collective reports this person sent, each with its unit's or class's name."""
    query = (
        select(Report, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Report.org_id)
        .where(Report.reported_by == person_id)
        .order_by(Report.reported_at, Report.id)
    )
    return [(row[0], row[1]) for row in await session.execute(query)]


async def count_own(session: AsyncSession, person_id: int) -> int:
    query = select(func.count(Report.id)).where(
        Report.person_id == person_id, Report.status != "withdrawn"
    )
    return int(await session.scalar(query) or 0)


async def find_collective(
    session: AsyncSession, campaign_id: int, org_id: int, milestone: str
) -> Report | None:
    params = {"campaign_id": campaign_id, "org_id": org_id, "milestone": milestone}
    return (await session.scalars(_FIND_COLLECTIVE, params)).first()


async def get(session: AsyncSession, report_id: int) -> Report | None:
    return await session.get(Report, report_id)


async def put(session: AsyncSession, existing: Report | None, **fields: Any) -> Report:
    """Insert, or replace an earlier report of the same milestone in place."""
    if existing is None:
        report = Report(revision=1, **fields)
        session.add(report)
    else:
        report = existing
        report.revision = (existing.revision or 0) + 1
        for name in ("decided_at", "decided_by", "reason"):
            setattr(report, name, None)
        for name, value in fields.items():
            setattr(report, name, value)
    await session.flush()
    return report


async def decide(
    session: AsyncSession,
    report_id: int,
    revision: int,
    status: str,
    by: int,
    at: datetime,
    reason: str | None,
) -> bool:
    """Move a pending report to `status`; False when someone else decided first or the
    evidence was sent again since the reviewer looked."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.revision == revision, Report.status == "pending")
        .values(status=status, decided_by=by, decided_at=at, reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _in_scope(paths: Sequence[str]) -> ColumnElement[bool]:
    """The report's author belongs somewhere under one of `paths`, or, for a collective
    report, its unit or class is there."""
    member_unit, own_unit = aliased(OrgUnit), aliased(OrgUnit)
    return or_(
        exists(
            select(Membership.id)
            .join(member_unit, member_unit.id == Membership.org_id)
            .where(Membership.person_id == Report.person_id, under_any(paths, member_unit))
            .correlate(Report)
        ),
        exists(
            select(own_unit.id)
            .where(own_unit.id == Report.org_id, under_any(paths, own_unit))
            .correlate(Report)
        ),
    )


def in_scope_clause(paths: Sequence[str]) -> ColumnElement[bool]:
    """Reports whose author belongs at or below one of `paths` (or, collective ones, whose
    class or unit is there): the review queue's scope, and an export's."""
    return _in_scope(paths)


def author_id() -> ColumnElement[int]:
    """Who sent a report: its person, or the head who sent a collective one."""
    return func.coalesce(Report.person_id, Report.reported_by)


async def next_pending(
    session: AsyncSession, campaign_id: int, paths: Sequence[str], skip: Sequence[int] = ()
) -> tuple[Report, Person | None, OrgUnit | None] | None:
    """The oldest pending report in scope, its author (None once they left with /forget)
    and, for a collective report, its unit or class."""
    query = (
        select(Report, Person, OrgUnit)
        .outerjoin(Person, Person.id == author_id())
        .outerjoin(OrgUnit, OrgUnit.id == Report.org_id)
        .where(Report.campaign_id == campaign_id, Report.status == "pending", _in_scope(paths))
        .order_by(Report.reported_at, Report.id)
        .limit(1)
    )
    if skip:
        query = query.where(Report.id.not_in(skip))
    row = (await session.execute(query)).first()
    return (row[0], row[1], row[2]) if row else None


async def count_pending(session: AsyncSession, campaign_id: int, paths: Sequence[str]) -> int:
    query = select(func.count(Report.id)).where(
        Report.campaign_id == campaign_id, Report.status == "pending", _in_scope(paths)
    )
    return int(await session.scalar(query) or 0)


async def in_scope(session: AsyncSession, report_id: int, paths: Sequence[str]) -> bool:
    query = select(Report.id).where(Report.id == report_id, _in_scope(paths))
    return (await session.scalar(query)) is not None


def counted_statuses(verified_only: bool) -> tuple[str, ...]:
    return COUNTED if verified_only else (*COUNTED, "pending")


# The tallies below run for every indicator of every /class, /stats and scheduled
# tally: building their nested SELECTs cost more CPU than running them. Each shape is
# built once with bound parameters (`_tally_params` fills them) and reused; the SQL
# sent is the same as a statement built afresh.


def spanned(unit: Any = OrgUnit) -> ColumnElement[bool]:
    """`under`, with the path range as the bound parameters `lo` and `hi` (`span`)."""
    return and_(unit.path >= bindparam("lo"), unit.path < bindparam("hi"))


def span(path: str) -> dict[str, str]:
    """The subtree at `path` as a range of paths: `under`'s bounds, `spanned`'s parameters."""
    return {"lo": path, "hi": path[:-1] + "0"}


def _tally_params(
    campaign_id: int,
    path: str,
    roles: Sequence[str],
    milestones: Sequence[str],
    need: int,
    statuses: Sequence[str],
    levels: Sequence[str] | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "campaign_id": campaign_id,
        **span(path),
        "roles": list(roles),
        "milestones": list(milestones),
        "need": need,
        "statuses": list(statuses),
    }
    if levels is not None:
        params["levels"] = list(levels)
    return params


def _done(people: Any | None, levelled: bool) -> Any:
    """People with `need` counted reports of `milestones` (only among `people`, if given;
    when `levelled`, only reports recognised at one of `levels`)."""
    counted = [
        Report.campaign_id == bindparam("campaign_id"),
        Report.milestone_key.in_(bindparam("milestones", expanding=True)),
        Report.status.in_(bindparam("statuses", expanding=True)),
    ]
    if levelled:
        counted.append(Report.level.in_(bindparam("levels", expanding=True)))
    if people is not None:
        counted.append(Report.person_id.in_(people))
    return (
        select(Report.person_id)
        .where(*counted)
        .group_by(Report.person_id)
        .having(func.count() >= bindparam("need"))
        .subquery()
    )


def _small(path: str) -> bool:
    # Below a province's second level the population is small: aggregate only its
    # reports. For a province, one pass over the campaign's reports is faster.
    return path.count("/") > 3


@cache
def _people_tally_statement(small: bool, levelled: bool) -> Select[Any]:
    population = (
        select(Membership.person_id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(Membership.role.in_(bindparam("roles", expanding=True)), spanned())
        .distinct()
        .subquery()
    )
    done = _done(select(population.c.person_id) if small else None, levelled)
    return select(func.count(), func.count(done.c.person_id)).select_from(
        population.outerjoin(done, done.c.person_id == population.c.person_id)
    )


async def people_tally(
    session: AsyncSession,
    *,
    campaign_id: int,
    path: str,
    roles: Sequence[str],
    milestones: Sequence[str],
    need: int,
    statuses: Sequence[str],
    levels: Sequence[str] | None = None,
) -> tuple[int, int]:
    """(people of `roles` at or below `path`, how many of them have `need` counted milestones).
    With `levels`, only reports recognised at one of those levels count.

    One statement: the population (distinct people) left-joined to those with enough
    counted reports. A person has one report per milestone, so count(*) counts milestones.
    Measured shapes: benchmarks/indicators.py (200,000 people, 1,000,000 reports).
    These are the people who joined; `people_by_place` gives what headcounts divide.
    """
    query = _people_tally_statement(_small(path), levels is not None)
    params = _tally_params(campaign_id, path, roles, milestones, need, statuses, levels)
    row = (await session.execute(query, params)).one()
    return int(row[0] or 0), int(row[1] or 0)


@cache
def _by_place_statement(classes: bool, small: bool, levelled: bool) -> Select[Any]:
    members = (
        select(
            Membership.org_id.label("org_id"),
            OrgUnit.path.label("org_path"),
            Membership.person_id.label("person_id"),
            Membership.children.label("children"),
        )
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(Membership.role.in_(bindparam("roles", expanding=True)), spanned())
    )
    if classes:
        members = members.where(OrgUnit.kind == "class")
    members = members.distinct().subquery()
    done = _done(select(members.c.person_id) if small else None, levelled)
    joined = members.outerjoin(done, done.c.person_id == members.c.person_id)
    if classes:
        # A parent stands for each child they named in the class (one by default).
        return (
            select(
                members.c.org_id,
                func.sum(members.c.children),
                func.sum(case((done.c.person_id.is_not(None), members.c.children), else_=0)),
            )
            .select_from(joined)
            .group_by(members.c.org_id)
        )
    return select(members.c.org_path, members.c.person_id, done.c.person_id).select_from(joined)


async def people_by_place(
    session: AsyncSession,
    *,
    campaign_id: int,
    path: str,
    places: Collection[int],
    place_kind: str,
    roles: Sequence[str],
    milestones: Sequence[str],
    need: int,
    statuses: Sequence[str],
    levels: Sequence[str] | None = None,
) -> dict[int, tuple[int, int]]:
    """{place id: (people of `roles` in it, how many have `need` counted milestones)} for
    `places`, units of `place_kind` (classes, schools, units) at or below `path`.

    A person is counted in every place they belong to (a parent of children in two
    classes, once in each), the way headcounts count them; in a class, a parent counts
    once for each child they named there (`Membership.children`). Places nobody joined are left
    out. A class is its members' own org, so SQL groups them; for a school or a unit the
    members sit anywhere below it, so their rows (one per membership: a few per member
    of staff) are bucketed here by the ids on their org's path.
    """
    if not places:
        return {}
    wanted = set(places)
    classes = place_kind == "class"
    query = _by_place_statement(classes, _small(path), levels is not None)
    params = _tally_params(campaign_id, path, roles, milestones, need, statuses, levels)
    rows = await session.execute(query, params)
    found: dict[int, tuple[int, int]] = {}
    if classes:
        for org_id, count, achieved in rows:
            if org_id in wanted:
                found[int(org_id)] = (int(count or 0), int(achieved or 0))
        return found
    seen: dict[int, set[int]] = {}
    did: dict[int, set[int]] = {}
    for org_path, person_id, achieved in rows:
        for part in org_path.strip("/").split("/"):
            place = int(part)
            if place in wanted:
                seen.setdefault(place, set()).add(person_id)
                if achieved is not None:
                    did.setdefault(place, set()).add(person_id)
    return {place: (len(ids), len(did.get(place, ()))) for place, ids in seen.items()}


async def school_tally(
    session: AsyncSession,
    *,
    campaign_id: int,
    path: str,
    milestones: Sequence[str],
    need: int,
    statuses: Sequence[str],
    levels: Sequence[str] | None = None,
) -> tuple[int, int]:
    """(schools at or below `path`, how many have a principal who reported `need` milestones)."""
    schools = select(OrgUnit.id).where(OrgUnit.kind == "school", under(path)).subquery()
    per_school = (
        select(Membership.org_id)
        .join(Report, Report.person_id == Membership.person_id)
        .where(
            Membership.role == "principal",
            Membership.org_id.in_(select(schools.c.id)),
            Report.campaign_id == campaign_id,
            Report.milestone_key.in_(milestones),
            Report.status.in_(statuses),
            *([Report.level.in_(levels)] if levels is not None else []),
        )
        .group_by(Membership.org_id)
        .having(func.count(func.distinct(Report.milestone_key)) >= need)
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(schools))
    achieved = await session.scalar(select(func.count()).select_from(per_school))
    return int(total or 0), int(achieved or 0)


@dataclass(frozen=True)
class RosterEntry:
    person_id: int
    name: str
    statuses: dict[str, str]  # milestone → report status
    child_names: str | None = None  # a parent's children in this class, as they wrote them
    relation: str | None = None


async def collective_tally(
    session: AsyncSession,
    *,
    campaign_id: int,
    path: str,
    kind: str,
    milestones: Sequence[str],
    need: int,
    statuses: Sequence[str],
    levels: Sequence[str] | None = None,
) -> tuple[int, int]:
    """(units or classes — `kind` — at or below `path`, how many have `need` of `milestones`
    counted in their own collective reports)."""
    units = select(OrgUnit.id).where(OrgUnit.kind == kind, under(path)).subquery()
    done = (
        select(Report.org_id)
        .where(
            Report.org_id.in_(select(units.c.id)),
            Report.campaign_id == campaign_id,
            Report.milestone_key.in_(milestones),
            Report.status.in_(statuses),
            *([Report.level.in_(levels)] if levels is not None else []),
        )
        .group_by(Report.org_id)
        .having(func.count() >= need)
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(units))
    achieved = await session.scalar(select(func.count()).select_from(done))
    return int(total or 0), int(achieved or 0)


_ROSTER = (
    select(Person.id, Person.display_name, Membership.child_names, Membership.relation)
    .join(Membership, Membership.person_id == Person.id)
    .where(
        Membership.org_id == bindparam("org_id"),
        Membership.role.in_(bindparam("roles", expanding=True)),
    )
    .order_by(Person.display_name, Person.id, Membership.id)
)
_STATUSES = select(Report.person_id, Report.milestone_key, Report.status).where(
    Report.campaign_id == bindparam("campaign_id"),
    Report.person_id.in_(bindparam("people", expanding=True)),
)


async def roster(
    session: AsyncSession, campaign_id: int, org_id: int, roles: Sequence[str]
) -> list[RosterEntry]:
    """Members of one class or unit with their report status per milestone (and, for
    parents, the children they joined for)."""
    people: dict[int, RosterEntry] = {}
    for row in await session.execute(_ROSTER, {"org_id": org_id, "roles": list(roles)}):
        found = people.get(row.id)
        if found is None or (found.child_names is None and row.child_names):
            people[row.id] = RosterEntry(
                row.id, row.display_name, {}, row.child_names, row.relation
            )
    if people:
        params = {"campaign_id": campaign_id, "people": list(people)}
        for row in await session.execute(_STATUSES, params):
            people[row.person_id].statuses[row.milestone_key] = row.status
    return list(people.values())
