"""/quiz: the list of my quizzes, starting, resuming or restarting one, and its end.

The questions themselves are shown and answered in `bot.handlers.quiz_polls`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.campaign.pack import Quiz
from bot.errors import NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Record, Reply
from bot.flows.quiz import QUIZ, QUIZ_MENU
from bot.handlers.conversation import Conversation, Shown
from bot.handlers.quiz_polls import poll_routes
from bot.i18n import fmt_percent
from bot.services import quiz_stats, quizzes
from bot.services.quizzes import QUIZ_ROLES, Outcome, option_order
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

NO_QUIZZES = T("There are no quizzes for your role in the current campaign.")
NOT_STARTED = {
    "quiz": T("That quiz is not one you can take."),
    "unfinished": T("That quiz is already under way: /quiz to carry on or start again."),
    "cooling": T("That quiz cannot be taken again yet: /quiz shows from when."),
}


def router() -> Router:
    routes = Router(name="quiz")
    gate = RoleFilter(*QUIZ_ROLES, superadmins=False)
    routes.message.filter(gate)
    routes.poll_answer.filter(gate)
    routes.poll.filter(gate)
    routes.message.register(open_quiz, Command("quiz"))
    poll_routes(routes)
    return routes


async def open_quiz(message: Message, turn: Turn) -> None:
    assert turn.person is not None
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    found = await quizzes.standings(turn.uow, campaign_id, pack, turn.person, turn.now)
    if not found:
        turn.say(NO_QUIZZES)
        return
    lang = turn.locale
    items = [
        {
            "id": s.quiz.id,
            "title": s.quiz.title.get(lang),
            "best": s.best,
            "total": len(s.quiz.questions),
            "passed": s.passed,
            "state": s.state,
            "again_on": s.again_at.astimezone(turn.shared.zone).date().isoformat()
            if s.again_at
            else None,
            "answered": s.answered,
        }
        for s in found
    ]
    standing = await standing_lines(turn, campaign_id, [s.quiz for s in found])
    await Conversation(turn).begin(QUIZ_MENU, {"items": items, "standing": standing, "quiz": None})


async def standing_lines(turn: Turn, campaign_id: int, found: list[Quiz]) -> str | None:
    """Where this person's class stands in the school, quiz by quiz (rendered: flow data
    is plain JSON)."""
    assert turn.person is not None
    lines = []
    for quiz in found:
        standing = await quiz_stats.class_standing(turn.uow, campaign_id, quiz, turn.person)
        if standing is None or not standing[0].took:
            continue
        group, count = standing
        lines.append(
            turn.render(
                T(
                    "{title}: {unit} is number {rank} of {count} in the school, with {share} of "
                    "its members passed.",
                    title=Plain(quiz.title.get(turn.locale)),
                    unit=Plain(group.name),
                    rank=group.rank,
                    count=count,
                    share=Plain(fmt_percent(group.share_passed, turn.locale)),
                )
            )
        )
    return "\n".join(lines) if lines else None


def quiz_data(
    quiz: Quiz, attempt_id: int, position: int, lang: str, rendering: str
) -> dict[str, Any]:
    """The flow data of an attempt from question `position` on, in the order shown."""
    questions = []
    for index in range(position, len(quiz.questions)):
        question = quiz.questions[index]
        order = option_order(attempt_id, index, len(question.options))
        questions.append(
            {
                "text": question.text.get(lang),
                "options": [question.options[k].get(lang) for k in order],
                "keys": [str(k) for k in order],
                "right": str(question.answer),
                "explanation": question.explanation.get(lang),
                "seconds": quiz.seconds(index),
            }
        )
    return {
        "attempt": attempt_id,
        "quiz": quiz.id,
        "title": quiz.title.get(lang),
        "total": len(quiz.questions),
        "index": position,
        "offset": position,
        "rendering": rendering,
        "questions": questions,
    }


async def finish_menu(record: Record, turn: Turn) -> Sequence[Shown]:
    """Start, resume or restart the quiz picked: the questions flow takes over."""
    person = turn.person
    assert person is not None
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    quiz_id = record.data["quiz"]
    attempt = None
    if record.kind == "resume":
        attempt = await quizzes.unfinished(turn.uow, campaign_id, person, quiz_id)
    if attempt is None:
        try:
            attempt = await quizzes.start(
                turn.uow,
                campaign_id=campaign_id,
                pack=pack,
                person=person,
                quiz_id=quiz_id,
                rendering=turn.shared.quiz_rendering,
                now=turn.now,
                restart=record.kind == "restart",
            )
        except NotAllowed as refused:
            return (Reply(NOT_STARTED.get(str(refused), NOT_STARTED["quiz"])),)
    quiz = pack.quiz(quiz_id)
    data = quiz_data(quiz, attempt.id, attempt.position, turn.locale, attempt.rendering)
    await Conversation(turn).begin(QUIZ, data)
    return ()


async def finish_quiz(record: Record, turn: Turn) -> Sequence[Shown]:
    person = turn.person
    assert person is not None
    if record.kind == "answer":
        return await _answer(record, turn)
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    outcome = await quizzes.finish(
        turn.uow,
        campaign_id=campaign_id,
        pack=pack,
        person=person,
        attempt_id=record.data["attempt"],
        now=turn.now,
    )
    if outcome is None:
        return ()
    quiz = pack.quiz(record.data["quiz"])
    milestone = pack.milestone(quiz.awards).title.get(turn.locale) if quiz.awards else None
    return (Reply(summary(quiz, outcome, turn.locale, milestone)),)


async def _answer(record: Record, turn: Turn) -> Sequence[Shown]:
    data = record.data
    written = await quizzes.answer(
        turn.uow,
        attempt_id=data["attempt"],
        question=data["question"],
        chosen=data["chosen"],
        correct=data["correct"],
        now=turn.now,
    )
    if not written or data["rendering"] != "text":
        return ()  # a poll shows right or wrong, and the explanation, itself
    if data["correct"]:
        return (Reply(T("✅ Right.")),)
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    question = pack.quiz(data["quiz"]).questions[data["question"]]
    order = option_order(data["attempt"], data["question"], len(question.options))
    return (
        Reply(
            T(
                "✖️ Not right: the answer is {n}, “{answer}”. {explanation}",
                n=order.index(question.answer) + 1,
                answer=Plain(question.options[question.answer].get(turn.locale)),
                explanation=Plain(question.explanation.get(turn.locale)),
            )
        ),
    )


def summary(quiz: Quiz, outcome: Outcome, lang: str, milestone: str | None) -> Text:
    parts: list[Text] = [
        T(
            "“{title}” is finished: {score} of {total} answers right.",
            title=Plain(quiz.title.get(lang)),
            score=outcome.score,
            total=outcome.total,
        )
    ]
    if outcome.passed:
        if outcome.awarded and milestone is not None:
            parts.append(
                T(
                    "Passed. The milestone “{milestone}” is counted; /progress shows it.",
                    milestone=Plain(milestone),
                )
            )
        else:
            parts.append(T("Passed."))
    elif quiz.retake_after_hours:
        parts.append(
            T(
                "Not passed yet: {passing} right answers are needed. It can be taken again "
                "after {hours} hours.",
                passing=outcome.passing,
                hours=quiz.retake_after_hours,
            )
        )
    else:
        parts.append(
            T(
                "Not passed yet: {passing} right answers are needed. It can be taken again "
                "at once.",
                passing=outcome.passing,
            )
        )
    if outcome.missed:
        lines: list[Text] = [T("Questions missed:")]
        for index in outcome.missed:
            question = quiz.questions[index]
            lines.append(
                Plain(f"{index + 1}. {question.text.get(lang)}\n→ {question.explanation.get(lang)}")
            )
        parts.append(Joined(tuple(lines), sep="\n\n"))
    return Joined(tuple(parts))
