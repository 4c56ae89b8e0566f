"""Flood guard: past `limit` updates in `window` seconds a person is told once to slow down,
and further updates are dropped until the window passes."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User

from bot.flows.text import T
from bot.i18n import Renderer

SLOW_DOWN = T("You are sending messages very fast. Please wait a few seconds, then try again.")


class FloodMiddleware(BaseMiddleware):
    def __init__(self, limit: int = 20, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def allow(self, user_id: int, now: float) -> bool:
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(self._seen) > 100_000:
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] <= self.window}
        times.append(now)
        return len(times) <= self.limit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = time.monotonic()
        if self.allow(user.id, now):
            return await handler(event, data)
        if now - self._warned.get(user.id, -self.window) > self.window:
            self._warned[user.id] = now
            await self._warn(event, data)
        return None

    async def _warn(self, event: TelegramObject, data: dict[str, Any]) -> None:
        render: Renderer | None = data.get("render")
        text = render(SLOW_DOWN) if render else SLOW_DOWN.msgid
        inner = event.event if isinstance(event, Update) else event
        if isinstance(inner, Message):
            await inner.answer(text)
        elif isinstance(inner, CallbackQuery):
            await inner.answer(text, show_alert=True)
