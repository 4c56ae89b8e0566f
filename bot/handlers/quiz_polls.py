"""Quiz questions on the chat: shown as native quiz polls or numbered text, answered by
`poll_answer`, closed by their timer (`poll`), or typed.

What arrives that does not count, and what becomes of it (the score stays right):
| input                                        | outcome                                   |
|----------------------------------------------|-------------------------------------------|
| a vote on a poll of an earlier attempt       | not counted; said so                      |
| a vote on a poll of a paused attempt         | not counted; /quiz resumes it             |
| the same vote again, or a retracted vote     | nothing: the first answer stands          |
| a vote for a poll the voter was never sent   | nothing (logged with ids)                 |
| text while a poll is open                    | a hint to answer in the poll              |
| a poll closed by its timer, unanswered       | the question counts as missed; next one   |
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import Message, PollAnswer
from aiogram.types import Poll as TelegramPoll

from bot.delivery.replies import Poll
from bot.filters import CommandText, InFlow
from bot.flows.engine import OtherInput, Pick, Reply
from bot.flows.quiz import ANSWER_WITH_NUMBER, CLOSED, QUIZ, current
from bot.handlers.conversation import Conversation, current_state, message_input
from bot.services import quizzes
from bot.text import T
from bot.turn import Turn

log = logging.getLogger("hocvuso.quiz")

POLL_TEXT_LIMIT = 300
EARLIER_ATTEMPT = T("That question is from an earlier attempt, so the answer does not count.")
PAUSED = T("This quiz is paused, so that answer does not count. /quiz carries on with it.")
ANSWER_IN_POLL = T("Please answer in the poll above by tapping an option. /cancel pauses the quiz.")


def poll_routes(routes: Router) -> None:
    routes.poll_answer.register(voted)
    routes.poll.register(closed)
    routes.message.register(typed, InFlow(), CommandText(expected=False), InQuiz())


class InQuiz(Filter):
    """Passes while the questions flow is under way."""

    async def __call__(self, event: Any, raw_state: str | None = None) -> bool:
        return bool(raw_state and raw_state.startswith(f"flow:{QUIZ.name}:"))


async def present(turn: Turn, reply: Reply, data: Mapping[str, Any]) -> None:
    """Show a question: as a quiz poll, or as text with numbered options."""
    question = current(data)
    answer_id, earlier = await quizzes.show(
        turn.uow, data["attempt"], data["index"], len(question["keys"]), turn.now
    )
    text = turn.render(reply.text)
    if data.get("rendering") == "text":
        numbered = "\n".join(f"{n}. {label}" for n, label in enumerate(question["options"], 1))
        turn.say(f"{text}\n\n{numbered}\n\n{turn.render(ANSWER_WITH_NUMBER)}")
        return
    if earlier is not None:  # shown before (resumed): that poll no longer counts
        turn.replies.close_poll(turn.chat_id, earlier)
    database = turn.uow.database

    async def sent(message: Message) -> None:
        if message.poll is not None:
            await quizzes.remember_poll(database, answer_id, message.poll.id, message.message_id)

    turn.replies.poll(
        Poll(
            chat_id=turn.chat_id,
            question=text if len(text) <= POLL_TEXT_LIMIT else question["text"],
            options=tuple(question["options"]),
            correct=question["keys"].index(question["right"]),
            explanation=question["explanation"],
            open_period=question.get("seconds"),
            sent=sent,
        )
    )


async def _current_question(
    turn: Turn, raw_state: str | None, poll_id: str, user_id: int, *, tell: bool = True
) -> tuple[Any, Any] | None:
    """The flow state and the poll's stored question, when the poll counts now; says why
    not where the voter should know."""
    found = await quizzes.by_poll(turn.uow, poll_id)
    if found is None:
        log.info("poll %s: not a question of ours (user %s)", poll_id, user_id)
        return None
    row, attempt = found
    if turn.person is None or attempt.person_id != turn.person.id:
        log.warning("poll %s: answered by user %s, who was not sent it", poll_id, user_id)
        return None
    if row.chosen is not None or row.closed_at is not None:
        return None  # answered (or timed out) already: the first outcome stands
    if attempt.status != "open":
        if tell:
            turn.say(EARLIER_ATTEMPT)
        return None
    state = await current_state(turn, raw_state)
    if (
        state is None
        or state.flow != QUIZ.name
        or state.data.get("attempt") != attempt.id
        or state.data.get("index") != row.question
    ):
        if tell:
            turn.say(PAUSED)
        return None
    return state, row


async def voted(answer: PollAnswer, raw_state: str | None, turn: Turn) -> None:
    if not answer.option_ids:
        return  # a retracted vote: the answer given first still counts
    found = await _current_question(turn, raw_state, answer.poll_id, turn.user_id)
    if found is None:
        return
    state, row = found
    order = row.shown["order"]
    position = answer.option_ids[0]
    if not 0 <= position < len(order):
        return
    await Conversation(turn).feed(state, Pick("question", str(order[position])))


async def closed(poll: TelegramPoll, raw_state: str | None, turn: Turn) -> None:
    if not poll.is_closed:
        return
    found = await _current_question(turn, raw_state, poll.id, turn.user_id, tell=False)
    if found is None:
        return
    state, _ = found
    await Conversation(turn).feed(state, OtherInput(CLOSED))


async def typed(message: Message, raw_state: str, turn: Turn) -> None:
    state = await current_state(turn, raw_state)
    if state is None:
        return
    if state.data.get("rendering") == "text":
        await Conversation(turn).feed(state, message_input(message))
        return
    turn.say(ANSWER_IN_POLL)
