"""/start: onboarding with an invite code, or a kind word without one."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.errors import InviteError
from bot.families import Family
from bot.flows.engine import Effect, Record, Reply
from bot.flows.onboarding import ONBOARDING
from bot.handlers.conversation import Conversation
from bot.handlers.menus import set_person_menu
from bot.handlers.welcome import welcome
from bot.names import offered_name
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


async def join(
    turn: Turn, code: str, name: str | None, language: str, family: Family | None = None
) -> Reply:
    """Write the membership in this update's transaction; once it commits, the directory
    and the person's command menu learn of it, and the welcome goes out."""
    shared = turn.shared
    try:
        found = await enrolment.preview(turn.uow, code, turn.now, shared.previews)
        request = JoinRequest(turn.user_id, found, turn.person, name, language, turn.now, family)
        joined = await enrolment.join(turn.uow, request)
    except InviteError as problem:
        shared.previews.drop(code)
        return Reply(INVITE_PROBLEMS[problem.reason])
    person = joined.person
    # A new membership, or a member made the unit's head by its head invite.
    if joined.new_membership or person != request.known:
        turn.uow.after_commit(lambda: shared.directory.put(person))
        turn.became(person)  # the welcome and the menu are worded for their new role
        set_person_menu(turn, person)
    return Reply(welcome(person.name, joined))


async def finish_onboarding(record: Record, turn: Turn) -> Sequence[Effect]:
    if record.kind != "join":
        return ()
    data = record.data
    family = Family(tuple(data["children"]), data.get("relation")) if data.get("children") else None
    return (await join(turn, data["code"], data["name"], data["language"], family),)


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
    flow_data = {"code": code, "school": found.school, "unit": found.unit, "role": found.role}
    if person is not None:
        if turn.state is not None:
            await turn.state.clear()
        held = {(m.org_id, m.role) for m in person.memberships}
        if found.role == "parent" and (found.org_id, found.role) not in held:
            # A known parent joining another class: which child there (no consent again).
            flow_data.update(language=person.language, name=None, tg_name=None)
            await Conversation(turn).begin(ONBOARDING, flow_data, at="child")
            return
        reply = await join(turn, code, None, person.language)
        turn.say(reply.text)
        return
    user = message.from_user
    tg_name, _ = clean_name(offered_name(user.first_name, user.last_name) if user else "")
    await Conversation(turn).begin(ONBOARDING, {**flow_data, "tg_name": tg_name})
