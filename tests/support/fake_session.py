"""A Bot session that answers like Telegram from memory and never touches the network."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendPoll,
    SetMyCommands,
    StopPoll,
    TelegramMethod,
)
from aiogram.types import Chat, Message, PhotoSize, Poll, PollOption, User

POLL_IDS = itertools.count(1)  # poll ids are unique across bots and restarts, as Telegram's
BOT_USER = User(id=42, is_bot=True, first_name="hocvuso", username="hocvuso_test_bot")


def poll_of(method: SendPoll, poll_id: str, closed: bool = False) -> Poll:
    """The poll Telegram makes of a sendPoll request."""
    return Poll(
        id=poll_id,
        question=method.question,
        options=[
            PollOption(persistent_id=str(n), text=str(getattr(o, "text", o)), voter_count=0)
            for n, o in enumerate(method.options)
        ],
        total_voter_count=0,
        is_closed=closed,
        is_anonymous=False,
        type="quiz",
        allows_multiple_answers=False,
        allows_revoting=False,
        members_only=False,
        correct_option_id=method.correct_option_id,
        explanation=method.explanation,
        open_period=method.open_period,
    )


class FakeSession(BaseSession):
    """Records every request; raises on methods it does not know, so nothing leaks out."""

    def __init__(self, *, keep: bool = True) -> None:
        super().__init__()
        self.keep = keep  # False: answer without keeping the requests (long benchmarks)
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)
        self.polls: dict[str, tuple[SendPoll, int]] = {}  # poll id: how it was sent, to whom

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise AssertionError("tests must not download files")
        yield b""  # pragma: no cover

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if self.keep:
            self.requests.append(method)
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(
            method,
            AnswerCallbackQuery | SetMyCommands | DeleteMyCommands | DeleteWebhook | DeleteMessage,
        ):
            return True
        if isinstance(method, SendMessage):
            return self._message(method.chat_id, text=method.text, reply_markup=method.reply_markup)
        if isinstance(method, SendPhoto):
            photo = [
                PhotoSize(file_id=f"p{next(self._ids)}", file_unique_id="u", width=1, height=1)
            ]
            return self._message(method.chat_id, caption=method.caption, photo=photo)
        if isinstance(method, SendDocument):
            return self._message(method.chat_id, caption=method.caption)
        if isinstance(method, SendPoll):
            poll = self._poll(method, f"poll{next(POLL_IDS)}")
            self.polls[poll.id] = (method, int(method.chat_id))
            return self._message(method.chat_id, poll=poll)
        if isinstance(method, StopPoll):
            sent = next((m for m, _ in self.polls.values() if m.chat_id == method.chat_id), None)
            assert sent is not None, "stopPoll for a chat that was sent no poll"
            return self._poll(sent, "stopped", closed=True)
        if isinstance(method, EditMessageReplyMarkup | EditMessageText):
            return self._message(method.chat_id or 0, message_id=method.message_id)
        raise AssertionError(f"FakeSession does not answer {type(method).__name__}")

    @staticmethod
    def _poll(method: SendPoll, poll_id: str, closed: bool = False) -> Poll:
        return poll_of(method, poll_id, closed)

    def _message(self, chat_id: Any, message_id: int | None = None, **fields: Any) -> Message:
        return Message(
            message_id=message_id or next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=int(chat_id), type="private"),
            from_user=BOT_USER,
            **fields,
        )

    # what tests look at ------------------------------------------------------

    def sent(
        self, chat_id: int | None = None
    ) -> list[SendMessage | SendPhoto | SendDocument | EditMessageText]:
        """What the person was shown, in order: new messages, and cards edited to new text."""
        return [
            m
            for m in self.requests
            if isinstance(m, SendMessage | SendPhoto | SendDocument | EditMessageText)
            and (chat_id is None or m.chat_id == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            m.text if isinstance(m, SendMessage | EditMessageText) else (m.caption or "")
            for m in self.sent(chat_id)
        ]

    def last(self, chat_id: int) -> SendMessage | SendPhoto | SendDocument | EditMessageText:
        sent = self.sent(chat_id)
        assert sent, f"nothing was sent to {chat_id}"
        return sent[-1]

    def last_poll(self, chat_id: int) -> tuple[str, SendPoll]:
        """The id and request of the latest poll sent to this chat."""
        found = [(pid, m) for pid, (m, chat) in self.polls.items() if chat == chat_id]
        assert found, f"no poll was sent to {chat_id}"
        return found[-1]

    def of(self, kind: type) -> list[Any]:
        return [m for m in self.requests if isinstance(m, kind)]
