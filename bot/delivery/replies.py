"""What an update says, held until what it reports is committed, then delivered.

Handlers never call the Bot API themselves: they add to the update's
`Replies` (to the person who wrote, and notices to others), the update
middleware commits, and only then `deliver` sends them, in order, through the
bot's session (where `bot.delivery.pace` keeps Telegram's limits and retries).
Work that rolls back says nothing.

A failure is logged with ids (chat, method), never texts, and does not stop the
rest: a chat that blocked the bot (403) gets nothing more from this update; a
card that cannot be edited in place is sent as a new message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMyCommands,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendPoll,
    SetMyCommands,
    StopPoll,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputPollOption,
)
from aiogram.types import Message as SentMessage

log = logging.getLogger("hocvuso.delivery")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Message:
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Card:
    """Show `text` in message `message_id` (the card whose button was pressed); if that
    message cannot be edited, send it as a new one."""

    chat_id: int
    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Buttons:
    """Change (None: take away) the buttons of a message; failing is harmless."""

    chat_id: int
    message_id: int
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Media:
    chat_id: int
    kind: str  # photo | document
    file: str | bytes  # a Telegram file id, or the bytes to upload
    caption: str | None = None
    markup: InlineKeyboardMarkup | None = None
    filename: str = "file"


@dataclass(frozen=True)
class Toast:
    """The answer to a button press (required by Telegram, even when empty)."""

    query_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class Menu:
    """A chat's command menu; no commands: back to the default menu."""

    chat_id: int
    commands: tuple[BotCommand, ...] = ()


@dataclass(frozen=True)
class Poll:
    """A native quiz poll (non-anonymous, so its answers reach the bot). `sent` is told
    the message Telegram returns (it carries the poll's id) before the next item goes."""

    chat_id: int
    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str | None = None
    open_period: int | None = None
    sent: Callable[[SentMessage], Awaitable[None]] | None = None


@dataclass(frozen=True)
class ClosePoll:
    """Stop a poll (one that no longer counts); failing is harmless."""

    chat_id: int
    message_id: int


Item = Message | Card | Buttons | Media | Toast | Menu | Poll | ClosePoll


@dataclass
class Replies:
    items: list[Item] = field(default_factory=list)

    def message(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Text of any length, in pieces under Telegram's limit; buttons on the last one."""
        pieces = split(text)
        for piece in pieces[:-1]:
            self.items.append(Message(chat_id, piece))
        self.items.append(Message(chat_id, pieces[-1], markup))

    def card(
        self,
        chat_id: int,
        message_id: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        if message_id is None or len(text) > TEXT_LIMIT:
            if message_id is not None:
                self.buttons(chat_id, message_id, None)
            self.message(chat_id, text, markup)
        else:
            self.items.append(Card(chat_id, message_id, text, markup))

    def buttons(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        self.items.append(Buttons(chat_id, message_id, markup))

    def media(
        self,
        chat_id: int,
        kind: str,
        file: str | bytes,
        caption: str | None = None,
        markup: InlineKeyboardMarkup | None = None,
        filename: str = "file",
    ) -> None:
        if caption is not None and len(caption) > CAPTION_LIMIT:
            self.items.append(Media(chat_id, kind, file, None, None, filename))
            self.message(chat_id, caption, markup)
        else:
            self.items.append(Media(chat_id, kind, file, caption, markup, filename))

    def toast(self, query_id: str, text: str | None = None, alert: bool = False) -> None:
        self.items.append(Toast(query_id, text, alert))

    def menu(self, chat_id: int, commands: tuple[BotCommand, ...]) -> None:
        self.items.append(Menu(chat_id, commands))

    def poll(self, poll: Poll) -> None:
        self.items.append(poll)

    def close_poll(self, chat_id: int, message_id: int) -> None:
        self.items.append(ClosePoll(chat_id, message_id))


def split(text: str) -> list[str]:
    pieces: list[str] = []
    while len(text) > TEXT_LIMIT:
        cut = text.rfind("\n", 0, TEXT_LIMIT)
        cut = cut if cut > 0 else TEXT_LIMIT
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0
    blocked: set[int] = field(default_factory=set)


async def deliver(bot: Bot, replies: Replies, update_id: int | None = None) -> Delivered:
    """Send every item in order; failures are logged with ids and do not stop the rest."""
    outcome = Delivered()
    for item in replies.items:
        chat = getattr(item, "chat_id", None)
        if chat in outcome.blocked:
            continue
        try:
            await _send(bot, item)
            outcome.sent += 1
        except TelegramForbiddenError:
            outcome.blocked.add(chat)  # type: ignore[arg-type]
            log.info("update %s: chat %s has blocked the bot", update_id, chat)
        except TelegramAPIError as problem:
            if isinstance(item, Buttons | Toast | ClosePoll):  # harmless to miss
                continue
            outcome.failed += 1
            log.error(
                "update %s: %s to chat %s given up: %s",
                update_id,
                type(item).__name__,
                chat,
                type(problem).__name__,
            )
    return outcome


async def _send(bot: Bot, item: Item) -> None:
    if isinstance(item, Card):
        try:
            await bot(
                EditMessageText(
                    chat_id=item.chat_id,
                    message_id=item.message_id,
                    text=item.text,
                    reply_markup=item.markup,
                )
            )
        except TelegramBadRequest as problem:
            if "not modified" in str(problem):
                return
            # Too old, deleted, or not a text message: the card goes out as a new message.
            await _strip(bot, item.chat_id, item.message_id)
            await bot(SendMessage(chat_id=item.chat_id, text=item.text, reply_markup=item.markup))
        return
    if isinstance(item, Poll):
        message = await bot(method_for(item))
        if item.sent is not None and isinstance(message, SentMessage):
            try:
                await item.sent(message)
            except Exception:  # the poll went out; its answers will not be recognised
                log.exception(
                    "chat %s: poll %s sent but not recorded",
                    item.chat_id,
                    message.poll.id if message.poll else None,
                )
        return
    await bot(method_for(item))


async def _strip(bot: Bot, chat_id: int, message_id: int) -> None:
    try:
        await bot(EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id))
    except TelegramBadRequest:
        return


def method_for(item: Item) -> TelegramMethod[object]:
    if isinstance(item, Message):
        return SendMessage(chat_id=item.chat_id, text=item.text, reply_markup=item.markup)
    if isinstance(item, Buttons):
        return EditMessageReplyMarkup(
            chat_id=item.chat_id, message_id=item.message_id, reply_markup=item.markup
        )
    if isinstance(item, Media):
        file = (
            BufferedInputFile(item.file, filename=item.filename)
            if isinstance(item.file, bytes)
            else item.file
        )
        if item.kind == "photo":
            return SendPhoto(
                chat_id=item.chat_id, photo=file, caption=item.caption, reply_markup=item.markup
            )
        return SendDocument(
            chat_id=item.chat_id, document=file, caption=item.caption, reply_markup=item.markup
        )
    if isinstance(item, Toast):
        return AnswerCallbackQuery(
            callback_query_id=item.query_id, text=item.text, show_alert=item.alert
        )
    if isinstance(item, Menu):
        scope = BotCommandScopeChat(chat_id=item.chat_id)
        if not item.commands:
            return DeleteMyCommands(scope=scope)
        return SetMyCommands(commands=list(item.commands), scope=scope)
    if isinstance(item, Poll):
        return SendPoll(
            chat_id=item.chat_id,
            question=item.question,
            options=[InputPollOption(text=option) for option in item.options],
            type="quiz",
            is_anonymous=False,
            correct_option_id=item.correct,
            explanation=item.explanation,
            open_period=item.open_period,
        )
    if isinstance(item, ClosePoll):
        return StopPoll(chat_id=item.chat_id, message_id=item.message_id)
    raise TypeError(f"cannot deliver {type(item).__name__}")
