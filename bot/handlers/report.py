"""/report and /progress: milestones I report, and how far I am."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.campaign.pack import DOMAINS, CampaignPack
from bot.errors import InputRejected, NotAllowed
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.report import EVIDENCE_PROBLEMS, MARKS, REPORT, STATUS_NAMES, start_data
from bot.flows.text import Joined, Plain, T, Text
from bot.handlers import conversation
from bot.handlers.callbacks import VERSION, AgainCallback
from bot.handlers.conversation import Conversation
from bot.handlers.routes import Routes
from bot.services import reports
from bot.services.people import PersonView
from bot.services.reports import Evidence, ReportView

REPORTERS = ("parent", "student", "staff", "principal")
router = Routes("report", message_filters=(RoleFilter(*REPORTERS),))

NOTHING_TO_REPORT = T("There are no milestones for your role in the current campaign.")


def items(
    pack: CampaignPack, person: PersonView, mine: dict[str, ReportView], lang: str
) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "title": m.title.get(lang),
            "description": m.description.get(lang),
            "domain": m.domain,
            "domain_name": DOMAINS[m.domain].get(lang),
            "evidence": m.evidence,
            "verification": m.verification,
            "status": mine[m.id].status if m.id in mine else "",
            "reported_on": mine[m.id].reported_at.date().isoformat() if m.id in mine else None,
        }
        for m in reports.milestones_for(pack, person)
    ]


async def open_report(
    bot: Bot, chat_id: int, state: FSMContext, data: dict[str, Any], start_at: str | None = None
) -> None:
    person: PersonView = data["person"]
    campaign_id, pack = await data["campaign"].get(data["uow"])
    mine = await reports.mine(data["uow"], campaign_id, person.id)
    listed = items(pack, person, mine, data["locale"])
    if not listed:
        await bot.send_message(chat_id, data["render"](NOTHING_TO_REPORT))
        return
    step, flow_data = start_data(listed, start_at)
    data.update(state=state, bot=bot)
    await Conversation(bot, chat_id, state, data).begin(REPORT, flow_data, at=step)


@router.message(Command("report"))
async def report(message: Message, state: FSMContext, bot: Bot, **data: Any) -> None:
    await open_report(bot, message.chat.id, state, data)


@router.callback_query(AgainCallback.filter(F.v == VERSION), RoleFilter(*REPORTERS))
async def report_again(
    query: CallbackQuery, callback_data: AgainCallback, state: FSMContext, bot: Bot, **data: Any
) -> None:
    await query.answer()
    await open_report(bot, query.from_user.id, state, data, start_at=callback_data.m)


async def finish_report(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    person: PersonView = data["person"]
    campaign_id, pack = await data["campaign"].get(data["uow"])
    milestone_id = record.data["milestone"]
    if record.kind == "withdraw":
        done = await reports.withdraw(
            data["uow"],
            campaign_id=campaign_id,
            person=person,
            milestone_id=milestone_id,
            now=data["now"],
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
            data["uow"],
            campaign_id=campaign_id,
            pack=pack,
            person=person,
            milestone_id=milestone_id,
            evidence=evidence,
            now=data["now"],
        )
    except NotAllowed:
        return (Reply(T("That milestone is not one you can report.")),)
    except InputRejected as problem:
        return (Reply(EVIDENCE_PROBLEMS.get(problem.reason, EVIDENCE_PROBLEMS["missing"])),)
    title = Plain(pack.milestone(milestone_id).title.get(data["locale"]))
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


conversation.register(REPORT, finish_report)


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "▰" * filled + "▱" * (width - filled)


@router.message(Command("progress"))
async def progress(message: Message, person: PersonView, **data: Any) -> None:
    render = data["render"]
    lang = data["locale"]
    campaign_id, pack = await data["campaign"].get(data["uow"])
    mine = await reports.mine(data["uow"], campaign_id, person.id)
    listed = reports.milestones_for(pack, person)
    if not listed:
        await message.answer(render(NOTHING_TO_REPORT))
        return
    done = sum(1 for m in listed if m.id in mine and mine[m.id].status in ("approved", "accepted"))
    lines: list[Text] = [
        T("Your milestones: {done} of {total} done.", done=done, total=len(listed)),
        Plain(bar(done, len(listed))),
    ]
    for milestone in listed:
        found = mine.get(milestone.id)
        title = milestone.title.get(lang)
        if found is None:
            lines.append(Plain(f"{MARKS['']} {title}"))
            continue
        status: Text = STATUS_NAMES[found.status]
        if found.status == "rejected" and found.reason:
            status = T("not accepted: {reason}", reason=Plain(found.reason))
        lines.append(Joined((Plain(f"{MARKS[found.status]} {title} — "), status), sep=""))
    lines.append(T("/report to report a milestone."))
    await message.answer(render(Joined(tuple(lines), sep="\n")))
