"""Award shortlists: who an award could go to in a subtree, the evidence behind them, and
the principals' changes. Every query covers the whole subtree at once (no query per person)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Membership,
    NominationChange,
    OrgUnit,
    Person,
    QuizAttempt,
    Report,
)
from storage.people import Member, members_query
from storage.reports import under


@dataclass(frozen=True)
class Evidence:
    """A report behind a shortlisted name (a person's, or a class's or unit's own)."""

    report_id: int
    holder: int  # the person's id, or the class's or unit's
    milestone: str
    status: str
    level: str | None
    reported_at: datetime
    decided_at: datetime | None
    reviewer: str | None  # who verified it (None: nobody, or they left with /forget)
    file: str | None  # the evidence file's name, else Telegram's unique id


@dataclass(frozen=True)
class QuizPass:
    person_id: int
    quiz: str
    attempt_id: int
    score: int
    total: int
    finished_at: datetime


@dataclass(frozen=True)
class Change:
    award: str
    school_id: int
    person_id: int | None
    org_id: int | None
    change: str
    reason: str
    by: str | None  # the principal's name (None once they left with /forget)
    at: datetime


def _members(path: str, roles: Sequence[str]) -> Any:
    return (
        select(Membership.person_id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(Membership.role.in_(list(roles)), under(path))
    )


def _holders(
    campaign_id: int,
    award: str,
    milestones: Sequence[str],
    statuses: Sequence[str],
    quizzes: Sequence[str],
) -> Any:
    """Everyone with some evidence for an award, or a change to its shortlist."""
    found = [
        select(NominationChange.person_id).where(
            NominationChange.campaign_id == campaign_id,
            NominationChange.award_key == award,
            NominationChange.person_id.is_not(None),
        )
    ]
    if milestones:
        found.append(
            select(Report.person_id).where(
                Report.campaign_id == campaign_id,
                Report.milestone_key.in_(list(milestones)),
                Report.status.in_(list(statuses)),
                Report.person_id.is_not(None),
            )
        )
    if quizzes:
        found.append(
            select(QuizAttempt.person_id).where(
                QuizAttempt.campaign_id == campaign_id,
                QuizAttempt.quiz_key.in_(list(quizzes)),
                QuizAttempt.passed.is_(True),
            )
        )
    return union(*found) if len(found) > 1 else found[0]


async def members(
    session: AsyncSession,
    path: str,
    roles: Sequence[str],
    among: Any = None,
) -> list[Member]:
    """People of `roles` at or below `path` who have not left with /forget (only those
    `among`, a statement selecting person ids, when given), with where they sit; one row
    per membership, by name."""
    query = (
        members_query()
        .where(Membership.role.in_(list(roles)), under(path), Person.status != "forgotten")
        .order_by(Person.display_name, Person.id, OrgUnit.path)
    )
    if among is not None:
        query = query.where(Person.id.in_(among))
    return [Member(*row) for row in await session.execute(query)]


async def candidates(
    session: AsyncSession,
    *,
    campaign_id: int,
    award: str,
    path: str,
    roles: Sequence[str],
    milestones: Sequence[str],
    statuses: Sequence[str],
    quizzes: Sequence[str],
) -> list[Member]:
    """`members` with some evidence for the award (or a change to its shortlist)."""
    among = _holders(campaign_id, award, milestones, statuses, quizzes)
    return await members(session, path, roles, among)


async def places(session: AsyncSession, path: str, kinds: Sequence[str]) -> list[OrgUnit]:
    """Classes or units (`kinds`) at or below `path`, in tree order."""
    query = (
        select(OrgUnit)
        .where(OrgUnit.kind.in_(list(kinds)), under(path))
        .order_by(OrgUnit.path, OrgUnit.name)
    )
    return list(await session.scalars(query))


async def schools(session: AsyncSession, path: str) -> dict[int, tuple[str, str]]:
    """{school id: (name, path)} at or below `path` (the node itself, when it is a school)."""
    query = select(OrgUnit.id, OrgUnit.name, OrgUnit.path).where(
        OrgUnit.kind == "school", under(path)
    )
    return {row[0]: (row[1], row[2]) for row in await session.execute(query)}


def _evidence(
    campaign_id: int, milestones: Sequence[str], statuses: Sequence[str], holder: Any, scope: Any
) -> Any:
    reviewer = aliased(Person)
    return (
        select(
            Report.id,
            holder,
            Report.milestone_key,
            Report.status,
            Report.level,
            Report.reported_at,
            Report.decided_at,
            reviewer.display_name,
            func.coalesce(Report.evidence_name, Report.evidence_unique_id),
        )
        .outerjoin(reviewer, reviewer.tg_user_id == Report.decided_by)
        .where(
            Report.campaign_id == campaign_id,
            Report.milestone_key.in_(list(milestones)),
            Report.status.in_(list(statuses)),
            scope,
        )
        .order_by(Report.id)
    )


async def person_evidence(
    session: AsyncSession,
    campaign_id: int,
    path: str,
    roles: Sequence[str],
    milestones: Sequence[str],
    statuses: Sequence[str],
) -> list[Evidence]:
    """Reports of `milestones` with one of `statuses` by people of `roles` under `path`."""
    if not milestones:
        return []
    people = _members(path, roles)
    query = _evidence(
        campaign_id, milestones, statuses, Report.person_id, Report.person_id.in_(people)
    )
    return [Evidence(*row) for row in await session.execute(query)]


async def collective_evidence(
    session: AsyncSession,
    campaign_id: int,
    path: str,
    kinds: Sequence[str],
    milestones: Sequence[str],
    statuses: Sequence[str],
) -> list[Evidence]:
    """Collective reports of classes or units (`kinds`) under `path`."""
    if not milestones:
        return []
    units = select(OrgUnit.id).where(OrgUnit.kind.in_(list(kinds)), under(path))
    query = _evidence(campaign_id, milestones, statuses, Report.org_id, Report.org_id.in_(units))
    return [Evidence(*row) for row in await session.execute(query)]


async def quiz_passes(
    session: AsyncSession, campaign_id: int, path: str, roles: Sequence[str], quizzes: Sequence[str]
) -> list[QuizPass]:
    """Each person's first passed attempt at each of `quizzes` (people of `roles` under `path`)."""
    if not quizzes:
        return []
    first = (
        select(
            QuizAttempt.person_id,
            QuizAttempt.quiz_key,
            func.min(QuizAttempt.id).label("attempt_id"),
        )
        .where(
            QuizAttempt.campaign_id == campaign_id,
            QuizAttempt.quiz_key.in_(list(quizzes)),
            QuizAttempt.passed.is_(True),
            QuizAttempt.status == "finished",
            QuizAttempt.person_id.in_(_members(path, roles)),
        )
        .group_by(QuizAttempt.person_id, QuizAttempt.quiz_key)
        .subquery()
    )
    query = (
        select(
            QuizAttempt.person_id,
            QuizAttempt.quiz_key,
            QuizAttempt.id,
            QuizAttempt.score,
            QuizAttempt.total,
            QuizAttempt.finished_at,
        )
        .join(first, first.c.attempt_id == QuizAttempt.id)
        .order_by(QuizAttempt.id)
    )
    return [QuizPass(*row) for row in await session.execute(query)]


async def changes(session: AsyncSession, campaign_id: int, path: str) -> list[Change]:
    """The principals' changes to shortlists in schools at or below `path`."""
    school, by = aliased(OrgUnit), aliased(Person)
    query = (
        select(
            NominationChange.award_key,
            NominationChange.school_id,
            NominationChange.person_id,
            NominationChange.org_id,
            NominationChange.change,
            NominationChange.reason,
            by.display_name,
            NominationChange.changed_at,
        )
        .join(school, school.id == NominationChange.school_id)
        .outerjoin(by, by.id == NominationChange.changed_by)
        .where(NominationChange.campaign_id == campaign_id, under(path, school))
        .order_by(NominationChange.changed_at, NominationChange.id)
    )
    return [Change(*row) for row in await session.execute(query)]


async def put_change(
    session: AsyncSession,
    *,
    campaign_id: int,
    award: str,
    school_id: int,
    person_id: int | None,
    org_id: int | None,
    change: str,
    reason: str,
    by: int | None,
    now: datetime,
) -> str | None:
    """Record the change, replacing the one before for the same award and name; returns
    the change it replaced, if any."""
    holder = (
        NominationChange.person_id == person_id
        if person_id is not None
        else NominationChange.org_id == org_id
    )
    query = select(NominationChange).where(
        NominationChange.campaign_id == campaign_id, NominationChange.award_key == award, holder
    )
    row = (await session.scalars(query)).first()
    before = row.change if row is not None else None
    if row is None:
        row = NominationChange(
            campaign_id=campaign_id, award_key=award, person_id=person_id, org_id=org_id
        )
        session.add(row)
    row.school_id, row.change, row.reason = school_id, change, reason
    row.changed_by, row.changed_at = by, now
    await session.flush()
    return before


async def about(session: AsyncSession, person_id: int) -> list[NominationChange]:
    """A principal's changes to shortlists about this person (for /mydata), latest first."""
    query = (
        select(NominationChange)
        .where(NominationChange.person_id == person_id)
        .order_by(NominationChange.changed_at.desc(), NominationChange.id)
    )
    return list(await session.scalars(query))
