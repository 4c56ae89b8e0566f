"""The audit log of privileged actions. Ids only: no names, no message texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

_INSERT = insert(AuditEntry.__table__)  # built once: it is on every privileged action's path


async def record(
    session: AsyncSession,
    at: datetime,
    actor_tg_id: int | None,
    action: str,
    target: str | None = None,
    **details: Any,
) -> None:
    """Append one entry (a Core insert: no ORM bookkeeping on the hot path)."""
    connection = await session.connection()
    await connection.execute(
        _INSERT,
        {
            "at": at,
            "actor_tg_id": actor_tg_id,
            "action": action,
            "target": target,
            "details": details,
        },
    )
