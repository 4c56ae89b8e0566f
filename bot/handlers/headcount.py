"""Headcount ("Sĩ số"): the button under /class opens bot.flows.headcount; the finisher
records the number (bot.services.headcounts) and audits it.

The router sits inside /class's (bot.handlers.class_view), behind its gate.
"""

# readers: staff principal

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import CallbackQuery, InlineKeyboardButton

from bot.errors import NotAllowed
from bot.flows.engine import Record, Reply
from bot.flows.headcount import HEADCOUNT, OUT_OF_RANGE, too_few
from bot.handlers.callbacks import VERSION, HeadcountCallback
from bot.handlers.conversation import Conversation, Shown
from bot.i18n import Renderer
from bot.services import headcounts
from bot.services.headcounts import HeadcountRejected, Place
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn
from storage import audit

NOT_YOURS = T("That class or school is not one you look after, so nothing was changed.")


def button(org_id: int, render: Renderer) -> InlineKeyboardButton:
    data = HeadcountCallback(v=VERSION, o=org_id).pack()
    return InlineKeyboardButton(text=render(T("👥 Headcount")), callback_data=data)


def _key(place: Place) -> str:
    return f"{'s' if place.kind == 'staff' else 'c'}{place.org_id}"


def _as_data(place: Place) -> dict:
    return {
        "key": _key(place),
        "org": place.org_id,
        "kind": place.kind,
        "name": place.name,
        "current": place.current,
        "joined": place.joined,
        "counts": place.counts,
    }


async def pressed(query: CallbackQuery, callback_data: HeadcountCallback, turn: Turn) -> None:
    try:
        found = await headcounts.places(turn.uow, turn.person, callback_data.o)
    except NotAllowed:
        turn.replies.toast(query.id, turn.render(NOT_YOURS), alert=True)
        return
    turn.replies.toast(query.id)
    places = [_as_data(place) for place in found]
    if len(places) == 1:
        data = {"places": places, "chosen": places[0]["key"]}
        await Conversation(turn).begin(HEADCOUNT, data, at="count")
    else:
        await Conversation(turn).begin(HEADCOUNT, {"places": places})


def _saved(place: dict, count: int, before: int | None) -> Text:
    name = Plain(place["name"])
    if place["kind"] == "staff":
        saved = T("Saved: {school} has {count} staff.", school=name, count=count)
    else:
        saved = T("Saved: class {name} has {count} students.", name=name, count=count)
    lines: list[Text] = [saved]
    if before is not None and before != count:
        lines.append(T("It was {before} before.", before=before))
    lines.append(T("/class shows reach and progress against it."))
    return Joined(tuple(lines), sep="\n")


async def finish_headcount(record: Record, turn: Turn) -> Sequence[Shown]:
    data = record.data
    org_id, kind, count = int(data["org"]), str(data["kind"]), int(data["count"])
    place = {"org": org_id, "kind": kind, "name": str(data.get("name", ""))}
    try:
        recorded = await headcounts.record(turn.uow, turn.person, org_id, kind, count, turn.now)
    except NotAllowed:
        return (Reply(NOT_YOURS),)
    except HeadcountRejected as problem:
        if problem.reason == "too_few":
            return (Reply(too_few(place, problem.joined)),)
        return (Reply(OUT_OF_RANGE if problem.reason == "range" else NOT_YOURS),)
    before = recorded.before
    place["name"] = recorded.name
    await audit.record(
        turn.uow.session,
        turn.now,
        turn.user_id,
        "headcount.set",
        f"org_unit:{org_id}",
        kind=kind,
        count=count,
        before=before,
    )
    return (Reply(_saved(place, count, before)),)
