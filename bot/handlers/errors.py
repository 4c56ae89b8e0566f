"""The one error handler: log ids (never texts), apologise in the person's language.

The update's work has rolled back and nothing it meant to say was sent; the apology
goes straight out (paced and retried like every call)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import ErrorEvent, User

from bot.i18n import Renderer
from bot.text import T
from bot.turn import Turn

log = logging.getLogger("hocvuso.errors")

SORRY = T("Sorry, something went wrong on our side. Please try again in a moment.")


def router() -> Router:
    routes = Router(name="errors")
    routes.errors.register(on_error)
    return routes


async def on_error(
    event: ErrorEvent, bot: Bot, event_from_user: User | None = None, turn: Turn | None = None
) -> bool:
    update = event.update
    user = event_from_user
    log.error(
        "update %s from user %s failed: %s",
        update.update_id,
        user.id if user else None,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    render: Renderer | None = turn.render if turn else None
    text = render(SORRY) if render else SORRY.msgid
    try:
        if update.callback_query is not None:
            query = update.callback_query
            await bot(AnswerCallbackQuery(callback_query_id=query.id, text=text, show_alert=True))
        elif update.message is not None:
            await bot(SendMessage(chat_id=update.message.chat.id, text=text))
    except TelegramAPIError:  # the apology itself failed: the error is logged already
        log.warning("could not apologise for update %s", update.update_id)
    return True
