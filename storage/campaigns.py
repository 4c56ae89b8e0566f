"""Campaign repository: the loaded pack and its definitions, one active at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, DeadlineDef, IndicatorDef, MilestoneDef, QuizDef


async def active(session: AsyncSession) -> Campaign | None:
    query = select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.id.desc())
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
) -> tuple[Campaign, bool]:
    """Store a pack and make it the active one. Loading the same slug and version again
    replaces its definitions; returns (campaign, created)."""
    await session.execute(update(Campaign).values(active=False))
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
    await session.flush()
    for model in (MilestoneDef, IndicatorDef, DeadlineDef, QuizDef):
        await session.execute(delete(model).where(model.campaign_id == campaign.id))
    for definition in definitions:
        definition.campaign_id = campaign.id
    session.add_all(definitions)
    await session.flush()
    return campaign, created


async def active_stamp(session: AsyncSession) -> tuple[int, datetime] | None:
    """(id, loaded_at) of the active campaign: cheap to ask, tells whether a cache is stale."""
    query = (
        select(Campaign.id, Campaign.loaded_at)
        .where(Campaign.active.is_(True))
        .order_by(Campaign.id.desc())
    )
    row = (await session.execute(query)).first()
    return (row.id, row.loaded_at) if row else None


async def get(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)
