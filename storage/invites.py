"""Invite repository. Codes are unguessable; using one is a single guarded UPDATE."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite

CODE_BYTES = 12  # 16 URL-safe characters, well inside Telegram's 64 for a start payload


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


async def by_code(session: AsyncSession, code: str) -> Invite | None:
    return (await session.scalars(select(Invite).where(Invite.code == code))).first()


async def create(
    session: AsyncSession,
    *,
    org_id: int,
    role: str,
    now: datetime,
    expires_at: datetime | None,
    max_uses: int | None,
    created_by: int | None,
) -> Invite:
    invite = Invite(
        code=new_code(),
        org_id=org_id,
        role=role,
        expires_at=expires_at,
        max_uses=max_uses,
        uses=0,
        created_by=created_by,
        created_at=now,
        revoked=False,
    )
    session.add(invite)
    await session.flush()
    return invite


async def consume(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Count one use if the invite is still good; False when it is not (raced or expired)."""
    table = Invite.__table__
    connection = await session.connection()
    result = await connection.execute(
        update(table)
        .where(
            table.c.id == invite_id,
            table.c.revoked.is_(False),
            or_(table.c.max_uses.is_(None), table.c.uses < table.c.max_uses),
            or_(table.c.expires_at.is_(None), table.c.expires_at > now),
        )
        .values(uses=table.c.uses + 1)
    )
    return result.rowcount == 1
