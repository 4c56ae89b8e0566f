"""/report and /progress: milestones I report, and how far I am."""

# readers: parent student staff principal

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.campaign.pack import DOMAINS
from bot.errors import InputRejected, NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.report import EVIDENCE_PROBLEMS, MARKS, REPORT, STATUS_NAMES, start_data
from bot.handlers.callbacks import VERSION, AgainCallback
from bot.handlers.conversation import Conversation
from bot.services import reports
from bot.services.reports import REPORTING_ROLES, Evidence, Progress
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

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


def items(found: Progress, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "title": m.title.get(lang),
            "description": m.description.get(lang),
            "domain": m.domain,
            "domain_name": DOMAINS[m.domain].get(lang),
            "evidence": m.evidence,
            "verification": m.verification,
            "status": found.status(m.id),
            "reported_on": found.reports[m.id].reported_at.date().isoformat()
            if m.id in found.reports
            else None,
        }
        for m in found.milestones
    ]


async def open_report(turn: Turn, start_at: str | None = None) -> None:
    assert turn.person is not None
    campaign_id, pack = await turn.shared.campaign.get(turn.uow)
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
    campaign_id, pack = await turn.shared.campaign.get(turn.uow)
    milestone_id = record.data["milestone"]
    if record.kind == "withdraw":
        done = await reports.withdraw(
            turn.uow,
            campaign_id=campaign_id,
            person=person,
            milestone_id=milestone_id,
            now=turn.now,
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
        )
    except NotAllowed:
        return (Reply(T("That milestone is not one you can report.")),)
    except InputRejected as problem:
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
        if report_view is None:
            lines.append(Plain(f"{MARKS['']} {title}"))
            continue
        status: Text = STATUS_NAMES[report_view.status]
        if report_view.status == "rejected" and report_view.reason:
            status = T("not accepted: {reason}", reason=Plain(report_view.reason))
        lines.append(Joined((Plain(f"{MARKS[report_view.status]} {title} — "), status), sep=""))
    lines.append(T("/report to report a milestone."))
    return Joined(tuple(lines), sep="\n")


async def show_progress(message: Message, turn: Turn) -> None:
    assert turn.person is not None
    campaign_id, pack = await turn.shared.campaign.get(turn.uow)
    found = await reports.progress(turn.uow, campaign_id, pack, turn.person)
    if not found.milestones:
        turn.say(NOTHING_TO_REPORT)
        return
    turn.say(progress_text(found, turn.locale))
