"""/report and /progress: milestones I report, and how far I am."""

# readers: parent student staff principal

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.campaign.pack import DOMAINS, Milestone
from bot.errors import InputRejected, NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.report import (
    EVIDENCE_PROBLEMS,
    MARKS,
    REPORT,
    place_label,
    start_data,
)
from bot.handlers.callbacks import VERSION, AgainCallback
from bot.handlers.class_view import status_line, tally_line
from bot.handlers.conversation import Conversation
from bot.services import indicators, reports
from bot.services.collectives import Collective, item_key, parse_key
from bot.services.reports import REPORTING_ROLES, Evidence, Progress
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

SCHOOL_COUNTS = ("schools", "classes", "units")
NOTHING_TO_REPORT = T("There are no milestones for your role in the current campaign.")


def router() -> Router:
    routes = Router(name="report")
    # One's own milestones need a membership, superadmins' too.
    gate = RoleFilter(*REPORTING_ROLES, superadmins=False)
    routes.message.filter(gate)
    routes.callback_query.filter(gate)
    routes.message.register(report, Command("report"))
    routes.message.register(show_progress, Command("progress"))
    routes.callback_query.register(report_again, AgainCallback.filter(F.v == VERSION))
    return routes


def _item(m: Milestone, found: Progress | Collective, lang: str) -> dict[str, Any]:
    place = found.place if isinstance(found, Collective) else None
    report_view = found.reports.get(m.id)
    return {
        "id": item_key(m.id, place.org_id if place else None),
        "title": m.title.get(lang),
        "description": m.description.get(lang),
        "domain": m.domain,
        "domain_name": DOMAINS[m.domain].get(lang),
        "evidence": m.evidence,
        "verification": m.verification,
        "asks_level": m.asks_level,
        "status": found.status(m.id),
        "reported_on": report_view.reported_at.date().isoformat() if report_view else None,
        "place": place.org_name if place else None,
        "place_kind": place.org_kind if place else None,
    }


def items(found: Progress, lang: str) -> list[dict[str, Any]]:
    """What /report offers: one's own milestones but quiz ones (passing the quiz earns
    them), then the collective milestones of each class or unit one reports for."""
    own = [_item(m, found, lang) for m in found.milestones if m.id not in found.awarded]
    return own + [_item(m, c, lang) for c in found.collectives for m in c.milestones]


async def open_report(turn: Turn, start_at: str | None = None) -> None:
    assert turn.person is not None
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    found = await reports.progress(turn.uow, campaign_id, pack, turn.person)
    listed = items(found, turn.locale)
    if not listed:
        turn.say(NOTHING_TO_REPORT)
        return
    step, flow_data = start_data(listed, start_at)
    await Conversation(turn).begin(REPORT, flow_data, at=step)


async def report(message: Message, turn: Turn) -> None:
    await open_report(turn)


async def report_again(query: CallbackQuery, callback_data: AgainCallback, turn: Turn) -> None:
    turn.replies.toast(query.id)
    await open_report(turn, start_at=callback_data.m)


async def finish_report(record: Record, turn: Turn) -> Sequence[Effect]:
    person = turn.person
    assert person is not None
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    milestone_id, org_id = parse_key(record.data["milestone"])
    if record.kind == "withdraw":
        done = await reports.withdraw(
            turn.uow,
            campaign_id=campaign_id,
            person=person,
            milestone_id=milestone_id,
            now=turn.now,
            org_id=org_id,
        )
        return (
            Reply(
                T("Your report was withdrawn.") if done else T("There was no report to withdraw.")
            ),
        )
    raw = record.data.get("evidence")
    evidence = Evidence(**raw) if raw else None
    try:
        saved = await reports.submit(
            turn.uow,
            campaign_id=campaign_id,
            pack=pack,
            person=person,
            milestone_id=milestone_id,
            evidence=evidence,
            now=turn.now,
            org_id=org_id,
            level=record.data.get("level"),
        )
    except NotAllowed:
        return (Reply(T("That milestone is not one you can report.")),)
    except InputRejected as problem:
        if problem.reason == "level":
            return (Reply(T("Please choose the level that recognised it.")),)
        return (Reply(EVIDENCE_PROBLEMS.get(problem.reason, EVIDENCE_PROBLEMS["missing"])),)
    title = Plain(pack.milestone(milestone_id).title.get(turn.locale))
    if saved.status == "pending":
        return (
            Reply(
                T(
                    "Thank you! “{title}” was sent to the school for verification. /progress shows where you stand.",
                    title=title,
                )
            ),
        )
    return (
        Reply(T("Thank you! “{title}” is counted. /progress shows where you stand.", title=title)),
    )


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "▰" * filled + "▱" * (width - filled)


def progress_text(found: Progress, lang: str) -> Text:
    lines: list[Text] = [
        T("Your milestones: {done} of {total} done.", done=found.done, total=found.total),
        Plain(bar(found.done, found.total)),
    ]
    for milestone in found.milestones:
        report_view = found.reports.get(milestone.id)
        title = milestone.title.get(lang)
        if report_view is None and milestone.id in found.awarded:
            earned = T("earned by passing its quiz")
            lines.append(Joined((Plain(f"{MARKS['']} {title} — "), earned), sep=""))
            continue
        if report_view is None:
            lines.append(Plain(f"{MARKS['']} {title}"))
            continue
        if report_view.status == "rejected" and report_view.reason:
            status = T("not accepted: {reason}", reason=Plain(report_view.reason))
            lines.append(Joined((Plain(f"{MARKS[report_view.status]} {title} — "), status), sep=""))
            continue
        lines.append(status_line(title, report_view.status, report_view.level))
    for collective in found.collectives:
        lines.append(collective_text(collective, lang))
    lines.append(T("/report to report a milestone."))
    return Joined(tuple(lines), sep="\n")


def collective_text(collective: Collective, lang: str) -> Text:
    place = collective.place
    lines: list[Text] = [
        Plain(""),
        T(
            "For {place}: {done} of {total} done.",
            place=place_label(place.org_kind, place.org_name),
            done=collective.done,
            total=len(collective.milestones),
        ),
    ]
    for milestone in collective.milestones:
        found = collective.reports.get(milestone.id)
        lines.append(
            status_line(
                milestone.title.get(lang),
                found.status if found else "",
                found.level if found else None,
            )
        )
    return Joined(tuple(lines), sep="\n")


async def show_progress(message: Message, turn: Turn) -> None:
    assert turn.person is not None
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    found = await reports.progress(turn.uow, campaign_id, pack, turn.person)
    if not found.milestones and not found.collectives:
        turn.say(NOTHING_TO_REPORT)
        return
    turn.say(progress_text(found, turn.locale))
    for school in [m for m in turn.person.memberships if m.role == "principal"]:
        # The school's own results: its milestones, its classes' and units' (collective).
        found_tallies = await indicators.tallies(
            turn.uow, campaign_id, pack, school.org_path, counts=SCHOOL_COUNTS
        )
        shown = [t for t in found_tallies if t.population]
        if shown:
            lines = (
                T("{school} against the plan's targets:", school=Plain(school.org_name)),
                *(tally_line(t, turn.locale) for t in shown),
            )
            turn.say(Joined(lines, sep="\n"))
