"""Enrolment: reading an invite, joining with it, leaving for good.

Opening an invite is the busiest moment of a campaign (a whole class opens
the same link in the same evening), so what an invite points at is cached
for a minute; whether it can still be used is decided by one guarded UPDATE
when the person joins.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime

from bot.errors import InviteError
from bot.families import Family
from bot.services.people import MembershipView, PersonView, membership_view
from storage import audit, invites, org_units, people
from storage.db import UnitOfWork
from storage.models import Invite

log = logging.getLogger(__name__)

# Joining in these roles grants access to others' data: it goes to the audit log. Parents'
# and students' joins are recorded by their membership row (invite and time) alone.
STAFF_ROLES = frozenset({"staff", "principal", "dept_admin"})


@dataclass(frozen=True)
class InvitePreview:
    code: str
    invite_id: int
    role: str
    org_id: int
    unit: str
    school: str  # the place shown in brackets: the school, or the place above it
    expires_at: datetime | None
    membership: MembershipView


@dataclass(frozen=True)
class Joined:
    preview: InvitePreview
    person: PersonView
    new_person: bool
    new_membership: bool
    became_head: bool = False  # a member of the unit who opened its head invite


CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def looks_like_code(code: str) -> bool:
    """Start payloads are at most 64 of [A-Za-z0-9_-]; anything else is forged."""
    return CODE_SHAPE.fullmatch(code) is not None


class PreviewCache:
    """Invite code → preview of unlimited invites (a class's shared link), for `ttl`
    seconds. Expiry is checked against the cached time; use is checked when joining."""

    def __init__(self, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, tuple[float, InvitePreview]] = {}

    def get(self, code: str) -> InvitePreview | None:
        found = self._entries.get(code)
        if found is None or time.monotonic() - found[0] >= self._ttl:
            return None
        return found[1]

    def put(self, preview: InvitePreview) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[preview.code] = (time.monotonic(), preview)

    def drop(self, code: str) -> None:
        self._entries.pop(code, None)


async def preview(
    uow: UnitOfWork, code: str, now: datetime, cache: PreviewCache | None = None
) -> InvitePreview:
    if not looks_like_code(code):
        raise InviteError("unknown")
    found = cache.get(code) if cache else None
    if found is not None:
        if found.expires_at is not None and found.expires_at <= now:
            raise InviteError("expired")
        return found
    invite = await invites.by_code(uow.reads, code)
    _check(invite, now)
    assert invite is not None
    unit = await org_units.get(uow.reads, invite.org_id)
    assert unit is not None
    chain = await org_units.lineage(uow.reads, unit)
    school = org_units.school_of(chain)
    # "10A1 (THPT A)"; for the school itself or a department, the place above it instead.
    above = school if school is not None and school.id != unit.id else None
    if above is None:
        above = chain[-2] if len(chain) > 1 else unit
    found = InvitePreview(
        code=code,
        invite_id=invite.id,
        role=invite.role,
        org_id=unit.id,
        unit=unit.name,
        school=above.name,
        expires_at=invite.expires_at,
        membership=membership_view(unit, invite.role, chain, bool(invite.head)),
    )
    if cache is not None and invite.max_uses is None:
        cache.put(found)  # counted invites are read every time: their last use matters
    return found


def _check(invite: Invite | None, now: datetime) -> None:
    if invite is None or invite.revoked:
        raise InviteError("unknown")
    if invite.expires_at is not None and invite.expires_at <= now:
        raise InviteError("expired")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InviteError("used_up")


@dataclass(frozen=True)
class JoinRequest:
    """One person joining with one invite."""

    tg_user_id: int
    found: InvitePreview
    known: PersonView | None  # the person as the update looked them up (None: a stranger)
    name: str | None  # needed for a new person
    language: str
    now: datetime
    family: Family | None = None  # a parent's children in the class and relation to them


async def join(uow: UnitOfWork, request: JoinRequest) -> Joined:
    """Create the person on first join (with consent time) and add the membership, in the
    caller's transaction. Joining the same unit in the same role again changes nothing and
    uses no invite. Raises InviteError when the invite ran out, expired or was revoked."""
    known, found = request.known, request.found
    if known is not None and (found.org_id, found.role) in {
        (m.org_id, m.role) for m in known.memberships
    }:
        if found.membership.head and not any(
            m.head for m in known.memberships if (m.org_id, m.role) == (found.org_id, found.role)
        ):
            known = await _make_head(uow, request, known)
            return Joined(found, known, False, False, became_head=True)
        return Joined(found, known, new_person=False, new_membership=False)
    if known is None and not request.name:
        raise ValueError("a new person needs a name")
    session = uow.session
    if not await invites.consume(session, found.invite_id, request.now):
        _check(await invites.by_code(session, found.code), request.now)
        raise InviteError("used_up")
    if known is None:
        (person_id,) = await people.create_many(
            session, [(request.tg_user_id, request.name or "", request.language, request.now)]
        )
        view = PersonView(
            person_id, request.tg_user_id, request.name or "", request.language, "active", ()
        )
    else:
        view = known
    family = request.family if found.role == "parent" else None
    await people.add_memberships(
        session,
        [(view.id, found.org_id, found.role, found.invite_id, request.now)],
        [(family.stored, family.relation, len(family.children)) if family else None],
    )
    if found.membership.head:
        await people.set_head(session, view.id, found.org_id, found.role)
    if found.role in STAFF_ROLES:  # a granted privilege; a family's join is its membership row
        await audit.record(
            session,
            request.now,
            request.tg_user_id,
            "join",
            f"org:{found.org_id}",
            role=found.role,
            invite=found.invite_id,
        )
    view = replace(view, memberships=(*view.memberships, found.membership))
    return Joined(found, view, new_person=known is None, new_membership=True)


async def _make_head(uow: UnitOfWork, request: JoinRequest, known: PersonView) -> PersonView:
    """A member of a unit who opens its head invite becomes its head; no use is counted."""
    found = request.found
    await people.set_head(uow.session, known.id, found.org_id, found.role)
    await audit.record(
        uow.session,
        request.now,
        request.tg_user_id,
        "join.head",
        f"org:{found.org_id}",
        invite=found.invite_id,
    )
    kept = tuple(m for m in known.memberships if (m.org_id, m.role) != (found.org_id, found.role))
    return replace(known, memberships=(*kept, found.membership))


async def forget(uow: UnitOfWork, tg_user_id: int, now: datetime) -> bool:
    person = await people.by_tg(uow.session, tg_user_id)
    if person is None:
        return False
    await people.forget(uow.session, person.id, tg_user_id)
    await audit.record(uow.session, now, None, "forget", f"person:{person.id}")
    return True
