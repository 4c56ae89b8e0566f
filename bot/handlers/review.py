"""/review: the principal's queue of evidence, oldest first, one card at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.campaign.pack import CampaignPack
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.report import STATUS_NAMES
from bot.flows.review import REJECT
from bot.flows.text import Joined, Plain, T
from bot.handlers import conversation
from bot.handlers.callbacks import VERSION, AgainCallback, ReviewCallback
from bot.handlers.conversation import Conversation
from bot.handlers.routes import Routes
from bot.i18n import Renderer
from bot.services import reports
from bot.services.reports import Decision, Pending

router = Routes("review", message_filters=(RoleFilter("principal"),))

QUEUE_EMPTY = T("Nothing is waiting for verification. Thank you!")
OUTCOMES = {
    "not_yours": T("This report is not from your school, so nothing was changed."),
    "gone": T("This report no longer exists."),
    "already": T("This report was already decided; nothing was changed."),
    "resent": T("The evidence was sent again after this card was shown; here is the latest."),
}


def buttons(report_id: int, revision: int, render: Renderer) -> InlineKeyboardMarkup:
    def button(label: T, action: str) -> InlineKeyboardButton:
        data = ReviewCallback(v=VERSION, id=report_id, r=revision, a=action).pack()
        return InlineKeyboardButton(text=render(label), callback_data=data)

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(T("✅ Approve"), "ok"), button(T("✖️ Reject"), "no")],
            [button(T("Skip for now"), "skip")],
        ]
    )


async def show_next(
    bot: Bot, chat_id: int, data: dict[str, Any], skip: tuple[int, ...] = ()
) -> None:
    render: Renderer = data["render"]
    campaign_id, pack = await data["campaign"].get(data["uow"])
    scope = reports.review_scope(data.get("person"), data["superadmin"])
    pending = await reports.next_pending(data["uow"], campaign_id, scope, skip)
    if pending is None:
        await bot.send_message(chat_id, render(QUEUE_EMPTY))
        return
    await send_card(bot, chat_id, pending, pack, render)


async def send_card(
    bot: Bot, chat_id: int, pending: Pending, pack: CampaignPack, render: Renderer
) -> None:
    report = pending.report
    card = render(
        Joined(
            (
                T("Waiting for verification: {count}", count=pending.waiting),
                T("From: {name}", name=Plain(pending.person_name or "—")),
                T(
                    "Milestone: {title}",
                    title=Plain(pack.milestone(report.milestone).title.get(render.locale)),
                ),
                T("Sent: {when}", when=report.reported_at),
                T("Caption: {caption}", caption=Plain(report.caption))
                if report.caption
                else Plain(""),
            ),
            sep="\n",
        )
    ).strip()
    markup = buttons(report.id, report.revision, render)
    if report.evidence_kind == "photo" and report.evidence_file_id:
        await bot.send_photo(
            chat_id, report.evidence_file_id, caption=card[:1024], reply_markup=markup
        )
    elif report.evidence_kind == "document" and report.evidence_file_id:
        await bot.send_document(
            chat_id, report.evidence_file_id, caption=card[:1024], reply_markup=markup
        )
    else:
        await bot.send_message(chat_id, card, reply_markup=markup)


@router.message(Command("review"))
async def review(message: Message, bot: Bot, **data: Any) -> None:
    await show_next(bot, message.chat.id, data)


async def tell_reporter(
    bot: Bot, decision: Decision, pack: CampaignPack, data: dict[str, Any]
) -> None:
    """Tell the person, in their own language, what became of their report."""
    if decision.reporter_tg_id is None or decision.report is None:
        return
    render = Renderer(data["render"].catalogues, decision.reporter_language, data["render"].zone)
    title = Plain(pack.milestone(decision.report.milestone).title.get(render.locale))
    if decision.report.status == "approved":
        await bot.send_message(
            decision.reporter_tg_id,
            render(
                T("Good news: your report “{title}” has been verified by the school.", title=title)
            ),
        )
        return
    again = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=render(T("🔁 Report again")),
                    callback_data=AgainCallback(v=VERSION, m=decision.report.milestone).pack(),
                )
            ]
        ]
    )
    text = T(
        "Your report “{title}” was not accepted. The school says: {reason}\nYou can send it again.",
        title=title,
        reason=Plain(decision.report.reason or "—"),
    )
    await bot.send_message(decision.reporter_tg_id, render(text), reply_markup=again)


@router.callback_query(ReviewCallback.filter(F.v == VERSION), RoleFilter("principal"))
async def decided(
    query: CallbackQuery, callback_data: ReviewCallback, state: FSMContext, bot: Bot, **data: Any
) -> None:
    render: Renderer = data["render"]
    chat_id = query.from_user.id
    scope = reports.review_scope(data.get("person"), data["superadmin"])
    if callback_data.a == "skip":
        await query.answer()
        await _clear_buttons(query)
        await show_next(bot, chat_id, data, skip=(callback_data.id,))
        return
    if callback_data.a == "no":
        found = await reports.can_review(data["uow"], callback_data.id, callback_data.r, scope)
        if found != "ok":
            await query.answer(render(OUTCOMES.get(found, OUTCOMES["gone"])), show_alert=True)
            if found == "resent":
                await _clear_buttons(query)
                await show_next(bot, chat_id, data)
            return
        await query.answer()
        await _clear_buttons(query)
        data.update(state=state, bot=bot)
        await Conversation(bot, chat_id, state, data).begin(
            REJECT, {"report_id": callback_data.id, "revision": callback_data.r}
        )
        return
    decision = await reports.decide(
        data["uow"],
        report_id=callback_data.id,
        revision=callback_data.r,
        scope=scope,
        approve=True,
        reason=None,
        actor_tg_id=query.from_user.id,
        now=data["now"],
    )
    if not await _answer(query, decision, render):
        if decision.outcome == "resent":
            await _clear_buttons(query)
            await show_next(bot, chat_id, data)
        return
    await _clear_buttons(query)
    _, pack = await data["campaign"].get(data["uow"])
    data["uow"].after_commit(lambda: tell_reporter(bot, decision, pack, data))
    await show_next(bot, chat_id, data)


def outcome_text(decision: Decision) -> T:
    """Why a decision changed nothing, naming the status when someone else decided first."""
    if decision.outcome == "already" and decision.report is not None:
        status = STATUS_NAMES.get(decision.report.status, Plain(decision.report.status))
        return T("This report was already decided ({status}); nothing was changed.", status=status)
    return OUTCOMES.get(decision.outcome, OUTCOMES["gone"])


async def _answer(query: CallbackQuery, decision: Decision, render: Renderer) -> bool:
    if decision.outcome == "decided":
        await query.answer(render(T("Done.")))
        return True
    await query.answer(render(outcome_text(decision)), show_alert=True)
    return False


async def _clear_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        await query.message.edit_reply_markup(reply_markup=None)


async def finish_reject(record: Record, data: dict[str, Any]) -> Sequence[Effect]:
    scope = reports.review_scope(data.get("person"), data["superadmin"])
    decision = await reports.decide(
        data["uow"],
        report_id=record.data["report_id"],
        revision=record.data["revision"],
        scope=scope,
        approve=False,
        reason=record.data["reason"],
        actor_tg_id=data["event_from_user"].id,
        now=data["now"],
    )
    if decision.outcome != "decided":
        return (Reply(outcome_text(decision)),)
    _, pack = await data["campaign"].get(data["uow"])
    data["uow"].after_commit(lambda: tell_reporter(data["bot"], decision, pack, data))
    await data["bot"].send_message(
        data["event_from_user"].id,
        data["render"](T("Rejected; the reason was sent to the person.")),
    )
    await show_next(data["bot"], data["event_from_user"].id, data)
    return ()


conversation.register(REJECT, finish_reject)
