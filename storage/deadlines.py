"""School deadlines (added in chat with /deadline) and the people a reminder reaches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import COUNTED, Membership, OrgUnit, Person, Report, SchoolDeadline
from storage.reports import under


@dataclass(frozen=True)
class Recipient:
    person_id: int
    tg_user_id: int
    language: str
    quiet_hours: str | None
    status: str
    announcements: bool
    roles: frozenset[str]


@dataclass(frozen=True)
class SchoolDeadlineRow:
    id: int
    org_id: int
    org_path: str
    org_name: str
    title: str
    audience: tuple[str, ...]
    due_date: date
    remind_days_before: tuple[int, ...]
    completes: str | None


def _row(deadline: Any, org_path: str, org_name: str) -> SchoolDeadlineRow:
    """From a `SchoolDeadline`, or a result row with the same columns."""
    return SchoolDeadlineRow(
        id=deadline.id,
        org_id=deadline.org_id,
        org_path=org_path,
        org_name=org_name,
        title=deadline.title,
        audience=tuple(r for r in deadline.audience.split(",") if r),
        due_date=deadline.due_date,
        remind_days_before=tuple(int(n) for n in deadline.remind_days_before.split(",") if n),
        completes=deadline.completes,
    )


def _active() -> Select[tuple[SchoolDeadline, OrgUnit]]:
    return (
        select(SchoolDeadline, OrgUnit)
        .join(OrgUnit, OrgUnit.id == SchoolDeadline.org_id)
        .where(SchoolDeadline.cancelled.is_(False))
    )


# Every scheduler tick runs this one: built once (building costs more than running it).
_BETWEEN = (
    select(SchoolDeadline.__table__, OrgUnit.path, OrgUnit.name.label("org_name"))
    .join(OrgUnit, OrgUnit.id == SchoolDeadline.org_id)
    .where(
        SchoolDeadline.cancelled.is_(False),
        SchoolDeadline.due_date >= bindparam("first"),
        SchoolDeadline.due_date <= bindparam("last"),
    )
    .order_by(SchoolDeadline.due_date, SchoolDeadline.id)
)


async def between(session: AsyncSession, first: date, last: date) -> list[SchoolDeadlineRow]:
    """Deadlines not cancelled and due from `first` to `last`, both inclusive."""
    result = await session.execute(_BETWEEN, {"first": first, "last": last})
    return [_row(row, row.path, row.org_name) for row in result]


async def of_orgs(
    session: AsyncSession, org_ids: Sequence[int], first: date, limit: int = 50
) -> list[SchoolDeadlineRow]:
    """Deadlines set at any of `org_ids` (not cancelled), due on or after `first`."""
    if not org_ids:
        return []
    query = _active().where(SchoolDeadline.org_id.in_(list(org_ids)))
    query = query.where(SchoolDeadline.due_date >= first)
    query = query.order_by(SchoolDeadline.due_date, SchoolDeadline.id).limit(limit)
    return [_row(d, u.path, u.name) for d, u in (await session.execute(query)).all()]


async def around(session: AsyncSession, path: str, limit: int = 500) -> list[SchoolDeadlineRow]:
    """Deadlines not cancelled set at or below `path`, or above it (a department's, which
    reach the schools below): an export's deadlines, by due date."""
    above = [int(part) for part in path.strip("/").split("/") if part]
    query = _active().where(under(path) | OrgUnit.id.in_(above))
    query = query.order_by(SchoolDeadline.due_date, SchoolDeadline.id).limit(limit)
    return [_row(d, u.path, u.name) for d, u in (await session.execute(query)).all()]


async def get(session: AsyncSession, deadline_id: int) -> SchoolDeadlineRow | None:
    found = (await session.execute(_active().where(SchoolDeadline.id == deadline_id))).first()
    return _row(found[0], found[1].path, found[1].name) if found else None


async def add(
    session: AsyncSession,
    *,
    org_id: int,
    created_by: int | None,
    title: str,
    audience: Sequence[str],
    due_date: date,
    remind_days_before: Sequence[int],
    completes: str | None,
    now: datetime,
) -> int:
    deadline = SchoolDeadline(
        org_id=org_id,
        created_by=created_by,
        title=title,
        audience=",".join(audience),
        due_date=due_date,
        remind_days_before=",".join(str(n) for n in sorted(set(remind_days_before), reverse=True)),
        completes=completes,
        cancelled=False,
        created_at=now,
    )
    session.add(deadline)
    await session.flush()
    return deadline.id


async def cancel(session: AsyncSession, deadline_id: int) -> bool:
    result = await session.execute(
        update(SchoolDeadline)
        .where(SchoolDeadline.id == deadline_id, SchoolDeadline.cancelled.is_(False))
        .values(cancelled=True)
    )
    return bool(result.rowcount)


async def audience(
    session: AsyncSession,
    roles: Sequence[str],
    *,
    path: str | None = None,
    campaign_id: int | None = None,
    missing: str | None = None,
    exclude: Sequence[str] = (),
    skip_schools: frozenset[int] = frozenset(),
) -> list[Recipient]:
    """People holding one of `roles` (at or below `path`, when given, and not below any
    of `exclude`) who have a Telegram chat, without those whose report of milestone
    `missing` counts. A membership in (or below) a school of `skip_schools` does not
    count. One row per person, with the roles of `roles` they hold there; unreachable
    people are included (the caller counts them apart)."""
    query = (
        select(
            Person.id,
            Person.tg_user_id,
            Person.language,
            Person.quiet_hours,
            Person.status,
            Person.announcements,
            Membership.role,
            OrgUnit.path,
        )
        .join(Membership, Membership.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(
            Membership.role.in_(list(roles)),
            Person.tg_user_id.is_not(None),
            Person.status != "forgotten",
        )
        .order_by(Person.id)
    )
    if path is not None:
        query = query.where(under(path))
    for other in exclude:
        query = query.where(~under(other))
    if missing is not None and campaign_id is not None:
        done = exists().where(
            Report.person_id == Person.id,
            Report.campaign_id == campaign_id,
            Report.milestone_key == missing,
            Report.status.in_(COUNTED),
        )
        query = query.where(~done)
    found: dict[int, tuple[tuple[object, ...], set[str]]] = {}
    for row in await session.execute(query):
        if skip_schools and any(
            int(part) in skip_schools for part in row.path.strip("/").split("/") if part
        ):
            continue
        entry = found.get(row.id)
        if entry is None:
            found[row.id] = (tuple(row[:6]), {row.role})
        else:
            entry[1].add(row.role)
    return [
        Recipient(
            person_id=int(fields[0]),  # type: ignore[call-overload]
            tg_user_id=int(fields[1]),  # type: ignore[call-overload]
            language=str(fields[2]),
            quiet_hours=fields[3],  # type: ignore[arg-type]
            status=str(fields[4]),
            announcements=bool(fields[5]),
            roles=frozenset(held),
        )
        for fields, held in found.values()
    ]


async def done(
    session: AsyncSession, campaign_id: int, person_id: int, milestones: Sequence[str]
) -> set[str]:
    """Which of `milestones` this person's counted reports complete."""
    if not milestones:
        return set()
    result = await session.execute(
        select(Report.milestone_key).where(
            Report.person_id == person_id,
            Report.campaign_id == campaign_id,
            Report.milestone_key.in_(list(milestones)),
            Report.status.in_(COUNTED),
        )
    )
    return {key for (key,) in result}
