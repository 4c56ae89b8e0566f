"""Creating invites: who may invite whom, the deep link, the QR code."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import NotAllowed
from bot.services.people import PersonView
from storage import audit, invites, org_units
from storage.db import UnitOfWork
from storage.models import DEPARTMENT_KINDS, ORG_KINDS, ROLES, OrgUnit

DEFAULT_DAYS = 30
UNIT_HEAD = "unit_head"  # /invite's choice for a staff invite that makes its unit's head

# Roles each inviter may hand out, and the org kinds those invites may point at.
GRANTS = {
    "staff": {"parent", "student"},
    "principal": {"parent", "student", "staff", "principal"},
    "dept_admin": {"principal", "dept_admin", "staff"},
}
ROLE_KINDS = {
    "parent": {"class"},
    "student": {"class"},
    "staff": {"school", "unit", "class"},
    "principal": {"school"},
    "dept_admin": set(DEPARTMENT_KINDS),  # a Sở, or a commune's education office
}


@dataclass(frozen=True)
class CreatedInvite:
    code: str
    link: str
    org_id: int
    org_name: str
    role: str
    expires_at: datetime | None
    max_uses: int | None
    head: bool = False


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(link: str) -> bytes:
    import qrcode  # only when an invite is made: an idle bot need not hold it
    from qrcode.image.pure import PyPNGImage

    image = qrcode.make(link, box_size=8, border=2, image_factory=PyPNGImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def check_target(unit: OrgUnit, role: str, head: bool = False) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if unit.kind not in ROLE_KINDS[role]:
        kinds = ", ".join(sorted(ROLE_KINDS[role]))
        raise ValueError(f"a {role} invite must point at a {kinds}, not a {unit.kind}")
    if head and (role != "staff" or unit.kind != "unit"):
        # A class's staff member is its homeroom teacher already; a school has a principal.
        raise ValueError("only a staff invite for a unit can make its head")


def may_invite(person: PersonView | None, superadmin: bool, unit: OrgUnit, role: str) -> bool:
    """Superadmins anywhere; others only inside a unit they belong to, with roles they may grant."""
    if superadmin:
        return True
    if person is None:
        return False
    for membership in person.memberships:
        if role not in GRANTS.get(membership.role, set()):
            continue
        if membership.role == "staff" and (unit.id != membership.org_id or unit.kind != "class"):
            continue
        if unit.path.startswith(membership.org_path):
            return True
    return False


async def create(
    uow: UnitOfWork,
    *,
    unit: OrgUnit,
    role: str,
    bot_username: str,
    now: datetime,
    creator: PersonView | None,
    creator_tg_id: int | None,
    superadmin: bool,
    days: int | None = DEFAULT_DAYS,
    max_uses: int | None = None,
    head: bool = False,
) -> CreatedInvite:
    check_target(unit, role, head)
    if creator_tg_id is not None and not may_invite(creator, superadmin, unit, role):
        raise NotAllowed("invite")
    expires = now + timedelta(days=days) if days else None
    invite = await invites.create(
        uow.session,
        org_id=unit.id,
        role=role,
        now=now,
        expires_at=expires,
        max_uses=max_uses,
        created_by=creator_tg_id,
        head=head,
    )
    await audit.record(
        uow.session, now, creator_tg_id, "invite.create", f"org:{unit.id}", role=role, head=head
    )
    return CreatedInvite(
        code=invite.code,
        link=deep_link(bot_username, invite.code),
        org_id=unit.id,
        org_name=unit.name,
        role=role,
        expires_at=expires,
        max_uses=max_uses,
        head=head,
    )


async def unit(uow: UnitOfWork, org_id: int) -> OrgUnit | None:
    return await org_units.get(uow.session, org_id)


async def resolve_org(uow: UnitOfWork, ref: str) -> OrgUnit | None:
    """An org by numeric id or by its path of names ('Bắc Ninh/THPT Lý Thái Tổ/10A1')."""
    ref = ref.strip()
    if ref.isdigit():
        return await org_units.get(uow.session, int(ref))
    return await org_units.by_names(uow.session, [part.strip() for part in ref.split("/") if part])


MAX_CHOICES = 40


async def candidates(
    uow: UnitOfWork, person: PersonView | None, superadmin: bool
) -> list[tuple[OrgUnit, list[str]]]:
    """Units this person may invite into, each with the roles they may grant there."""
    scopes: list[str | None] = [None] if superadmin else []
    if person is not None:
        scopes += [m.org_path for m in person.memberships if m.role in GRANTS]
    seen: dict[int, OrgUnit] = {}
    for scope in scopes:
        for unit in await org_units.subtree(uow.reads, scope, ORG_KINDS, MAX_CHOICES + 1):
            seen.setdefault(unit.id, unit)
    found = []
    for unit in sorted(seen.values(), key=lambda u: u.path):
        roles = [
            role
            for role in ROLES
            if unit.kind in ROLE_KINDS[role] and may_invite(person, superadmin, unit, role)
        ]
        if unit.kind == "unit" and "staff" in roles:
            roles.append(UNIT_HEAD)
        if roles:
            found.append((unit, roles))
    return found
