"""Quiz statistics in SQL: wrong answers per question, results per member of a subtree."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, OrgUnit, QuizAnswer, QuizAttempt
from storage.reports import under_any


async def first_attempt_answers(
    session: AsyncSession, campaign_id: int, quiz_key: str, paths: Sequence[str]
) -> list[tuple[int, int, int]]:
    """(question, people who answered it, of them wrongly or not at all), over each
    person's first finished attempt: what they knew before the explanations taught them."""
    in_scope = exists(
        select(Membership.id)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .where(Membership.person_id == QuizAttempt.person_id, under_any(paths))
    )
    first = (
        select(func.min(QuizAttempt.id))
        .where(
            QuizAttempt.campaign_id == campaign_id,
            QuizAttempt.quiz_key == quiz_key,
            QuizAttempt.status == "finished",
            in_scope,
        )
        .group_by(QuizAttempt.person_id)
    )
    wrong = func.count(QuizAnswer.id).filter(QuizAnswer.correct.is_not(True))
    query = (
        select(QuizAnswer.question, func.count(QuizAnswer.id), wrong)
        .where(QuizAnswer.attempt_id.in_(first))
        .group_by(QuizAnswer.question)
        .order_by(QuizAnswer.question)
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in await session.execute(query)]


async def groups(
    session: AsyncSession, paths: Sequence[str], kinds: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(id, name, path) of the units of `kinds` at or below `paths`."""
    query = (
        select(OrgUnit.id, OrgUnit.name, OrgUnit.path)
        .where(OrgUnit.kind.in_(kinds), under_any(paths))
        .order_by(OrgUnit.name, OrgUnit.id)
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in await session.execute(query)]


async def member_results(
    session: AsyncSession,
    campaign_id: int,
    quiz_key: str,
    paths: Sequence[str],
    roles: Sequence[str],
) -> list[tuple[int, str, bool, bool]]:
    """(person, the path of a unit they belong to, took the quiz, passed it) for every
    membership of `roles` at or below `paths` (someone in two classes counts in both)."""
    results = (
        select(
            QuizAttempt.person_id.label("person_id"),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passed"),
        )
        .where(
            QuizAttempt.campaign_id == campaign_id,
            QuizAttempt.quiz_key == quiz_key,
            QuizAttempt.status == "finished",
        )
        .group_by(QuizAttempt.person_id)
        .subquery()
    )
    query = (
        select(Membership.person_id, OrgUnit.path, results.c.person_id, results.c.passed)
        .join(OrgUnit, OrgUnit.id == Membership.org_id)
        .outerjoin(results, results.c.person_id == Membership.person_id)
        .where(Membership.role.in_(roles), under_any(paths))
        .distinct()
    )
    return [
        (int(r[0]), str(r[1]), r[2] is not None, bool(r[3])) for r in await session.execute(query)
    ]
