"""Runs declared flows over Telegram: stores their state, renders their effects.

The FSM state is `flow:<name>:<step>` and the FSM data is the flow's data,
so conversations survive a restart in whichever storage the bot runs on.
Records a flow emits go to the finisher registered for that flow.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from functools import lru_cache
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.flows import engine
from bot.flows.engine import (
    Effect,
    FileInput,
    Flow,
    Input,
    OtherInput,
    Record,
    Reply,
    SetLanguage,
    TextInput,
)
from bot.flows.text import Plain
from bot.handlers.callbacks import VERSION, FlowCallback
from bot.i18n import Renderer

TEXT_LIMIT = 4096

Finisher = Callable[[Record, dict[str, Any]], Awaitable[Sequence[Effect]]]

FLOWS: dict[str, Flow] = {}
FINISHERS: dict[str, Finisher] = {}


def register(flow: Flow, finisher: Finisher | None = None) -> None:
    FLOWS[flow.name] = flow
    if finisher is not None:
        FINISHERS[flow.name] = finisher


def raw_state(state: engine.State) -> str:
    return f"flow:{state.flow}:{state.step}"


def parse_state(raw: str | None, data: dict[str, Any]) -> engine.State | None:
    if not raw or not raw.startswith("flow:"):
        return None
    _, flow, step = raw.split(":", 2)
    return engine.State(flow, step, data)


@lru_cache(maxsize=4096)
def button_data(flow: str, step: str, key: str) -> str:
    """The packed callback data of a flow's choice (validated and length-checked once)."""
    return FlowCallback(v=VERSION, flow=flow, step=step, key=key).pack()


def keyboard(reply: Reply, render: Renderer) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    labels = tuple((choice.key, render(choice.label)) for choice in reply.choices)

    def build() -> InlineKeyboardMarkup:
        rows = [
            [
                InlineKeyboardButton(
                    text=label, callback_data=button_data(reply.flow, reply.step, key)
                )
            ]
            for key, label in labels
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows)

    if any(isinstance(choice.label, Plain) for choice in reply.choices):
        return build()  # labels from people's data (a name): one of a kind, not worth keeping
    return render.made(("keyboard", reply.flow, reply.step, labels), build)


def message_input(message: Message) -> Input:
    """What a person sent, as a flow input. Text is NFC; files keep ids, never bytes."""
    if message.text is not None:
        return TextInput(unicodedata.normalize("NFC", message.text)[:TEXT_LIMIT])
    if message.photo:
        largest = message.photo[-1]
        return FileInput(
            "photo",
            largest.file_id,
            largest.file_unique_id,
            size=largest.file_size,
            mime_type="image/jpeg",
            caption=message.caption,
        )
    if message.document is not None:
        doc = message.document
        return FileInput(
            "document",
            doc.file_id,
            doc.file_unique_id,
            size=doc.file_size,
            mime_type=doc.mime_type,
            file_name=doc.file_name,
            caption=message.caption,
        )
    return OtherInput(str(message.content_type))


class Conversation:
    """One person's chat: begin a flow, feed it input, show what it says.

    `pressed` is the message whose button was just pressed: the first thing the flow
    says replaces it (its text and buttons), so the chat reads as one card moving
    forward and no old buttons are left behind. Anything more is sent as new messages.
    """

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        state: FSMContext,
        data: dict[str, Any],
        pressed: Message | None = None,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.state = state
        self.data = data
        self.render: Renderer = data["render"]
        self.pressed = pressed

    async def begin(self, flow: Flow, flow_data: dict[str, Any], at: str | None = None) -> None:
        await self._apply(flow, engine.start(flow, flow_data, at))

    async def feed(self, current: engine.State, event: Input) -> None:
        flow = FLOWS[current.flow]
        if current.step not in flow.steps:  # a step removed by an upgrade
            await self.state.clear()
            return
        await self._apply(flow, engine.step(flow, current, event))

    async def _apply(self, flow: Flow, result: engine.Result) -> None:
        effects: list[Effect] = list(result.effects)
        if result.state is None:
            await self.state.clear()
        else:
            await self.state.set_state(raw_state(result.state))
            await self.state.set_data(dict(result.state.data))
        finisher = FINISHERS.get(flow.name)
        done: list[Effect] = []
        for effect in effects:
            if isinstance(effect, Record) and finisher is not None:
                done.extend(await finisher(effect, self.data))
            else:
                done.append(effect)
        await self.show(done)

    async def show(self, effects: Sequence[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, SetLanguage):
                self.render = Renderer(self.render.catalogues, effect.language, self.render.zone)
                self.data["render"] = self.render
            elif isinstance(effect, Reply):
                text, markup = self.render(effect.text), keyboard(effect, self.render)
                if not await self._replace_pressed(text, markup):
                    await send_long(self.bot, self.chat_id, text, markup)
        if self.pressed is not None:  # nothing replaced it: at least take its buttons away
            pressed, self.pressed = self.pressed, None
            with suppress(TelegramBadRequest):
                await pressed.edit_reply_markup(reply_markup=None)

    async def _replace_pressed(self, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        pressed, self.pressed = self.pressed, None
        if pressed is None or len(text) > TEXT_LIMIT or pressed.text is None:
            if pressed is not None:
                with suppress(TelegramBadRequest):
                    await pressed.edit_reply_markup(reply_markup=None)
            return False
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=self.chat_id, message_id=pressed.message_id, reply_markup=markup
            )
        except TelegramBadRequest as problem:  # too old, deleted, or already showing this
            return "not modified" in str(problem)
        return True


async def send_long(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send text of any length in pieces under Telegram's limit; buttons go on the last one."""
    pieces: list[str] = []
    while len(text) > TEXT_LIMIT:
        cut = text.rfind("\n", 0, TEXT_LIMIT)
        cut = cut if cut > 0 else TEXT_LIMIT
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    for piece in pieces[:-1]:
        await bot.send_message(chat_id, piece)
    await bot.send_message(chat_id, pieces[-1], reply_markup=markup)
