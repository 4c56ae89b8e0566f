"""Invite repository. Codes are unguessable; using one is a single guarded UPDATE."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
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
    head: bool = False,
) -> Invite:
    invite = Invite(
        head=head,
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


_table = Invite.__table__
# Built once: constructing a statement costs several times what SQLite takes to run it.
_CONSUME = (
    update(_table)
    .where(
        _table.c.id == bindparam("invite_id"),
        _table.c.revoked.is_(False),
        or_(_table.c.max_uses.is_(None), _table.c.uses + bindparam("count") <= _table.c.max_uses),
        or_(_table.c.expires_at.is_(None), _table.c.expires_at > bindparam("now")),
    )
    .values(uses=_table.c.uses + bindparam("count"))
)


async def consume(session: AsyncSession, invite_id: int, now: datetime, count: int = 1) -> bool:
    """Count `count` uses if the invite still allows them all; False when it does not
    (used up meanwhile, expired or revoked), and then nothing is counted."""
    connection = await session.connection()
    result = await connection.execute(
        _CONSUME, {"invite_id": invite_id, "now": now, "count": count}
    )
    return result.rowcount == 1
