"""Command menus (setMyCommands): the default one for strangers, one per joined chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeDefault

from bot.commands import commands_for
from bot.i18n import Renderer
from bot.services.people import PersonView
from bot.settings import LANGUAGES
from bot.text import reader_of
from bot.turn import Turn


def menu(roles: frozenset[str], superadmin: bool, render: Renderer) -> tuple[BotCommand, ...]:
    def build() -> tuple[BotCommand, ...]:
        return tuple(
            BotCommand(command=spec.name, description=render(spec.description))
            for spec in commands_for(roles, superadmin)
        )

    return render.made(("menu", roles, superadmin), build)


async def set_default_menus(bot: Bot, render_for: dict[str, Renderer], default: str) -> None:
    """Strangers see start, help, language and cancel, in Telegram's language when we have it."""
    for language in LANGUAGES:
        commands = menu(frozenset(), False, render_for[language])
        code = None if language == default else language
        await bot.set_my_commands(
            list(commands), scope=BotCommandScopeDefault(), language_code=code
        )


def set_person_menu(turn: Turn, person: PersonView | None) -> None:
    """This chat's menu for the person's roles, in the turn's language, after the commit;
    a person who left gets the default menu back."""
    if person is None and not turn.superadmin:
        turn.replies.menu(turn.chat_id, ())
        return
    roles = person.roles if person else frozenset()
    render = turn.render.to(reader_of(roles, turn.superadmin))
    turn.replies.menu(turn.chat_id, menu(roles, turn.superadmin, render))
