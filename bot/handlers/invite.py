"""/invite: staff for their own class, principals for their school, department
officers for the schools below them, superadmins anywhere.

The link goes out as text first and the QR code after it, so that a refused or
failed photo never costs the teacher the link."""

# readers: staff principal dept_admin

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.errors import NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Record, Reply
from bot.flows.invite import INVITE, role_name
from bot.handlers.conversation import Attachment, Conversation, Shown
from bot.services import invites
from bot.text import T
from bot.turn import Turn


def router() -> Router:
    routes = Router(name="invite")
    routes.message.filter(RoleFilter("staff", "principal", "dept_admin"))
    routes.message.register(start_invite, Command("invite"))
    return routes


async def start_invite(message: Message, turn: Turn) -> None:
    found = await invites.candidates(turn.uow, turn.person, turn.superadmin)
    if not found:
        turn.say(T("There is no class or unit you can invite people into yet."))
        return
    if len(found) > invites.MAX_CHOICES:
        turn.say(
            T(
                "You look after more than {count} units, too many for buttons. Please use "
                "the command-line tool: hocvuso invite create --org … --role …",
                count=invites.MAX_CHOICES,
            )
        )
        return
    await Conversation(turn).begin(
        INVITE,
        {
            "units": [[unit.id, unit.name] for unit, _ in found],
            "roles": {str(unit.id): roles for unit, roles in found},
        },
    )


async def finish_invite(record: Record, turn: Turn) -> Sequence[Shown]:
    unit = await invites.unit(turn.uow, record.data["org_id"])
    if unit is None:
        return (Reply(T("That class or unit no longer exists.")),)
    try:
        head = record.data["role"] == invites.UNIT_HEAD
        created = await invites.create(
            turn.uow,
            unit=unit,
            role="staff" if head else record.data["role"],
            head=head,
            bot_username=turn.shared.bot_username,
            now=turn.now,
            creator=turn.person,
            creator_tg_id=turn.user_id,
            superadmin=turn.superadmin,
        )
    except (NotAllowed, ValueError):
        return (Reply(T("You cannot create that invite.")),)
    until = created.expires_at.astimezone(turn.shared.zone).date() if created.expires_at else "—"
    text = T(
        "Invite link for: {role}, {unit}. Valid until {until}.\n{link}\n\nShare the link or "
        "the QR code, for example in the class Zalo group.",
        role=role_name(invites.UNIT_HEAD if created.head else created.role),
        unit=created.org_name,
        until=until,
        link=created.link,
    )
    caption = T(
        "QR code of the invite link for: {role}, {unit}\n{link}",
        role=role_name(invites.UNIT_HEAD if created.head else created.role),
        unit=created.org_name,
        link=created.link,
    )
    qr = invites.qr_png(created.link)
    return (Reply(text), Attachment("photo", qr, "invite.png", caption))
