"""Firings: one row per thing the scheduler (or a nudge) did once, by key.

The row is written first in the transaction that queues the messages, so a second
worker firing the same key at the same moment fails on the unique key and rolls
back, and a later tick finds it and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Firing

_firings = Firing.__table__


async def fired(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of `keys` have fired already."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    result = await session.execute(select(_firings.c.key).where(_firings.c.key.in_(wanted)))
    return {key for (key,) in result}


async def claim(session: AsyncSession, key: str, at: datetime) -> None:
    """Mark `key` fired (IntegrityError if it already is, or another worker is at it)."""
    await session.execute(insert(_firings).values(key=key, fired_at=at, recipients=0))


async def set_recipients(session: AsyncSession, key: str, recipients: int) -> None:
    await session.execute(
        update(_firings).where(_firings.c.key == key).values(recipients=recipients)
    )


async def recipients(session: AsyncSession, key: str) -> int | None:
    result = await session.execute(select(_firings.c.recipients).where(_firings.c.key == key))
    return result.scalar_one_or_none()
