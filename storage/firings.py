"""Firings: one row per thing the scheduler (or a nudge) did once, by key.

The row is written first in the transaction that queues the messages, so a second
worker firing the same key at the same moment fails on the unique key and rolls
back, and a later tick finds it and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


async def when(session: AsyncSession, keys: Sequence[str]) -> dict[str, tuple[datetime, int]]:
    """Which of `keys` have fired: key → (when, how many it reached)."""
    if not keys:
        return {}
    query = select(Firing.key, Firing.fired_at, Firing.recipients).where(Firing.key.in_(keys))
    return {row.key: (row.fired_at, row.recipients) for row in await session.execute(query)}


async def record(session: AsyncSession, key: str, now: datetime, recipients: int) -> bool:
    """Record a firing; False (and nothing written) when `key` has fired already."""
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(_firings)
        .values(key=key, fired_at=now, recipients=recipients)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_firings.c.id)
    )
    return (await session.execute(statement)).first() is not None
