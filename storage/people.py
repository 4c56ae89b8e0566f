"""People and memberships repository."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from storage.models import (
    Acknowledgement,
    AuditEntry,
    ConversationState,
    Invite,
    Membership,
    NominationChange,
    OrgUnit,
    OutboxMessage,
    Person,
    QuizAnswer,
    QuizAttempt,
    Report,
)


@dataclass(frozen=True)
class Member:
    """One membership of a person: who, in which role, in which org (a school, unit or
    class), as the exports and the award shortlists list them."""

    person_id: int
    name: str
    role: str
    org_id: int
    org_name: str
    org_kind: str
    org_path: str


def members_query() -> Select[Any]:
    """People joined to their memberships and orgs, in `Member`'s columns; callers add
    their own conditions and order."""
    return (
        select(
            Person.id,
            Person.display_name,
            Membership.role,
            OrgUnit.id,
            OrgUnit.name,
            OrgUnit.kind,
            OrgUnit.path,
        )
        .join(Membership, Membership.person_id == Person.id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
    )


_people = Person.__table__
# Hot-path statements are built once: building one costs more than SQLite takes to run it.
_CREATE_MANY = insert(_people).returning(_people.c.id, sort_by_parameter_order=True)
_ADD_MEMBERSHIP = insert(Membership.__table__)
_SUMMARY = select(
    _people.c.id,
    _people.c.display_name,
    _people.c.language,
    _people.c.status,
    _people.c.quiet_hours,
    _people.c.announcements,
).where(_people.c.tg_user_id == bindparam("tg_user_id"))


async def by_tg(session: AsyncSession, tg_user_id: int) -> Person | None:
    return (await session.scalars(select(Person).where(Person.tg_user_id == tg_user_id))).first()


# Read for everyone the directory does not know yet: built once.
_MEMBERSHIPS = (
    select(Membership, OrgUnit)
    .join(OrgUnit, OrgUnit.id == Membership.org_id)
    .where(Membership.person_id == bindparam("person_id"))
    .order_by(Membership.id)
)


async def memberships(session: AsyncSession, person_id: int) -> list[tuple[Membership, OrgUnit]]:
    rows = await session.execute(_MEMBERSHIPS, {"person_id": person_id})
    return [(m, o) for m, o in rows.all()]


async def create_many(
    session: AsyncSession, rows: Sequence[tuple[int, str, str, datetime]]
) -> list[int]:
    """New people (tg id, name, language, consent time), in one statement; their ids in order."""
    if not rows:
        return []
    connection = await session.connection()
    result = await connection.execute(
        _CREATE_MANY,
        [
            {
                "tg_user_id": tg_user_id,
                "display_name": name,
                "language": language,
                "consent_at": now,
                "status": "active",
                "created_at": now,
            }
            for tg_user_id, name, language, now in rows
        ],
    )
    return [int(person_id) for person_id in result.scalars()]


async def add_memberships(
    session: AsyncSession,
    rows: Sequence[tuple[int, int, str, int | None, datetime]],
    families: Sequence[tuple[str, str | None, int] | None] | None = None,
) -> None:
    """Memberships (person, org, role, invite, time), in one statement. `families`, when
    given, holds one entry per row: a parent's (child names, relation, children), or None."""
    if not rows:
        return
    extra = families or [None] * len(rows)
    connection = await session.connection()
    await connection.execute(
        _ADD_MEMBERSHIP,
        [
            {
                "person_id": person_id,
                "org_id": org_id,
                "role": role,
                "invite_id": invite_id,
                "created_at": now,
                "child_names": family[0] if family else None,
                "relation": family[1] if family else None,
                "children": family[2] if family else 1,
            }
            for (person_id, org_id, role, invite_id, now), family in zip(rows, extra, strict=True)
        ],
    )


async def set_head(session: AsyncSession, person_id: int, org_id: int, role: str) -> None:
    """Mark a membership as the unit's head (tổ trưởng)."""
    await session.execute(
        update(Membership)
        .where(
            Membership.person_id == person_id,
            Membership.org_id == org_id,
            Membership.role == role,
        )
        .values(head=True)
    )


async def summary_by_tg(session: AsyncSession, tg_user_id: int) -> Any:
    """(id, display_name, language, status, quiet_hours, announcements) or None: a plain
    row, no ORM identity map."""
    connection = await session.connection()
    return (await connection.execute(_SUMMARY, {"tg_user_id": tg_user_id})).first()


async def all_tg_ids(session: AsyncSession) -> set[int]:
    """The Telegram id of everyone the bot knows (forgotten people have none)."""
    connection = await session.connection()
    rows = await connection.execute(
        select(_people.c.tg_user_id).where(_people.c.tg_user_id.is_not(None))
    )
    return {tg_id for (tg_id,) in rows}


async def set_language(session: AsyncSession, person_id: int, language: str) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(language=language))


async def set_quiet_hours(session: AsyncSession, person_id: int, value: str | None) -> None:
    """Own quiet hours ("HH:MM-HH:MM", "off", or None for the school's). Messages already
    queued for the person follow the new choice when the sender claims them."""
    await session.execute(update(Person).where(Person.id == person_id).values(quiet_hours=value))
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == "queued")
        .values(quiet_hours=value)
    )


async def set_announcements(session: AsyncSession, person_id: int, wanted: bool) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(announcements=wanted))


async def set_status(session: AsyncSession, person_id: int, status: str) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(status=status))


async def forget(session: AsyncSession, person_id: int, tg_user_id: int) -> None:
    """Drop everything that names the person; keep an anonymous row so tallies still add up."""
    await session.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(
            tg_user_id=None, display_name="", consent_at=None, status="forgotten", quiet_hours=None
        )
    )
    # Their children's names and what they are to them; how many children stays (no name).
    await session.execute(
        update(Membership)
        .where(Membership.person_id == person_id)
        .values(child_names=None, relation=None)
    )
    # Messages still queued for them name them and speak to them: none will be sent.
    await session.execute(delete(OutboxMessage).where(OutboxMessage.person_id == person_id))
    # Which notices they read is about them too; the broadcasts' read counts drop them.
    await session.execute(delete(Acknowledgement).where(Acknowledgement.person_id == person_id))
    await session.execute(delete(ConversationState).where(ConversationState.user_id == tg_user_id))
    # Evidence and captions may show the person; the milestone and its status stay, unnamed.
    await session.execute(
        update(Report)
        .where(Report.person_id == person_id)
        .values(
            evidence_file_id=None,
            evidence_unique_id=None,
            evidence_name=None,
            caption=None,
            reason=None,  # a reviewer's words about their evidence
        )
    )
    await session.execute(
        update(Report)
        .where(Report.person_id == person_id, Report.status == "pending")
        .values(status="withdrawn")
    )
    # What they sent for a class or unit is the class's or unit's: it stays, and is still
    # reviewed, but no longer says who sent it or in what words.
    await session.execute(
        update(Report)
        .where(Report.reported_by == person_id)
        .values(reported_by=None, caption=None, reason=None)
    )
    # Quiz scores stay for the statistics, unnamed; the polls in their chat no longer map
    # to them, and an unfinished attempt is given up.
    attempts = select(QuizAttempt.id).where(QuizAttempt.person_id == person_id)
    await session.execute(
        update(QuizAnswer)
        .where(QuizAnswer.attempt_id.in_(attempts))
        .values(poll_id=None, message_id=None)
    )
    await session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.person_id == person_id, QuizAttempt.status == "open")
        .values(status="abandoned")
    )
    # Their Telegram id as an actor elsewhere: the actions stay on record, unattributed.
    await session.execute(
        update(AuditEntry).where(AuditEntry.actor_tg_id == tg_user_id).values(actor_tg_id=None)
    )
    await session.execute(
        update(Report).where(Report.decided_by == tg_user_id).values(decided_by=None)
    )
    # A principal's reason for adding or removing them from a shortlist is about them; the
    # changes a principal made stay, unattributed.
    await session.execute(delete(NominationChange).where(NominationChange.person_id == person_id))
    await session.execute(
        update(NominationChange)
        .where(NominationChange.changed_by == person_id)
        .values(changed_by=None)
    )
    await session.execute(
        update(Invite).where(Invite.created_by == tg_user_id).values(created_by=None)
    )


async def by_id(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)
