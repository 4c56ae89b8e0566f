"""Campaign repository: loaded packs and their definitions.

One national base is active at a time (`extends` NULL); province packs (`extends` the
base's slug) are active one per org node they are attached to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, DeadlineDef, IndicatorDef, MilestoneDef, OrgUnit, QuizDef


@dataclass(frozen=True)
class Stamp:
    """What tells whether a cached pack is stale: cheap to read for every active pack."""

    id: int
    slug: str
    loaded_at: datetime
    extends: str | None
    org_path: str | None  # where a province pack applies; None for the base


async def active(session: AsyncSession) -> Campaign | None:
    """The active national base."""
    query = (
        select(Campaign)
        .where(Campaign.active.is_(True), Campaign.extends.is_(None))
        .order_by(Campaign.id.desc())
    )
    return (await session.scalars(query)).first()


async def replace(
    session: AsyncSession,
    *,
    slug: str,
    version: int,
    title: dict[str, Any],
    source: str,
    pack: dict[str, Any],
    definitions: list[Any],
    now: datetime,
    extends: str | None = None,
    org_id: int | None = None,
) -> tuple[Campaign, bool]:
    """Store a pack and make it active: a base (`extends` None) in place of the active
    base, a province pack in place of the one attached to `org_id`. Loading the same slug
    and version again replaces its definitions; returns (campaign, created)."""
    if extends is None:
        others = Campaign.extends.is_(None)
    else:
        others = Campaign.extends.is_not(None) & (Campaign.org_id == org_id)
    await session.execute(update(Campaign).where(others).values(active=False))
    query = select(Campaign).where(Campaign.slug == slug, Campaign.version == version)
    campaign = (await session.scalars(query)).first()
    created = campaign is None
    if campaign is None:
        campaign = Campaign(slug=slug, version=version)
        session.add(campaign)
    campaign.title = title
    campaign.source = source
    campaign.pack = pack
    campaign.active = True
    campaign.loaded_at = now
    campaign.extends = extends
    campaign.org_id = org_id
    await session.flush()
    for model in (MilestoneDef, IndicatorDef, DeadlineDef, QuizDef):
        await session.execute(delete(model).where(model.campaign_id == campaign.id))
    for definition in definitions:
        definition.campaign_id = campaign.id
    session.add_all(definitions)
    await session.flush()
    return campaign, created


async def active_stamp(session: AsyncSession) -> tuple[int, datetime] | None:
    """(id, loaded_at) of the active base: cheap to ask, tells whether a cache is stale."""
    query = (
        select(Campaign.id, Campaign.loaded_at)
        .where(Campaign.active.is_(True), Campaign.extends.is_(None))
        .order_by(Campaign.id.desc())
    )
    row = (await session.execute(query)).first()
    return (row.id, row.loaded_at) if row else None


async def stamps(session: AsyncSession) -> list[Stamp]:
    """Every active pack, the base first (newest base wins), province packs by org path."""
    query = (
        select(Campaign.id, Campaign.slug, Campaign.loaded_at, Campaign.extends, OrgUnit.path)
        .outerjoin(OrgUnit, OrgUnit.id == Campaign.org_id)
        .where(Campaign.active.is_(True))
        .order_by(Campaign.extends.is_not(None), OrgUnit.path, Campaign.id.desc())
    )
    return [
        Stamp(row.id, row.slug, row.loaded_at, row.extends, row.path)
        for row in await session.execute(query)
    ]


async def attached(session: AsyncSession) -> dict[int, Campaign]:
    """Active province packs by the org node they are attached to."""
    query = select(Campaign).where(Campaign.active.is_(True), Campaign.extends.is_not(None))
    return {row.org_id: row for row in await session.scalars(query) if row.org_id is not None}


async def get(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)
