"""One unit of work per update; the commit lives here and nowhere else.

The handler adds what it wants to say to `replies`; this middleware commits the
update's writes (conversation state included) and only then delivers them. If
the handler raises, the work rolls back and nothing it meant to say is sent
(the error handler apologises instead).
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
        replies = Replies()
        data["uow"] = uow
        data["replies"] = replies
        token = CURRENT.set(uow)
        try:
            result = await handler(event, data)
            await uow.finish()
        except BaseException:
            await uow.abort()
            raise
        finally:
            CURRENT.reset(token)
        bot: Bot = data["bot"]
        update_id = event.update_id if isinstance(event, Update) else None
        await deliver(bot, replies, update_id)
        return result
