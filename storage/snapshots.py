"""Weekly snapshots of the indicators at school level and above (bot.services.snapshots)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrgUnit, Snapshot

SNAPSHOT_KINDS = ("province", "commune", "district", "school")


class Node(NamedTuple):
    id: int
    path: str
    kind: str
    name: str
    level: str | None


async def due_nodes(session: AsyncSession, week: date, limit: int) -> list[Node]:
    """Nodes of SNAPSHOT_KINDS without a snapshot for `week`, in tree order."""
    taken = select(Snapshot.org_id).where(Snapshot.week == week)
    query = (
        select(OrgUnit.id, OrgUnit.path, OrgUnit.kind, OrgUnit.name, OrgUnit.level)
        .where(OrgUnit.kind.in_(SNAPSHOT_KINDS), OrgUnit.id.not_in(taken))
        .order_by(OrgUnit.path)
        .limit(limit)
    )
    return [Node(*row) for row in await session.execute(query)]


def put(session: AsyncSession, rows: Iterable[Snapshot]) -> None:
    session.add_all(list(rows))


async def series(
    session: AsyncSession, org_id: int, indicators: Sequence[str], since: date
) -> list[Snapshot]:
    """One node's snapshots of `indicators` from `since`, oldest first."""
    query = (
        select(Snapshot)
        .where(
            Snapshot.org_id == org_id,
            Snapshot.indicator.in_(list(indicators)),
            Snapshot.week >= since,
        )
        .order_by(Snapshot.week)
    )
    return list(await session.scalars(query))
