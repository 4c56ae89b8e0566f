"""/help, /language and /cancel: for everyone, joined or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.commands import commands_for
from bot.flows.engine import Effect, Record, Reply
from bot.flows.language import LANGUAGE
from bot.flows.onboarding import ROLE_NAMES
from bot.handlers.conversation import Conversation, parse_state
from bot.handlers.menus import set_person_menu
from bot.services import privacy
from bot.services.people import PersonView
from bot.text import Joined, Plain, T, Text, place_name
from bot.turn import Turn


def router() -> Router:
    routes = Router(name="common")
    routes.message.register(show_help, Command("help"))
    routes.message.register(choose_language, Command("language"))
    routes.message.register(cancel, Command("cancel"))
    return routes


def line(prefix: str, text: Text) -> Joined:
    return Joined((Plain(prefix), text), sep="")


def help_text(person: PersonView | None, superadmin: bool) -> Joined:
    roles = person.roles if person else frozenset()
    parts: list[Text] = []
    if person is None or not person.memberships:
        if not superadmin:
            parts.append(
                T(
                    "You have not joined a school yet. Please open the invite link your class "
                    "teacher or school sent you."
                )
            )
    else:
        places = [
            line(
                f"• {place_name(m.org_name, m.school_name)} — ",
                ROLE_NAMES[m.role],
            )
            for m in person.memberships
        ]
        parts.append(Joined((T("You take part as:"), *places), sep="\n"))
    commands = [
        line(f"/{spec.name} — ", spec.description) for spec in commands_for(roles, superadmin)
    ]
    parts.append(Joined((T("What you can do:"), *commands), sep="\n"))
    return Joined(tuple(parts))


async def show_help(message: Message, turn: Turn) -> None:
    turn.say(help_text(turn.person, turn.superadmin))


async def choose_language(message: Message, turn: Turn) -> None:
    await Conversation(turn).begin(LANGUAGE, {})


async def finish_language(record: Record, turn: Turn) -> Sequence[Effect]:
    language = record.data["language"]
    person = turn.person
    if person is None:
        if turn.state is not None:
            await turn.state.set_data({"language": language})
    else:
        await privacy.set_language(turn.uow, person.id, language)
        directory = turn.shared.directory
        turn.uow.after_commit(lambda: directory.invalidate(person.tg_user_id))
        turn.person = replace(person, language=language)
    set_person_menu(turn, turn.person)
    return (Reply(T("Done: I will write to you in this language. /help shows what you can do.")),)


async def cancel(message: Message, raw_state: str | None, turn: Turn) -> None:
    if parse_state(raw_state, {}) is None:
        turn.say(T("There is nothing to cancel."))
        return
    if turn.state is not None:
        await turn.state.clear()
    turn.say(T("Cancelled. Nothing was saved. /help shows what you can do."))
