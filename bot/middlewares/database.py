"""One unit of work per update; the commit lives here and nowhere else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from storage.db import Database


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
        try:
            result = await handler(event, data)
        except BaseException:
            await uow.abort()
            raise
        await uow.finish()
        storage = data.get("fsm_storage")
        sync = getattr(storage, "sync", None)
        if sync is not None:
            await sync()
        return result
