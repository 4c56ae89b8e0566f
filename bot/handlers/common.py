"""/help, /language and /cancel: for everyone, joined or not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.commands import commands_for
from bot.flows.engine import Effect, Record, Reply
from bot.flows.language import LANGUAGE
from bot.flows.onboarding import ROLE_NAMES
from bot.flows.text import Joined, Plain, T, Text
from bot.handlers import conversation
from bot.handlers.conversation import Conversation, parse_state
from bot.handlers.menus import set_person_menu
from bot.handlers.routes import Routes
from bot.i18n import Renderer
from bot.services import privacy
from bot.services.people import Directory, PersonView

router = Routes("common")


def line(prefix: str, text: Text) -> Joined:
    return Joined((Plain(prefix), text), sep="")


def help_text(person: PersonView | None, superadmin: bool) -> Joined:
    roles = person.roles if person else frozenset()
    parts: list[Text] = []
    if person is None or not person.memberships:
        parts.append(
            T(
                "You have not joined a school yet. Please open the invite link your class "
                "teacher or school sent you."
            )
        )
    else:
        places = [
            line(
                f"• {m.org_name}" + (f" ({m.school_name})" if m.school_name else "") + " — ",
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


@router.message(Command("help"))
async def show_help(
    message: Message, person: PersonView | None, superadmin: bool, **data: Any
) -> None:
    await message.answer(data["render"](help_text(person, superadmin)))


@router.message(Command("language"))
async def choose_language(message: Message, state: FSMContext, bot: Bot, **data: Any) -> None:
    data.update(state=state, bot=bot)
    await Conversation(bot, message.chat.id, state, data).begin(LANGUAGE, {})


async def finish_language(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    language = record.data["language"]
    person: PersonView | None = data.get("person")
    if person is None:
        await data["state"].set_data({"language": language})
    else:
        await privacy.set_language(data["uow"], person.id, language)
        directory: Directory = data["directory"]
        directory.invalidate(person.tg_user_id)
        await data["uow"].flush()
        fresh = await directory.get(data["uow"], person.tg_user_id)
        data["person"] = fresh
    render = Renderer(data["render"].catalogues, language, data["render"].zone)
    await set_person_menu(
        data["bot"], data["event_from_user"].id, data.get("person"), data["superadmin"], render
    )
    return (Reply(T("Done: I will write to you in this language. /help shows what you can do.")),)


conversation.register(LANGUAGE, finish_language)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, raw_state: str | None, **data: Any) -> None:
    render = data["render"]
    if parse_state(raw_state, {}) is None:
        await message.answer(render(T("There is nothing to cancel.")))
        return
    await state.clear()
    await message.answer(render(T("Cancelled. Nothing was saved. /help shows what you can do.")))
