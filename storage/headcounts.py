"""Headcounts repository: how many students, families and staff a place really has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Headcount, Membership, OrgUnit
from storage.reports import span, spanned, under


async def put(
    session: AsyncSession, org_id: int, kind: str, count: int, source: str, now: datetime
) -> int | None:
    """Record `count` for (org, kind), replacing what was there; returns the old count."""
    query = select(Headcount).where(Headcount.org_id == org_id, Headcount.kind == kind)
    row = (await session.scalars(query)).first()
    if row is None:
        session.add(Headcount(org_id=org_id, kind=kind, count=count, source=source, updated_at=now))
        await session.flush()
        return None
    before = row.count
    row.count, row.source, row.updated_at = count, source, now
    await session.flush()
    return before


async def of_orgs(session: AsyncSession, org_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """{org id: {kind: count}} for the given orgs (those without any are left out)."""
    if not org_ids:
        return {}
    query = select(Headcount.org_id, Headcount.kind, Headcount.count).where(
        Headcount.org_id.in_(list(org_ids))
    )
    found: dict[int, dict[str, int]] = {}
    for row in await session.execute(query):
        found.setdefault(row.org_id, {})[row.kind] = row.count
    return found


_PLACES = (
    select(OrgUnit.id, OrgUnit.path)
    .where(OrgUnit.kind == bindparam("kind"), spanned())
    .order_by(OrgUnit.path)
)
_COUNTED = (
    select(Headcount.org_id, Headcount.kind, Headcount.count)
    .join(OrgUnit, OrgUnit.id == Headcount.org_id)
    .where(OrgUnit.kind == bindparam("kind"), spanned())
)


async def places_with_counts(
    session: AsyncSession, path: str, place_kind: str
) -> tuple[list[tuple[int, str]], dict[int, dict[str, int]]]:
    """(the ids and paths of the `place_kind` units at or below `path`, in tree order; the
    headcounts of those that have one, by id and kind)."""
    params = {"kind": place_kind, **span(path)}
    ids = [(row.id, row.path) for row in await session.execute(_PLACES, params)]
    found: dict[int, dict[str, int]] = {}
    for row in await session.execute(_COUNTED, params):
        found.setdefault(row.org_id, {})[row.kind] = row.count
    return ids, found


async def joined(session: AsyncSession, path: str, roles: Sequence[str]) -> int:
    """Distinct people holding one of `roles` at or below `path`."""
    query = (
        select(func.count(func.distinct(Membership.person_id)))
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(Membership.role.in_(list(roles)), under(path))
    )
    return int(await session.scalar(query) or 0)
