"""Who sent this update: `person` (or None), `superadmin` and `now` for every handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.clock import Clock
from bot.services.people import Directory
from bot.settings import Settings


class PersonMiddleware(BaseMiddleware):
    def __init__(self, directory: Directory, settings: Settings, clock: Clock) -> None:
        self.directory = directory
        self.superadmins = settings.superadmins
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        data["now"] = self.clock.now()
        data["superadmin"] = user is not None and user.id in self.superadmins
        data["person"] = (
            await self.directory.get(data["uow"], user.id) if user is not None else None
        )
        return await handler(event, data)
