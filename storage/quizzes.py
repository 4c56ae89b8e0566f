"""Quiz attempts and their answers: one row per attempt, one per question shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import QuizAnswer, QuizAttempt


async def attempts(session: AsyncSession, campaign_id: int, person_id: int) -> list[QuizAttempt]:
    """This person's attempts at every quiz of the campaign, oldest first."""
    query = (
        select(QuizAttempt)
        .where(QuizAttempt.campaign_id == campaign_id, QuizAttempt.person_id == person_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    return list(await session.scalars(query))


async def get(session: AsyncSession, attempt_id: int) -> QuizAttempt | None:
    return await session.get(QuizAttempt, attempt_id)


async def begin(
    session: AsyncSession,
    *,
    campaign_id: int,
    person_id: int,
    quiz_key: str,
    rendering: str,
    total: int,
    now: datetime,
) -> QuizAttempt:
    attempt = QuizAttempt(
        campaign_id=campaign_id,
        person_id=person_id,
        quiz_key=quiz_key,
        rendering=rendering,
        status="open",
        position=0,
        total=total,
        score=0,
        passed=False,
        started_at=now,
    )
    session.add(attempt)
    await session.flush()
    return attempt


async def abandon(session: AsyncSession, attempt_id: int, now: datetime) -> None:
    """An unfinished attempt given up for a new one: kept (its polls then answer "an
    earlier attempt"), never scored or counted."""
    await session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.status == "open")
        .values(status="abandoned", finished_at=now)
        .execution_options(synchronize_session=False)
    )


async def answers(session: AsyncSession, attempt_id: int) -> list[QuizAnswer]:
    query = (
        select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id).order_by(QuizAnswer.question)
    )
    return list(await session.scalars(query))


async def shown(
    session: AsyncSession, attempt_id: int, question: int, order: Sequence[int], now: datetime
) -> tuple[int, int | None]:
    """The row of a question being shown: (its id, the message of the poll it went out as
    before, if it did: shown again on resume, the old poll is stopped and no longer counts,
    its id cleared until the new poll is sent)."""
    found = (
        await session.execute(
            select(QuizAnswer.id, QuizAnswer.message_id).where(
                QuizAnswer.attempt_id == attempt_id, QuizAnswer.question == question
            )
        )
    ).first()
    if found is not None:
        await session.execute(
            update(QuizAnswer)
            .where(QuizAnswer.id == found[0])
            .values(poll_id=None, sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(found[0]), found[1]
    new_id = await session.scalar(
        insert(QuizAnswer)
        .values(attempt_id=attempt_id, question=question, shown={"order": list(order)}, sent_at=now)
        .returning(QuizAnswer.id)
    )
    return int(new_id or 0), None


async def record(
    session: AsyncSession,
    attempt_id: int,
    question: int,
    chosen: int | None,
    correct: bool,
    now: datetime,
) -> bool:
    """Write the answer to the question the attempt is at and move it on; False (and
    nothing written) when the attempt is not open at that question any more."""
    moved = await session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt_id,
            QuizAttempt.status == "open",
            QuizAttempt.position == question,
        )
        .values(position=question + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    values: dict[str, object] = {"chosen": chosen, "correct": correct}
    values["closed_at" if chosen is None else "answered_at"] = now
    await session.execute(
        update(QuizAnswer)
        .where(QuizAnswer.attempt_id == attempt_id, QuizAnswer.question == question)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return True


async def set_poll(session: AsyncSession, answer_id: int, poll_id: str, message_id: int) -> None:
    await session.execute(
        update(QuizAnswer)
        .where(QuizAnswer.id == answer_id)
        .values(poll_id=poll_id, message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def by_poll(session: AsyncSession, poll_id: str) -> tuple[QuizAnswer, QuizAttempt] | None:
    query = (
        select(QuizAnswer, QuizAttempt)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAnswer.poll_id == poll_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def find_answer(session: AsyncSession, attempt_id: int, question: int) -> QuizAnswer | None:
    query = select(QuizAnswer).where(
        QuizAnswer.attempt_id == attempt_id, QuizAnswer.question == question
    )
    return (await session.scalars(query)).first()


async def count_correct(session: AsyncSession, attempt_id: int) -> int:
    query = select(func.count(QuizAnswer.id)).where(
        QuizAnswer.attempt_id == attempt_id, QuizAnswer.correct.is_(True)
    )
    return int(await session.scalar(query) or 0)


async def summary(session: AsyncSession, person_id: int) -> tuple[tuple[str, int, int | None], ...]:
    """(quiz, attempts, best finished score) for each quiz this person tried."""
    best = func.max(QuizAttempt.score).filter(QuizAttempt.status == "finished")
    query = (
        select(QuizAttempt.quiz_key, func.count(QuizAttempt.id), best)
        .where(QuizAttempt.person_id == person_id)
        .group_by(QuizAttempt.quiz_key)
        .order_by(QuizAttempt.quiz_key)
    )
    return tuple(
        (row[0], int(row[1]), None if row[2] is None else int(row[2]))
        for row in await session.execute(query)
    )


async def counts(session: AsyncSession) -> tuple[int, int]:
    finished = func.count(QuizAttempt.id).filter(QuizAttempt.status == "finished")
    still_open = func.count(QuizAttempt.id).filter(QuizAttempt.status == "open")
    row = (await session.execute(select(finished, still_open))).one()
    return int(row[0]), int(row[1])
