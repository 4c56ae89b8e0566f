"""/class: a teacher's view of their class or unit against the plan's targets."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import RoleFilter
from bot.flows.text import Joined, Plain, T, Text
from bot.handlers.conversation import send_long
from bot.handlers.routes import Routes
from bot.i18n import Renderer, fmt_percent
from bot.services import indicators
from bot.services.people import PersonView

router = Routes("class", message_filters=(RoleFilter("staff"),))

NAMES_SHOWN = 30


def tally_line(tally: indicators.Tally, lang: str) -> Plain:
    mark = "✅" if tally.met else "⚠️"
    return Plain(
        f"{mark} {tally.indicator.title.get(lang)}: {tally.achieved}/{tally.population} "
        f"({fmt_percent(tally.fraction, lang)}) / {fmt_percent(tally.target, lang)}"
    )


@router.message(Command("class"))
async def class_progress(message: Message, bot: Bot, person: PersonView, **data: Any) -> None:
    render: Renderer = data["render"]
    lang = render.locale
    campaign_id, pack = await data["campaign"].get(data["uow"])
    places = [m for m in person.memberships if m.role == "staff"]
    for place in places:
        # Names go to the class's own teacher (and, through /review, to the principal).
        names = place.org_kind == "class"
        tallies = [
            t
            for t in await indicators.tallies(
                data["uow"], campaign_id, pack, place.org_path, people_only=True
            )
            if t.population
        ]
        counts = await indicators.class_view(
            data["uow"], campaign_id, pack, place.org_id, place.org_kind, names
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
        await send_long(bot, message.chat.id, render(Joined(tuple(parts))))
    if not places:
        await message.answer(render(T("You do not look after a class or unit yet.")))
