"""Nudges from /class: the teacher picks a milestone, confirms, and the reminders are queued.

| press | shows                                                      | buttons           |
|-------|------------------------------------------------------------|-------------------|
| list  | per milestone: who has not reported, reminded today or not | one per milestone |
| ask   | how many would get it, how many cannot be reached          | send / cancel     |
| go    | how many it was queued for (when quiet hours hold it)      | none              |
| no    | nothing was sent                                           | none              |

The router and its staff gate live in bot.handlers.class_view; the decision is
bot.services.nudges, and the reminders go through the outbox in this update's
transaction, each in its reader's language and worded for their role.
"""

# readers: staff

from __future__ import annotations

from datetime import date

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.delivery.outbox import Outgoing
from bot.handlers.callbacks import VERSION, AgainCallback, NudgeCallback
from bot.services import nudges
from bot.services.notices import Notice
from bot.services.nudges import Fired, Nudge, Option
from bot.services.people import MembershipView
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

LABEL_LIMIT = 60
NOT_YOURS = T("That class is not one you teach, so nothing was sent.")
UNKNOWN = T("That milestone is not in the current campaign, so nothing was sent.")
NOTHING_SENT = T("Nothing was sent.")
UNREACHABLE = T(
    "{count} more have not reported it but cannot be reached (they blocked the bot or "
    "deleted their data)."
)


def _button(org_id: int, milestone: str, action: str, label: str) -> InlineKeyboardButton:
    data = NudgeCallback(v=VERSION, o=org_id, m=milestone, a=action).pack()
    return InlineKeyboardButton(text=label, callback_data=data)


def _short(title: str) -> str:
    return title if len(title) <= LABEL_LIMIT else title[: LABEL_LIMIT - 1] + "…"


def _at(turn: Turn, fired: Fired | None) -> Plain:
    return Plain(fired.at.astimezone(turn.shared.zone).strftime("%H:%M") if fired else "—")


async def pressed(query: CallbackQuery, callback_data: NudgeCallback, turn: Turn) -> None:
    place = nudges.class_of(turn.person, callback_data.o)
    if place is None:
        turn.replies.toast(query.id, turn.render(NOT_YOURS), alert=True)
        return
    turn.replies.toast(query.id)
    card = query.message.message_id if isinstance(query.message, Message) else None
    if callback_data.a == "no":
        turn.replies.card(turn.chat_id, card, turn.render(NOTHING_SENT))
    elif callback_data.a == "list":
        await show_list(turn, place)  # a card of its own: the /class view above stays
    elif callback_data.a == "ask":
        await ask(turn, place, callback_data.m, card)
    else:
        await send(turn, place, callback_data.m, card)


async def show_list(turn: Turn, place: MembershipView) -> None:
    campaign_id, pack = await turn.shared.campaign.for_membership(turn.uow, place)
    found = await nudges.options(turn.uow, campaign_id, pack, place.org_id, _today(turn))
    lang = turn.locale
    lines: list[Text] = [
        T(
            "Remind the members of {class_name} who have not reported a milestone. "
            "Each milestone can be reminded once a day.",
            class_name=Plain(place.org_name),
        )
    ]
    rows = []
    for option in found:
        title = option.milestone.title.get(lang)
        missing = option.reachable + option.unreachable
        line: Text = T("• {title}: {count} have not reported", title=Plain(title), count=missing)
        if option.fired is not None:
            line = Joined((line, T("(reminded today at {time})", time=_at(turn, option.fired))))
            line = Joined(line.parts, sep=" ")
        lines.append(line)
        if option.open:
            label = f"📣 {_short(title)} ({option.reachable})"
            rows.append([_button(place.org_id, option.milestone.id, "ask", label)])
    if not rows:
        lines.append(
            T(
                "There is no one to remind today: everyone who can be reached has reported, "
                "or has been reminded today."
            )
        )
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    turn.replies.card(turn.chat_id, None, turn.render(Joined(tuple(lines), sep="\n")), markup)


async def ask(turn: Turn, place: MembershipView, milestone_id: str, card: int | None) -> None:
    campaign_id, pack = await turn.shared.campaign.for_membership(turn.uow, place)
    found = await nudges.preview(
        turn.uow, campaign_id, pack, turn.person, place.org_id, milestone_id, _today(turn)
    )
    if not isinstance(found, Option):
        turn.replies.card(turn.chat_id, card, turn.render(UNKNOWN))
        return
    title = Plain(found.milestone.title.get(turn.locale))
    if not found.open:
        outcome = "already" if found.fired is not None else "nobody"
        text = result_text(turn, place, Nudge(outcome, found.milestone, fired=found.fired))
        turn.replies.card(turn.chat_id, card, turn.render(text))
        return
    parts: list[Text] = [
        T(
            "Send a reminder about “{title}” to the {count} members of {class_name} who have "
            "not reported it? Each gets it in their own language, outside quiet hours.",
            title=title,
            count=found.reachable,
            class_name=Plain(place.org_name),
        )
    ]
    if found.unreachable:
        parts.append(T(UNREACHABLE.msgid, count=found.unreachable))
    render = turn.render
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(place.org_id, milestone_id, "go", render(T("📣 Send the reminder"))),
                _button(place.org_id, milestone_id, "no", render(T("Cancel"))),
            ]
        ]
    )
    turn.replies.card(turn.chat_id, card, render(Joined(tuple(parts))), markup)


async def send(turn: Turn, place: MembershipView, milestone_id: str, card: int | None) -> None:
    campaign_id, pack = await turn.shared.campaign.for_membership(turn.uow, place)
    done = await nudges.nudge(
        turn.uow,
        campaign_id=campaign_id,
        pack=pack,
        person=turn.person,
        org_id=place.org_id,
        milestone_id=milestone_id,
        day=_today(turn),
        now=turn.now,
    )
    if done.notices:
        await turn.shared.outbox.post(turn.uow, [_outgoing(turn, n) for n in done.notices])
    turn.replies.card(turn.chat_id, card, turn.render(result_text(turn, place, done)))


def _outgoing(turn: Turn, notice: Notice) -> Outgoing:
    render = turn.renderer(notice.language, notice.reader)
    markup = None
    if notice.report_again is not None:
        data = AgainCallback(v=VERSION, m=notice.report_again).pack()
        # readers: parent student
        button = InlineKeyboardButton(text=render(T("📝 Report now")), callback_data=data)
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return Outgoing(
        chat_id=notice.tg_user_id,
        text=render(notice.text),
        source="nudge",
        person_id=notice.person_id,
        markup=markup,
        quiet_hours=notice.quiet_hours,
    )


def result_text(turn: Turn, place: MembershipView, done: Nudge) -> Text:
    if done.milestone is None:
        return NOT_YOURS if done.outcome == "not_yours" else UNKNOWN
    title = Plain(done.milestone.title.get(turn.locale))
    class_name = Plain(place.org_name)
    if done.outcome == "already":
        return T(
            "A reminder about “{title}” already went to {class_name} today at {time} "
            "({count} recipients). The next one can be sent tomorrow.",
            title=title,
            class_name=class_name,
            time=_at(turn, done.fired),
            count=done.fired.recipients if done.fired else 0,
        )
    if done.outcome == "nobody":
        return T(
            "No one in {class_name} is left to remind about “{title}”: everyone who can be "
            "reached has reported it.",
            title=title,
            class_name=class_name,
        )
    parts: list[Text] = [
        T(
            "The reminder about “{title}” is queued for {count} members of {class_name} who "
            "have not reported it.",
            title=title,
            count=done.queued,
            class_name=class_name,
        )
    ]
    if done.unreachable:
        parts.append(T(UNREACHABLE.msgid, count=done.unreachable))
    release = turn.shared.outbox.not_before(turn.now, False, None)
    if release > turn.now:
        parts.append(T("It is quiet hours now: the reminders go out from {when}.", when=release))
    return Joined(tuple(parts))


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.shared.zone).date()
