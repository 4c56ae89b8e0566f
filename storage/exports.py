"""Reads for exports, one batch at a time: keyset pages (`id > after ORDER BY id LIMIT n`),
so that a province's export holds one batch in memory whatever its size, and no
statement stays open between batches (no server-side cursor, which PostgreSQL allows
only inside a transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Broadcast, Membership, OrgUnit, Person, QuizAttempt, Report
from storage.people import Member, members_query
from storage.reports import author_id, in_scope_clause, under


@dataclass(frozen=True)
class Mark:
    """A person's report of one milestone: what became of it, and when."""

    person_id: int
    milestone: str
    status: str
    reported_at: datetime
    decided_at: datetime | None


async def people_after(
    session: AsyncSession,
    path: str,
    after: int,
    limit: int,
    *,
    quizzes_of: int | None = None,
) -> list[int]:
    """The next `limit` people (by id, above `after`) with a membership at or below `path`;
    with `quizzes_of` (a campaign id), only those who finished an attempt at one of its
    quizzes."""
    query = (
        select(Membership.person_id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(under(path), Membership.person_id > after)
        .group_by(Membership.person_id)
        .order_by(Membership.person_id)
        .limit(limit)
    )
    if quizzes_of is not None:
        query = query.where(
            exists(
                select(QuizAttempt.id).where(
                    QuizAttempt.person_id == Membership.person_id,
                    QuizAttempt.campaign_id == quizzes_of,
                    QuizAttempt.status == "finished",
                )
            )
        )
    return [int(i) for i in await session.scalars(query)]


async def members(session: AsyncSession, path: str, person_ids: Sequence[int]) -> list[Member]:
    """The memberships at or below `path` of these people, by person, then place."""
    if not person_ids:
        return []
    query = (
        members_query()
        .where(Person.id.in_(list(person_ids)), under(path))
        .order_by(Person.id, OrgUnit.path, Membership.role)
    )
    return [Member(*row) for row in await session.execute(query)]


async def marks(session: AsyncSession, campaign_id: int, person_ids: Sequence[int]) -> list[Mark]:
    """These people's own reports (not withdrawn), by person."""
    if not person_ids:
        return []
    query = (
        select(
            Report.person_id,
            Report.milestone_key,
            Report.status,
            Report.reported_at,
            Report.decided_at,
        )
        .where(
            Report.campaign_id == campaign_id,
            Report.person_id.in_(list(person_ids)),
            Report.status != "withdrawn",
        )
        .order_by(Report.person_id)
    )
    return [Mark(*row) for row in await session.execute(query)]


async def place_names(session: AsyncSession, path: str, kind: str) -> dict[int, str]:
    """{id: name} of the units of `kind` at or below `path`, and of those above it (the
    school of an exported class). A province has a few thousand schools: a small map."""
    above = [int(part) for part in path.strip("/").split("/") if part]
    query = select(OrgUnit.id, OrgUnit.name).where(
        OrgUnit.kind == kind, under(path) | OrgUnit.id.in_(above)
    )
    return {int(i): str(name) for i, name in await session.execute(query)}


@dataclass(frozen=True)
class QuizResult:
    person_id: int
    quiz: str
    best: int
    total: int
    passed: bool
    attempts: int
    last: datetime | None


async def quiz_results(
    session: AsyncSession, campaign_id: int, person_ids: Sequence[int]
) -> list[QuizResult]:
    """Per person and quiz: the best score (with its question count), passed in any attempt,
    finished attempts, and when the last one finished."""
    if not person_ids:
        return []
    query = (
        select(
            QuizAttempt.person_id,
            QuizAttempt.quiz_key,
            func.max(QuizAttempt.score),
            func.max(QuizAttempt.total),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.finished_at),
        )
        .where(
            QuizAttempt.campaign_id == campaign_id,
            QuizAttempt.person_id.in_(list(person_ids)),
            QuizAttempt.status == "finished",
        )
        .group_by(QuizAttempt.person_id, QuizAttempt.quiz_key)
        .order_by(QuizAttempt.person_id, QuizAttempt.quiz_key)
    )
    return [
        QuizResult(int(p), str(q), int(b or 0), int(t or 0), bool(ok), int(n), last)
        for p, q, b, t, ok, n, last in await session.execute(query)
    ]


@dataclass(frozen=True)
class Evidence:
    """A report as the evidence index shows it."""

    id: int
    person_id: int | None
    author: str | None  # the person, or who sent a collective report (None after /forget)
    org_id: int | None  # a collective report's class or unit
    org_name: str | None
    org_kind: str | None
    org_path: str | None
    milestone: str
    status: str
    level: str | None
    reported_at: datetime
    decided_at: datetime | None
    reviewer: str | None
    evidence_kind: str | None
    file_id: str | None
    file_name: str | None


async def evidence_after(
    session: AsyncSession,
    campaign_id: int,
    path: str,
    after: int,
    limit: int,
    milestones: Sequence[str] | None = None,
) -> list[Evidence]:
    """The next `limit` reports (by id) of people or classes and units at or below `path`,
    withdrawn ones too (the index records what happened); only of `milestones` if given."""
    author, reviewer = aliased(Person), aliased(Person)
    query = (
        select(
            Report.id,
            Report.person_id,
            author.display_name,
            Report.org_id,
            OrgUnit.name,
            OrgUnit.kind,
            OrgUnit.path,
            Report.milestone_key,
            Report.status,
            Report.level,
            Report.reported_at,
            Report.decided_at,
            reviewer.display_name,
            Report.evidence_kind,
            Report.evidence_file_id,
            Report.evidence_name,
        )
        .outerjoin(author, author.id == author_id())
        .outerjoin(OrgUnit, OrgUnit.id == Report.org_id)
        .outerjoin(reviewer, reviewer.tg_user_id == Report.decided_by)
        # By id, walking the primary key: `+ 0` keeps SQLite from the campaign's index,
        # which would read every report of the campaign and sort them for each batch.
        .where(Report.campaign_id + 0 == campaign_id, Report.id > after, in_scope_clause([path]))
        .order_by(Report.id)
        .limit(limit)
    )
    if milestones is not None:
        query = query.where(Report.milestone_key.in_(list(milestones)))
    return [Evidence(*row) for row in await session.execute(query)]


async def broadcasts_after(
    session: AsyncSession, path: str, after: int, limit: int
) -> list[tuple[Broadcast, str]]:
    """The next `limit` broadcasts (by id) sent from `path` or below, with their org's name."""
    query = (
        select(Broadcast, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Broadcast.org_id)
        .where(under(path), Broadcast.id > after)
        .order_by(Broadcast.id)
        .limit(limit)
    )
    return [(row[0], str(row[1])) for row in await session.execute(query)]


async def collectives_after(
    session: AsyncSession, path: str, after: int, limit: int
) -> list[tuple[int, str, str, str]]:
    """The next `limit` classes and units (by id) at or below `path`: id, name, kind, path."""
    query = (
        select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.path)
        .where(OrgUnit.kind.in_(("class", "unit")), under(path), OrgUnit.id > after)
        .order_by(OrgUnit.id)
        .limit(limit)
    )
    return [(int(i), str(n), str(k), str(p)) for i, n, k, p in await session.execute(query)]
