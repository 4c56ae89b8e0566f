"""One unit of work per update; the commit lives here and nowhere else.

`UnitOfWorkMiddleware` opens the update's unit of work outside aiogram's
conversation lock (so that reading the conversation state there is the update's
first read, not a query of its own) and rolls it back if anything raised.
`CommitMiddleware`, inside the lock, runs the handler, commits the update's
writes (conversation state included) and only then delivers what the handler
added to `replies`: the next update of the same person sees the state this one
committed, and its replies come after these. If the handler raises, the work
rolls back and nothing it meant to say is sent (the error handler apologises).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.delivery.replies import Replies, deliver
from storage.db import CURRENT, Database

log = logging.getLogger(__name__)


class UnitOfWorkMiddleware(BaseMiddleware):
    """It also counts updates in progress, so that a shutdown can let them finish
    (`drained`) before the HTTP session closes under them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def drained(self, timeout: float = 10.0) -> bool:
        """Wait until no update is being handled; False if `timeout` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._running += 1
        self._idle.clear()
        try:
            return await self._handle(handler, event, data)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        uow = self.database.unit_of_work()
        data["uow"] = uow
        data["replies"] = Replies()
        token = CURRENT.set(uow)
        try:
            return await handler(event, data)
        except BaseException:
            await uow.abort()
            raise
        finally:
            CURRENT.reset(token)


class CommitMiddleware(BaseMiddleware):
    """Inside the conversation lock: the handler, the commit, then the replies."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        await data["uow"].finish()
        bot: Bot = data["bot"]
        update_id = event.update_id if isinstance(event, Update) else None
        await deliver(bot, data["replies"], update_id)
        return result
