"""A class's members as a nudge needs them. The once-a-day record of each nudge is a
`firings` row keyed `nudge:<org_id>:<milestone>:<YYYY-MM-DD>` (`storage.firings.record`):
the unique key makes a second nudge that day (a double press, a colleague at the same
moment) insert nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Firing, Membership, Person, Report

_firings = Firing.__table__


@dataclass(frozen=True)
class Member:
    person_id: int
    tg_user_id: int | None  # None: they used /forget
    language: str
    status: str
    quiet_hours: str | None
    roles: frozenset[str]
    reports: dict[str, frozenset[str]] = field(default_factory=dict)  # milestone → statuses


async def members(
    session: AsyncSession, campaign_id: int, org_id: int, roles: Sequence[str]
) -> list[Member]:
    """Everyone holding one of `roles` in the unit, with their report statuses."""
    query = (
        select(
            Person.id,
            Person.tg_user_id,
            Person.language,
            Person.status,
            Person.quiet_hours,
            Membership.role,
        )
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.org_id == org_id, Membership.role.in_(list(roles)))
        .order_by(Person.id)
    )
    found: dict[int, tuple[tuple[int | None, str, str, str | None], set[str]]] = {}
    for row in await session.execute(query):
        entry = found.setdefault(
            row.id, ((row.tg_user_id, row.language, row.status, row.quiet_hours), set())
        )
        entry[1].add(row.role)
    statuses: dict[int, dict[str, set[str]]] = {person_id: {} for person_id in found}
    if found:
        reported = select(Report.person_id, Report.milestone_key, Report.status).where(
            Report.campaign_id == campaign_id, Report.person_id.in_(list(found))
        )
        for row in await session.execute(reported):
            statuses[row.person_id].setdefault(row.milestone_key, set()).add(row.status)
    return [
        Member(
            person_id,
            tg_user_id,
            language,
            status,
            quiet_hours,
            frozenset(held),
            {key: frozenset(values) for key, values in statuses[person_id].items()},
        )
        for person_id, ((tg_user_id, language, status, quiet_hours), held) in found.items()
    ]
