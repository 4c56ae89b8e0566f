"""Every Bot API call at Telegram's pace, retried when Telegram pushes back.

`Pace` is an aiogram request middleware on the bot's session, so it covers
every call the bot makes, replies and notices alike:

- Before a message is sent or edited it waits its turn under Telegram's
  limits: about 30 messages a second overall (`HOCVUSO_SEND_RATE`), one a
  second in a chat (a burst of three), 20 a minute in a group. Leaky buckets
  from aiolimiter; nobody sleeps on a guess.
- A 429 holds that chat for `retry_after` seconds (every later call to it waits
  too), then the call is tried again.
- 5xx answers, timeouts and connection errors are retried with growing pauses
  for up to `patience` seconds (long enough to ride out a 10 s outage); after
  that the error goes to the caller, who logs it with ids.

A call that timed out may have reached Telegram: retrying it can, rarely, show
a message twice. Every other failure is retried only when nothing was sent.
getUpdates is left alone (the polling loop has its own backoff).
"""

from __future__ import annotations

import asyncio
import logging
import random
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    CopyMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    GetUpdates,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendSticker,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiolimiter import AsyncLimiter

log = logging.getLogger("hocvuso.delivery")

MESSAGES = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendVideo,
    SendAudio,
    SendVoice,
    SendAnimation,
    SendSticker,
    SendMediaGroup,
    CopyMessage,
    ForwardMessage,
    EditMessageText,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageMedia,
)
RETRYABLE = (TelegramServerError, TelegramNetworkError, ClientDecodeError)

PREPAID: ContextVar[bool] = ContextVar("hocvuso_pace_prepaid", default=False)
"""Set by a caller that already took this call's turn (`Pace.take_turn`): the outbox takes
turns one at a time in its own loop, so that a burst of broadcast sends never queues in
the limiter ahead of the replies people are waiting for."""


@dataclass(frozen=True)
class Limits:
    """Telegram's limits for a bot without paid broadcasts."""

    per_second: float = 30.0  # across all chats
    chat_burst: int = 3  # a private chat: this many at once, then one a second
    chat_period: float = 3.0
    group_burst: int = 20  # a group: twenty a minute
    group_period: float = 60.0


class Pace(BaseRequestMiddleware):
    def __init__(
        self, limits: Limits | None = Limits(), patience: float = 30.0, max_pause: float = 4.0
    ) -> None:
        self.limits = limits
        self.patience = patience
        self.max_pause = max_pause
        # A tenth of a second's worth at once, not a whole second's: the same rate, without
        # a burst at the start that Telegram's own bucket may not have room for.
        self._overall = AsyncLimiter(max(1.0, limits.per_second / 10), 0.1) if limits else None
        self._chats: dict[int | str, AsyncLimiter] = {}
        self._held: dict[int | str | None, float] = {}  # chat → loop time its retry_after ends

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        chat = getattr(method, "chat_id", None)
        counted = isinstance(method, MESSAGES)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.patience
        pause = 0.5
        prepaid = PREPAID.get()
        if prepaid:
            PREPAID.set(False)  # for this call only: later calls in the task take turns
        while True:
            await self.wait_for_hold(chat)
            if counted and not prepaid:
                await self.take_turn(chat)
            prepaid = False
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as problem:
                self.hold(chat, problem.retry_after)
                log.warning(
                    "%s to chat %s: 429, retry after %s s",
                    type(method).__name__,
                    chat,
                    problem.retry_after,
                )
                # 429s say when to come back: they get twice the patience of other errors.
                if problem.retry_after > self.patience or loop.time() > give_up + self.patience:
                    raise
            except RETRYABLE as problem:
                if loop.time() + pause > give_up:
                    raise
                log.warning(
                    "%s to chat %s failed (%s); retrying in %.1f s",
                    type(method).__name__,
                    chat,
                    type(problem).__name__,
                    pause,
                )
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                pause = min(pause * 2, self.max_pause)

    def hold(self, chat: int | str | None, seconds: float) -> None:
        """Telegram said 429: nothing more to `chat` (None: to anyone) for `seconds`."""
        until = asyncio.get_running_loop().time() + seconds
        self._held[chat] = max(self._held.get(chat, 0.0), until)

    async def wait_for_hold(self, chat: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            until = max(self._held.get(chat, 0.0), self._held.get(None, 0.0))
            wait = until - loop.time()
            if wait <= 0:
                self._held.pop(chat, None)
                return
            await asyncio.sleep(wait)

    def ready(self, chat: int | str | None) -> bool:
        """Whether a message to `chat` could go now without waiting for that chat."""
        if chat is None:
            return True
        if self._held.get(chat, 0.0) > asyncio.get_running_loop().time():
            return False
        return self.limits is None or self._chat_limiter(chat).has_capacity()

    async def take_turn(self, chat: int | str | None, spare: int = 0) -> None:
        """Wait for a message's turn in `chat` and overall (then call with PREPAID set).

        `spare`: take the turn only while that many more would still be free at once, so
        that work which can wait (the outbox) leaves room for the replies people are
        waiting for, instead of standing ahead of them in the limiter's queue."""
        if self.limits is None:
            return
        if chat is not None:
            await self._chat_limiter(chat).acquire()
        overall = self._overall
        assert overall is not None
        spare = min(spare, int(overall.max_rate) - 1)
        while spare > 0 and not overall.has_capacity(1 + spare):
            await asyncio.sleep(overall.time_period / overall.max_rate / 2)
        await overall.acquire()

    def _chat_limiter(self, chat: int | str) -> AsyncLimiter:
        found = self._chats.get(chat)
        if found is None:
            assert self.limits is not None
            if len(self._chats) > 50_000:  # forget idle chats now and then
                self._chats = {
                    k: v for k, v in self._chats.items() if not v.has_capacity(v.max_rate)
                }
            group = isinstance(chat, str) or chat < 0
            found = self._chats[chat] = (
                AsyncLimiter(self.limits.group_burst, self.limits.group_period)
                if group
                else AsyncLimiter(self.limits.chat_burst, self.limits.chat_period)
            )
        return found
