"""Quizzes: attempts, answers, scores, the milestone a pass awards. SQL lives in storage.

An attempt is started, answered question by question (each answer written as it
arrives, so a restart of the bot loses nothing), and finished: the score is counted
from the stored answers, and reaching the pass mark awards the quiz's milestone as an
accepted report (no review), which /progress, /class and the indicators count. An
attempt left open can be resumed or restarted; a new attempt after a finished one
waits for the quiz's cool-down; the best finished score counts.

Options are shuffled per attempt and question with a seeded generator, so the order
shown can be rebuilt from the ids alone; the order is stored with each question too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.campaign.pack import CampaignPack, Quiz
from bot.errors import NotAllowed
from bot.services import reports as report_service
from bot.services.people import PersonView
from storage import people, quizzes
from storage.db import Database, UnitOfWork
from storage.models import QuizAnswer, QuizAttempt

QUIZ_ROLES = ("parent", "student", "staff")
RENDERINGS = ("poll", "text")


def quizzes_for(pack: CampaignPack, person: PersonView) -> list[Quiz]:
    roles = person.roles & set(QUIZ_ROLES)
    return [quiz for quiz in pack.quizzes if roles & set(quiz.audience)]


def option_order(attempt_id: int, question: int, options: int) -> list[int]:
    """The pack's option indexes in the order this attempt shows them."""
    order = list(range(options))
    random.Random(f"quiz:{attempt_id}:{question}").shuffle(order)
    return order


@dataclass(frozen=True)
class Standing:
    quiz: Quiz
    best: int | None  # the best finished score
    passed: bool
    open_attempt: int | None  # id of an unfinished attempt
    answered: int  # questions answered in it
    again_at: datetime | None  # when a new attempt may start, if not yet

    @property
    def state(self) -> str:
        if self.open_attempt is not None:
            return "open"
        return "cooling" if self.again_at is not None else "ready"


def _standing(quiz: Quiz, rows: list[QuizAttempt], now: datetime) -> Standing:
    finished = [a for a in rows if a.status == "finished"]
    unfinished = [a for a in rows if a.status == "open"]
    again_at = None
    if finished and not unfinished:
        last = max(a.finished_at for a in finished if a.finished_at is not None)
        due = last + timedelta(hours=quiz.retake_after_hours)
        again_at = due if due > now else None
    return Standing(
        quiz=quiz,
        best=max((a.score for a in finished), default=None),
        passed=any(a.passed for a in finished),
        open_attempt=unfinished[-1].id if unfinished else None,
        answered=unfinished[-1].position if unfinished else 0,
        again_at=again_at,
    )


async def standings(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, person: PersonView, now: datetime
) -> list[Standing]:
    """Each quiz for this person's roles, with how they stand in it."""
    rows = await quizzes.attempts(uow.reads, campaign_id, person.id)
    return [
        _standing(quiz, [a for a in rows if a.quiz_key == quiz.id], now)
        for quiz in quizzes_for(pack, person)
    ]


def _quiz_for(pack: CampaignPack, person: PersonView, quiz_id: str) -> Quiz:
    found = next((q for q in quizzes_for(pack, person) if q.id == quiz_id), None)
    if found is None:
        raise NotAllowed("quiz")
    return found


async def start(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView,
    quiz_id: str,
    rendering: str,
    now: datetime,
    restart: bool = False,
) -> QuizAttempt:
    """A new attempt; with `restart`, the unfinished one is abandoned first. NotAllowed
    when the quiz is not for this person, one is unfinished (and not restarted) or the
    cool-down since the last finished attempt has not passed."""
    quiz = _quiz_for(pack, person, quiz_id)
    rows = await quizzes.attempts(uow.session, campaign_id, person.id)
    standing = _standing(quiz, [a for a in rows if a.quiz_key == quiz_id], now)
    if standing.open_attempt is not None:
        if not restart:
            raise NotAllowed("unfinished")
        await quizzes.abandon(uow.session, standing.open_attempt, now)
        finished = [a for a in rows if a.quiz_key == quiz_id and a.status == "finished"]
        standing = _standing(quiz, finished, now)
    if standing.again_at is not None:
        raise NotAllowed("cooling")
    return await quizzes.begin(
        uow.session,
        campaign_id=campaign_id,
        person_id=person.id,
        quiz_key=quiz_id,
        rendering=rendering,
        total=len(quiz.questions),
        now=now,
    )


async def unfinished(
    uow: UnitOfWork, campaign_id: int, person: PersonView, quiz_id: str
) -> QuizAttempt | None:
    rows = await quizzes.attempts(uow.session, campaign_id, person.id)
    return next((a for a in reversed(rows) if a.quiz_key == quiz_id and a.status == "open"), None)


async def show(
    uow: UnitOfWork, attempt_id: int, question: int, options: int, now: datetime
) -> tuple[int, int | None]:
    """Record that a question is being shown, in its shuffled order: (the row's id, the
    message of an earlier poll of the same question, to stop)."""
    order = option_order(attempt_id, question, options)
    return await quizzes.shown(uow.session, attempt_id, question, order, now)


async def remember_poll(database: Database, answer_id: int, poll_id: str, message_id: int) -> None:
    """The id of the poll a question went out as, once Telegram has given it (after the
    update committed, still before the person's next update is taken)."""
    async with database.transaction() as session:
        await quizzes.set_poll(session, answer_id, poll_id, message_id)


async def poll_owner(uow: UnitOfWork, poll_id: str) -> int | None:
    """The Telegram user id of whoever was sent this poll."""
    found = await quizzes.by_poll(uow.reads, poll_id)
    if found is None:
        return None
    person = await people.by_id(uow.reads, found[1].person_id)
    return person.tg_user_id if person is not None else None


async def answer(
    uow: UnitOfWork,
    *,
    attempt_id: int,
    question: int,
    chosen: int | None,
    correct: bool,
    now: datetime,
) -> bool:
    """Write an answer (None: the poll closed unanswered); False if that question of that
    attempt was answered already or the attempt is not open."""
    return await quizzes.record(uow.session, attempt_id, question, chosen, correct, now)


@dataclass(frozen=True)
class Outcome:
    score: int
    total: int
    passing: int
    passed: bool
    awarded: bool  # the milestone was awarded by this attempt
    missed: tuple[int, ...]  # questions answered wrongly or not at all


async def finish(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView,
    attempt_id: int,
    now: datetime,
) -> Outcome | None:
    """Count the score from the stored answers; a pass awards the milestone."""
    attempt = await quizzes.get(uow.session, attempt_id)
    if attempt is None or attempt.person_id != person.id:
        return None
    quiz = pack.quiz(attempt.quiz_key)
    rows = {row.question: row for row in await quizzes.answers(uow.session, attempt_id)}
    missed = tuple(i for i in range(len(quiz.questions)) if not (i in rows and rows[i].correct))
    score = len(quiz.questions) - len(missed)
    passed = score >= quiz.passing
    if attempt.status == "open":
        attempt.status = "finished"
        attempt.finished_at = now
        attempt.score = score
        attempt.passed = passed
        attempt.position = len(quiz.questions)
    awarded = (
        passed
        and quiz.awards is not None
        and await report_service.award(
            uow, campaign_id=campaign_id, person=person, milestone_id=quiz.awards, now=now
        )
    )
    await uow.session.flush()
    return Outcome(score, len(quiz.questions), quiz.passing, passed, awarded, missed)


async def by_poll(uow: UnitOfWork, poll_id: str) -> tuple[QuizAnswer, QuizAttempt] | None:
    """The question a poll asks and its attempt (read only: deciding happens in `answer`)."""
    return await quizzes.by_poll(uow.reads, poll_id)


async def standings_count(uow: UnitOfWork) -> tuple[int, int]:
    """(finished attempts, open attempts) in the whole database: for checks and tests."""
    return await quizzes.counts(uow.reads)
