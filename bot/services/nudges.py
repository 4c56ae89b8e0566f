"""Nudges: a class's teacher reminds the members who have not reported a milestone.

Only a staff member of the class may nudge it, only about a milestone of the campaign
meant for the members' roles, and at most once per milestone, class and local day: the
`firings` row (`storage.firings.record`) is written in the transaction that decides the
nudge, and the caller queues the returned notices in that same transaction. Members
who blocked the bot or deleted their data are counted, not messaged. No Telegram here:
the handler under /class and any scheduled job call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.campaign.pack import CampaignPack, Milestone
from bot.services.notices import Notice
from bot.services.people import MembershipView, PersonView
from bot.text import READER_OF_ROLE, Plain, T, Text
from storage import firings, nudges
from storage.db import UnitOfWork
from storage.nudges import Member

REPORTED = frozenset({"pending", "approved", "accepted"})  # sent or counted: not nudged
MEMBER_ROLES = ("parent", "student")  # whom a class's teacher nudges


@dataclass(frozen=True)
class Fired:
    at: datetime
    recipients: int


@dataclass(frozen=True)
class Option:
    """A milestone the class could be nudged about today."""

    milestone: Milestone
    reachable: int  # have not reported it and can get a message
    unreachable: int  # have not reported it, but blocked the bot or left
    fired: Fired | None  # today's nudge about it, if there was one

    @property
    def open(self) -> bool:
        return self.fired is None and self.reachable > 0


@dataclass(frozen=True)
class Nudge:
    outcome: str  # queued | already | nobody | not_yours | unknown
    milestone: Milestone | None = None
    notices: tuple[Notice, ...] = ()
    unreachable: int = 0
    fired: Fired | None = None  # for `already`: the nudge that went out first

    @property
    def queued(self) -> int:
        return len(self.notices)


# readers: parent student
NUDGE = T(
    "A reminder from {teacher}, class {class_name}: the school is still waiting for your report "
    "on “{title}”. Once it is done, please report it with /report or the button below."
)


def reminder(class_name: str, teacher: str, title: str) -> Text:
    """A nudge; rendered for its reader ("Quý phụ huynh" for parents, "em" for students)."""
    return T(NUDGE.msgid, class_name=Plain(class_name), teacher=Plain(teacher), title=Plain(title))


def key(org_id: int, milestone_id: str, day: date) -> str:
    return f"nudge:{org_id}:{milestone_id}:{day.isoformat()}"


def class_of(person: PersonView | None, org_id: int) -> MembershipView | None:
    """The class `org_id` when `person` teaches it (a staff membership there), else None."""
    if person is None:
        return None
    for membership in person.memberships:
        if membership.org_id == org_id and membership.role == "staff":
            return membership if membership.org_kind == "class" else None
    return None


def _milestones(pack: CampaignPack) -> list[Milestone]:
    return [m for m in pack.milestones if set(m.audience) & set(MEMBER_ROLES)]


def _missing(members: list[Member], milestone: Milestone) -> tuple[list[Member], int]:
    """Members the milestone is for who have not reported it: (reachable, unreachable)."""
    reachable, unreachable = [], 0
    for member in members:
        if not member.roles & set(milestone.audience):
            continue
        if member.reports.get(milestone.id, frozenset()) & REPORTED:
            continue
        if member.tg_user_id is None or member.status != "active":
            unreachable += 1
        else:
            reachable.append(member)
    return reachable, unreachable


async def options(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, org_id: int, day: date
) -> list[Option]:
    """Per milestone for the class's members: who is missing, and today's nudge if any.
    The caller checks the person may nudge the class (`class_of`)."""
    members = await nudges.members(uow.session, campaign_id, org_id, MEMBER_ROLES)
    chosen = _milestones(pack)
    done = await firings.when(uow.session, [key(org_id, m.id, day) for m in chosen])
    found = []
    for milestone in chosen:
        reachable, unreachable = _missing(members, milestone)
        stamp = done.get(key(org_id, milestone.id, day))
        fired = Fired(stamp[0], stamp[1]) if stamp else None
        found.append(Option(milestone, len(reachable), unreachable, fired))
    return found


async def preview(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView | None,
    org_id: int,
    milestone_id: str,
    day: date,
) -> Option | str:
    """The option a nudge about `milestone_id` would take, or why there is none
    (not_yours, unknown)."""
    if class_of(person, org_id) is None:
        return "not_yours"
    for option in await options(uow, campaign_id, pack, org_id, day):
        if option.milestone.id == milestone_id:
            return option
    return "unknown"


async def nudge(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView | None,
    org_id: int,
    milestone_id: str,
    day: date,
    now: datetime,
) -> Nudge:
    """Decide a nudge and record it; the notices returned are the caller's to queue now."""
    place = class_of(person, org_id)
    if place is None or person is None:
        return Nudge("not_yours")
    milestone = next((m for m in _milestones(pack) if m.id == milestone_id), None)
    if milestone is None:
        return Nudge("unknown")
    fired_key = key(org_id, milestone_id, day)
    earlier = (await firings.when(uow.session, [fired_key])).get(fired_key)
    if earlier is not None:
        return Nudge("already", milestone, fired=Fired(*earlier))
    members = await nudges.members(uow.session, campaign_id, org_id, MEMBER_ROLES)
    reachable, unreachable = _missing(members, milestone)
    if not reachable:
        return Nudge("nobody", milestone, unreachable=unreachable)
    if not await firings.record(uow.session, fired_key, now, len(reachable)):
        # Someone else nudged it a moment ago: their row is committed now.
        again = (await firings.when(uow.session, [fired_key])).get(fired_key)
        return Nudge("already", milestone, fired=Fired(*again) if again else None)
    notices = tuple(
        _notice(member, milestone, place.org_name, person.name, milestone.audience)
        for member in reachable
    )
    return Nudge("queued", milestone, notices, unreachable)


def _notice(
    member: Member, milestone: Milestone, class_name: str, teacher: str, audience: tuple[str, ...]
) -> Notice:
    role = "parent" if "parent" in member.roles & set(audience) else "student"
    assert member.tg_user_id is not None
    return Notice(
        member.tg_user_id,
        member.language,
        reminder(class_name, teacher, milestone.title.get(member.language)),
        report_again=milestone.id,
        person_id=member.person_id,
        quiet_hours=member.quiet_hours,
        reader=READER_OF_ROLE[role],
    )
