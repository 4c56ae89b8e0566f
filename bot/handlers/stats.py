"""/stats: principals for their school, department admins for their subtree, superadmins
anywhere. Each indicator against its target as text, one indicator's bars over the node's
parts as a photo (buttons go to the next indicator, the next page, a part, the level above),
the weekly line from the scheduler's snapshots, the quiz standings, and for a principal's
own school the entries of the QĐ 4725 self-assessment and the school figures
(bot.handlers.school_entries).
"""

# readers: principal officer

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.campaign.pack import CampaignPack, Indicator
from bot.filters import RoleFilter
from bot.handlers import school_entries, stats_charts
from bot.handlers.callbacks import VERSION, StatsCallback
from bot.handlers.class_view import tally_line
from bot.handlers.quiz_stats import quiz_block
from bot.services import charts, indicators, scopes, snapshots, stats
from bot.services.quiz_stats import CLASS_KINDS, SCHOOL_KINDS
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn
from storage.models import OrgUnit

NOT_YOURS = T("That is not a part of the tree you administer, so there is nothing to show.")
NOTHING_HERE = T("Nothing to show here yet: no classes, units or schools below it.")
PICK = T("Which would you like to see?")
NO_SNAPSHOT = T(
    "No weekly figures yet: the bot records them every Monday, so the line starts from the "
    "first Monday after it began here."
)
NO_QUIZ = T("This campaign has no quiz.")
DRILL_KINDS = ("province", "commune", "district", "school", "class", "unit")


def router() -> Router:
    routes = Router(name="stats")
    gate = RoleFilter(*scopes.ADMIN_ROLES)
    routes.message.filter(gate)
    routes.callback_query.filter(gate)
    routes.message.register(show_stats, Command("stats"))
    routes.callback_query.register(pressed, StatsCallback.filter(F.v == VERSION))
    return routes


def _button(label: str, node: int, action: str, i: int = 0, p: int = 0) -> InlineKeyboardButton:
    data = StatsCallback(v=VERSION, o=node, a=action, i=i, p=p).pack()  # type: ignore[arg-type]
    return InlineKeyboardButton(text=label, callback_data=data)


async def show_stats(message: Message, turn: Turn) -> None:
    roots = await scopes.roots(turn.uow, turn.person, turn.superadmin)
    if not roots:
        turn.say(T("There is no school or department to show yet."))
        return
    if len(roots) == 1:
        await show(turn, roots[0], 0, 0, with_text=True)
        return
    rows = [[_button(f"📊 {unit.name}", unit.id, "show")] for unit in roots]
    turn.say(PICK, InlineKeyboardMarkup(inline_keyboard=rows))


async def pressed(query: CallbackQuery, callback_data: StatsCallback, turn: Turn) -> None:
    node = await scopes.checked(turn.uow, turn.person, turn.superadmin, callback_data.o)
    if node is None or node.kind not in DRILL_KINDS:
        turn.replies.toast(query.id, turn.render(NOT_YOURS), alert=True)
        return
    action = callback_data.a
    if action in ("sa", "fig"):
        await school_entries.begin(query, turn, node, action)
        return
    turn.replies.toast(query.id)
    if action == "week":
        await show_week(turn, node)
    elif action == "quiz":
        await show_quiz(turn, node)
    else:
        await show(turn, node, callback_data.i, callback_data.p, with_text=action == "show")


def _shown(node: OrgUnit, pack: CampaignPack) -> list[Indicator]:
    """The indicators a node's view lists: a class its families', a unit its staff's."""
    if node.kind == "class":
        wanted = set(indicators.FAMILY_ROLES)
    elif node.kind == "unit":
        wanted = set(indicators.STAFF_ROLES)
    else:
        return list(pack.indicators)
    return [
        i
        for i in pack.indicators
        if i.counts == "people" and set(indicators.counted_roles(i)) & wanted
    ]


def _charted(node: OrgUnit, shown: list[Indicator], below: list[OrgUnit]) -> list[Indicator]:
    """The indicators with bars to draw: those counted at a kind of part the node has."""
    kinds = {unit.kind for unit in below}
    return [i for i in shown if kinds & set(stats.part_kinds(node, i))]


async def _parent(turn: Turn, node: OrgUnit) -> OrgUnit | None:
    if node.parent_id is None:
        return None
    return await scopes.checked(turn.uow, turn.person, turn.superadmin, node.parent_id)


async def show(turn: Turn, node: OrgUnit, index: int, page: int, *, with_text: bool) -> None:
    turn.shared.workers.warm(charts.ready)  # the worker starts while the tallies are read
    campaign_id, pack = await turn.shared.campaign.for_unit(turn.uow, node)
    shown = _shown(node, pack)
    below = await stats.children(turn.uow, node)
    lang = turn.locale
    if with_text:
        tallies = await indicators.tallies_of(turn.uow, campaign_id, shown, node.path, node.kind)
        parts: list[Text] = [Plain(f"📊 {node.name}")]
        if tallies:
            parts.append(
                Joined(
                    (T("Against the plan's targets:"), *(tally_line(t, lang) for t in tallies)),
                    sep="\n",
                )
            )
        if node.kind == "school":
            parts.extend(await school_entries.summary(turn, node, pack))
        if node.kind not in ("class", "unit") and not below:
            parts.append(NOTHING_HERE)
        turn.say(Joined(tuple(parts)))
    charted = _charted(node, shown, below)
    markup = await _markup(turn, node, pack, charted, below, index, page)
    if not charted:
        if markup is not None:
            turn.say(T("What next?"), markup)
        return
    index = index % len(charted)
    breakdown = await stats.breakdown(
        turn.uow, campaign_id, pack, node, charted[index], page, below
    )
    if not breakdown.parts:
        turn.say(NOTHING_HERE, markup)
        return
    chart = stats_charts.bars(breakdown, node.name, turn.render)
    png = await stats_charts.bar_png(turn, chart)
    turn.replies.media(turn.chat_id, "photo", png, chart.title, markup, filename="stats.png")


async def _markup(
    turn: Turn,
    node: OrgUnit,
    pack: CampaignPack,
    charted: list[Indicator],
    below: list[OrgUnit],
    index: int,
    page: int,
) -> InlineKeyboardMarkup | None:
    render = turn.render
    rows: list[list[InlineKeyboardButton]] = []
    if len(charted) > 1:
        n = len(charted)
        rows.append(
            [
                _button(render(T("◀ Previous indicator")), node.id, "chart", (index - 1) % n),
                _button(render(T("Next indicator ▶")), node.id, "chart", (index + 1) % n),
            ]
        )
    if charted:
        kinds = stats.part_kinds(node, charted[index % len(charted)])
        below = [unit for unit in below if unit.kind in kinds]
    pages = max(1, -(-len(below) // stats.PAGE))
    page = min(page, pages - 1)
    if pages > 1:
        turning = []
        if page > 0:
            turning.append(
                _button(render(T("« Page {n}", n=page)), node.id, "chart", index, page - 1)
            )
        if page < pages - 1:
            turning.append(
                _button(render(T("Page {n} »", n=page + 2)), node.id, "chart", index, page + 1)
            )
        rows.append(turning)
    drill = [
        _button(f"🔎 {unit.name}", unit.id, "show")
        for unit in below[page * stats.PAGE : (page + 1) * stats.PAGE]
        if unit.kind in DRILL_KINDS
    ]
    rows.extend(drill[k : k + 2] for k in range(0, len(drill), 2))
    extra = []
    if node.kind not in ("class", "unit"):
        extra.append(_button(render(T("📈 Week by week")), node.id, "week"))
        if pack.quizzes:
            extra.append(_button(render(T("🏆 Quiz standings")), node.id, "quiz"))
    if extra:
        rows.append(extra)
    rows.extend(school_entries.buttons(turn, node, pack))
    parent = await _parent(turn, node)
    if parent is not None:
        rows.append(
            [_button(render(T("⬆ Back to {place}", place=Plain(parent.name))), parent.id, "show")]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def show_week(turn: Turn, node: OrgUnit) -> None:
    _, pack = await turn.shared.campaign.for_unit(turn.uow, node)
    shown = _shown(node, pack)
    today = turn.now.astimezone(turn.shared.zone).date()
    series = await snapshots.series(turn.uow, pack, node.id, today, [i.id for i in shown])
    if not any(v is not None for _, values in series.lines for v in values):
        turn.say(NO_SNAPSHOT)
        return
    titles = {i.id: i.title.get(turn.locale) for i in shown}
    chart = stats_charts.lines(series, titles, node.name, turn.render)
    png = await stats_charts.line_png(turn, chart)
    back = InlineKeyboardMarkup(
        inline_keyboard=[[_button(turn.render(T("📊 Back to the figures")), node.id, "show")]]
    )
    turn.replies.media(turn.chat_id, "photo", png, chart.title, back, filename="week.png")


async def show_quiz(turn: Turn, node: OrgUnit) -> None:
    campaign_id, pack = await turn.shared.campaign.for_unit(turn.uow, node)
    if not pack.quizzes:
        turn.say(NO_QUIZ)
        return
    kinds = CLASS_KINDS if node.kind == "school" else SCHOOL_KINDS
    blocks = [
        await quiz_block(turn, campaign_id, quiz, [node.path], kinds) for quiz in pack.quizzes
    ]
    turn.say(Joined(tuple(blocks), sep="\n\n"))
