"""Whose poll closed: a `poll` update names no user, so the person sent the poll is
looked up and given as the update's user. The conversation lock, state and turn that
follow are then theirs, as for any update of theirs (a question closed by its timer
moves their quiz on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.types import Chat, TelegramObject, Update, User

from bot.services import quizzes


class PollOwnerMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        # Telegram also sends a `poll` update for every vote; only a closed poll matters.
        if isinstance(event, Update) and event.poll is not None and event.poll.is_closed:
            owner = await quizzes.poll_owner(data["uow"], event.poll.id)
            if owner is not None:
                data[EVENT_CONTEXT_KEY] = EventContext(
                    chat=Chat(id=owner, type="private"),
                    user=User(id=owner, is_bot=False, first_name=str(owner)),
                )
        return await handler(event, data)
