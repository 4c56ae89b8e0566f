"""/export: a principal's school, or a department's subtree (any node of it), as an XLSX
workbook or one sheet as CSV, sent as a document once prepared (bot.exporting).

| press | shows                                                          |
|-------|----------------------------------------------------------------|
| open  | the place: XLSX or CSV, and the communes and schools below it  |
| xlsx  | the progress message, then the workbook                        |
| csv   | one button per sheet                                           |
| sheet | the progress message, then that sheet as CSV                   |

Every place from a button is checked with bot.services.scopes.checked, every sheet
against bot.services.exports.SHEETS: a forged or stale button exports nothing.
"""

# readers: principal officer

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.exporting import Request
from bot.filters import RoleFilter
from bot.handlers.callbacks import VERSION, ExportCallback
from bot.services import exports, scopes
from bot.text import Plain, T
from bot.turn import Turn
from storage import org_units
from storage.models import OrgUnit

ADMINS = RoleFilter(*scopes.ADMIN_ROLES)
PLACES_SHOWN = 40  # communes or schools offered below a place
PLACE_KINDS = ("province", "commune", "district", "school")
NOT_YOURS = T("That place is not one you manage, so nothing was exported.")
NO_SHEET = T("That sheet is not in the export, so nothing was exported.")
BUSY = T("Your export is still being prepared; it will arrive here shortly.")
NOTHING = T("There is no school or department here to export yet.")


def router() -> Router:
    routes = Router(name="export")
    routes.message.register(open_export, Command("export"), ADMINS)
    routes.callback_query.register(pressed, ExportCallback.filter(F.v == VERSION), ADMINS)
    return routes


def _button(org_id: int, action: str, label: str, sheet: str = "") -> InlineKeyboardButton:
    data = ExportCallback(v=VERSION, o=org_id, a=action, s=sheet).pack()  # type: ignore[arg-type]
    return InlineKeyboardButton(text=label, callback_data=data)


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.shared.zone).date()


async def open_export(message: Message, turn: Turn) -> None:
    if turn.shared.exports.busy(turn.user_id):
        turn.say(BUSY)
        return
    found = await scopes.roots(turn.uow, turn.person, turn.superadmin)
    if not found:
        turn.say(NOTHING)
        return
    if len(found) == 1:
        text, markup = await place_card(turn, found[0])
        turn.say(text, markup)
        return
    rows = [[_button(unit.id, "open", f"📁 {unit.name}")] for unit in found[:PLACES_SHOWN]]
    turn.say(
        turn.render(T("Which place should the export cover?")),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def place_card(turn: Turn, unit: OrgUnit) -> tuple[str, InlineKeyboardMarkup]:
    """The place, the two kinds of file, and the places below it to export instead."""
    render = turn.render
    rows = [
        [_button(unit.id, "xlsx", render(T("📊 Excel workbook (XLSX), every sheet")))],
        [_button(unit.id, "csv", render(T("📄 One sheet as CSV")))],
    ]
    below = [
        child
        for child in await org_units.children(turn.uow.reads, unit.id, PLACES_SHOWN)
        if child.kind in PLACE_KINDS
    ]
    pairs = [_button(child.id, "open", f"📁 {child.name}") for child in below]
    rows.extend(pairs[n : n + 2] for n in range(0, len(pairs), 2))
    parent = await org_units.get(turn.uow.reads, unit.parent_id) if unit.parent_id else None
    if parent is not None and scopes.administers(turn.person, turn.superadmin, parent):
        rows.append([_button(parent.id, "open", f"⬅️ {parent.name}")])
    text = T("Export the data of {place}: choose the file.", place=Plain(unit.name))
    if below:
        text = T(
            "Export the data of {place}: choose the file, or a place below it.",
            place=Plain(unit.name),
        )
    return render(text), InlineKeyboardMarkup(inline_keyboard=rows)


async def pressed(
    query: CallbackQuery, callback_data: ExportCallback, turn: Turn, bot: Bot
) -> None:
    unit = await scopes.checked(turn.uow, turn.person, turn.superadmin, callback_data.o)
    if unit is None:
        turn.replies.toast(query.id, turn.render(NOT_YOURS), alert=True)
        return
    action, sheet = callback_data.a, callback_data.s or None
    if action == "sheet" and sheet not in exports.BY_KEY:
        turn.replies.toast(query.id, turn.render(NO_SHEET), alert=True)
        return
    card = query.message.message_id if isinstance(query.message, Message) else None
    if action in ("xlsx", "sheet") and turn.shared.exports.busy(turn.user_id):
        turn.replies.toast(query.id, turn.render(BUSY), alert=True)
        return
    turn.replies.toast(query.id)
    if action == "open":
        text, markup = await place_card(turn, unit)
        turn.replies.card(turn.chat_id, card, text, markup)
    elif action == "csv":
        titles = exports.titles(turn.render)
        rows = [[_button(unit.id, "sheet", f"📄 {titles[s.key]}", s.key)] for s in exports.SHEETS]
        rows.append([_button(unit.id, "open", f"⬅️ {unit.name}")])
        text = T("Which sheet of {place} should the CSV file hold?", place=Plain(unit.name))
        turn.replies.card(
            turn.chat_id, card, turn.render(text), InlineKeyboardMarkup(inline_keyboard=rows)
        )
    else:
        begin(turn, bot, unit, "xlsx" if action == "xlsx" else "csv", sheet, card)


def begin(
    turn: Turn,
    bot: Bot,
    unit: OrgUnit,
    fmt: exports.Format,
    sheet: str | None,
    card: int | None,
) -> None:
    """The export starts once this update has committed; the card becomes its progress."""
    request = Request(
        user_id=turn.user_id,
        chat_id=turn.chat_id,
        message_id=card,
        org_id=unit.id,
        org_name=unit.name,
        fmt=fmt,
        sheet=sheet,
        render=turn.render,
        database_url=turn.uow.database.url,
        default_language=turn.shared.catalogues.default_locale,
        today=_today(turn),
    )
    shared = turn.shared
    turn.uow.after_commit(lambda: shared.exports.start(shared, bot, request))
