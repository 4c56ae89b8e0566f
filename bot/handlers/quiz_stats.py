"""/quizstats: for principals (their school) and department admins (their subtree), which
questions are most often answered wrongly, and the standings of classes and units (or
schools) by the share of members who passed."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.campaign.pack import Quiz
from bot.filters import RoleFilter
from bot.i18n import fmt_percent
from bot.services import quiz_stats
from bot.services.quiz_stats import CLASS_KINDS, SCHOOL_KINDS, Group
from bot.text import Joined, Plain, T, Text
from bot.turn import Turn

QUESTIONS_SHOWN = 5
LABEL_LIMIT = 70
NOTHING_YET = T("No quiz has been finished here yet.")


def router() -> Router:
    routes = Router(name="quiz_stats")
    routes.message.filter(RoleFilter("principal", "dept_admin"))
    routes.message.register(show_stats, Command("quizstats"))
    return routes


def scope(turn: Turn) -> tuple[list[str], tuple[str, ...]]:
    """The subtrees this person sees and the units ranked in them: a principal's school
    by class and unit, a department's subtree (or, for superadmins, everything) by school."""
    person = turn.person
    schools = [m.org_path for m in person.memberships if m.role == "principal"] if person else []
    if schools:
        return schools, CLASS_KINDS
    departments = (
        [m.org_path for m in person.memberships if m.role == "dept_admin"] if person else []
    )
    if departments:
        return departments, SCHOOL_KINDS
    return (["/"], SCHOOL_KINDS) if turn.superadmin else ([], SCHOOL_KINDS)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def group_line(group: Group, lang: str) -> Plain:
    return Plain(
        f"{group.rank}. {group.name}: {fmt_percent(group.share_passed, lang)} — "
        f"{group.took}/{group.members} ({fmt_percent(group.participation, lang)}), "
        f"{group.passed} ✅ ({fmt_percent(group.pass_rate, lang)})"
    )


async def quiz_block(
    turn: Turn, campaign_id: int, quiz: Quiz, paths: list[str], kinds: tuple[str, ...]
) -> Text:
    lang = turn.locale
    misses = await quiz_stats.question_misses(turn.uow, campaign_id, quiz, paths)
    groups = await quiz_stats.standings(turn.uow, campaign_id, quiz, paths, kinds)
    parts: list[Text] = [Plain(f"📊 {quiz.title.get(lang)}")]
    answered = max((m.answered for m in misses), default=0)
    if not answered:
        parts.append(NOTHING_YET)
    else:
        parts.append(
            T("Answered wrongly most often (first attempts of {people}):", people=answered)
        )
        for miss in misses[:QUESTIONS_SHOWN]:
            text = quiz.questions[miss.index].text.get(lang)
            parts.append(
                Plain(
                    f"{miss.index + 1}. {_short(text)} — {fmt_percent(miss.share, lang)} "
                    f"({miss.wrong}/{miss.answered})"
                )
            )
    if groups:
        parts.append(
            T(
                "Standings by the share of members who passed (took it / members, "
                "passed and pass rate):"
            )
        )
        parts.extend(group_line(group, lang) for group in groups)
    return Joined(tuple(parts), sep="\n")


async def show_stats(message: Message, turn: Turn) -> None:
    paths, kinds = scope(turn)
    if not paths:
        turn.say(NOTHING_YET)
        return
    campaign_id, pack = await turn.shared.campaign.for_person(turn.uow, turn.person)
    blocks = [await quiz_block(turn, campaign_id, quiz, paths, kinds) for quiz in pack.quizzes]
    turn.say(Joined(tuple(blocks), sep="\n\n") if blocks else NOTHING_YET)
