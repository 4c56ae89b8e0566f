"""One unit of work per update; the commit lives here and nowhere else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject

from storage.db import Database, UnitOfWork

CURRENT: ContextVar[UnitOfWork | None] = ContextVar("hocvuso_unit_of_work", default=None)


class CommitBeforeSending(BaseRequestMiddleware):
    """Nothing is said to Telegram before what it reports is durable.

    Before any outbound Bot API call, the update's unit of work commits and gives
    its connection back, so the single SQLite connection is never held across a
    network round trip, and a reply never announces work that could still roll back.
    Later database work in the same update opens a new transaction.
    """

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        uow = CURRENT.get()
        if uow is not None and uow.used:
            await uow.finish()
        return await make_request(bot, method)


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens a lazy unit of work, commits it after the handler, then waits for state writes.

    It also counts updates in progress, so that a shutdown can let them finish
    (`drained`) before the HTTP session closes under them.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._sessions: set[int] = set()

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
        bot: Bot | None = data.get("bot")
        if bot is not None and id(bot.session) not in self._sessions:
            bot.session.middleware(CommitBeforeSending())
            self._sessions.add(id(bot.session))
        uow = self.database.unit_of_work()
        data["uow"] = uow
        token = CURRENT.set(uow)
        try:
            result = await handler(event, data)
        except BaseException:
            await uow.abort()
            raise
        finally:
            CURRENT.reset(token)
        await uow.finish()
        storage = data.get("fsm_storage")
        sync = getattr(storage, "sync", None)
        if sync is not None:
            await sync()
        return result
