"""What the bot keeps about a person (/mydata, settings included), changing their language,
and keeping what /forget deleted out of the database files (`scrub`, `nightly`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.families import stored_children
from bot.jobs import JobContext
from storage import firings, nominations, org_units, people, quizzes, reports
from storage.db import Database, UnitOfWork
from storage.db import scrub as scrub_files


@dataclass(frozen=True)
class HeldMembership:
    path: tuple[str, ...]
    role: str
    since: datetime
    children: tuple[str, ...] = ()  # a parent's children in this class, as they wrote them
    relation: str | None = None
    head: bool = False  # heads the unit (tổ trưởng)


@dataclass(frozen=True)
class SentFor:
    """A report sent for a class or unit: it belongs to them, but who sent it is personal."""

    place: str
    milestone: str
    status: str
    at: datetime


@dataclass(frozen=True)
class HeldData:
    tg_user_id: int
    name: str
    language: str
    consent_at: datetime | None
    created_at: datetime
    memberships: tuple[HeldMembership, ...]
    quiet_hours: str | None = None  # None: the school's
    announcements: bool = True
    own_reports: int = 0
    sent_for: tuple[SentFor, ...] = ()
    quizzes: tuple[tuple[str, int, int | None], ...] = ()  # quiz id, attempts, best score
    # A principal's changes to award shortlists about them: award id, added or removed,
    # the reason, when.
    nominations: tuple[tuple[str, str, str, datetime], ...] = ()


async def held_data(uow: UnitOfWork, tg_user_id: int) -> HeldData | None:
    person = await people.by_tg(uow.reads, tg_user_id)
    if person is None:
        return None
    held = []
    for membership, unit in await people.memberships(uow.reads, person.id):
        chain = await org_units.lineage(uow.reads, unit)
        held.append(
            HeldMembership(
                tuple(u.name for u in chain),
                membership.role,
                membership.created_at,
                stored_children(membership.child_names),
                membership.relation,
                bool(membership.head),
            )
        )
    sent = await reports.sent_by(uow.reads, person.id)
    return HeldData(
        tg_user_id=tg_user_id,
        name=person.display_name,
        language=person.language,
        consent_at=person.consent_at,
        created_at=person.created_at,
        memberships=tuple(held),
        quiet_hours=person.quiet_hours,
        announcements=bool(person.announcements),
        own_reports=await reports.count_own(uow.reads, person.id),
        sent_for=tuple(
            SentFor(place, report.milestone_key, report.status, report.reported_at)
            for report, place in sent
        ),
        quizzes=await quizzes.summary(uow.reads, person.id),
        nominations=tuple(
            (change.award_key, change.change, change.reason, change.changed_at)
            for change in await nominations.about(uow.reads, person.id)
        ),
    )


async def set_language(uow: UnitOfWork, person_id: int, language: str) -> None:
    await people.set_language(uow.session, person_id, language)


PERSONAL_TABLES = (
    "people",
    "memberships",
    "reports",
    "conversation_states",
    "audit_log",
    "invites",
    "quiz_attempts",
    "quiz_answers",
    "outbox",
    "acknowledgements",
    "nomination_changes",
)


async def scrub(database: Database) -> None:
    """After a /forget has committed: nothing of the person is left to recover in the files."""
    await scrub_files(database, PERSONAL_TABLES)


NIGHTLY_FROM = 3  # o'clock, local time: nobody is reporting


async def nightly(ctx: JobContext, now: datetime) -> int:
    """The scrub once a day, at the first tick from 3:00: a /forget whose own scrub a stop
    cut short, or gave up on a snapshot held longer than its patience, is finished by
    morning. The day's firing row keeps it to once a day, whichever worker ticks and
    however often it restarts. It runs in the background, so the tick does not wait."""
    local = now.astimezone(ctx.clock.zone)
    if local.hour < NIGHTLY_FROM:
        return 0
    uow = ctx.database.unit_of_work()
    try:
        claimed = await firings.record(uow.session, f"scrub:{local.date().isoformat()}", now, 0)
        await uow.finish()
    except BaseException:
        await uow.abort()
        raise
    if not claimed:
        return 0
    ctx.shared.background.spawn(scrub(ctx.database), "nightly scrub")
    return 1
