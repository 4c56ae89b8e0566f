"""Organisation tree repository. Subtrees are prefix matches on `path`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ORG_KINDS, OrgUnit

# Which kinds may sit under which: a school's units and classes, a commune's schools…
PARENT_KINDS = {
    "province": (None,),
    "commune": ("province",),
    "district": ("province",),  # legacy intermediate level, as old files name it
    "school": ("commune", "district", "province"),
    "unit": ("school",),
    "class": ("school", "unit"),
}


async def get(session: AsyncSession, org_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, org_id)


async def child(
    session: AsyncSession, parent_id: int | None, kind: str, name: str
) -> OrgUnit | None:
    parent = OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id
    query = select(OrgUnit).where(parent, OrgUnit.kind == kind, OrgUnit.name == name)
    return (await session.scalars(query)).first()


async def add(
    session: AsyncSession, kind: str, name: str, parent: OrgUnit | None, now: datetime
) -> OrgUnit:
    if kind not in ORG_KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(ORG_KINDS)}")
    parent_kind = parent.kind if parent else None
    if parent_kind not in PARENT_KINDS[kind]:
        where = f"under a {parent_kind}" if parent_kind else "at the top"
        raise ValueError(f"a {kind} cannot sit {where}")
    unit = OrgUnit(kind=kind, name=name, parent_id=parent.id if parent else None, created_at=now)
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


async def ensure(
    session: AsyncSession,
    chain: list[tuple[str, str]],
    now: datetime,
    parent: OrgUnit | None = None,
) -> tuple[OrgUnit, int]:
    """Get or create each (kind, name) along the chain, from `parent` down (the top when
    None); returns the leaf and how many were new."""
    created = 0
    for kind, name in chain:
        found = await child(session, parent.id if parent else None, kind, name)
        if found is None:
            found = await add(session, kind, name, parent, now)
            created += 1
        parent = found
    assert parent is not None
    return parent, created


_UNITS = select(OrgUnit).where(OrgUnit.id.in_(bindparam("ids", expanding=True)))


def _path_ids(unit: OrgUnit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


async def lineage(session: AsyncSession, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the top down, the unit itself last."""
    return (await lineages(session, [unit]))[unit.id]


async def lineages(session: AsyncSession, units: list[OrgUnit]) -> dict[int, list[OrgUnit]]:
    """`lineage` of each of `units`, by unit id, in one statement."""
    wanted = {i for unit in units for i in _path_ids(unit)}
    if not wanted:
        return {}
    rows = {row.id: row for row in await session.scalars(_UNITS, {"ids": sorted(wanted)})}
    return {unit.id: [rows[i] for i in _path_ids(unit) if i in rows] for unit in units}


async def by_names(session: AsyncSession, names: list[str]) -> OrgUnit | None:
    """Follow a path of names from the top ('Bắc Ninh/Từ Sơn/THPT Lý Thái Tổ')."""
    parent_id: int | None = None
    unit: OrgUnit | None = None
    for name in names:
        parent = (
            OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id
        )
        unit = (await session.scalars(select(OrgUnit).where(parent, OrgUnit.name == name))).first()
        if unit is None:
            return None
        parent_id = unit.id
    return unit


def school_of(chain: list[OrgUnit]) -> OrgUnit | None:
    return next((unit for unit in reversed(chain) if unit.kind == "school"), None)


async def children(session: AsyncSession, parent_id: int, limit: int) -> list[OrgUnit]:
    """The units right below one, in tree order."""
    query = select(OrgUnit).where(OrgUnit.parent_id == parent_id).order_by(OrgUnit.path)
    return list(await session.scalars(query.limit(limit)))


async def subtree(
    session: AsyncSession, path: str | None, kinds: tuple[str, ...], limit: int
) -> list[OrgUnit]:
    """Units of `kinds` at or below `path` (everything when None), in tree order."""
    query = select(OrgUnit).where(OrgUnit.kind.in_(kinds))
    if path is not None:
        query = query.where(OrgUnit.path.startswith(path, autoescape=True))
    query = query.order_by(OrgUnit.path).limit(limit)
    return list(await session.scalars(query))


async def roots(session: AsyncSession) -> list[OrgUnit]:
    """The top of the tree: provinces (and anything else without a parent)."""
    query = select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
    return list(await session.scalars(query))
