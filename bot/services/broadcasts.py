"""Broadcasts: who may send to whom, the audience, create, fire, cancel, acks, results.

No Telegram here: `bot.delivery.broadcasts` turns a fired broadcast into outbox rows
(each recipient's frame in their language) and reports progress.

Audience kinds: everyone, staff (staff and principals), parents, students, orgs (every
member of the chosen classes, units or schools), missing (those the milestone is for who
have not had it counted: approved, or accepted where no verification is needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected, NotAllowed
from bot.services import scopes as scopes_of
from bot.services.people import PersonView
from storage import audit, org_units
from storage import broadcasts as store
from storage.broadcasts import Recipient
from storage.db import UnitOfWork
from storage.models import COUNTED, ROLES, Broadcast, OrgUnit

SENDER_ROLES = scopes_of.ADMIN_ROLES
AUDIENCES = ("everyone", "staff", "parents", "students", "orgs", "missing")
AUDIENCE_ROLES: dict[str, tuple[str, ...]] = {
    "everyone": ROLES,
    "staff": ("staff", "principal"),
    "parents": ("parent",),
    "students": ("student",),
    "orgs": ROLES,
}
TEXT_LIMIT = 4096  # Telegram: a message's text
CAPTION_LIMIT = 1024  # Telegram: a photo's or document's caption
MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Draft:
    """What the /broadcast flow gathered (org ids as ints, texts NFC)."""

    scope: int
    audience: str
    orgs: tuple[int, ...] = ()
    missing: str | None = None
    text: str = ""
    text_en: str | None = None
    media_kind: str | None = None
    media_file_id: str | None = None
    needs_ack: bool = False
    urgent: bool = False

    @classmethod
    def of(cls, data: dict[str, Any]) -> Draft:
        return cls(
            scope=int(data["scope"]),
            audience=str(data["audience"]),
            orgs=tuple(int(i) for i in data.get("orgs") or ()),
            missing=data.get("missing"),
            text=str(data.get("text") or ""),
            text_en=data.get("text_en") or None,
            media_kind=data.get("media_kind"),
            media_file_id=data.get("media_file_id"),
            needs_ack=bool(data.get("needs_ack")),
            urgent=bool(data.get("urgent")),
        )


# Who may send ------------------------------------------------------------------


def may_broadcast(person: PersonView | None, superadmin: bool, unit: OrgUnit) -> bool:
    """Superadmins anywhere; principals in their school; department admins in their subtree."""
    return scopes_of.administers(person, superadmin, unit)


async def scopes(uow: UnitOfWork, person: PersonView | None, superadmin: bool) -> list[OrgUnit]:
    """The org units this person sends from: their school or department; for superadmins
    the top of the tree."""
    return await scopes_of.roots(uow, person, superadmin)


async def parts(uow: UnitOfWork, scope: OrgUnit, limit: int = 60) -> list[OrgUnit]:
    """What "classes or units" offers under `scope`: a school's units and classes; a
    province's communes and the schools right under the Sở; a commune's schools."""
    if scope.kind == "province":
        return await org_units.children(uow.reads, scope.id, limit)
    kinds = ("unit", "class") if scope.kind == "school" else ("school",)
    return [u for u in await org_units.subtree(uow.reads, scope.path, kinds, limit)]


# The audience ---------------------------------------------------------------------


def frame_role(roles: frozenset[str]) -> str:
    """Whose words the frame uses for someone with these roles (one form per message): an
    address group of `bot.text.READERS`, the same the rest of their messages use."""
    for role, frame in (
        ("principal", "staff"),
        ("staff", "staff"),
        ("dept_admin", "officer"),
        ("parent", "parent"),
        ("student", "student"),
    ):
        if role in roles:
            return frame
    return "parent"


def reachable(recipient: Recipient, urgent: bool) -> bool:
    """Unreachable people, and (unless urgent) those who turned announcements off, are skipped."""
    if recipient.status != "active":
        return False
    return urgent or recipient.announcements


async def audience(
    uow: UnitOfWork, broadcast_audience: dict[str, Any], scope: OrgUnit, exclude: int | None
) -> list[Recipient]:
    """Everyone the stored audience names, reachable or not."""
    kind = broadcast_audience.get("kind", "everyone")
    org_ids = [int(i) for i in broadcast_audience.get("orgs") or ()]
    paths = [scope.path]
    if org_ids:
        units = [await org_units.get(uow.reads, i) for i in org_ids]
        paths = [u.path for u in units if u is not None and u.path.startswith(scope.path)]
    roles = list(broadcast_audience.get("roles") or AUDIENCE_ROLES.get(kind, ROLES))
    missing = None
    if broadcast_audience.get("missing"):
        missing = (int(broadcast_audience["campaign"]), broadcast_audience["missing"], COUNTED)
    return await store.recipients(
        uow.reads, paths=paths, roles=roles, missing=missing, exclude=exclude
    )


def audience_json(draft: Draft, campaign_id: int, pack: CampaignPack) -> dict[str, Any]:
    roles: list[str]
    if draft.audience == "missing":
        if draft.missing is None or draft.missing not in {m.id for m in pack.milestones}:
            raise InputRejected("milestone")
        roles = list(pack.milestone(draft.missing).audience)
    else:
        roles = list(AUDIENCE_ROLES[draft.audience])
    return {
        "kind": draft.audience,
        "roles": roles,
        "orgs": list(draft.orgs),
        "missing": draft.missing if draft.audience == "missing" else None,
        "campaign": campaign_id,
    }


@dataclass(frozen=True)
class Count:
    reachable: int
    skipped: int
    roles: dict[str, int]  # frame role → how many of those reached

    @property
    def total(self) -> int:
        return self.reachable + self.skipped


async def count(
    uow: UnitOfWork,
    draft: Draft,
    *,
    person: PersonView | None,
    superadmin: bool,
    campaign_id: int,
    pack: CampaignPack,
) -> Count:
    scope = await checked_scope(uow, draft, person, superadmin)
    found = await audience(
        uow, audience_json(draft, campaign_id, pack), scope, person.id if person else None
    )
    roles: dict[str, int] = {}
    for r in found:
        if reachable(r, draft.urgent):
            role = frame_role(r.roles)
            roles[role] = roles.get(role, 0) + 1
    sent = sum(roles.values())
    return Count(sent, len(found) - sent, roles)


async def checked_scope(
    uow: UnitOfWork, draft: Draft, person: PersonView | None, superadmin: bool
) -> OrgUnit:
    """The scope unit, refusing what this person may not address (a forged button)."""
    scope = await org_units.get(uow.reads, draft.scope)
    if scope is None or not may_broadcast(person, superadmin, scope):
        raise NotAllowed("scope")
    if draft.audience not in AUDIENCES:
        raise InputRejected("audience")
    if draft.audience == "orgs":
        if not draft.orgs:
            raise InputRejected("empty")
        for org_id in draft.orgs:
            unit = await org_units.get(uow.reads, org_id)
            if unit is None or not unit.path.startswith(scope.path) or unit.id == scope.id:
                raise NotAllowed("scope")
    return scope


# Creating, firing, cancelling ----------------------------------------------------------


def check_texts(draft: Draft, reserve: int) -> None:
    limit = (CAPTION_LIMIT if draft.media_kind else TEXT_LIMIT) - reserve
    if not draft.text.strip():
        raise InputRejected("empty_text")
    for text in (draft.text, draft.text_en or ""):
        if len(text) > limit:
            raise InputRejected("too_long")


def check_send_at(send_at: datetime, now: datetime) -> None:
    if send_at < now - timedelta(minutes=1):
        raise InputRejected("past")
    if send_at > now + MAX_AHEAD:
        raise InputRejected("too_far")


async def create(
    uow: UnitOfWork,
    draft: Draft,
    *,
    person: PersonView | None,
    superadmin: bool,
    campaign_id: int,
    pack: CampaignPack,
    send_at: datetime,
    now: datetime,
    sender_chat_id: int,
    reserve: int = 0,
) -> Broadcast:
    """Check everything and store the broadcast as `scheduled` (at `send_at`, maybe now).

    Raises NotAllowed (scope), InputRejected (empty: nobody to send to; too_long,
    empty_text, past, too_far, milestone, audience)."""
    scope = await checked_scope(uow, draft, person, superadmin)
    check_texts(draft, reserve)
    check_send_at(send_at, now)
    stored = audience_json(draft, campaign_id, pack)
    found = await audience(uow, stored, scope, person.id if person else None)
    if not found:
        raise InputRejected("empty")
    broadcast = await store.add(
        uow.session,
        org_id=scope.id,
        created_by=person.id if person else None,
        audience=stored,
        text=draft.text,
        text_en=draft.text_en,
        media_kind=draft.media_kind,
        media_file_id=draft.media_file_id,
        needs_ack=draft.needs_ack,
        urgent=draft.urgent,
        send_at=max(send_at, now),
        status="scheduled",
        total=0,
        skipped=0,
        sender_chat_id=sender_chat_id,
        created_at=now,
    )
    await audit.record(
        uow.session,
        at=now,
        actor_tg_id=person.tg_user_id if person else None,
        action="broadcast.create",
        target=f"broadcast:{broadcast.id}",
        org=scope.id,
        audience=draft.audience,
        urgent=draft.urgent,
    )
    return broadcast


@dataclass(frozen=True)
class Firing:
    broadcast: Broadcast
    scope: OrgUnit
    recipients: list[Recipient]  # those to send to
    skipped: int


async def start_firing(uow: UnitOfWork, broadcast_id: int, now: datetime) -> Firing | None:
    """scheduled → sending, guarded; the recipients to queue. None when someone else fired
    or cancelled it first."""
    if not await store.move(uow.session, broadcast_id, "scheduled", "sending", fired_at=now):
        return None
    broadcast = await store.get(uow.session, broadcast_id)
    assert broadcast is not None
    await uow.session.refresh(broadcast)
    scope = await org_units.get(uow.session, broadcast.org_id)
    assert scope is not None
    found = await audience(uow, broadcast.audience, scope, broadcast.created_by)
    chosen = [r for r in found if reachable(r, broadcast.urgent)]
    skipped = len(found) - len(chosen)
    await store.set_fields(uow.session, broadcast_id, total=len(chosen), skipped=skipped)
    broadcast.total, broadcast.skipped = len(chosen), skipped
    return Firing(broadcast, scope, chosen, skipped)


async def due(uow: UnitOfWork, now: datetime) -> list[int]:
    return await store.due(uow.session, now)


def sees(person: PersonView | None, superadmin: bool, broadcast_path: str) -> bool:
    if superadmin:
        return True
    return person is not None and any(
        m.role in SENDER_ROLES and broadcast_path.startswith(m.org_path) for m in person.memberships
    )


async def cancel(
    uow: UnitOfWork, broadcast_id: int, person: PersonView | None, superadmin: bool, now: datetime
) -> str:
    """cancelled | already_sent | already_cancelled | not_allowed | gone"""
    broadcast = await store.get(uow.session, broadcast_id)
    if broadcast is None:
        return "gone"
    unit = await org_units.get(uow.session, broadcast.org_id)
    if unit is None or not may_broadcast(person, superadmin, unit):
        return "not_allowed"
    if await store.move(uow.session, broadcast_id, "scheduled", "cancelled", finished_at=now):
        await audit.record(
            uow.session,
            at=now,
            actor_tg_id=person.tg_user_id if person else None,
            action="broadcast.cancel",
            target=f"broadcast:{broadcast_id}",
        )
        return "cancelled"
    await uow.session.refresh(broadcast)
    return "already_cancelled" if broadcast.status == "cancelled" else "already_sent"


@dataclass(frozen=True)
class Results:
    broadcast_id: int
    status: str
    total: int
    skipped: int
    sent: int
    failed: int
    blocked: int
    waiting: int  # queued or in flight
    acknowledged: int
    needs_ack: bool

    @property
    def finished(self) -> bool:
        return self.status in ("sending", "done") and self.waiting == 0


async def results(uow: UnitOfWork, broadcast: Broadcast) -> Results:
    counts = await store.counts(uow.reads, broadcast.id)
    acked = await store.ack_count(uow.reads, broadcast.id) if broadcast.needs_ack else 0
    return Results(
        broadcast_id=broadcast.id,
        status=broadcast.status,
        total=broadcast.total,
        skipped=broadcast.skipped,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        blocked=counts.get("blocked", 0),
        waiting=counts.get("queued", 0) + counts.get("sending", 0),
        acknowledged=acked,
        needs_ack=broadcast.needs_ack,
    )


async def finish_if_done(uow: UnitOfWork, broadcast: Broadcast, now: datetime) -> bool:
    """sending → done once no row of it waits; True when this call made it done."""
    found = await results(uow, broadcast)
    if broadcast.status != "sending" or found.waiting:
        return False
    return await store.move(uow.session, broadcast.id, "sending", "done", finished_at=now)


async def listed(
    uow: UnitOfWork, person: PersonView | None, superadmin: bool, statuses: Sequence[str]
) -> list[tuple[Broadcast, str]]:
    """Broadcasts this person may manage, newest first, with their org's name."""
    if superadmin:
        return await store.in_scope(uow.reads, None, statuses, 10)
    paths = [m.org_path for m in (person.memberships if person else ()) if m.role in SENDER_ROLES]
    if not paths:
        return []
    return await store.in_scope(uow.reads, paths, statuses, 10)


# Acknowledgements -------------------------------------------------------------------


async def acknowledge(uow: UnitOfWork, broadcast_id: int, person_id: int, now: datetime) -> str:
    """done | again (pressed before) | not_received (a forged or foreign button)"""
    broadcast = await store.get(uow.reads, broadcast_id)
    if broadcast is None or not broadcast.needs_ack:
        return "not_received"
    if not await store.received(uow.reads, broadcast_id, person_id):
        return "not_received"
    if await store.acknowledge(uow.session, broadcast_id, person_id, now):
        return "done"
    return "again"


async def not_read(
    uow: UnitOfWork,
    broadcast_id: int,
    person: PersonView | None,
    superadmin: bool,
    limit: int = 100,
) -> list[str] | None:
    """Names of those who have not acknowledged yet; None when this person may not see them."""
    broadcast = await store.get(uow.reads, broadcast_id)
    if broadcast is None:
        return None
    unit = await org_units.get(uow.reads, broadcast.org_id)
    if unit is None or not may_broadcast(person, superadmin, unit):
        return None
    return await store.not_acknowledged(uow.reads, broadcast_id, limit)
