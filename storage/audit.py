"""The audit log of privileged actions. Ids only: no names, no message texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    at: datetime,
    actor_tg_id: int | None,
    action: str,
    target: str | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        at=at, actor_tg_id=actor_tg_id, action=action, target=target, details=details
    )
    session.add(entry)
    return entry
