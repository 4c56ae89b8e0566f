"""The outbox table: rows to send, claimed by the sender, closed with their outcome.

Rows are added in the transaction that decided to send them. `claim` moves due
rows from `queued` to `sending` in a transaction of its own (on PostgreSQL with
SKIP LOCKED, so several senders never take the same row); `close` records the
outcomes of many sends in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Person

_outbox = OutboxMessage.__table__


@dataclass(frozen=True)
class Claimed:
    id: int
    person_id: int | None
    chat_id: int
    source: str
    broadcast_id: int | None
    kind: str
    text: str
    file_id: str | None
    markup: dict[str, Any] | None
    urgent: bool
    quiet_hours: str | None
    attempts: int


_CLAIMED = (
    _outbox.c.id,
    _outbox.c.person_id,
    _outbox.c.chat_id,
    _outbox.c.source,
    _outbox.c.broadcast_id,
    _outbox.c.kind,
    _outbox.c.text,
    _outbox.c.file_id,
    _outbox.c.markup,
    _outbox.c.urgent,
    _outbox.c.quiet_hours,
    _outbox.c.attempts,
)


async def add(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Queue many rows at once (one executemany). Each names at least chat_id, source,
    text, not_before and created_at."""
    if rows:
        await session.execute(insert(_outbox), [_complete(row) for row in rows])


async def add_one(session: AsyncSession, row: Mapping[str, Any]) -> int:
    """Queue one row and return its id (a progress message is edited by it later)."""
    result = await session.execute(insert(_outbox).returning(_outbox.c.id), [_complete(row)])
    return int(result.scalar_one())


def _complete(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "person_id": None,
        "broadcast_id": None,
        "kind": "message",
        "file_id": None,
        "markup": None,
        "urgent": False,
        "quiet_hours": None,
        "status": "queued",
        "attempts": 0,
        **row,
    }


async def claim(
    session: AsyncSession, now: datetime, limit: int, skip_locked: bool
) -> list[Claimed]:
    """Take up to `limit` due rows, urgent first, then oldest. Rows for people who have
    blocked the bot since they were queued are closed as `blocked` instead."""
    due = (
        select(_outbox.c.id, Person.status)
        .select_from(_outbox.outerjoin(Person, Person.id == _outbox.c.person_id))
        .where(_outbox.c.status == "queued", _outbox.c.not_before <= now)
        .order_by(_outbox.c.urgent.desc(), _outbox.c.id)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(of=_outbox, skip_locked=True)
    found = (await session.execute(due)).all()
    unreachable = [row_id for row_id, status in found if status == "unreachable"]
    ids = [row_id for row_id, status in found if status != "unreachable"]
    if unreachable:
        await session.execute(
            update(_outbox)
            .where(_outbox.c.id.in_(unreachable))
            .values(status="blocked", error="unreachable", sent_at=now)
        )
    if not ids:
        return []
    result = await session.execute(
        update(_outbox)
        .where(_outbox.c.id.in_(ids), _outbox.c.status == "queued")
        .values(status="sending", claimed_at=now, attempts=_outbox.c.attempts + 1)
        .returning(*_CLAIMED)
    )
    claimed = [Claimed(*row) for row in result]
    claimed.sort(key=lambda row: (not row.urgent, row.id))
    return claimed


async def put_back(session: AsyncSession, until: Mapping[int, datetime]) -> None:
    """Return claimed rows to the queue, each not before its time (quiet hours)."""
    if until:
        await session.execute(
            update(_outbox)
            .where(_outbox.c.id == bindparam("row_id"))
            .values(status="queued", not_before=bindparam("until"), claimed_at=None),
            [{"row_id": row_id, "until": when} for row_id, when in until.items()],
        )


@dataclass(frozen=True)
class Outcome:
    row_id: int
    status: str  # sent | failed | blocked
    at: datetime
    message_id: int | None = None
    error: str | None = None
    person_id: int | None = None


async def close(session: AsyncSession, outcomes: Iterable[Outcome]) -> set[int]:
    """Record outcomes; a blocked recipient becomes unreachable and their queued rows are
    closed as blocked too. Returns the ids of people newly marked unreachable."""
    outcomes = list(outcomes)
    if not outcomes:
        return set()
    await session.execute(
        update(_outbox)
        .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == "sending")
        .values(
            status=bindparam("new_status"),
            sent_at=bindparam("at"),
            message_id=bindparam("message_id"),
            error=bindparam("error"),
        ),
        [
            {
                "row_id": o.row_id,
                "new_status": o.status,
                "at": o.at,
                "message_id": o.message_id,
                "error": o.error,
            }
            for o in outcomes
        ],
    )
    blocked = {o.person_id for o in outcomes if o.status == "blocked" and o.person_id is not None}
    if blocked:
        await session.execute(
            update(Person)
            .where(Person.id.in_(blocked), Person.status == "active")
            .values(status="unreachable")
        )
        await session.execute(
            update(_outbox)
            .where(_outbox.c.person_id.in_(blocked), _outbox.c.status == "queued")
            .values(status="blocked", error="unreachable")
        )
    return blocked


async def requeue(session: AsyncSession, claimed_before: datetime | None = None) -> int:
    """Rows left `sending` (by a crash, or by a sender whose lease ran out) go back to the
    queue; they may have reached Telegram, so this is the one way a message repeats."""
    condition = _outbox.c.status == "sending"
    if claimed_before is not None:
        condition = and_(condition, _outbox.c.claimed_at < claimed_before)
    result = await session.execute(
        update(_outbox).where(condition).values(status="queued", claimed_at=None)
    )
    return int(result.rowcount or 0)


async def pending(session: AsyncSession) -> tuple[datetime | None, int]:
    """(when the earliest queued row may go, rows claimed and not yet closed).

    One statement, so both come from one snapshot: read apart, a row could be
    claimed, fail and be queued again between them and be seen in neither.
    """
    due = select(func.min(_outbox.c.not_before)).where(_outbox.c.status == "queued")
    sending = select(func.count()).select_from(_outbox).where(_outbox.c.status == "sending")
    result = await session.execute(
        select(due.scalar_subquery().label("due"), sending.scalar_subquery().label("sending"))
    )
    found = result.one()
    return found.due, int(found.sending)


async def message_id(session: AsyncSession, row_id: int) -> tuple[int, int | None] | None:
    """(chat, Telegram message id) of a sent row, or None if the row is gone."""
    result = await session.execute(
        select(_outbox.c.chat_id, _outbox.c.message_id).where(_outbox.c.id == row_id)
    )
    found = result.first()
    return (int(found[0]), found[1]) if found else None


async def forget(session: AsyncSession, person_id: int) -> None:
    """A person who asked to be forgotten gets nothing more, and no text for them is kept."""
    await session.execute(_outbox.delete().where(_outbox.c.person_id == person_id))
