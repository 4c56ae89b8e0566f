"""/class: a teacher's view of their class or unit against the plan's targets.

Under a class's view, "Remind…" opens the nudge card (bot.handlers.nudges).
"""

# readers: staff

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters import RoleFilter
from bot.handlers import nudges
from bot.handlers.callbacks import VERSION, NudgeCallback
from bot.i18n import Renderer, fmt_percent
from bot.services import indicators
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

NAMES_SHOWN = 30


def router() -> Router:
    routes = Router(name="class")
    gate = RoleFilter("staff", superadmins=False)
    routes.message.filter(gate)
    routes.callback_query.filter(gate)
    routes.message.register(class_progress, Command("class"))
    routes.callback_query.register(nudges.pressed, NudgeCallback.filter(F.v == VERSION))
    return routes


def remind_button(org_id: int, render: Renderer) -> InlineKeyboardMarkup:
    data = NudgeCallback(v=VERSION, o=org_id, m="", a="list").pack()
    label = render(T("📣 Remind those who have not reported"))
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]]
    )


def tally_line(tally: indicators.Tally, lang: str) -> Plain:
    mark = "✅" if tally.met else "⚠️"
    return Plain(
        f"{mark} {tally.indicator.title.get(lang)}: {tally.achieved}/{tally.population} "
        f"({fmt_percent(tally.fraction, lang)}) / {fmt_percent(tally.target, lang)}"
    )


async def class_progress(message: Message, turn: Turn) -> None:
    assert turn.person is not None
    lang = turn.locale
    campaign_id, pack = await turn.shared.campaign.get(turn.uow)
    places = [m for m in turn.person.memberships if m.role == "staff"]
    for place in places:
        # Names go to the class's own teacher (and, through /review, to the principal).
        names = place.org_kind == "class"
        # Read-only: on the update's own reading session, never a second connection.
        tallies = [
            t
            for t in await indicators.tallies(
                turn.uow, campaign_id, pack, place.org_path, people_only=True
            )
            if t.population
        ]
        counts = await indicators.class_view(
            turn.uow, campaign_id, pack, place.org_id, place.org_kind, names
        )
        parts: list[Text] = [
            Plain(f"📋 {place.org_name}" + (f" ({place.school_name})" if place.school_name else ""))
        ]
        if tallies:
            parts.append(
                Joined(
                    (T("Against the plan's targets:"), *(tally_line(t, lang) for t in tallies)),
                    sep="\n",
                )
            )
        lines: list[Text] = [T("Who has reported (sent or verified):")]
        for count in counts:
            title = pack.milestone(count.milestone).title.get(lang)
            lines.append(Plain(f"• {title}: {count.reported}/{count.total}"))
            if count.missing:
                shown = ", ".join(count.missing[:NAMES_SHOWN])
                more = len(count.missing) - NAMES_SHOWN
                lines.append(
                    T("   not yet: {names}", names=Plain(shown))
                    if more <= 0
                    else T("   not yet: {names} and {more} more", names=Plain(shown), more=more)
                )
        parts.append(Joined(tuple(lines), sep="\n"))
        markup = remind_button(place.org_id, turn.render) if place.org_kind == "class" else None
        turn.say(Joined(tuple(parts)), markup)
    if not places:
        turn.say(T("You do not look after a class or unit yet."))
