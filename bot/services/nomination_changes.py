"""A principal adds a name to an award's shortlist, or removes one, with a reason.

Only the principal of the school decides (department officers and superadmins read);
what is added must be someone (or a class, a unit) of that school the award is for
and not on the shortlist; what is removed must be on it. Anything else (a forged
button, another school's person, an award the pack does not have) is refused with a
reason the handler words politely. Every change is audited (ids only) and replaces the
one before for the same award and name, so removing and adding back works.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.campaign.nominations import Award, award_of, reason_text
from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected, NotAllowed
from bot.services.nominations import Candidate, shortlist
from bot.services.people import PersonView
from bot.text import normalise
from storage import audit, org_units
from storage import nominations as rows
from storage.db import UnitOfWork
from storage.models import OrgUnit

MATCHES = 8  # names offered for a typed part of a name
ACTIONS = {"add": "added", "remove": "removed"}


class NominationRefused(InputRejected):
    """`reason`: award (not in the pack), outside (not of this school, or not whom the
    award is for), listed (already on the shortlist), not_listed, or reason (empty or
    too long)."""


@dataclass(frozen=True)
class Named:
    key: str  # "p<person id>" or "o<class or unit id>"
    name: str
    place: str


def fold(text: str) -> str:
    """For matching what people type: no diacritics, đ as d, case folded."""
    decomposed = unicodedata.normalize("NFD", normalise(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def decides(person: PersonView | None, school: OrgUnit) -> bool:
    """Whether this person is the principal of this school."""
    return person is not None and any(
        m.role == "principal" and m.org_id == school.id for m in person.memberships
    )


async def school_of(uow: UnitOfWork, person: PersonView | None, school_id: int) -> OrgUnit:
    """The school whose shortlist this person may change; NotAllowed otherwise."""
    school = await org_units.get(uow.reads, school_id)
    if school is None or school.kind != "school" or not decides(person, school):
        raise NotAllowed("nominations")
    return school


def _award(pack: CampaignPack, award_id: str) -> Award:
    award = award_of(pack, award_id)
    if award is None:
        raise NominationRefused("award")
    return award


async def eligible(uow: UnitOfWork, award: Award, school: OrgUnit) -> list[Named]:
    """Everyone (or every class, unit) of the school the award is for."""
    if award.collective:
        units = await rows.places(uow.reads, school.path, list(award.audience))
        return [Named(f"o{u.id}", normalise(u.name), "") for u in units]
    roles = list(award.audience)
    if "staff" in roles and "principal" not in roles:
        roles.append("principal")
    found: dict[str, Named] = {}
    for member in await rows.members(uow.reads, school.path, roles):
        key = f"p{member.person_id}"
        place = member.org_name if member.org_kind in ("class", "unit") else ""
        before = found.get(key)
        if before is None or (place and not before.place):
            found[key] = Named(key, normalise(member.name), place)
    return list(found.values())


async def listed(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, school: OrgUnit, award_id: str
) -> list[Candidate]:
    """The award's shortlist shown for the school (what a principal may remove from)."""
    award = _award(pack, award_id)
    return (await shortlist(uow, campaign_id, pack, award, school.path)).listed


async def matches(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    school: OrgUnit,
    award_id: str,
    typed: str,
) -> list[Named]:
    """Who of the school could be added: the award is for them, they are not on the
    shortlist, and their name contains what was typed (diacritics and case aside)."""
    award = _award(pack, award_id)
    on_list = {c.key for c in await listed(uow, campaign_id, pack, school, award_id)}
    wanted = fold(typed)
    found = [
        n
        for n in await eligible(uow, award, school)
        if n.key not in on_list and wanted in fold(n.name)
    ]
    return sorted(found, key=lambda n: (n.name.casefold(), n.key))[:MATCHES]


async def change(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView | None,
    actor_tg_id: int,
    school_id: int,
    award_id: str,
    key: str,
    action: str,
    reason: str,
    now: datetime,
) -> str:
    """Add (`action` "add") or remove a name; returns the name. NotAllowed when the
    person is not the school's principal; NominationRefused for anything else wrong."""
    school = await school_of(uow, person, school_id)
    award = _award(pack, award_id)
    kept = reason_text(reason)
    if kept is None or action not in ACTIONS:
        raise NominationRefused("reason")
    subject = next((n for n in await eligible(uow, award, school) if n.key == key), None)
    if subject is None:
        raise NominationRefused("outside")
    on_list = {c.key for c in await listed(uow, campaign_id, pack, school, award_id)}
    if action == "add" and key in on_list:
        raise NominationRefused("listed")
    if action == "remove" and key not in on_list:
        raise NominationRefused("not_listed")
    holder = int(key[1:])
    person_id, org_id = (holder, None) if key[0] == "p" else (None, holder)
    assert person is not None
    before = await rows.put_change(
        uow.session,
        campaign_id=campaign_id,
        award=award.id,
        school_id=school.id,
        person_id=person_id,
        org_id=org_id,
        change=ACTIONS[action],
        reason=kept,
        by=person.id,
        now=now,
    )
    await audit.record(
        uow.session,
        now,
        actor_tg_id,
        f"nomination.{action}",
        f"person:{person_id}" if person_id else f"org_unit:{org_id}",
        award=award.id,
        school=school.id,
        campaign=campaign_id,
        before=before,
    )
    return subject.name
