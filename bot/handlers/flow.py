"""Input for a flow under way: button presses and messages while a step waits.

A press on a button of a step the conversation has left gets an answer that says
where the person stands: the card is shown again at the current step (edited into
the pressed message, so if the card never reached them, now it does); after a
finished onboarding, that they have joined and what they can do now.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.filters import CommandText, InFlow
from bot.flows.engine import STALE, Pick
from bot.flows.onboarding import ONBOARDING
from bot.handlers.callbacks import FlowButton, FlowCallback
from bot.handlers.conversation import Conversation, current_state, message_input
from bot.handlers.welcome import where_you_stand
from bot.text import T
from bot.turn import Turn

MOVED_ON = T("That button was from an earlier question. Here is where we are now.")


def router() -> Router:
    routes = Router(name="flow")
    routes.callback_query.register(pressed, FlowButton())
    routes.message.register(answered, InFlow(), CommandText(expected=False))
    return routes


def pressed_message(query: CallbackQuery) -> int | None:
    return query.message.message_id if isinstance(query.message, Message) else None


async def pressed(
    query: CallbackQuery, callback_data: FlowCallback, raw_state: str | None, turn: Turn
) -> None:
    current = await current_state(turn, raw_state)
    card = pressed_message(query)
    chat = Conversation(turn, pressed=card)
    if current is None or current.flow != callback_data.flow:
        if current is None and callback_data.flow == ONBOARDING.name and turn.person is not None:
            turn.replies.toast(query.id)
            turn.replies.card(turn.chat_id, card, turn.render(where_you_stand(turn.person)))
            return
        turn.replies.toast(query.id, turn.render(STALE), alert=True)
        if card is not None and current is None:
            turn.replies.buttons(turn.chat_id, card, None)
        return
    if current.step != callback_data.step:
        turn.replies.toast(query.id, turn.render(MOVED_ON))
        await chat.show_current(current)
        return
    turn.replies.toast(query.id)
    await chat.feed(current, Pick(callback_data.step, callback_data.key))


async def answered(message: Message, raw_state: str, turn: Turn) -> None:
    current = await current_state(turn, raw_state)
    if current is None:
        return
    await Conversation(turn).feed(current, message_input(message))
