"""Input for a flow under way: button presses and messages while a step waits."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.filters import CommandText, InFlow
from bot.flows.engine import STALE, Pick
from bot.handlers.callbacks import FlowButton, FlowCallback
from bot.handlers.conversation import FLOWS, Conversation, message_input, parse_state
from bot.handlers.routes import Routes

router = Routes("flow")


@router.callback_query(FlowButton())
async def pressed(
    query: CallbackQuery,
    callback_data: FlowCallback,
    state: FSMContext,
    raw_state: str | None,
    bot: Bot,
    **data: Any,
) -> None:
    current = parse_state(raw_state, await state.get_data())
    render = data["render"]
    if current is None or current.flow != callback_data.flow or current.flow not in FLOWS:
        await query.answer(render(STALE), show_alert=True)
        return
    # The method itself rather than query.answer(): that validates every optional field
    # too, and this is the busiest call there is.
    await bot(AnswerCallbackQuery(callback_query_id=query.id))
    pressed = query.message if isinstance(query.message, Message) else None
    if current.step != callback_data.step:  # an older step's button: that card stays as it is
        pressed = None
    data.update(state=state, bot=bot)
    chat_id = query.message.chat.id if query.message else query.from_user.id
    chat = Conversation(bot, chat_id, state, data, pressed=pressed)
    await chat.feed(current, Pick(callback_data.step, callback_data.key))


@router.message(InFlow(), CommandText(expected=False))
async def answered(
    message: Message, state: FSMContext, raw_state: str, bot: Bot, **data: Any
) -> None:
    current = parse_state(raw_state, await state.get_data())
    if current is None or current.flow not in FLOWS:
        await state.clear()
        return
    data.update(state=state, bot=bot)
    chat = Conversation(bot, message.chat.id, state, data)
    await chat.feed(current, message_input(message))
