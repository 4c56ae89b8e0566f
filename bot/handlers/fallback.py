"""Last resort: commands above one's role, unknown commands, stray messages, old buttons."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message

from bot.commands import BY_NAME, allowed
from bot.filters import CommandText
from bot.flows.engine import STALE
from bot.flows.text import T
from bot.handlers.routes import Routes
from bot.services.people import PersonView

router = Routes("fallback")

NOT_FOR_YOU = T("Sorry, /{command} is not available for your role. /help shows what you can do.")
UNKNOWN_COMMAND = T("I do not know the command /{command}. /help shows what you can do.")
NOT_JOINED = T(
    "To use this bot, please open the invite link your class teacher or school sent you."
)
NOT_UNDERSTOOD = T("I did not understand that. /help shows what you can do.")


def command_name(text: str) -> str:
    word = text.split(maxsplit=1)[0][1:]
    return word.split("@", 1)[0].lower()[:32]


@router.message(CommandText())
async def unmatched_command(
    message: Message, person: PersonView | None, superadmin: bool, **data: Any
) -> None:
    render = data["render"]
    name = command_name(message.text or "/")
    spec = BY_NAME.get(name)
    roles = person.roles if person else frozenset()
    if spec is not None and not allowed(spec, roles, superadmin):
        if person is None:
            await message.answer(render(NOT_JOINED))
        else:
            await message.answer(render(T(NOT_FOR_YOU.msgid, command=name)))
        return
    safe = name if name.isascii() and name.replace("_", "").isalnum() else "…"
    await message.answer(render(T(UNKNOWN_COMMAND.msgid, command=safe)))


@router.message()
async def stray_message(message: Message, person: PersonView | None, **data: Any) -> None:
    render = data["render"]
    await message.answer(render(NOT_JOINED if person is None else NOT_UNDERSTOOD))


@router.callback_query()
async def stale_button(query: CallbackQuery, **data: Any) -> None:
    await query.answer(data["render"](STALE), show_alert=True)
