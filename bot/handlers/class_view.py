"""/class: a teacher's view of their class or unit, a principal's of their school, against
the plan's targets: reach (joined / headcount) and progress (did it / headcount).

Under a class's view, "Remind…" opens the nudge card (bot.handlers.nudges); under a
homeroom class's or a principal's school, "Headcount" opens bot.handlers.headcount.
"""

# readers: staff

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.campaign.pack import CampaignPack, Indicator
from bot.filters import RoleFilter
from bot.flows.report import LEVEL_NAMES, MARKS, STATUS_NAMES
from bot.handlers import headcount, nudges
from bot.handlers.callbacks import VERSION, HeadcountCallback, NudgeCallback
from bot.i18n import Renderer, fmt_percent
from bot.services import indicators
from bot.services.indicators import FAMILY_ROLES, STAFF_ROLES
from bot.services.people import MembershipView
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

NAMES_SHOWN = 30
VIEWERS = ("staff", "principal")


def router() -> Router:
    routes = Router(name="class")
    gate = RoleFilter(*VIEWERS, superadmins=False)
    routes.message.filter(gate)
    routes.callback_query.filter(gate)
    routes.message.register(class_progress, Command("class"))
    routes.callback_query.register(nudges.pressed, NudgeCallback.filter(F.v == VERSION))
    routes.callback_query.register(headcount.pressed, HeadcountCallback.filter(F.v == VERSION))
    return routes


def remind_button(org_id: int, render: Renderer) -> InlineKeyboardButton:
    data = NudgeCallback(v=VERSION, o=org_id, m="", a="list").pack()
    label = render(T("📣 Remind those who have not reported"))
    return InlineKeyboardButton(text=label, callback_data=data)


def status_line(title: str, status: str, level: str | None) -> Text:
    """A milestone and its status: "✅ Title — verified (Provincial level)"."""
    if not status:
        return Plain(f"{MARKS['']} {title}")
    parts: list[Text] = [Plain(f"{MARKS[status]} {title} — "), STATUS_NAMES[status]]
    if level:
        parts += [Plain(" ("), LEVEL_NAMES[level], Plain(")")]
    return Joined(tuple(parts), sep="")


def _pct(fraction: float, lang: str) -> Plain:
    return Plain(fmt_percent(fraction, lang))


def _missing(coverage: indicators.Coverage) -> Text | None:
    parts: list[Text] = []
    if coverage.missing_classes:
        parts.append(
            T("Classes without a headcount yet: {classes}.", classes=coverage.missing_classes)
        )
    if coverage.missing_staff:
        parts.append(
            T(
                "Schools or units without a staff headcount yet: {places}.",
                places=coverage.missing_staff,
            )
        )
    return Joined(tuple(parts), sep=" ") if parts else None


def tally_line(tally: indicators.Tally, lang: str) -> Text:
    """One indicator: progress and reach against the headcount, or why there is none."""
    title = Plain(tally.indicator.title.get(lang))
    target = _pct(tally.target, lang)
    coverage = tally.coverage
    if coverage is None and not tally.population:  # no schools, classes or units here
        return T("➖ {title}: none here to count yet (target {target})", title=title, target=target)
    if coverage is None:  # an indicator that counts schools, classes or units
        mark = Plain("✅" if tally.met else "⚠️")
        return T(
            "{mark} {title}: {done}/{total} ({share}); target {target}",
            mark=mark,
            title=title,
            done=tally.achieved,
            total=tally.population,
            share=_pct(tally.fraction, lang),
            target=target,
        )
    if not coverage.known:
        return T(
            "⚠️ {title}: {done} did it, {joined} joined; no headcount yet, so no percentage "
            "(target {target})",
            title=title,
            done=tally.achieved,
            joined=tally.population,
            target=target,
        )
    line = T(
        "{mark} {title}: did it {done}/{headcount} ({progress}), joined {joined}/{headcount} "
        "({reach}); target {target}",
        mark=Plain("✅" if tally.met else "⚠️"),
        title=title,
        done=coverage.achieved,
        joined=coverage.joined,
        headcount=coverage.headcount,
        progress=_pct(tally.progress or 0.0, lang),
        reach=_pct(tally.reach or 0.0, lang),
        target=target,
    )
    missing = _missing(coverage)
    # Under the line, as "not yet:" sits under a milestone: the figures above leave them out.
    return line if missing is None else Joined((line, missing), sep="\n   ")


def concerns(indicator: Indicator, place: MembershipView) -> bool:
    """Whether a place's view shows an indicator: a class its families, a unit its staff,
    a school (a principal's) everyone."""
    roles = set(indicators.counted_roles(indicator))
    if place.role == "principal":
        return True
    if place.org_kind == "class":
        return bool(roles & set(FAMILY_ROLES))
    return bool(roles & set(STAFF_ROLES))


def buttons(place: MembershipView, render: Renderer) -> InlineKeyboardMarkup | None:
    rows = []
    if place.org_kind == "class" and place.role == "staff":
        rows.append([remind_button(place.org_id, render)])
    if (place.org_kind == "class" and place.role == "staff") or place.role == "principal":
        rows.append([headcount.button(place.org_id, render)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def class_progress(message: Message, turn: Turn) -> None:
    assert turn.person is not None
    lang = turn.locale
    places = [
        m
        for m in turn.person.memberships
        if m.role == "staff" or (m.role == "principal" and m.org_kind == "school")
    ]
    for place in places:
        # Each class against its own province's targets and its school level's items.
        campaign_id, pack = await turn.shared.campaign.for_membership(turn.uow, place)
        # Names go to the class's own teacher (and, through /review, to the principal).
        names = place.org_kind == "class"
        # Read-only: on the update's own reading session, never a second connection.
        chosen = [i for i in pack.indicators if i.counts == "people" and concerns(i, place)]
        tallies = [
            t
            for t in await indicators.tallies_of(
                turn.uow, campaign_id, chosen, place.org_path, place.org_kind
            )
            if t.population or (t.coverage and t.coverage.known)
        ]
        parts: list[Text] = [Plain(f"📋 {place.place}")]
        if tallies:
            parts.append(
                Joined(
                    (T("Against the plan's targets:"), *(tally_line(t, lang) for t in tallies)),
                    sep="\n",
                )
            )
        if place.role == "staff":
            parts.append(await _roster(turn, campaign_id, pack, place, names, lang))
        own = await indicators.unit_statuses(
            turn.uow, campaign_id, pack, place.org_id, place.org_kind
        )
        if own:
            # The class's or unit's own results, reported by its homeroom teacher or head.
            heading = (
                T("Results of the class as a whole:")
                if place.org_kind == "class"
                else (T("Results of the unit as a whole:"))
            )
            parts.append(
                Joined(
                    (
                        heading,
                        *(
                            status_line(
                                pack.milestone(u.milestone).title.get(lang), u.status, u.level
                            )
                            for u in own
                        ),
                    ),
                    sep="\n",
                )
            )
        turn.say(Joined(tuple(parts)), buttons(place, turn.render))
    if not places:
        turn.say(T("You do not look after a class or unit yet."))


async def _roster(
    turn: Turn,
    campaign_id: int,
    pack: CampaignPack,
    place: MembershipView,
    names: bool,
    lang: str,
) -> Text:
    """Per milestone of the place's members, who has reported; names for a class."""
    counts = await indicators.class_view(
        turn.uow, campaign_id, pack, place.org_id, place.org_kind, names
    )
    lines: list[Text] = [T("Who has reported (sent or verified):")]
    for count in counts:
        title = pack.milestone(count.milestone).title.get(lang)
        lines.append(Plain(f"• {title}: {count.reported}/{count.total}"))
        if count.missing_labels:
            # "; " between people: a parent's label may list children with ", ".
            shown = Joined(count.missing_labels[:NAMES_SHOWN], sep="; ")
            more = len(count.missing_labels) - NAMES_SHOWN
            lines.append(
                T("   not yet: {names}", names=shown)
                if more <= 0
                else T("   not yet: {names} and {more} more", names=shown, more=more)
            )
    return Joined(tuple(lines), sep="\n")
