"""/invite: staff for their own class, principals for their school, department
officers for the schools below them, superadmins anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, Message

from bot.errors import NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.invite import INVITE
from bot.flows.onboarding import ROLE_NAMES
from bot.flows.text import T
from bot.handlers import conversation
from bot.handlers.conversation import Conversation
from bot.handlers.routes import Routes
from bot.services import invites
from bot.services.people import PersonView

router = Routes("invite", message_filters=(RoleFilter("staff", "principal", "dept_admin"),))


@router.message(Command("invite"))
async def start_invite(
    message: Message, state: FSMContext, bot: Bot, person: PersonView | None, **data: Any
) -> None:
    render = data["render"]
    found = await invites.candidates(data["uow"], person, data["superadmin"])
    if not found:
        await message.answer(render(T("There is no class or unit you can invite people into yet.")))
        return
    if len(found) > invites.MAX_CHOICES:
        await message.answer(
            render(
                T(
                    "You look after more than {count} units, too many for buttons. Please use "
                    "the command-line tool: hocvuso invite create --org … --role …",
                    count=invites.MAX_CHOICES,
                )
            )
        )
        return
    data.update(state=state, bot=bot, person=person)
    await Conversation(bot, message.chat.id, state, data).begin(
        INVITE,
        {
            "units": [[unit.id, unit.name] for unit, _ in found],
            "roles": {str(unit.id): roles for unit, roles in found},
        },
    )


async def finish_invite(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    uow = data["uow"]
    unit = await invites.unit(uow, record.data["org_id"])
    if unit is None:
        return (Reply(T("That class or unit no longer exists.")),)
    user = data["event_from_user"]
    try:
        created = await invites.create(
            uow,
            unit=unit,
            role=record.data["role"],
            bot_username=data["bot_username"],
            now=data["now"],
            creator=data.get("person"),
            creator_tg_id=user.id,
            superadmin=data["superadmin"],
        )
    except NotAllowed:
        return (Reply(T("You cannot create that invite.")),)
    render = data["render"]
    caption = render(
        T(
            "Invite link for: {role}, {unit}. Valid until {until}.\n{link}\n\nShare the link or "
            "the QR code, for example in the class Zalo group.",
            role=ROLE_NAMES[created.role],
            unit=created.org_name,
            until=created.expires_at.astimezone(data["render"].zone).date()
            if created.expires_at
            else "—",
            link=created.link,
        )
    )
    photo = BufferedInputFile(invites.qr_png(created.link), filename="invite.png")
    await data["bot"].send_photo(user.id, photo, caption=caption)
    return ()


conversation.register(INVITE, finish_invite)
