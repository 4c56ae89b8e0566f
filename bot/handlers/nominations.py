"""/nominations: award shortlists (khen thưởng) with the evidence behind them.

Principals see their school's, department admins their subtree's, superadmins
anywhere; a short text per award and an XLSX sheet for the emulation council, written
in a worker process. Only a school's principal adds or removes names (the flow
bot/flows/nomination.py; the rules bot/services/nomination_changes.py).
"""

# readers: principal officer

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.campaign.nominations import REASON_LIMIT
from bot.campaign.pack import CampaignPack
from bot.errors import NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Record, Reply
from bot.flows.nomination import NOMINATION
from bot.handlers.callbacks import VERSION, NominationsCallback
from bot.handlers.conversation import Conversation, Shown
from bot.services import nomination_changes, nomination_sheet, nominations, scopes
from bot.services.nomination_changes import Named, NominationRefused
from bot.services.nominations import Candidate, Shortlist
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn
from storage.models import OrgUnit

NAMES_SHOWN = 5  # names per award in the chat; the sheet has them all
PLACES_SHOWN = 5  # a superadmin's starting points
MATCHES_KEPT = 100  # names of a shortlist offered for removal
READERS = RoleFilter("principal", "dept_admin")
NOWHERE = T("There is no school or department whose award shortlists you can see.")
NOT_YOURS = T("That school or department is not one you administer, so nothing is shown.")
ONLY_PRINCIPAL = T(
    "Only the school's principal adds or removes names on its shortlists, so nothing was changed."
)
REFUSED = {
    "award": T("That award is not in this campaign, so nothing was changed."),
    "outside": T(
        "That name is not one this award can go to in the school, so nothing was changed."
    ),
    "listed": T("That name is already on the shortlist, so nothing was changed."),
    "not_listed": T("That name is not on the shortlist any more, so nothing was changed."),
    "reason": T(
        "The reason must be 1 to {limit} characters long, so nothing was changed.",
        limit=REASON_LIMIT,
    ),
}


def router() -> Router:
    routes = Router(name="nominations")
    routes.message.register(show, Command("nominations"), READERS)
    routes.callback_query.register(act, NominationsCallback.filter(F.v == VERSION), READERS)
    return routes


def _button(label: Text, org_id: int, action: str, turn: Turn) -> InlineKeyboardButton:
    data = NominationsCallback(v=VERSION, o=org_id, a=action).pack()
    return InlineKeyboardButton(text=turn.render(label), callback_data=data)


def _markup(unit: OrgUnit, turn: Turn) -> InlineKeyboardMarkup:
    row = [_button(T("📄 XLSX"), unit.id, "xlsx", turn)]
    if unit.kind == "school" and nomination_changes.decides(turn.person, unit):
        row.append(_button(T("➕ Add a name"), unit.id, "add", turn))
        row.append(_button(T("➖ Remove a name"), unit.id, "remove", turn))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def label(candidate: Candidate, with_school: bool) -> str:
    where = [p for p in (candidate.place, candidate.school if with_school else "") if p]
    return f"{candidate.name} ({', '.join(where)})" if where else candidate.name


def award_block(shortlist: Shortlist, lang: str, with_school: bool) -> Text:
    listed = shortlist.listed
    added = sum(1 for c in listed if c.change is not None)
    lines: list[Text] = [
        T(
            "🏅 {award}: {count} on the shortlist",
            award=Plain(shortlist.award.title.get(lang)),
            count=len(listed),
        )
    ]
    if added or shortlist.removed:
        lines.append(
            T(
                "({added} added and {removed} removed by the principal, each with a reason)",
                added=added,
                removed=len(shortlist.removed),
            )
        )
    lines += [Plain(f"• {label(c, with_school)}") for c in listed[:NAMES_SHOWN]]
    if len(listed) > NAMES_SHOWN:
        lines.append(T("… and {count} more", count=len(listed) - NAMES_SHOWN))
    if not listed:
        lines.append(T("No one meets every rule yet."))
    return Joined(tuple(lines), sep="\n")


async def show(message: Message, turn: Turn) -> None:
    places = await scopes.roots(turn.uow, turn.person, turn.superadmin)
    if not places:
        turn.say(NOWHERE)
        return
    for unit in places[:PLACES_SHOWN]:
        campaign_id, pack = await turn.shared.campaign.for_org(turn.uow, unit.path, unit.level)
        lists = await nominations.shortlists(turn.uow, campaign_id, pack, unit.path)
        blocks: list[Text] = [T("Award shortlists: {place}", place=Plain(unit.name))]
        blocks += [award_block(s, turn.locale, unit.kind != "school") for s in lists]
        if not lists:
            blocks.append(T("This campaign names no awards."))
        if unit.kind == "school" and nomination_changes.decides(turn.person, unit):
            blocks.append(
                # readers: principal
                T(
                    "The XLSX sheet lists every name with the evidence behind it. You can add "
                    "a name the rules missed, or remove one, with a reason; the emulation "
                    "council decides."
                )
            )
        else:
            blocks.append(
                T(
                    "The XLSX sheet lists every name with the evidence behind it. Names are "
                    "added or removed by each school's principal."
                )
            )
        turn.say(Joined(tuple(blocks)), _markup(unit, turn))


async def act(query: CallbackQuery, callback_data: NominationsCallback, turn: Turn) -> None:
    unit = await scopes.checked(turn.uow, turn.person, turn.superadmin, callback_data.o)
    if unit is None:
        turn.replies.toast(query.id, turn.render(NOT_YOURS), alert=True)
        return
    campaign_id, pack = await turn.shared.campaign.for_org(turn.uow, unit.path, unit.level)
    if callback_data.a == "xlsx":
        turn.replies.toast(query.id)
        await send_sheet(turn, unit, campaign_id, pack)
        return
    if unit.kind != "school" or not nomination_changes.decides(turn.person, unit):
        turn.replies.toast(query.id, turn.render(ONLY_PRINCIPAL), alert=True)
        return
    turn.replies.toast(query.id)
    awards = [{"id": a.id, "title": a.title.get(turn.locale)} for a in pack.nominations]
    if not awards:
        turn.say(T("This campaign names no awards."))
        return
    data = {"mode": callback_data.a, "school": unit.id, "awards": awards}
    await Conversation(turn).begin(NOMINATION, data)


async def send_sheet(turn: Turn, unit: OrgUnit, campaign_id: int, pack: CampaignPack) -> None:
    render = turn.render
    sheet = await nomination_sheet.nominations_sheet(turn.uow, campaign_id, pack, unit.path, render)
    flat = nomination_sheet.plain(sheet, render)
    data = await turn.shared.workers.run(nomination_sheet.workbook, flat, turn.locale, render.zone)
    caption = T(
        "🏅 Award shortlists, {place}: every name with the evidence behind it, and each "
        "change with its reason.",
        place=Plain(unit.name),
    )
    stem = render(T("award-shortlists"))  # the file's name: danh-sach-khen-thuong-12.xlsx
    name = f"{stem}-{unit.id}.xlsx"
    turn.replies.media(turn.chat_id, "document", data, render(caption), filename=name)


def _matches(found: Sequence[Named]) -> list[dict[str, str]]:
    return [{"key": n.key, "label": f"{n.name} ({n.place})" if n.place else n.name} for n in found]


async def finish_nomination(record: Record, turn: Turn) -> Sequence[Shown]:
    data = dict(record.data)
    try:
        school = await nomination_changes.school_of(turn.uow, turn.person, int(data["school"]))
    except NotAllowed:
        return (Reply(ONLY_PRINCIPAL),)
    campaign_id, pack = await turn.shared.campaign.for_org(turn.uow, school.path, school.level)
    award = Plain(str(data.get("award_title", "")))
    try:
        if record.kind == "listed":
            found = await nomination_changes.listed(
                turn.uow, campaign_id, pack, school, data["award"]
            )
            if not found:
                return (
                    Reply(
                        T(
                            "No one is on the shortlist of “{award}” yet, so there is no name "
                            "to remove.",
                            award=award,
                        )
                    ),
                )
            matches = [{"key": c.key, "label": label(c, False)} for c in found[:MATCHES_KEPT]]
            await Conversation(turn).begin(
                NOMINATION, {**data, "matches": matches, "filter": None}, at="person"
            )
            return ()
        if record.kind == "search":
            typed = str(data.pop("typed"))
            named = await nomination_changes.matches(
                turn.uow, campaign_id, pack, school, data["award"], typed
            )
            if not named:
                await Conversation(turn).begin(NOMINATION, {**data, "none": typed}, at="search")
                return ()
            await Conversation(turn).begin(
                NOMINATION, {**data, "matches": _matches(named), "filter": None}, at="person"
            )
            return ()
        name = await nomination_changes.change(
            turn.uow,
            campaign_id=campaign_id,
            pack=pack,
            person=turn.person,
            actor_tg_id=turn.user_id,
            school_id=school.id,
            award_id=str(data["award"]),
            key=str(data["subject"]),
            action=record.kind,
            reason=str(data["reason"]),
            now=turn.now,
        )
    except NominationRefused as refused:
        return (Reply(REFUSED.get(refused.reason, REFUSED["outside"])),)
    if record.kind == "add":
        done = T(
            "{name} is now on the shortlist of “{award}”, with your reason. /nominations "
            "shows the lists.",
            name=Plain(name),
            award=award,
        )
    else:
        done = T(
            "{name} is no longer on the shortlist of “{award}”; the sheet keeps your reason. "
            "/nominations shows the lists.",
            name=Plain(name),
            award=award,
        )
    return (Reply(done),)
