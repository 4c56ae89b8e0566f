"""Pace: Telegram's limits before each call, and retries when Telegram pushes back."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, SendMessage, TelegramMethod

from bot.delivery.pace import Limits, Pace


class Scripted(BaseSession):
    """Answers each call with the next scripted outcome (an exception class name or "ok")
    and records when every call arrived."""

    def __init__(self, script: list[str] | None = None) -> None:
        super().__init__()
        self.script = list(script or [])
        self.calls: list[tuple[float, str, Any]] = []

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise AssertionError("no downloads")

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls.append(
            (time.monotonic(), type(method).__name__, getattr(method, "chat_id", None))
        )
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "429":
            raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=1)
        if outcome == "5xx":
            raise TelegramServerError(method=method, message="Bad Gateway")
        if outcome == "net":
            raise TelegramNetworkError(method=method, message="ClientConnectorError")
        if outcome == "400":
            raise TelegramBadRequest(method=method, message="Bad Request: chat not found")
        return True


def paced(session: Scripted, **options: Any) -> Bot:
    session.middleware(Pace(**options))
    return Bot("42:TEST", session=session)


def send(chat: int = 7) -> SendMessage:
    return SendMessage(chat_id=chat, text="xin chào")


async def test_a_429_holds_the_chat_for_retry_after_then_the_call_goes_through() -> None:
    session = Scripted(["429", "ok", "ok"])
    bot = paced(session, limits=None)
    await bot(send())
    other = asyncio.create_task(bot(send()))  # the same chat: waits out the hold too
    await other
    (first, *_), (second, *_), (third, *_) = session.calls
    assert second - first >= 0.99
    assert third - first >= 0.99


async def test_5xx_and_network_errors_are_retried_with_growing_pauses() -> None:
    session = Scripted(["5xx", "net", "5xx", "ok"])
    bot = paced(session, limits=None, patience=10.0, max_pause=0.4)
    assert await bot(send()) is True
    times = [at for at, *_ in session.calls]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    assert gaps[0] >= 0.35 and gaps[1] >= 0.3  # 0.5 s, then up to max_pause, with jitter


async def test_past_its_patience_the_error_goes_to_the_caller() -> None:
    session = Scripted(["net"] * 20)
    bot = paced(session, limits=None, patience=1.2, max_pause=0.3)
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError):
        await bot(send())
    assert 0.6 <= time.monotonic() - started <= 1.5  # never waits past its patience
    assert len(session.calls) >= 3


async def test_other_errors_are_not_retried() -> None:
    session = Scripted(["400"])
    bot = paced(session, limits=None)
    with pytest.raises(TelegramBadRequest):
        await bot(send())
    assert len(session.calls) == 1


async def test_a_chat_gets_its_burst_then_one_message_a_period() -> None:
    session = Scripted()
    bot = paced(session, limits=Limits(per_second=1000, chat_burst=2, chat_period=0.6))
    await asyncio.gather(*(bot(send(7)) for _ in range(5)), bot(send(8)))
    seven = [at for at, _, chat in session.calls if chat == 7]
    eight = [at for at, _, chat in session.calls if chat == 8]
    # two at once, then one every 0.3 s (the bucket of 2 drains over 0.6 s)
    assert seven[1] - seven[0] < 0.1
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(seven[1:]))
    assert eight[0] - seven[0] < 0.1  # another chat does not wait for this one


async def test_a_group_gets_twenty_a_minute() -> None:
    session = Scripted()
    bot = paced(session, limits=Limits(per_second=1000, group_burst=3, group_period=0.9))
    await asyncio.gather(*(bot(send(-100)) for _ in range(4)))
    times = [at for at, *_ in session.calls]
    assert times[3] - times[0] >= 0.25


async def test_overall_rate_across_chats() -> None:
    session = Scripted()
    bot = paced(session, limits=Limits(per_second=10))
    started = time.monotonic()
    await asyncio.gather(*(bot(send(chat)) for chat in range(1, 21)))
    assert time.monotonic() - started >= 0.9  # ten at once, the next ten over a second


async def test_answers_to_presses_are_not_counted_and_polling_is_left_alone() -> None:
    session = Scripted(["5xx"])
    bot = paced(session, limits=Limits(per_second=1, chat_burst=1, chat_period=100))
    with pytest.raises(TelegramServerError):
        await bot(GetUpdates())  # the polling loop has its own backoff
    started = time.monotonic()
    for n in range(5):
        await bot(AnswerCallbackQuery(callback_query_id=str(n)))
    assert time.monotonic() - started < 0.5
