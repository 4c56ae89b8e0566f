"""/broadcast: principals for their school, department admins for their subtree,
superadmins anywhere. Also the "I have read this" button every recipient may press,
and the sender's buttons under scheduled notices and results (cancel, who has not read).

The flow is bot/flows/broadcast.py; what is stored and who may do what is
bot/services/broadcasts.py; frames, queueing and the progress message are
bot/delivery/broadcasts.py.
"""

# readers: principal dept_admin

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.delivery import broadcasts as delivery
from bot.errors import InputRejected, NotAllowed
from bot.filters import RoleFilter
from bot.flows.broadcast import BROADCAST, CANCELLED, start_at
from bot.flows.engine import Record, Reply
from bot.handlers.callbacks import VERSION, AckCallback, BroadcastCallback
from bot.handlers.conversation import Conversation, Shown
from bot.handlers.flow import pressed_message
from bot.services import broadcasts as service
from bot.services.broadcasts import Draft
from bot.settings import LANGUAGES
from bot.text import Joined, Plain, T
from bot.turn import Turn
from storage import broadcasts as store

SENDERS = RoleFilter(*service.SENDER_ROLES)
NOWHERE = T("There is no school or unit you can send notices from.")
EMPTY = T("Nobody matches that audience, so nothing was created. Please choose another.")
ALL_SKIPPED = T(
    "Everyone in that audience cannot be reached or has turned announcements off, so nothing "
    "was created. An urgent notice would still reach those who turned announcements off."
)
REFUSED = T("You can only send notices to your own school or unit, so nothing was created.")
PREVIEW = T("👀 Preview: this is how it will look ({count} recipients).")
REJECTED = {
    "too_long": T("The text is longer than Telegram allows, so nothing was sent."),
    "empty_text": T("The notice has no text, so nothing was sent."),
    "past": T("That time has already passed. Please choose a time in the future."),
    "too_far": T("That is more than a year ahead. Please choose a time within a year."),
    "milestone": T("That milestone is not in the current campaign."),
    "audience": EMPTY,
    "empty": EMPTY,
}
SNIPPET = 80


def router() -> Router:
    routes = Router(name="broadcast")
    routes.message.register(open_broadcast, Command("broadcast"), SENDERS)
    routes.callback_query.register(acknowledge, AckCallback.filter(F.v == VERSION))
    routes.callback_query.register(act, BroadcastCallback.filter(F.v == VERSION), SENDERS)
    return routes


# Opening ------------------------------------------------------------------------------


async def open_broadcast(message: Message, turn: Turn) -> None:
    scopes = await service.scopes(turn.uow, turn.person, turn.superadmin)
    if not scopes:
        turn.say(NOWHERE)
        return
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    parts = {str(s.id): await service.parts(turn.uow, s) for s in scopes}
    reserve = delivery.reserve(
        [turn.renderer(lang, None) for lang in LANGUAGES], [s.name for s in scopes]
    )
    menu = []
    if await service.listed(turn.uow, turn.person, turn.superadmin, ("scheduled",)):
        menu.append("scheduled")
    if await service.listed(turn.uow, turn.person, turn.superadmin, ("sending", "done")):
        menu.append("results")
    data: dict[str, Any] = {
        "scopes": [{"id": s.id, "name": s.name, "kind": s.kind} for s in scopes],
        "scope": scopes[0].id if len(scopes) == 1 else None,
        "parts": {
            key: [{"id": u.id, "name": u.name} for u in units] for key, units in parts.items()
        },
        # People who have not reported: a class's or unit's own milestones have no such people.
        "milestones": [
            {"id": m.id, "title": m.title.get(turn.locale)}
            for m in pack.milestones
            if not m.collective
        ],
        "text_limit": service.TEXT_LIMIT - reserve,
        "caption_limit": service.CAPTION_LIMIT - reserve,
        "reserve": reserve,
        "menu": menu,
        "orgs": [],
    }
    await Conversation(turn).begin(BROADCAST, data, at=start_at(data))


# What the flow records ------------------------------------------------------------------


async def finish_broadcast(record: Record, turn: Turn) -> Sequence[Shown]:
    if record.kind == "scheduled":
        return await show_scheduled(turn)
    if record.kind == "results":
        return await show_results(turn)
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    data = dict(record.data)
    try:
        draft = Draft.of(data)
        if record.kind == "draft":
            return await preview(turn, draft, data, campaign_id, pack)
        send_at = turn.now
        if record.kind == "schedule":
            local = datetime.fromisoformat(data["send_at_local"]).replace(tzinfo=turn.shared.zone)
            send_at = local.astimezone(turn.now.tzinfo)
        broadcast = await service.create(
            turn.uow,
            draft,
            person=turn.person,
            superadmin=turn.superadmin,
            campaign_id=campaign_id,
            pack=pack,
            send_at=send_at,
            now=turn.now,
            sender_chat_id=turn.chat_id,
            reserve=int(data.get("reserve", 0)),
        )
    except NotAllowed:
        return (Reply(REFUSED),)
    except InputRejected as problem:
        return (Reply(REJECTED.get(problem.reason, EMPTY)),)
    if record.kind == "schedule":
        return (
            Reply(
                T(
                    "Scheduled for {when}. /broadcast lists scheduled notices; they can be "
                    "cancelled there until they are sent.",
                    when=send_at,
                )
            ),
        )
    firing = await delivery.fire(turn.uow, turn.shared, broadcast.id, turn.now)
    count = firing.broadcast.total if firing else 0
    return (
        Reply(
            T(
                "Sending to {count} people. The next message shows how far it has got, and the "
                "results at the end.",
                count=count,
            )
        ),
    )


async def preview(
    turn: Turn, draft: Draft, data: dict[str, Any], campaign_id: int, pack: Any
) -> Sequence[Shown]:
    counted = await service.count(
        turn.uow,
        draft,
        person=turn.person,
        superadmin=turn.superadmin,
        campaign_id=campaign_id,
        pack=pack,
    )
    if counted.total == 0:
        return (Reply(EMPTY),)
    if counted.reachable == 0:
        return (Reply(ALL_SKIPPED),)
    role = max(counted.roles, key=lambda r: counted.roles[r])
    scope = next(s for s in data["scopes"] if s["id"] == draft.scope)
    body = draft.text_en if turn.locale == "en" and draft.text_en else draft.text
    text = turn.render.to(role)(
        delivery.frame(scope["name"], body, urgent=draft.urgent, needs_ack=draft.needs_ack)
    )
    markup = None
    if draft.needs_ack:
        label = turn.render.to(role)(delivery.ACK_BUTTON)
        button = InlineKeyboardButton(text=label, callback_data="ak:preview")
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    turn.say(T(PREVIEW.msgid, count=counted.reachable))
    if draft.media_kind and draft.media_file_id:
        turn.replies.media(turn.chat_id, draft.media_kind, draft.media_file_id, text, markup)
    else:
        turn.replies.message(turn.chat_id, text, markup)
    local_now = turn.now.astimezone(turn.shared.zone).replace(tzinfo=None)
    confirm = {
        **data,
        "urgent": draft.urgent,
        "count": counted.reachable,
        "skipped": counted.skipped,
        "now_local": local_now.isoformat(timespec="minutes"),
    }
    await Conversation(turn).begin(BROADCAST, confirm, at="confirm")
    return ()


def _snippet(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SNIPPET else line[: SNIPPET - 1] + "…"


async def show_scheduled(turn: Turn) -> Sequence[Shown]:
    found = await service.listed(turn.uow, turn.person, turn.superadmin, ("scheduled",))
    if not found:
        return (Reply(T("There are no scheduled notices.")),)
    label = turn.render(T("🗑 Cancel this notice"))
    for broadcast, org in found:
        text = turn.render(
            T(
                "🗓 {when} · {org}\n{text}",
                when=broadcast.send_at,
                org=Plain(org),
                text=Plain(_snippet(broadcast.text)),
            )
        )
        data = BroadcastCallback(v=VERSION, id=broadcast.id, a="cancel").pack()
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]]
        )
        turn.replies.message(turn.chat_id, text, markup)
    return ()


async def show_results(turn: Turn) -> Sequence[Shown]:
    found = await service.listed(turn.uow, turn.person, turn.superadmin, ("sending", "done"))
    if not found:
        return (Reply(T("No notice has been sent yet.")),)
    for broadcast, org in found:
        counts = await service.results(turn.uow, broadcast)
        text = turn.render(
            Joined(
                (
                    T(
                        "📊 {when} · {org}\n{text}",
                        when=broadcast.fired_at or broadcast.send_at,
                        org=Plain(org),
                        text=Plain(_snippet(broadcast.text)),
                    ),
                    delivery.results_text(counts),
                )
            )
        )
        turn.replies.message(turn.chat_id, text, delivery.results_markup(turn.render, counts))
    return ()


# Buttons ------------------------------------------------------------------------------------


async def acknowledge(query: CallbackQuery, callback_data: AckCallback, turn: Turn) -> None:
    if turn.person is None:
        turn.replies.toast(query.id, turn.render(NOT_RECEIVED), alert=True)
        return
    outcome = await service.acknowledge(turn.uow, callback_data.b, turn.person.id, turn.now)
    if outcome == "not_received":
        turn.replies.toast(query.id, turn.render(NOT_RECEIVED), alert=True)
        return
    # readers: parent student staff officer
    thanks = T("Thank you! Your reading is recorded.") if outcome == "done" else ALREADY_READ
    turn.replies.toast(query.id, turn.render(thanks))
    card = pressed_message(query)
    if card is not None:
        done = delivery.ack_markup(turn.render, callback_data.b, done=True)
        turn.replies.buttons(turn.chat_id, card, done)


# The acknowledgement button is pressed by whoever received the notice:
# readers: parent student staff officer
NOT_RECEIVED = T("This button is not for a notice you received, so nothing was recorded.")
# readers: parent student staff officer
ALREADY_READ = T("Already recorded. Thank you!")
CANCEL_OUTCOMES = {
    "cancelled": T("Cancelled: this notice will not be sent."),
    "already_sent": T(
        "This notice has already been sent, so it can no longer be cancelled. /broadcast shows "
        "its results."
    ),
    "already_cancelled": T("This notice was already cancelled."),
    "not_allowed": T("That notice is not from your school or unit."),
    "gone": T("That notice no longer exists."),
}


def unread_text(names: list[str], room: int = 3800) -> Joined:
    """The names, one a line, as many as fit in one message; then how many more."""
    lines: list[str] = []
    used = 0
    for name in names:
        used += len(name) + 3
        if used > room:
            break
        lines.append(f"• {name}")
    parts: list[Any] = [T("Not read yet ({count}):", count=len(names)), Plain("\n".join(lines))]
    if len(lines) < len(names):
        parts.append(T("…and {count} more.", count=len(names) - len(lines)))
    return Joined(tuple(parts), sep="\n")


async def act(query: CallbackQuery, callback_data: BroadcastCallback, turn: Turn) -> None:
    card = pressed_message(query)
    if callback_data.a == "cancel":
        outcome = await service.cancel(
            turn.uow, callback_data.id, turn.person, turn.superadmin, turn.now
        )
        answer = turn.render(CANCEL_OUTCOMES[outcome])
        turn.replies.toast(query.id, answer, alert=outcome != "cancelled")
        if card is not None and outcome in ("cancelled", "already_sent", "already_cancelled"):
            turn.replies.card(turn.chat_id, card, answer)
        return
    if callback_data.a == "unread":
        names = await service.not_read(
            turn.uow, callback_data.id, turn.person, turn.superadmin, limit=5000
        )
        if names is None:
            turn.replies.toast(query.id, turn.render(CANCEL_OUTCOMES["not_allowed"]), alert=True)
            return
        turn.replies.toast(query.id)
        if not names:
            turn.say(T("Everyone it reached has read it."))
            return
        turn.say(unread_text(names))
        return
    broadcast = await store.get(turn.uow.reads, callback_data.id)
    if broadcast is None or (
        await service.not_read(turn.uow, callback_data.id, turn.person, turn.superadmin) is None
    ):
        turn.replies.toast(query.id, turn.render(CANCEL_OUTCOMES["not_allowed"]), alert=True)
        return
    turn.replies.toast(query.id)
    counts = await service.results(turn.uow, broadcast)
    turn.say(delivery.results_text(counts), delivery.results_markup(turn.render, counts))


__all__ = ["CANCELLED", "finish_broadcast", "router"]
