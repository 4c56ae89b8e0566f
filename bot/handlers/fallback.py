"""Last resort: commands above one's role, unknown commands, stray messages, old buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.commands import BY_NAME, allowed
from bot.filters import CommandText
from bot.flows.engine import STALE
from bot.text import T
from bot.turn import Turn

NOT_FOR_YOU = T("Sorry, /{command} is not available for your role. /help shows what you can do.")
UNKNOWN_COMMAND = T("I do not know the command /{command}. /help shows what you can do.")
NOT_JOINED = T(
    "To use this bot, please open the invite link your class teacher or school sent you."
)
NOT_UNDERSTOOD = T("I did not understand that. /help shows what you can do.")


def router() -> Router:
    routes = Router(name="fallback")
    routes.message.register(unmatched_command, CommandText())
    routes.message.register(stray_message)
    routes.callback_query.register(stale_button)
    return routes


def command_name(text: str) -> str:
    word = text.split(maxsplit=1)[0][1:]
    return word.split("@", 1)[0].lower()[:32]


async def unmatched_command(message: Message, turn: Turn) -> None:
    name = command_name(message.text or "/")
    spec = BY_NAME.get(name)
    person = turn.person
    roles = person.roles if person else frozenset()
    if spec is not None and not allowed(spec, roles, turn.superadmin):
        if person is None and not turn.superadmin:
            turn.say(NOT_JOINED)
        else:
            turn.say(T(NOT_FOR_YOU.msgid, command=name))
        return
    safe = name if name.isascii() and name.replace("_", "").isalnum() else "…"
    turn.say(T(UNKNOWN_COMMAND.msgid, command=safe))


async def stray_message(message: Message, turn: Turn) -> None:
    turn.say(NOT_JOINED if turn.person is None else NOT_UNDERSTOOD)


async def stale_button(query: CallbackQuery, turn: Turn) -> None:
    turn.replies.toast(query.id, turn.render(STALE), alert=True)
