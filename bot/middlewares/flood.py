"""Flood guard: past `limit` updates in `window` seconds a person is told once to slow down,
and further updates are dropped until they are back under the limit.

It sits outside the conversation lock, so a flood is counted as it arrives, not as
the person's earlier updates finish; the notice goes straight out (it reports no
database work), paced like every other call.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import TelegramObject, Update, User

from bot.i18n import Catalogues, Renderer
from bot.services.people import Directory
from bot.text import T

log = logging.getLogger(__name__)

SLOW_DOWN = T("You are sending messages very fast. Please wait a few seconds, then try again.")


class FloodMiddleware(BaseMiddleware):
    def __init__(
        self,
        catalogues: Catalogues,
        directory: Directory,
        limit: int = 20,
        window: float = 10.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalogues = catalogues
        self.directory = directory
        self.limit = limit
        self.window = window
        self.now = now
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()  # told during their current flood

    def allow(self, user_id: int, now: float) -> bool:
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(self._seen) > 100_000:
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] <= self.window}
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or (isinstance(event, Update) and event.poll_answer is not None):
            # A vote comes once per poll the bot sent, so votes cannot flood; dropping one
            # would lose the answer for good (a quiz poll takes no second vote).
            return await handler(event, data)
        if self.allow(user.id, self.now()):
            self._warned.discard(user.id)
            return await handler(event, data)
        if user.id not in self._warned:
            self._warned.add(user.id)
            log.info("flood from user %s: told to slow down", user.id)
            await self._warn(data["bot"], event, user)
        return None

    async def _warn(self, bot: Bot, event: TelegramObject, user: User) -> None:
        known = self.directory.cached(user.id)
        language = known.language if known else self.catalogues.hint(user.language_code)
        text = Renderer(self.catalogues, language)(SLOW_DOWN)
        query = event.callback_query if isinstance(event, Update) else None
        try:
            if query is not None:
                await bot(
                    AnswerCallbackQuery(callback_query_id=query.id, text=text, show_alert=True)
                )
            else:
                await bot(SendMessage(chat_id=user.id, text=text))
        except TelegramAPIError as problem:
            log.warning("flood notice to user %s failed: %s", user.id, type(problem).__name__)
