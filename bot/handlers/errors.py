"""The one error handler: log ids (never texts), apologise in the person's language."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.types import ErrorEvent

from bot.flows.text import T
from bot.handlers.routes import Routes

log = logging.getLogger("hocvuso.errors")
router = Routes("errors")

SORRY = T("Sorry, something went wrong on our side. Please try again in a moment.")


@router.errors()
async def on_error(event: ErrorEvent, **data: Any) -> bool:
    update = event.update
    user = data.get("event_from_user")
    log.error(
        "update %s from user %s failed: %s",
        update.update_id,
        user.id if user else None,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    render = data.get("render")
    text = render(SORRY) if render else SORRY.msgid
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    except Exception:  # the apology itself failed: the error is logged already
        log.warning("could not apologise for update %s", update.update_id)
    return True
