"""/review: the principal's queue of evidence, oldest first, one card at a time."""

# readers: principal superadmin

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.campaign.pack import CampaignPack
from bot.delivery.outbox import Outgoing
from bot.filters import RoleFilter
from bot.flows.engine import Effect, Record, Reply
from bot.flows.report import LEVEL_NAMES, STATUS_NAMES, place_label
from bot.flows.review import REJECT
from bot.handlers.callbacks import VERSION, AgainCallback, ReviewCallback
from bot.handlers.conversation import Conversation
from bot.i18n import Renderer
from bot.services import reports
from bot.services.notices import Notice, decision_notice
from bot.services.reports import Decision, Pending
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

QUEUE_EMPTY = T("Nothing is waiting for verification. Thank you!")
OUTCOMES = {
    "not_yours": T("This report is not from your school, so nothing was changed."),
    "gone": T("This report no longer exists."),
    "already": T("This report was already decided; nothing was changed."),
    "resent": T("The evidence was sent again after this card was shown; here is the latest."),
}


def router() -> Router:
    routes = Router(name="review")
    gate = RoleFilter("principal")
    routes.message.filter(gate)
    routes.callback_query.filter(gate)
    routes.message.register(review, Command("review"))
    routes.callback_query.register(decided, ReviewCallback.filter(F.v == VERSION))
    return routes


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


async def show_next(turn: Turn, skip: tuple[int, ...] = ()) -> None:
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    scope = reports.review_scope(turn.person, turn.superadmin)
    pending = await reports.next_pending(turn.uow, campaign_id, scope, skip)
    if pending is None:
        turn.say(QUEUE_EMPTY)
        return
    show_card(turn, pending, pack)


def show_card(turn: Turn, pending: Pending, pack: CampaignPack) -> None:
    render = turn.render
    report = pending.report
    lines: list[Text] = [
        T("Waiting for verification: {count}", count=pending.waiting),
        T("From: {name}", name=pending.reporter),
        T(
            "Milestone: {title}",
            title=Plain(pack.milestone(report.milestone).title.get(render.locale)),
        ),
    ]
    if pending.for_org:
        lines.append(T("For: {place}", place=place_label(pending.for_kind or "", pending.for_org)))
    if report.level in LEVEL_NAMES:
        lines.append(T("Recognised at: {level}", level=LEVEL_NAMES[report.level]))
    lines.append(T("Sent: {when}", when=report.reported_at))
    if report.caption:
        lines.append(T("Caption: {caption}", caption=Plain(report.caption)))
    card = render(Joined(tuple(lines), sep="\n")).strip()
    markup = buttons(report.id, report.revision, render)
    if report.evidence_kind in ("photo", "document") and report.evidence_file_id:
        turn.replies.media(
            turn.chat_id, report.evidence_kind, report.evidence_file_id, card, markup
        )
    else:
        turn.replies.message(turn.chat_id, card, markup)


async def review(message: Message, turn: Turn) -> None:
    await show_next(turn)


async def tell(turn: Turn, notice: Notice | None) -> None:
    """Queue a notice for its recipient, in their language, in this update's transaction:
    the outbox sends it once the decision is committed (after quiet hours)."""
    if notice is None:
        return
    render = turn.renderer(notice.language, notice.reader)
    markup = None
    if notice.report_again is not None:
        again = AgainCallback(v=VERSION, m=notice.report_again).pack()
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                # readers: parent student staff
                [InlineKeyboardButton(text=render(T("🔁 Report again")), callback_data=again)]
            ]
        )
    await turn.shared.outbox.post(
        turn.uow,
        [
            Outgoing(
                chat_id=notice.tg_user_id,
                text=render(notice.text),
                source="notice",
                person_id=notice.person_id,
                markup=markup,
                quiet_hours=notice.quiet_hours,
            )
        ],
    )


def outcome_text(decision: Decision) -> T:
    """Why a decision changed nothing, naming the status when someone else decided first."""
    if decision.outcome == "already" and decision.report is not None:
        status = STATUS_NAMES.get(decision.report.status, Plain(decision.report.status))
        return T("This report was already decided ({status}); nothing was changed.", status=status)
    return OUTCOMES.get(decision.outcome, OUTCOMES["gone"])


def clear_buttons(turn: Turn, query: CallbackQuery) -> None:
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        turn.replies.buttons(turn.chat_id, query.message.message_id, None)


async def decided(query: CallbackQuery, callback_data: ReviewCallback, turn: Turn) -> None:
    scope = reports.review_scope(turn.person, turn.superadmin)
    if callback_data.a == "skip":
        turn.replies.toast(query.id)
        clear_buttons(turn, query)
        await show_next(turn, skip=(callback_data.id,))
        return
    if callback_data.a == "no":
        found = await reports.can_review(turn.uow, callback_data.id, callback_data.r, scope)
        if found != "ok":
            turn.replies.toast(query.id, turn.render(OUTCOMES.get(found, OUTCOMES["gone"])), True)
            if found == "resent":
                clear_buttons(turn, query)
                await show_next(turn)
            return
        turn.replies.toast(query.id)
        clear_buttons(turn, query)
        await Conversation(turn).begin(
            REJECT, {"report_id": callback_data.id, "revision": callback_data.r}
        )
        return
    decision = await reports.decide(
        turn.uow,
        report_id=callback_data.id,
        revision=callback_data.r,
        scope=scope,
        approve=True,
        reason=None,
        actor_tg_id=turn.user_id,
        now=turn.now,
    )
    if decision.outcome != "decided":
        turn.replies.toast(query.id, turn.render(outcome_text(decision)), alert=True)
        if decision.outcome == "resent":
            clear_buttons(turn, query)
            await show_next(turn)
        return
    turn.replies.toast(query.id, turn.render(T("Done.")))
    clear_buttons(turn, query)
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    await tell(turn, decision_notice(decision, pack))
    await show_next(turn)


async def finish_reject(record: Record, turn: Turn) -> Sequence[Effect]:
    scope = reports.review_scope(turn.person, turn.superadmin)
    decision = await reports.decide(
        turn.uow,
        report_id=record.data["report_id"],
        revision=record.data["revision"],
        scope=scope,
        approve=False,
        reason=record.data["reason"],
        actor_tg_id=turn.user_id,
        now=turn.now,
    )
    if decision.outcome != "decided":
        return (Reply(outcome_text(decision)),)
    _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    await tell(turn, decision_notice(decision, pack))
    turn.say(T("Rejected; the reason was sent to the person."))
    await show_next(turn)
    return ()
