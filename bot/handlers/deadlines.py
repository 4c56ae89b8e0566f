"""/deadline (principals for their school, department officers for their subtree): add a
deadline with reminders, or cancel one; /deadlines (everyone): what is coming for me."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.commands import EVERYONE
from bot.errors import NotAllowed
from bot.filters import RoleFilter
from bot.flows.deadline import DEADLINE
from bot.flows.engine import Record, Reply
from bot.handlers.conversation import Conversation, Shown
from bot.services import deadlines
from bot.services.deadlines import SETTERS, Upcoming
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn
from storage import audit

LISTED = 10  # own deadlines offered for cancelling
SHOWN = 20  # upcoming deadlines in /deadlines


def router() -> Router:
    routes = Router(name="deadlines")
    setting = Router(name="deadline")
    setting.message.filter(RoleFilter(*SETTERS))
    setting.message.register(start_deadline, Command("deadline"))
    listing = Router(name="deadlines-list")
    listing.message.filter(RoleFilter(*EVERYONE))
    listing.message.register(show_deadlines, Command("deadlines"))
    routes.include_routers(setting, listing)
    return routes


def today(turn: Turn) -> date:
    return turn.now.astimezone(turn.shared.zone).date()


async def start_deadline(message: Message, turn: Turn) -> None:
    places = deadlines.places(turn.person)
    if not places:
        # readers: principal dept_admin superadmin
        turn.say(T("Deadlines are set for a school or a department, and there is none you run."))
        return
    day = today(turn)
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    names = {place.org_id: place.name for place in places}
    existing = await deadlines.of_places(turn.uow, turn.person, day)
    await Conversation(turn).begin(
        DEADLINE,
        {
            "today": day.isoformat(),
            "places": [[place.org_id, place.name] for place in places],
            "deadlines": [
                {
                    "id": row.id,
                    "title": row.title,
                    "due": row.due_date.isoformat(),
                    "place": names.get(row.org_id, row.org_name),
                }
                for row in existing[:LISTED]
            ],
            "milestones": [
                {"id": m.id, "title": m.title.get(turn.locale), "audience": list(m.audience)}
                for m in pack.milestones
            ],
        },
    )


async def finish_deadline(record: Record, turn: Turn) -> Sequence[Shown]:
    if record.kind == "cancel":
        return await _cancel(turn, int(record.data["id"]))
    data = record.data
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    completes = data.get("completes")
    if completes is not None and completes not in {m.id for m in pack.milestones}:
        completes = None  # the pack changed while the flow ran
    due = date.fromisoformat(data["due"])
    try:
        deadline_id = await deadlines.add(
            turn.uow,
            person=turn.person,
            org_id=int(data["org_id"]),
            title=str(data["title"]),
            audience=str(data["audience"]),
            due=due,
            offsets=[int(k) for k in data["offsets"]],
            completes=completes,
            today=today(turn),
            now=turn.now,
        )
    except NotAllowed:
        # readers: principal dept_admin superadmin
        return (Reply(T("You cannot set a deadline there, so nothing was saved.")),)
    await audit.record(
        turn.uow.session,
        turn.now,
        turn.user_id,
        "deadline.add",
        f"school_deadline:{deadline_id}",
        org_id=int(data["org_id"]),
    )
    return (
        Reply(
            # readers: principal dept_admin superadmin
            T(
                "Saved: “{title}”, due {day}. Reminders go at 8:00 to those concerned who "
                "have not done it yet. /deadline lists it, with a button to cancel it.",
                title=Plain(str(data["title"])),
                day=due,
            )
        ),
    )


async def _cancel(turn: Turn, deadline_id: int) -> Sequence[Shown]:
    try:
        done = await deadlines.cancel(turn.uow, turn.person, deadline_id)
    except NotAllowed:
        # readers: principal dept_admin superadmin
        return (Reply(T("That deadline was not set by your school or department.")),)
    if not done:
        # readers: principal dept_admin superadmin
        return (Reply(T("That deadline had already been cancelled.")),)
    await audit.record(
        turn.uow.session,
        turn.now,
        turn.user_id,
        "deadline.cancel",
        f"school_deadline:{deadline_id}",
    )
    # readers: principal dept_admin superadmin
    return (Reply(T("The deadline was cancelled: its reminders will not be sent.")),)


def days_left(days: int) -> Text:
    if days <= 0:
        return T("today")
    if days == 1:
        return T("tomorrow")
    return T("{days} days left", days=days)


def upcoming_text(found: Sequence[Upcoming]) -> Text:
    lines: list[Text] = [T("Upcoming deadlines:")]
    for item in found[:SHOWN]:
        mark = " ✅" if item.done else ""
        lines.append(
            T(
                "📅 {day} — {title} ({left}){mark}",
                day=item.due,
                title=Plain(item.title),
                left=days_left(item.days_left),
                mark=Plain(mark),
            )
        )
    if any(item.done for item in found[:SHOWN]):
        lines.append(T("✅ already done: no reminder will come for it."))
    return Joined(tuple(lines), sep="\n")


async def show_deadlines(message: Message, turn: Turn) -> None:
    if turn.person is None:
        turn.say(T("No upcoming deadline concerns you at the moment."))
        return
    packs = []
    for membership in turn.person.memberships:
        campaign_id, pack = await turn.shared.campaign.for_membership(turn.uow, membership)
        packs.append((membership, pack))
    campaign_id, _ = await turn.shared.campaign.get(turn.uow)
    found = await deadlines.upcoming(
        turn.uow, campaign_id, packs, turn.person, today(turn), turn.locale
    )
    if not found:
        turn.say(T("No upcoming deadline concerns you at the moment."))
        return
    turn.say(upcoming_text(found))
