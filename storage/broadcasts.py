"""Broadcasts repository: the notice, its audience, its status; recipients and acks in SQL.

Status moves scheduled → sending → done, or scheduled → cancelled; every move is an
UPDATE guarded by the status it leaves, so two ticks (or two presses) never both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Acknowledgement,
    Broadcast,
    Membership,
    OrgUnit,
    OutboxMessage,
    Person,
    Report,
)
from storage.reports import under_any


@dataclass(frozen=True)
class Recipient:
    person_id: int
    tg_user_id: int
    language: str
    status: str
    announcements: bool
    quiet_hours: str | None
    roles: frozenset[str]


async def add(session: AsyncSession, **fields: Any) -> Broadcast:
    broadcast = Broadcast(**fields)
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def recipients(
    session: AsyncSession,
    *,
    paths: Sequence[str],
    roles: Sequence[str],
    missing: tuple[int, str, Sequence[str]] | None = None,
    exclude: int | None = None,
) -> list[Recipient]:
    """People holding one of `roles` at or below one of `paths`, with a Telegram chat.

    `missing` = (campaign id, milestone key, counted statuses): only those without such a
    report. One statement; a person with several matching memberships comes once, with
    all their matching roles."""
    if not paths or not roles:
        return []
    query = (
        select(
            Person.id,
            Person.tg_user_id,
            Person.language,
            Person.status,
            Person.announcements,
            Person.quiet_hours,
            Membership.role,
        )
        .join(Membership, Membership.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(
            Membership.role.in_(list(roles)),
            under_any(list(paths)),
            Person.tg_user_id.is_not(None),
            Person.status != "forgotten",
        )
        .order_by(Person.id)
    )
    if exclude is not None:
        query = query.where(Person.id != exclude)
    if missing is not None:
        campaign_id, key, statuses = missing
        query = query.where(
            ~exists(
                select(Report.id).where(
                    Report.person_id == Person.id,
                    Report.campaign_id == campaign_id,
                    Report.milestone_key == key,
                    Report.status.in_(list(statuses)),
                )
            )
        )
    found: dict[int, Recipient] = {}
    for row in await session.execute(query):
        known = found.get(row.id)
        if known is None:
            found[row.id] = Recipient(
                row.id,
                int(row.tg_user_id),
                row.language,
                row.status,
                bool(row.announcements),
                row.quiet_hours,
                frozenset({row.role}),
            )
        else:
            found[row.id] = Recipient(
                known.person_id,
                known.tg_user_id,
                known.language,
                known.status,
                known.announcements,
                known.quiet_hours,
                known.roles | {row.role},
            )
    return list(found.values())


async def move(
    session: AsyncSession, broadcast_id: int, before: str, after: str, **values: Any
) -> bool:
    """status `before` → `after` (with `values`); False when it was not `before` any more."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == before)
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def set_fields(session: AsyncSession, broadcast_id: int, **values: Any) -> None:
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def due(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    query = (
        select(Broadcast.id)
        .where(Broadcast.status == "scheduled", Broadcast.send_at <= now)
        .order_by(Broadcast.send_at, Broadcast.id)
        .limit(limit)
    )
    return [int(i) for i in await session.scalars(query)]


async def in_scope(
    session: AsyncSession, paths: Sequence[str] | None, statuses: Sequence[str], limit: int
) -> list[tuple[Broadcast, str]]:
    """Broadcasts addressed at or below `paths` (anywhere when None), newest first, with
    the name of the org they were sent from."""
    query = (
        select(Broadcast, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Broadcast.org_id)
        .where(Broadcast.status.in_(list(statuses)))
        .order_by(Broadcast.send_at.desc(), Broadcast.id.desc())
        .limit(limit)
    )
    if paths is not None:
        query = query.where(under_any(list(paths)))
    return [(row[0], row[1]) for row in await session.execute(query)]


async def sending(session: AsyncSession) -> list[Broadcast]:
    return list(await session.scalars(select(Broadcast).where(Broadcast.status == "sending")))


async def received(session: AsyncSession, broadcast_id: int, person_id: int) -> bool:
    """Was this person sent (or being sent) this broadcast?"""
    query = select(OutboxMessage.id).where(
        OutboxMessage.broadcast_id == broadcast_id,
        OutboxMessage.person_id == person_id,
        OutboxMessage.source == "broadcast",
        OutboxMessage.status.in_(("sent", "sending")),
    )
    return (await session.scalar(query.limit(1))) is not None


async def acknowledged(session: AsyncSession, broadcast_id: int, person_id: int) -> bool:
    query = select(Acknowledgement.id).where(
        Acknowledgement.broadcast_id == broadcast_id, Acknowledgement.person_id == person_id
    )
    return (await session.scalar(query)) is not None


async def acknowledge(
    session: AsyncSession, broadcast_id: int, person_id: int, now: datetime
) -> bool:
    """Record one acknowledgement; False when there was one already (two presses at once:
    the unique pair keeps one, the savepoint keeps the update's transaction usable)."""
    if await acknowledged(session, broadcast_id, person_id):
        return False
    from sqlalchemy.exc import IntegrityError

    try:
        async with session.begin_nested():
            await session.execute(
                insert(Acknowledgement).values(
                    broadcast_id=broadcast_id, person_id=person_id, at=now
                )
            )
    except IntegrityError:
        return False
    return True


async def ack_count(session: AsyncSession, broadcast_id: int) -> int:
    query = select(func.count(Acknowledgement.id)).where(
        Acknowledgement.broadcast_id == broadcast_id
    )
    return int(await session.scalar(query) or 0)


async def not_acknowledged(session: AsyncSession, broadcast_id: int, limit: int) -> list[str]:
    """Names of people it was delivered to who have not pressed "I have read this"."""
    query = (
        select(Person.display_name)
        .join(OutboxMessage, OutboxMessage.person_id == Person.id)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.source == "broadcast",
            OutboxMessage.status == "sent",
            ~exists(
                select(Acknowledgement.id).where(
                    and_(
                        Acknowledgement.broadcast_id == broadcast_id,
                        Acknowledgement.person_id == Person.id,
                    )
                )
            ),
        )
        .order_by(Person.display_name, Person.id)
        .limit(limit)
    )
    return [str(name) for name in await session.scalars(query)]


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """The broadcast's own rows (not its progress message) by status."""
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.source == "broadcast")
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in await session.execute(query)}
