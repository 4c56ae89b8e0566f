"""Command menus (setMyCommands): the default one for strangers, one per joined chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.commands import commands_for
from bot.i18n import Renderer
from bot.services.people import PersonView
from bot.settings import LANGUAGES


def menu(roles: frozenset[str], superadmin: bool, render: Renderer) -> list[BotCommand]:
    def build() -> tuple[BotCommand, ...]:
        return tuple(
            BotCommand(command=spec.name, description=render(spec.description))
            for spec in commands_for(roles, superadmin)
        )

    return list(render.made(("menu", roles, superadmin), build))


async def set_default_menus(bot: Bot, render_for: dict[str, Renderer], default: str) -> None:
    """Strangers see start, help, language and cancel, in Telegram's language when we have it."""
    for language in LANGUAGES:
        commands = menu(frozenset(), False, render_for[language])
        code = None if language == default else language
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)


async def set_person_menu(
    bot: Bot, chat_id: int, person: PersonView | None, superadmin: bool, render: Renderer
) -> None:
    roles = person.roles if person else frozenset()
    await bot.set_my_commands(
        menu(roles, superadmin, render), scope=BotCommandScopeChat(chat_id=chat_id)
    )


async def clear_person_menu(bot: Bot, chat_id: int) -> None:
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
