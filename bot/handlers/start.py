"""/start: onboarding with an invite code, or a kind word without one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.errors import InviteError
from bot.flows.engine import Effect, Record, Reply
from bot.flows.names import clean_name
from bot.flows.onboarding import ONBOARDING, ROLE_NAMES
from bot.flows.text import Joined as JoinedText
from bot.flows.text import T
from bot.handlers import conversation
from bot.handlers.conversation import Conversation
from bot.handlers.menus import set_person_menu
from bot.handlers.routes import Routes
from bot.services import enrolment
from bot.services.enrolment import Joined, JoinRequest
from bot.services.people import Directory, PersonView

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
    "Hello! This bot helps schools run the “Digital literacy for all” campaign.\n\n"
    "To join, please open the invite link your class teacher or school sent you "
    "(it looks like t.me/…?start=…). /language switches between Tiếng Việt and English."
)
NEXT_STEPS = {
    "parent": T(
        "Next: with /report you can tell the school what you have done, such as activating "
        "VNeID or finishing a course on the “Digital literacy for all” platform; /progress shows "
        "what is left. Your class teacher will send notices here."
    ),
    "student": T(
        "Next: with /report you can tell your school what you have achieved; /progress shows "
        "what is left. Your teachers will send notices here."
    ),
    "staff": T(
        "Next: /report for your own milestones, /class for your class's progress, and /invite "
        "to create invite links for the parents of your class."
    ),
    "principal": T(
        "Next: /review for evidence waiting for verification, /invite to create invite links for "
        "your staff, classes and parents, and /report for the school's own milestones."
    ),
    "dept_admin": T(
        "Next: /help shows what you can do. With /invite you can create invite links for the "
        "school leaders under your department."
    ),
}

router = Routes("start")


def welcome(name: str, joined: Joined) -> T | JoinedText:
    found = joined.preview
    if not joined.new_membership:
        return T(
            "You are already a {role} in {unit} ({school}). Nothing has changed.",
            role=ROLE_NAMES[found.role],
            unit=found.unit,
            school=found.school,
        )
    intro = (
        T(
            "Welcome, {name}! You have joined {unit} ({school}) as a {role}.",
            name=name,
            unit=found.unit,
            school=found.school,
            role=ROLE_NAMES[found.role],
        )
        if joined.new_person
        else T(
            "Done, {name}: you are now also a {role} in {unit} ({school}).",
            name=name,
            unit=found.unit,
            school=found.school,
            role=ROLE_NAMES[found.role],
        )
    )
    return JoinedText((intro, NEXT_STEPS[found.role]))


async def join(data: dict[str, Any], code: str, name: str | None, language: str) -> Reply:
    """Write the membership, refresh the person and their menu, and say welcome."""
    user = data["event_from_user"]
    try:
        found = await enrolment.preview(data["uow"], code, data["now"], data["previews"])
        request = JoinRequest(user.id, found, data.get("person"), name, language, data["now"])
        joined = await data["joiner"].join(request, data["uow"])
    except InviteError as problem:
        data["previews"].drop(code)
        return Reply(INVITE_PROBLEMS[problem.reason])
    directory: Directory = data["directory"]
    directory.put(joined.person)
    data["person"] = joined.person
    await set_person_menu(data["bot"], user.id, joined.person, data["superadmin"], data["render"])
    return Reply(welcome(joined.person.name, joined))


async def finish_onboarding(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    if record.kind != "join":
        return ()
    return (await join(data, record.data["code"], record.data["name"], record.data["language"]),)


conversation.register(ONBOARDING, finish_onboarding)


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    bot: Bot,
    person: PersonView | None,
    **data: Any,
) -> None:
    render = data["render"]
    code = (command.args or "").strip()
    if not code:
        if person is not None:
            await message.answer(
                render(T("Welcome back, {name}! /help shows what you can do.", name=person.name))
            )
        else:
            await message.answer(render(NO_CODE))
        return
    try:
        found = await enrolment.preview(data["uow"], code, data["now"], data["previews"])
    except InviteError as problem:
        await message.answer(render(INVITE_PROBLEMS[problem.reason]))
        return
    data.update(state=state, bot=bot, person=person)
    if person is not None:
        await state.clear()
        reply = await join(data, code, None, person.language)
        await message.answer(data["render"](reply.text))
        return
    tg_name, _ = clean_name(message.from_user.full_name if message.from_user else "")
    chat = Conversation(bot, message.chat.id, state, data)
    await chat.begin(
        ONBOARDING,
        {
            "code": code,
            "school": found.school,
            "unit": found.unit,
            "role": found.role,
            "tg_name": tg_name,
        },
    )
