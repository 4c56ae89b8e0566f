"""An invite to join with, for storage and service tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services import enrolment
from bot.services.enrolment import InvitePreview
from storage import invites, org_units
from storage.db import Database

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)


async def make_invite(
    db: Database,
    unit: list[tuple[str, str]],
    *,
    role: str = "parent",
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    now: datetime = NOW,
) -> InvitePreview:
    """An invite to `unit` (its chain of kinds and names, created if missing), as a
    person opening it would see it."""
    uow = db.unit_of_work()
    leaf, _ = await org_units.ensure(uow.session, unit, now)
    invite = await invites.create(
        uow.session,
        org_id=leaf.id,
        role=role,
        now=now,
        expires_at=expires_at,
        max_uses=max_uses,
        created_by=None,
    )
    await uow.finish()
    uow = db.unit_of_work()
    try:
        return await enrolment.preview(uow, invite.code, now)
    finally:
        await uow.abort()
