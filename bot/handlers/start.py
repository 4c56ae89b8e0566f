"""/start: onboarding with an invite code, or a kind word without one."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.errors import InviteError
from bot.flows.engine import Effect, Record, Reply
from bot.flows.onboarding import ONBOARDING
from bot.handlers.conversation import Conversation
from bot.handlers.menus import set_person_menu
from bot.handlers.welcome import welcome
from bot.services import enrolment
from bot.services.enrolment import JoinRequest
from bot.text import T, clean_name
from bot.turn import Turn

INVITE_PROBLEMS = {
    "unknown": T(
        "This invite link is not valid. Please check that you opened the whole link, or ask "
        "your class teacher or school for a new one."
    ),
    "expired": T(
        "This invite link has expired. Please ask your class teacher or school for a new one."
    ),
    "used_up": T(
        "This invite link has already been used as many times as allowed. Please ask your class "
        "teacher or school for a new one."
    ),
}
NO_CODE = T(
    "Hello! This bot helps schools run the “Bình dân học vụ số (Digital literacy for all)” "
    "campaign.\n\n"
    "To join, please open the invite link your class teacher or school sent you "
    "(it looks like t.me/…?start=…). /language switches between Tiếng Việt and English."
)


def router() -> Router:
    routes = Router(name="start")
    routes.message.register(start, CommandStart())
    return routes


async def join(turn: Turn, code: str, name: str | None, language: str) -> Reply:
    """Write the membership in this update's transaction; once it commits, the directory
    and the person's command menu learn of it, and the welcome goes out."""
    shared = turn.shared
    try:
        found = await enrolment.preview(turn.uow, code, turn.now, shared.previews)
        request = JoinRequest(turn.user_id, found, turn.person, name, language, turn.now)
        joined = await enrolment.join(turn.uow, request)
    except InviteError as problem:
        shared.previews.drop(code)
        return Reply(INVITE_PROBLEMS[problem.reason])
    person = joined.person
    if joined.new_membership:
        turn.uow.after_commit(lambda: shared.directory.put(person))
        turn.became(person)  # the welcome and the menu are worded for their new role
        set_person_menu(turn, person)
    return Reply(welcome(person.name, joined))


async def finish_onboarding(record: Record, turn: Turn) -> Sequence[Effect]:
    if record.kind != "join":
        return ()
    return (await join(turn, record.data["code"], record.data["name"], record.data["language"]),)


async def start(message: Message, command: CommandObject, turn: Turn) -> None:
    code = (command.args or "").strip()
    person = turn.person
    if not code:
        turn.say(
            T("Welcome back, {name}! /help shows what you can do.", name=person.name)
            if person is not None
            else NO_CODE
        )
        return
    try:
        found = await enrolment.preview(turn.uow, code, turn.now, turn.shared.previews)
    except InviteError as problem:
        turn.say(INVITE_PROBLEMS[problem.reason])
        return
    if person is not None:
        if turn.state is not None:
            await turn.state.clear()
        reply = await join(turn, code, None, person.language)
        turn.say(reply.text)
        return
    tg_name, _ = clean_name(message.from_user.full_name if message.from_user else "")
    await Conversation(turn).begin(
        ONBOARDING,
        {
            "code": code,
            "school": found.school,
            "unit": found.unit,
            "role": found.role,
            "tg_name": tg_name,
        },
    )
