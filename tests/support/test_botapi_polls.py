"""The fake Bot API's polls: sendPoll's limits, votes, timers, allowed_updates."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InputPollOption

from tests.support.botapi import FakeBotApi
from tests.support.test_botapi import api, bot  # noqa: F401  (fixtures)

OPTIONS = [InputPollOption(text="Có"), InputPollOption(text="Không")]


@pytest.mark.asyncio
async def test_quiz_poll_vote_and_timer(api: FakeBotApi, bot: Bot) -> None:  # noqa: F811
    lan = api.user(1001, "Lan")
    api.send_text(lan, "/quiz")  # the chat exists once the user wrote
    sent = await bot.send_poll(
        lan.id, "Đọc mã OTP?", OPTIONS, type="quiz", is_anonymous=False,
        correct_option_id=1, explanation="Không bao giờ.", open_period=30,
    )  # fmt: skip
    assert sent.poll is not None and sent.poll.correct_option_id == 1
    assert api.last_poll(lan.id)["id"] == sent.poll.id
    api.vote(lan, sent.poll.id, 0)
    with pytest.raises(AssertionError, match="already voted"):
        api.vote(lan, sent.poll.id, 1)
    api.time_out(sent.poll.id)
    updates = await bot.get_updates(timeout=0)
    kinds = [u.event_type for u in updates]
    assert kinds == ["message", "poll_answer", "poll"]
    assert updates[1].poll_answer is not None and updates[1].poll_answer.option_ids == [0]
    assert updates[2].poll is not None and updates[2].poll.is_closed
    stopped = await bot.send_poll(lan.id, "Lần nữa?", OPTIONS, type="quiz", correct_option_id=0)
    closed = await bot.stop_poll(lan.id, stopped.message_id)
    assert closed.is_closed


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"question": "x" * 301}, "question length"),
        ({"options": OPTIONS[:1]}, "2-10 options"),
        ({"options": [InputPollOption(text="x" * 101), OPTIONS[1]]}, "options length"),
        ({"correct_option_id": 2}, "correct option"),
        ({"explanation": "x" * 201}, "explanation is too long"),
        ({"open_period": 601}, "open period"),
    ],
)
async def test_send_poll_limits(
    api: FakeBotApi,  # noqa: F811
    bot: Bot,  # noqa: F811
    fields: dict[str, object],
    error: str,
) -> None:
    lan = api.user(1002, "Lan")
    api.send_text(lan, "hi")
    params: dict[str, object] = {
        "question": "Q?", "options": OPTIONS, "type": "quiz", "correct_option_id": 0, **fields,
    }  # fmt: skip
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_poll(lan.id, **params)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_updates_not_asked_for_are_not_delivered(api: FakeBotApi, bot: Bot) -> None:  # noqa: F811
    lan = api.user(1003, "Lan")
    api.send_text(lan, "hi")
    sent = await bot.send_poll(lan.id, "Q?", OPTIONS, type="quiz", correct_option_id=0)
    assert sent.poll is not None
    api.vote(lan, sent.poll.id, 0)
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.event_type for u in updates] == ["message"]
