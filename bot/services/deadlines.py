"""Deadlines: from the campaign pack (dated or yearly) and from /deadline (a school's or a
department's own, for its subtree). What is due when, who may set one, and what is coming
for one person.

A reminder goes at `REMIND_AT` local time, `offset` days before the due date. When the bot
was down, a reminder missed fires once it is back, unless it is stale: its deadline has
passed, or a later reminder of the same deadline is also due (only that one goes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.campaign.pack import CampaignPack
from bot.errors import NotAllowed
from bot.services.people import MembershipView, PersonView
from storage import deadlines as rows
from storage.db import UnitOfWork
from storage.deadlines import SchoolDeadlineRow
from storage.models import DEPARTMENT_KINDS

REMIND_AT = time(8, 0)  # local time of reminders and announcements
HORIZON_DAYS = 365  # /deadlines looks this far ahead
MAX_AHEAD_DAYS = 2 * 366  # /deadline refuses dates further ahead
MAX_OFFSET = 365
AUDIENCES: dict[str, tuple[str, ...]] = {
    "everyone": ("parent", "student", "staff", "principal"),
    "staff": ("staff", "principal"),
    "parents": ("parent",),
    "students": ("student",),
}
SETTERS = ("principal", "dept_admin")  # who may add deadlines, for the org they belong to
ORG_KINDS = {"principal": ("school",), "dept_admin": DEPARTMENT_KINDS}
# The role a message is worded for, when a person holds several the item concerns.
WORDING_ORDER = ("principal", "dept_admin", "staff", "parent", "student")


def wording_role(held: frozenset[str], audience: Sequence[str]) -> str:
    concerned = held & set(audience) or held
    return next((role for role in WORDING_ORDER if role in concerned), "parent")


def at_local(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, REMIND_AT, tzinfo=zone)


def reminder_offset(
    due: date, offsets: Sequence[int], local_now: datetime, zone: tzinfo
) -> int | None:
    """The offset whose reminder should have gone by `local_now` (None: none yet, or the
    deadline has passed). Of several, the latest (smallest offset): the others are stale."""
    if local_now.date() > due:
        return None
    gone = [k for k in offsets if at_local(due - timedelta(days=k), zone) <= local_now]
    return min(gone) if gone else None


def reminder_key(source: str, item: str | int, due: date, offset: int) -> str:
    return f"reminder:{source}:{item}:{due.isoformat()}:{offset}"


@dataclass(frozen=True)
class DueReminder:
    key: str
    source: str  # pack | school
    item: str  # pack deadline id, or school deadline id
    due: date
    offset: int
    audience: tuple[str, ...]
    completes: str | None
    path: str | None  # school deadlines: the org subtree they reach
    title: dict[str, str]  # by language ("vi", "en"); a school's own is typed in one
    description: dict[str, str] | None = None
    exclude: tuple[str, ...] = ()  # pack deadlines: subtrees with a province pack of their own
    levels: tuple[str, ...] | None = None  # pack deadlines: only schools of these levels
    # The pack's QĐ 4725 deadline: a school that entered the year's self-assessment is
    # done with it, whatever level it reached (`completes` names level 2's milestone).
    assessment: bool = False

    def title_in(self, language: str) -> str:
        return self.title.get(language) or next(iter(self.title.values()))


def pack_reminders(
    pack: CampaignPack,
    local_now: datetime,
    zone: tzinfo,
    *,
    province: str | None = None,
    path: str | None = None,
    exclude: tuple[str, ...] = (),
) -> list[DueReminder]:
    """Reminders due of `pack`'s deadlines, for the part of the tree it covers: the base
    everywhere but `exclude`, a province pack (slug `province`) at and below `path`. A
    province's reminders have keys of their own (`reminder:pack:<id>@<province>:…`)."""
    today = local_now.date()
    found: list[DueReminder] = []
    assessed = pack.self_assessment.deadline if pack.self_assessment is not None else None
    for deadline in pack.deadlines:
        offsets = deadline.remind_days_before
        if not offsets:
            continue
        item = f"{deadline.id}@{province}" if province else deadline.id
        until = min(today + timedelta(days=max(offsets)), pack.period_end)
        for due in deadline.occurrences(max(today, pack.period_start), until):
            offset = reminder_offset(due, offsets, local_now, zone)
            if offset is None:
                continue
            found.append(
                DueReminder(
                    key=reminder_key("pack", item, due, offset),
                    source="pack",
                    item=item,
                    due=due,
                    offset=offset,
                    audience=tuple(deadline.audience),
                    completes=deadline.completes,
                    path=path,
                    title=deadline.title.model_dump(),
                    description=deadline.description.model_dump() if deadline.description else None,
                    exclude=exclude,
                    levels=tuple(deadline.levels) if deadline.levels else None,
                    assessment=deadline.id == assessed,
                )
            )
    return found


async def school_reminders(uow: UnitOfWork, local_now: datetime, zone: tzinfo) -> list[DueReminder]:
    today = local_now.date()
    found: list[DueReminder] = []
    for row in await rows.between(uow.reads, today, today + timedelta(days=MAX_OFFSET)):
        offset = reminder_offset(row.due_date, row.remind_days_before, local_now, zone)
        if offset is None:
            continue
        found.append(
            DueReminder(
                key=reminder_key("school", row.id, row.due_date, offset),
                source="school",
                item=str(row.id),
                due=row.due_date,
                offset=offset,
                audience=row.audience,
                completes=row.completes,
                path=row.org_path,
                title={"vi": row.title},
            )
        )
    return found


# Who may set deadlines, and where --------------------------------------------------


@dataclass(frozen=True)
class Place:
    org_id: int
    name: str
    path: str


def places(person: PersonView | None) -> list[Place]:
    """The orgs this person may set deadlines for: a principal's school, a department
    officer's province or commune (their subtree)."""
    if person is None:
        return []
    seen: dict[int, Place] = {}
    for m in person.memberships:
        if m.role in SETTERS and m.org_kind in ORG_KINDS[m.role]:
            seen.setdefault(m.org_id, Place(m.org_id, m.org_name, m.org_path))
    return list(seen.values())


def may_set(person: PersonView | None, org_id: int) -> bool:
    return any(place.org_id == org_id for place in places(person))


async def add(
    uow: UnitOfWork,
    *,
    person: PersonView | None,
    org_id: int,
    title: str,
    audience: str,
    due: date,
    offsets: Sequence[int],
    completes: str | None,
    today: date,
    now: datetime,
) -> int:
    if not may_set(person, org_id) or audience not in AUDIENCES:
        raise NotAllowed("deadline")
    if not today <= due <= today + timedelta(days=MAX_AHEAD_DAYS):
        raise NotAllowed("date")
    return await rows.add(
        uow.session,
        org_id=org_id,
        created_by=person.id if person else None,
        title=title,
        audience=AUDIENCES[audience],
        due_date=due,
        remind_days_before=[k for k in offsets if 0 <= k <= MAX_OFFSET],
        completes=completes,
        now=now,
    )


async def cancel(uow: UnitOfWork, person: PersonView | None, deadline_id: int) -> bool:
    """False when it is gone or already cancelled; NotAllowed when it is not this person's
    to cancel (a forged button)."""
    found = await rows.get(uow.session, deadline_id)
    if found is None:
        return False
    if not may_set(person, found.org_id):
        raise NotAllowed("deadline")
    return await rows.cancel(uow.session, deadline_id)


async def of_places(
    uow: UnitOfWork, person: PersonView | None, today: date
) -> list[SchoolDeadlineRow]:
    return await rows.of_orgs(uow.reads, [p.org_id for p in places(person)], today)


# What is coming for one person --------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    due: date
    title: str
    days_left: int
    done: bool | None  # None: no milestone completes it


def _ancestors(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


async def upcoming(
    uow: UnitOfWork,
    campaign_id: int,
    packs: CampaignPack | Sequence[tuple[MembershipView, CampaignPack]],
    person: PersonView,
    today: date,
    language: str,
) -> list[Upcoming]:
    """Deadlines in the next year that concern this person: for each membership, those of
    the pack its place sees (`packs`: the pack of each membership, or one pack for all)
    that are for its role; their schools' and departments' own for the roles they hold
    below them. A deadline two memberships share is listed once."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    items: list[tuple[date, str, str | None]] = []
    if isinstance(packs, CampaignPack):
        packs = [(m, packs) for m in person.memberships]
    seen: set[tuple[date, str]] = set()
    for membership, pack in packs:
        for deadline in pack.deadlines:
            if membership.role not in deadline.audience:
                continue
            title = deadline.title.get(language)
            for due in deadline.occurrences(
                max(today, pack.period_start), min(horizon, pack.period_end)
            ):
                if (due, title) not in seen:
                    seen.add((due, title))
                    items.append((due, title, deadline.completes))
    org_ids = sorted({i for m in person.memberships for i in _ancestors(m.org_path)})
    for row in await rows.of_orgs(uow.reads, org_ids, today, limit=200):
        if row.due_date > horizon:
            continue
        reached = any(
            m.role in row.audience and m.org_path.startswith(row.org_path)
            for m in person.memberships
        )
        if reached:
            items.append((row.due_date, row.title, row.completes))
    completes = sorted({c for _, _, c in items if c})
    done = await rows.done(uow.reads, campaign_id, person.id, completes)
    items.sort(key=lambda item: item[0])
    return [
        Upcoming(due, title, (due - today).days, (key in done) if key else None)
        for due, title, key in items
    ]
