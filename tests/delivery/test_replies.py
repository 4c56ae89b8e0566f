"""Delivering an update's replies: in order, around failures, logged with ids only."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import EditMessageText, SendMessage, SendPhoto, TelegramMethod

from bot.delivery.replies import TEXT_LIMIT, Replies, deliver
from tests.support.fake_session import FakeSession


class Refusing(FakeSession):
    """A fake Telegram that refuses what `refuse` names: (method type, chat) → error."""

    def __init__(self, refuse: dict[tuple[type, int], Exception]) -> None:
        super().__init__()
        self.refuse = refuse

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        problem = self.refuse.get((type(method), getattr(method, "chat_id", None)))
        if problem is not None:
            self.requests.append(method)
            raise problem
        return await super().make_request(bot, method, timeout)


def refused(kind: type, message: str) -> Exception:
    method = SendMessage(chat_id=1, text="-")
    if kind is TelegramForbiddenError:
        return TelegramForbiddenError(method=method, message=message)
    return TelegramBadRequest(method=method, message=message)


async def test_a_card_that_cannot_be_edited_comes_as_a_new_message() -> None:
    session = Refusing(
        {(EditMessageText, 5): refused(TelegramBadRequest, "message can't be edited")}
    )
    replies = Replies()
    replies.card(5, 77, "Câu hỏi tiếp theo")
    outcome = await deliver(Bot("42:T", session=session), replies)
    assert [type(m).__name__ for m in session.requests] == [
        "EditMessageText",
        "EditMessageReplyMarkup",  # the old card's buttons go
        "SendMessage",
    ]
    assert session.requests[-1].text == "Câu hỏi tiếp theo"
    assert outcome.sent == 1 and outcome.failed == 0


async def test_not_modified_counts_as_shown() -> None:
    session = Refusing(
        {(EditMessageText, 5): refused(TelegramBadRequest, "message is not modified")}
    )
    replies = Replies()
    replies.card(5, 77, "Như cũ")
    await deliver(Bot("42:T", session=session), replies)
    assert [type(m).__name__ for m in session.requests] == ["EditMessageText"]


async def test_a_blocked_chat_gets_nothing_more_and_others_still_get_theirs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = Refusing({(SendMessage, 5): refused(TelegramForbiddenError, "bot was blocked")})
    replies = Replies()
    replies.message(5, "Gửi Lan")
    replies.media(5, "photo", b"png", "Ảnh của Lan")
    replies.message(6, "Gửi thầy Nam")
    with caplog.at_level(logging.INFO):
        outcome = await deliver(Bot("42:T", session=session), replies, update_id=31)
    assert [getattr(m, "chat_id", None) for m in session.requests] == [5, 6]
    assert outcome.blocked == {5} and outcome.sent == 1
    assert "update 31" in caplog.text and "chat 5" in caplog.text
    assert "Lan" not in caplog.text


async def test_a_refused_photo_does_not_cost_the_text_before_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = Refusing({(SendPhoto, 5): refused(TelegramBadRequest, "wrong file")})
    replies = Replies()
    replies.message(5, "Đường link mời: https://t.me/x?start=abc")
    replies.media(5, "photo", b"png", "Mã QR")
    outcome = await deliver(Bot("42:T", session=session), replies, update_id=32)
    assert session.texts(5)[0].startswith("Đường link mời")
    assert outcome.failed == 1
    assert "Media to chat 5 given up" in caplog.text and "Mã QR" not in caplog.text


def test_long_text_is_split_on_lines_and_buttons_go_last() -> None:
    replies = Replies()
    lines = "\n".join(f"dòng {n:05d}" for n in range(1000))
    replies.message(5, lines, markup="buttons")  # type: ignore[arg-type]
    assert len(replies.items) >= 3
    assert all(len(item.text) <= TEXT_LIMIT for item in replies.items)  # type: ignore[union-attr]
    assert [item.markup for item in replies.items][-1] == "buttons"  # type: ignore[union-attr]
    assert all(item.markup is None for item in replies.items[:-1])  # type: ignore[union-attr]
    joined = "\n".join(item.text for item in replies.items)  # type: ignore[union-attr]
    assert joined == lines
