"""/mydata and /forget: see everything kept about me; delete it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.flows.engine import Effect, Record, Reply
from bot.flows.forget import FORGET
from bot.flows.onboarding import ROLE_NAMES
from bot.flows.text import Joined, Plain, T, Text
from bot.handlers import conversation
from bot.handlers.conversation import Conversation
from bot.handlers.menus import clear_person_menu
from bot.handlers.routes import Routes
from bot.services import enrolment, privacy
from bot.services.people import Directory

router = Routes("privacy")

NOTHING_HELD = T("We keep no data about you.")
LANGUAGE_NAMES = {"vi": Plain("Tiếng Việt"), "en": Plain("English")}


@router.message(Command("mydata"))
async def my_data(message: Message, **data: Any) -> None:
    render = data["render"]
    held = await privacy.held_data(data["uow"], message.chat.id)
    if held is None:
        await message.answer(render(NOTHING_HELD))
        return
    parts: list[Text] = [
        T("This is everything the bot keeps about you:"),
        T("Telegram account number: {id}", id=Plain(str(held.tg_user_id))),
        T("Name: {name}", name=Plain(held.name)),
        T("Language: {language}", language=LANGUAGE_NAMES.get(held.language, Plain(held.language))),
        T("Consent given: {when}", when=held.consent_at or Plain("—")),
    ]
    for membership in held.memberships:
        parts.append(
            T(
                "Member of {place} as a {role}, since {since}",
                place=Plain(" / ".join(membership.path)),
                role=ROLE_NAMES.get(membership.role, Plain(membership.role)),
                since=membership.since.date(),
            )
        )
    parts.append(T("/forget deletes it."))
    await message.answer(render(Joined(tuple(parts), sep="\n")))


@router.message(Command("forget"))
async def forget(message: Message, state: FSMContext, bot: Bot, **data: Any) -> None:
    if data.get("person") is None:
        await message.answer(data["render"](NOTHING_HELD))
        return
    data.update(state=state, bot=bot)
    await Conversation(bot, message.chat.id, state, data).begin(FORGET, {})


async def finish_forget(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    user_id = data["event_from_user"].id
    await enrolment.forget(data["uow"], user_id, data["now"])
    directory: Directory = data["directory"]
    directory.invalidate(user_id)
    await data["state"].clear()
    await clear_person_menu(data["bot"], user_id)
    return (
        Reply(
            T(
                "Your data has been deleted. Thank you for taking part. If you want to join again, "
                "just open an invite link."
            )
        ),
    )


conversation.register(FORGET, finish_forget)
