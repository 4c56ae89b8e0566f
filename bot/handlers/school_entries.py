"""A school's own entries under /stats: the QĐ 4725 self-assessment and the school figures.

A principal's own school shows two buttons that open bot.flows.self_assessment's flows;
the finishers record through bot.services.self_assessments (which awards or withdraws
the pack's milestones and audits). Everyone who may see the school sees the summary.
"""

# readers: principal officer

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import CallbackQuery, InlineKeyboardButton

from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected, NotAllowed
from bot.flows.engine import Record, Reply
from bot.flows.self_assessment import ABOVE, SCHOOL_FIGURE, SELF_ASSESSMENT, assessment_data
from bot.handlers.callbacks import VERSION, StatsCallback
from bot.handlers.conversation import Conversation, Shown
from bot.i18n import fmt_number, fmt_percent
from bot.services import self_assessments
from bot.services.schools import COVERED_BY_4725, level_of
from bot.services.self_assessments import principal_school, school_year
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn
from storage.models import OrgUnit

# readers: principal
NOT_YOUR_SCHOOL = T("Only the school's principal enters its figures.")
# readers: principal
NOT_COVERED = T("Decision 4725 does not assess this kind of school, so there is nothing to enter.")
# readers: principal
NO_FIGURES = T("This campaign asks for no school figures.")
HISTORY_SHOWN = 3


def year_label(year: int) -> str:
    return f"{year}–{year + 1}"


def _covered(node: OrgUnit) -> bool:
    return level_of(node.name, node.level) in COVERED_BY_4725


def _own(turn: Turn, node: OrgUnit) -> bool:
    try:
        return principal_school(turn.person) == node.id
    except NotAllowed:
        return False


def buttons(turn: Turn, node: OrgUnit, pack: CampaignPack) -> list[list[InlineKeyboardButton]]:
    """Under a principal's own school: the entries its pack asks for."""
    if node.kind != "school" or not _own(turn, node):
        return []
    row = []
    if pack.self_assessment is not None and _covered(node):
        data = StatsCallback(v=VERSION, o=node.id, a="sa").pack()
        label = turn.render(T("📝 QĐ 4725 self-assessment"))
        row.append(InlineKeyboardButton(text=label, callback_data=data))
    if pack.school_figures:
        data = StatsCallback(v=VERSION, o=node.id, a="fig").pack()
        row.append(
            InlineKeyboardButton(text=turn.render(T("🔢 School figures")), callback_data=data)
        )
    return [row] if row else []


def _this_year(turn: Turn) -> int:
    return school_year(turn.now.astimezone(turn.shared.zone).date())


async def summary(turn: Turn, node: OrgUnit, pack: CampaignPack) -> list[Text]:
    """The school's self-assessment by year and this year's figures, for /stats."""
    lang = turn.locale
    year = _this_year(turn)
    parts: list[Text] = []
    assessment = pack.self_assessment
    if assessment is not None and _covered(node):
        history = await self_assessments.history(turn.uow, pack, node.id)
        current = next((a for a in history if a.school_year == year), None)
        lines: list[Text] = []
        if current is None:
            lines.append(
                T(
                    "⚠️ QĐ 4725 self-assessment {year}: not entered yet (target: level {target}).",
                    year=Plain(year_label(year)),
                    target=assessment.target_level,
                )
            )
        else:
            lines.append(
                T(
                    "{mark} QĐ 4725 self-assessment {year}: level {level} (target: level "
                    "{target}).",
                    mark=Plain("✅" if current.on_target else "⚠️"),
                    year=Plain(year_label(year)),
                    level=current.level,
                    target=current.target_level,
                )
            )
        earlier = [a for a in history if a.school_year != year][:HISTORY_SHOWN]
        if earlier:
            shown = "; ".join(f"{year_label(a.school_year)}: {a.level}" for a in earlier)
            lines.append(T("   Earlier years (level): {years}", years=Plain(shown)))
        parts.append(Joined(tuple(lines), sep="\n"))
    if pack.school_figures:
        found = (await self_assessments.figures(turn.uow, pack, [node.id], year)).get(node.id, {})
        lines = [T("School figures {year}:", year=Plain(year_label(year)))]
        for figure in pack.school_figures:
            entered = found.get(figure.id)
            title = Plain(figure.title.get(lang))
            target = Plain(fmt_percent(figure.target_percent / 100, lang))
            if entered is None:
                lines.append(
                    T("• {title}: not entered yet (target {target})", title=title, target=target)
                )
            else:
                lines.append(
                    T(
                        "{mark} {title}: {value}/{out_of} ({share}); target {target}",
                        mark=Plain("✅" if entered.met else "⚠️"),
                        title=title,
                        value=Plain(fmt_number(int(entered.value), lang)),
                        out_of=Plain(fmt_number(int(entered.out_of), lang)),
                        share=Plain(fmt_percent(entered.fraction, lang)),
                        target=target,
                    )
                )
        parts.append(Joined(tuple(lines), sep="\n"))
    return parts


async def begin(query: CallbackQuery, turn: Turn, node: OrgUnit, action: str) -> None:
    """Open the self-assessment (`sa`) or the school figures (`fig`) for a principal's school."""
    if node.kind != "school" or not _own(turn, node):
        turn.replies.toast(query.id, turn.render(NOT_YOUR_SCHOOL), alert=True)
        return
    _, pack = await turn.shared.campaign.for_unit(turn.uow, node)
    lang = turn.locale
    year = _this_year(turn)
    assessment = pack.self_assessment
    if action == "sa":
        if assessment is None or not _covered(node):
            turn.replies.toast(query.id, turn.render(NOT_COVERED), alert=True)
            return
        turn.replies.toast(query.id)
        data = assessment_data(
            year_label(year),
            [{"id": g.id, "title": g.title.get(lang)} for g in assessment.groups],
            [{"id": m.id, "title": m.title.get(lang)} for m in assessment.mandatory],
            assessment.level_2_from,
            assessment.level_3_above,
            assessment.target_level,
        )
        await Conversation(turn).begin(SELF_ASSESSMENT, data)
        return
    if not pack.school_figures:
        turn.replies.toast(query.id, turn.render(NO_FIGURES), alert=True)
        return
    turn.replies.toast(query.id)
    found = (await self_assessments.figures(turn.uow, pack, [node.id], year)).get(node.id, {})
    figures = [
        {
            "id": f.id,
            "title": f.title.get(lang),
            "unit": f.unit.get(lang),
            "target": f.target_percent,
            "now": (
                f"{fmt_number(int(found[f.id].value), lang)}/{fmt_number(int(found[f.id].out_of), lang)}"
                if f.id in found
                else ""
            ),
        }
        for f in pack.school_figures
    ]
    await Conversation(turn).begin(SCHOOL_FIGURE, {"year": year_label(year), "figures": figures})


async def _school_pack(turn: Turn) -> tuple[int, CampaignPack] | None:
    person = turn.person
    if person is None:
        return None
    home = next(
        (m for m in person.memberships if m.role == "principal" and m.org_kind == "school"), None
    )
    if home is None:
        return None
    return await turn.shared.campaign.for_membership(turn.uow, home)


async def finish_assessment(record: Record, turn: Turn) -> Sequence[Shown]:
    found = await _school_pack(turn)
    if found is None or turn.person is None:
        return (Reply(NOT_YOUR_SCHOOL),)
    campaign_id, pack = found
    scores = {str(k): float(v) for k, v in dict(record.data["scores"]).items()}
    try:
        result = await self_assessments.enter_assessment(
            turn.uow,
            campaign_id=campaign_id,
            pack=pack,
            person=turn.person,
            scores=scores,
            met=[str(m) for m in record.data["met"]],
            now=turn.now,
            zone=turn.shared.zone,
        )
    except NotAllowed:
        return (Reply(NOT_COVERED),)
    except InputRejected:
        return (
            Reply(T("Those scores do not match this year's criteria groups; nothing was saved.")),
        )
    verdict = (
        T("The target is met.")
        if result.on_target
        else T("The target is level {target}.", target=result.target_level)
    )
    return (
        Reply(
            Joined(
                (
                    T(
                        "Saved: the self-assessment {year} puts the school at level {level}.",
                        year=Plain(year_label(result.school_year)),
                        level=result.level,
                    ),
                    verdict,
                    T("/stats shows it with the school's figures."),
                ),
                sep=" ",
            )
        ),
    )


async def finish_figure(record: Record, turn: Turn) -> Sequence[Shown]:
    found = await _school_pack(turn)
    if found is None or turn.person is None:
        return (Reply(NOT_YOUR_SCHOOL),)
    campaign_id, pack = found
    try:
        figure = await self_assessments.enter_figure(
            turn.uow,
            campaign_id=campaign_id,
            pack=pack,
            person=turn.person,
            figure_id=str(record.data["figure"]),
            value=float(record.data["value"]),
            out_of=float(record.data["out_of"]),
            now=turn.now,
            zone=turn.shared.zone,
        )
    except NotAllowed:
        return (Reply(NO_FIGURES),)
    except InputRejected:
        return (Reply(ABOVE),)
    title = next(f.title.get(turn.locale) for f in pack.school_figures if f.id == figure.key)
    lang = turn.locale
    return (
        Reply(
            T(
                "Saved: {title} {value}/{out_of} ({share}), {verdict}",
                title=Plain(title),
                value=Plain(fmt_number(int(figure.value), lang)),
                out_of=Plain(fmt_number(int(figure.out_of), lang)),
                share=Plain(fmt_percent(figure.fraction, lang)),
                verdict=T("the target is met.") if figure.met else T("below the target."),
            )
        ),
    )
