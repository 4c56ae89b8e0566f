"""Scheduled jobs: deadline reminders and the pack's yearly announcements.

Each is a `bot.jobs.Job`. It works out from the pack and the database what is due at
`now`, leaves out what has fired already (table `firings`), and fires each remaining
item in a transaction of its own: the firing row first (its unique key makes a second
worker's attempt fail and roll back), then one outbox row per recipient, rendered once
per (language, role). An item that fails is logged by key and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.campaign.pack import Announcement, CampaignPack
from bot.delivery.outbox import Outgoing
from bot.jobs import JobContext
from bot.services import deadlines, schools
from bot.services.campaigns import Area
from bot.services.deadlines import DueReminder, at_local, wording_role
from bot.services.reports import REPORTING_ROLES
from bot.services.self_assessments import school_year
from bot.text import READER_OF_ROLE, Joined, Plain, T, Text
from storage import deadlines as rows
from storage import firings, school_entries
from storage.db import UnitOfWork
from storage.deadlines import Recipient

log = logging.getLogger("hocvuso.scheduler")

ANNOUNCE_LATE_DAYS = 3  # an announcement more than this late is stale: skipped

# Worded for each reader (msgctxt variants: "Kính nhắc Quý phụ huynh", "Em nhớ nhé", ...);
# the caller renders them for the recipient's address group.
# readers: parent student staff officer
DUE_TODAY = T("⏰ A reminder: “{title}” is due today, {day}.")
# readers: parent student staff officer
DUE_TOMORROW = T("⏰ A reminder: “{title}” is due tomorrow, {day}.")
# readers: parent student staff officer
DUE_IN = T("⏰ A reminder: “{title}” is due on {day}, in {days} days.")
# readers: parent student staff
REPORT_HINT = T("Once you have done it, please report it with /report so that it counts.")
# readers: principal
ASSESSMENT_HINT = T(
    "Please enter the school's scores with /stats, button “QĐ 4725 self-assessment”: "
    "the bot works out the level."
)
ANNOUNCEMENT = T("📢 Announcement from the school")


def reminder_text(
    role: str,
    title: str,
    description: str | None,
    due: date,
    today: date,
    completes: bool,
    assessment: bool = False,
) -> Text:
    days = (due - today).days
    if days <= 0:
        line = DUE_TODAY
    elif days == 1:
        line = DUE_TOMORROW
    else:
        line = DUE_IN
    parts: list[Text] = [T(line.msgid, title=Plain(title), day=due, days=days)]
    if description:
        parts.append(Plain(description))
    if assessment and role == "principal":
        parts.append(ASSESSMENT_HINT)
    elif completes and role in REPORTING_ROLES:
        parts.append(REPORT_HINT)
    return Joined(tuple(parts))


@dataclass
class Fired:
    queued: int = 0
    skipped: int = 0

    @property
    def reached(self) -> bool:
        """Whether anyone was concerned. An item of a pack with nobody in its part of the
        tree (the base, where every school has a province pack) fires empty: its firing
        row is kept, so it is not looked at again, but it is not counted as sent."""
        return bool(self.queued or self.skipped)


Compose = Callable[[str, str], str]  # (language, role) -> the rendered text


async def _fire(
    ctx: JobContext,
    key: str,
    now: datetime,
    source: str,
    find: Callable[[UnitOfWork], Awaitable[list[Recipient]]],
    compose: Compose,
    *,
    announcement: bool,
) -> Fired | None:
    """One item in one transaction. None: another worker fired it first."""
    uow = ctx.database.unit_of_work()
    try:
        if await firings.fired(uow.session, [key]):
            await uow.abort()
            return None
        await firings.claim(uow.session, key, now)
        fired = Fired()
        texts: dict[tuple[str, str], str] = {}
        messages: list[Outgoing] = []
        for person in await find(uow):
            if person.status != "active" or (announcement and not person.announcements):
                fired.skipped += 1
                continue
            role = next(iter(sorted(person.roles)))
            wording = (person.language, role)
            text = texts.get(wording)
            if text is None:
                text = texts[wording] = compose(*wording)
            messages.append(
                Outgoing(
                    chat_id=person.tg_user_id,
                    text=text,
                    source=source,
                    person_id=person.person_id,
                    quiet_hours=person.quiet_hours,
                )
            )
        await ctx.outbox.post(uow, messages)
        fired.queued = len(messages)
        await firings.set_recipients(uow.session, key, fired.queued)
        await uow.finish()
    except IntegrityError:
        await uow.abort()
        # Another worker fired it first (unique key), or someone left mid-way (/forget):
        # nothing was written, and the next tick decides again.
        log.info("%s: not fired this time (a concurrent write)", key)
        return None
    except BaseException:
        await uow.abort()
        raise
    log.info("%s: queued %d, skipped %d", key, fired.queued, fired.skipped)
    return fired


def _concerned(people: list[Recipient], audience: tuple[str, ...]) -> list[Recipient]:
    """Each person once, under the one role their message is worded for."""
    return [
        Recipient(
            p.person_id,
            p.tg_user_id,
            p.language,
            p.quiet_hours,
            p.status,
            p.announcements,
            frozenset({wording_role(p.roles, audience)}),
        )
        for p in people
    ]


async def remind(ctx: JobContext, now: datetime) -> int:
    """Deadline reminders due at `now`, pack and school ones; returns how many fired."""
    zone = ctx.clock.zone
    local_now = now.astimezone(zone)
    uow = ctx.database.unit_of_work()
    try:
        campaign_id, areas = await ctx.shared.campaign.areas(uow)
        due = []
        for area in areas:
            due += deadlines.pack_reminders(
                area.pack,
                local_now,
                zone,
                province=province_of(area),
                path=area.path,
                exclude=area.exclude,
            )
        due += await deadlines.school_reminders(uow, local_now, zone)
        done = await firings.fired(uow.reads, [item.key for item in due])
    finally:
        await uow.abort()
    count = 0
    for item in due:
        if item.key in done:
            continue
        try:
            fired = await _fire_reminder(ctx, campaign_id, item, now)
        except Exception:
            log.exception("%s: reminder failed", item.key)
            continue
        count += fired is not None and fired.reached
    return count


async def _fire_reminder(
    ctx: JobContext, campaign_id: int, item: DueReminder, now: datetime
) -> Fired | None:
    today = now.astimezone(ctx.clock.zone).date()

    def compose(language: str, role: str) -> str:
        description = item.description.get(language) if item.description else None
        text = reminder_text(
            role,
            item.title_in(language),
            description,
            item.due,
            today,
            item.completes is not None,
            item.assessment,
        )
        return ctx.renderer(language, READER_OF_ROLE.get(role))(text)

    async def find(uow: UnitOfWork) -> list[Recipient]:
        if item.source == "school" and await rows.get(uow.session, int(item.item)) is None:
            return []  # cancelled since the tick began
        skip = (
            await schools.schools_outside(uow.session, item.levels, item.path)
            if item.levels
            else frozenset()
        )
        if item.assessment:  # entered this school year: nothing left to remind of
            skip |= await school_entries.assessed_schools(uow.session, school_year(item.due))
        people = await rows.audience(
            uow.session,
            item.audience,
            path=item.path,
            campaign_id=campaign_id,
            missing=item.completes,
            exclude=item.exclude,
            skip_schools=skip,
        )
        return _concerned(people, item.audience)

    return await _fire(ctx, item.key, now, "reminder", find, compose, announcement=False)


def province_of(area: Area) -> str | None:
    """The province pack's slug of an area ("bdhvs_2025_2030@bdhvs_bac_ninh"), None for
    the base: it tells a province's firings apart from the base's."""
    return area.key.partition("@")[2] or None


def announcement_key(announcement: Announcement, day: date, province: str | None = None) -> str:
    """Yearly ones by year (`announcement:tet_fraud_warning:2027`), the others by day; a
    province pack's with its slug (`announcement:exam_season@bdhvs_khanh_hoa:2027`)."""
    when = str(day.year) if announcement.yearly is not None else day.isoformat()
    item = f"{announcement.id}@{province}" if province else announcement.id
    return f"announcement:{item}:{when}"


def due_announcements(pack: CampaignPack, local_now: datetime) -> list[tuple[Announcement, date]]:
    """Announcements whose hour has come, with their day, leaving out stale ones."""
    today = local_now.date()
    first = max(today - timedelta(days=ANNOUNCE_LATE_DAYS), pack.period_start)
    due = []
    for announcement in pack.announcements:
        days = [
            day
            for day in announcement.occurrences(first, min(today, pack.period_end))
            if at_local(day, local_now.tzinfo) <= local_now  # type: ignore[arg-type]
        ]
        if days:  # a weekly one missed twice goes out once, for the latest week
            due.append((announcement, days[-1]))
    return due


async def announce(ctx: JobContext, now: datetime) -> int:
    """The packs' recurring announcements due at `now`, each to the part of the tree its
    pack covers; returns how many fired."""
    local_now = now.astimezone(ctx.clock.zone)
    uow = ctx.database.unit_of_work()
    try:
        _, areas = await ctx.shared.campaign.areas(uow)
        due = [
            (area, announcement, day, announcement_key(announcement, day, province_of(area)))
            for area in areas
            for announcement, day in due_announcements(area.pack, local_now)
        ]
        done = await firings.fired(uow.reads, [key for *_, key in due])
    finally:
        await uow.abort()
    count = 0
    for area, announcement, _day, key in due:
        if key in done:
            continue
        try:
            fired = await _announce(ctx, key, area, announcement, now)
        except Exception:
            log.exception("%s: announcement failed", key)
            continue
        count += fired is not None and fired.reached
    return count


async def _announce(
    ctx: JobContext, key: str, area: Area, announcement: Announcement, now: datetime
) -> Fired | None:
    audience = tuple(announcement.audience)

    def compose(language: str, role: str) -> str:
        body = Plain(announcement.text_for(role).get(language))
        return ctx.renderer(language, READER_OF_ROLE.get(role))(Joined((ANNOUNCEMENT, body)))

    async def find(uow: UnitOfWork) -> list[Recipient]:
        skip = (
            await schools.schools_outside(uow.session, announcement.levels, area.path)
            if announcement.levels
            else frozenset()
        )
        found = await rows.audience(
            uow.session, audience, path=area.path, exclude=area.exclude, skip_schools=skip
        )
        return _concerned(found, audience)

    return await _fire(ctx, key, now, "announcement", find, compose, announcement=True)
