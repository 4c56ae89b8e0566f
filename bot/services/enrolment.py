"""Enrolment: reading an invite, joining with it, leaving for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import InviteError
from storage import audit, invites, org_units, people
from storage.db import UnitOfWork
from storage.models import Invite


@dataclass(frozen=True)
class InvitePreview:
    code: str
    invite_id: int
    role: str
    org_id: int
    unit: str
    school: str


@dataclass(frozen=True)
class Joined:
    preview: InvitePreview
    person_id: int
    new_person: bool
    new_membership: bool


def looks_like_code(code: str) -> bool:
    """Start payloads are at most 64 of [A-Za-z0-9_-]; anything else is forged."""
    return 0 < len(code) <= 64 and all((ch.isalnum() and ch.isascii()) or ch in "-_" for ch in code)


async def preview(uow: UnitOfWork, code: str, now: datetime) -> InvitePreview:
    if not looks_like_code(code):
        raise InviteError("unknown")
    invite = await invites.by_code(uow.session, code)
    _check(invite, now)
    assert invite is not None
    unit = await org_units.get(uow.session, invite.org_id)
    assert unit is not None
    chain = await org_units.lineage(uow.session, unit)
    school = org_units.school_of(chain)
    # "10A1 (THPT A)"; for the school itself or a department, the place above it instead.
    top = school if school is not None and school.id != unit.id else None
    if top is None:
        top = chain[-2] if len(chain) > 1 else unit
    return InvitePreview(
        code=code,
        invite_id=invite.id,
        role=invite.role,
        org_id=unit.id,
        unit=unit.name,
        school=top.name,
    )


def _check(invite: Invite | None, now: datetime) -> None:
    if invite is None or invite.revoked:
        raise InviteError("unknown")
    if invite.expires_at is not None and invite.expires_at <= now:
        raise InviteError("expired")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InviteError("used_up")


async def join(
    uow: UnitOfWork,
    *,
    tg_user_id: int,
    code: str,
    name: str | None,
    language: str,
    now: datetime,
) -> Joined:
    """Create the person on first join (with consent time) and add the membership.

    Joining the same unit in the same role again changes nothing and uses no invite.
    """
    found = await preview(uow, code, now)
    person = await people.by_tg(uow.session, tg_user_id)
    new_person = person is None
    if person is None:
        if name is None:
            raise ValueError("a new person needs a name")
        person = await people.create(uow.session, tg_user_id, name, language, now)
    existing = {(m.org_id, m.role) for m, _ in await people.memberships(uow.session, person.id)}
    if (found.org_id, found.role) in existing:
        return Joined(found, person.id, new_person, new_membership=False)
    if not await invites.consume(uow.session, found.invite_id, now):
        raise InviteError("used_up")
    await people.add_membership(
        uow.session, person.id, found.org_id, found.role, found.invite_id, now
    )
    audit.record(
        uow.session,
        now,
        tg_user_id,
        "join",
        f"org:{found.org_id}",
        role=found.role,
        invite=found.invite_id,
    )
    return Joined(found, person.id, new_person, new_membership=True)


async def forget(uow: UnitOfWork, tg_user_id: int, now: datetime) -> bool:
    person = await people.by_tg(uow.session, tg_user_id)
    if person is None:
        return False
    await people.forget(uow.session, person.id, tg_user_id)
    audit.record(uow.session, now, None, "forget", f"person:{person.id}")
    return True
