"""One unit of work per update; the commit lives here and nowhere else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from storage.db import Database


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens a lazy unit of work, commits it after the handler, then waits for state writes."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(
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
