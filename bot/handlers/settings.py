"""/settings: language, quiet hours and non-urgent announcements, for everyone who joined."""

# readers: parent student staff principal dept_admin superadmin

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.commands import EVERYONE
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record
from bot.flows.settings import SETTINGS, start_data
from bot.handlers import common
from bot.handlers.conversation import Conversation
from bot.services import preferences
from bot.turn import Turn


def router() -> Router:
    routes = Router(name="settings")
    routes.message.filter(RoleFilter(*EVERYONE, superadmins=False))
    routes.message.register(open_settings, Command("settings"))
    return routes


async def open_settings(message: Message, turn: Turn) -> None:
    person = turn.person
    assert person is not None
    data = start_data(
        person.language, person.quiet_hours, turn.shared.outbox.quiet_hours, person.announcements
    )
    await Conversation(turn).begin(SETTINGS, data)


async def finish_settings(record: Record, turn: Turn) -> Sequence[Effect]:
    """Save one change; the menu comes back after it, showing the new value."""
    person = turn.person
    assert person is not None
    if record.kind == "language":
        # What /language does (the service, the cache, the command menu); the menu card
        # that follows says it is saved.
        await common.finish_language(record, turn)
        return ()
    if record.kind == "quiet_hours":
        value = record.data["value"]
        await preferences.set_quiet_hours(turn.uow, person.id, value)
        turn.person = replace(person, quiet_hours=value)
    elif record.kind == "announcements":
        wanted = bool(record.data["wanted"])
        await preferences.set_announcements(turn.uow, person.id, wanted)
        turn.person = replace(person, announcements=wanted)
    else:
        return ()
    directory, tg_user_id = turn.shared.directory, person.tg_user_id
    turn.uow.after_commit(lambda: directory.invalidate(tg_user_id))
    return ()
