"""/mydata and /forget: see everything kept about me; delete it."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.families import RELATION_WORDS, children_text
from bot.flows.engine import Effect, Record, Reply
from bot.flows.forget import FORGET
from bot.flows.onboarding import ROLE_AS
from bot.flows.settings import LANGUAGE_NAMES, news_text, quiet_text
from bot.handlers.conversation import Conversation
from bot.handlers.menus import set_person_menu
from bot.services import enrolment, privacy
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

NOTHING_HELD = T("We keep no data about you.")


def router() -> Router:
    routes = Router(name="privacy")
    routes.message.register(my_data, Command("mydata"))
    routes.message.register(forget, Command("forget"))
    return routes


async def my_data(message: Message, turn: Turn) -> None:
    held = await privacy.held_data(turn.uow, turn.user_id)
    if held is None:
        turn.say(NOTHING_HELD)
        return
    parts: list[Text] = [
        T("This is everything the bot keeps about you:"),
        T("Telegram account number: {id}", id=Plain(str(held.tg_user_id))),
        T("Name: {name}", name=Plain(held.name)),
        T("Language: {language}", language=LANGUAGE_NAMES.get(held.language, Plain(held.language))),
        T("Consent given: {when}", when=held.consent_at or Plain("—")),
        T(
            "Quiet hours: {hours}",
            hours=quiet_text(held.quiet_hours, turn.shared.outbox.quiet_hours),
        ),
        T("Non-urgent announcements: {state}", state=news_text(held.announcements)),
    ]
    for membership in held.memberships:
        parts.append(
            T(
                "Member of {place} as {role}, since {since}",
                place=Plain(" / ".join(membership.path)),
                role=ROLE_AS.get(membership.role, Plain(membership.role)),
                since=membership.since.date(),
            )
        )
        if membership.children:
            children = children_text(membership.children)
            parts.append(
                T(
                    "   Children: {children}; relation: {relation}",
                    children=children,
                    relation=RELATION_WORDS[membership.relation],
                )
                if membership.relation in RELATION_WORDS
                else T("   Children: {children}", children=children)
            )
        if membership.head:
            parts.append(T("   as the head of this unit"))
    parts.append(T("Your own milestone reports: {count}", count=held.own_reports))
    if held.sent_for:
        _, pack = await turn.shared.campaign.get(turn.uow)
        parts.append(
            T(
                "Reports you sent for a class or unit (they stay with it after /forget, "
                "without your name or caption):"
            )
        )
        for sent in held.sent_for:
            try:
                title = pack.milestone(sent.milestone).title.get(turn.locale)
            except KeyError:  # a milestone of an earlier campaign
                title = sent.milestone
            parts.append(
                T(
                    "• {place}: {title}, {day}",
                    place=Plain(sent.place),
                    title=Plain(title),
                    day=sent.at.date(),
                )
            )
    titles = {}
    if held.quizzes:
        _, pack = await turn.shared.campaign.get(turn.uow)
        titles = {quiz.id: quiz.title.get(turn.locale) for quiz in pack.quizzes}
    for quiz_id, attempts, best in held.quizzes:
        parts.append(
            T(
                "Quiz {quiz}: {attempts} attempts, best score {best}",
                quiz=Plain(titles.get(quiz_id, quiz_id)),
                attempts=attempts,
                best=Plain("—" if best is None else str(best)),
            )
        )
    if held.nominations:
        _, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
        awards = {award.id: award.title.get(turn.locale) for award in pack.nominations}
        for award, change, reason, when in held.nominations:
            line = (
                T(
                    "Added by the principal to the shortlist “{award}” on {day}: {reason}",
                    award=Plain(awards.get(award, award)),
                    day=when.astimezone(turn.shared.zone).date(),
                    reason=Plain(reason),
                )
                if change == "added"
                else T(
                    "Removed by the principal from the shortlist “{award}” on {day}: {reason}",
                    award=Plain(awards.get(award, award)),
                    day=when.astimezone(turn.shared.zone).date(),
                    reason=Plain(reason),
                )
            )
            parts.append(line)
    parts.append(T("/settings changes your settings; /forget deletes it all."))
    turn.say(Joined(tuple(parts), sep="\n"))


async def forget(message: Message, turn: Turn) -> None:
    if turn.person is None:
        turn.say(NOTHING_HELD)
        return
    await Conversation(turn).begin(FORGET, {})


async def finish_forget(record: Record, turn: Turn) -> Sequence[Effect]:
    user_id = turn.user_id
    await enrolment.forget(turn.uow, user_id, turn.now)
    shared, database = turn.shared, turn.uow.database
    turn.uow.after_commit(lambda: shared.directory.invalidate(user_id))
    # Nothing recoverable in the files either, without making the person wait for it.
    turn.uow.after_commit(lambda: shared.background.spawn(privacy.scrub(database), "scrub"))
    if turn.state is not None:
        await turn.state.clear()
    turn.person = None  # still worded for who they were: the goodbye thanks a parent as one
    set_person_menu(turn, None)
    return (
        Reply(
            T(
                "Your data has been deleted. Thank you for taking part. If you want to join again, "
                "just open an invite link."
            )
        ),
    )
