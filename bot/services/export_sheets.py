"""The sheets of an export about people: the summary of the indicators, one row per
person with their milestones, quiz results and question statistics.

Every builder takes a `Scope` (the node exported, its pack, the reader's renderer) and
returns a `Sheet` whose rows are an async generator reading the database in batches of
`Scope.batch` people: memory stays flat however large the node.
"""

# readers: principal officer

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.campaign.pack import CampaignPack
from bot.i18n import Renderer
from bot.services import indicators, quiz_stats
from bot.services.spreadsheets import Column, Sheet
from bot.text import Plain, T, Text
from storage import exports as rows
from storage.db import UnitOfWork
from storage.models import OrgUnit

BATCH = 500  # people (or reports, units) read per query

ROLE_NAMES = {  # the same words as onboarding's
    "parent": T("parent"),
    "student": T("student"),
    "staff": T("teacher or staff member"),
    "principal": T("school leader"),
    "dept_admin": T("education department officer"),
}
DONE = T("done")
MARKS = {  # a person's milestone in the people sheet
    "approved": DONE,
    "accepted": DONE,
    "pending": T("waiting for verification"),
    "rejected": T("not accepted"),
}
MET, NOT_MET = T("met"), T("not met")
FORGOTTEN = T("(data deleted)")
COUNTS = {
    "people": T("people"),
    "schools": T("schools"),
    "classes": T("classes"),
    "units": T("units"),
}
NAME, ROLE, PLACE, SCHOOL = T("Name"), T("Role"), T("Class or unit"), T("School")


@dataclass(frozen=True)
class Scope:
    """What one export covers and how it is worded."""

    uow: UnitOfWork
    campaign_id: int
    pack: CampaignPack
    unit: OrgUnit
    render: Renderer
    today: date
    batch: int = BATCH

    @property
    def path(self) -> str:
        return self.unit.path

    @property
    def language(self) -> str:
        return self.render.locale

    def say(self, text: Text) -> str:
        return self.render(text)

    def milestone_title(self, key: str) -> str:
        for milestone in self.pack.milestones:
            if milestone.id == key:
                return milestone.title.get(self.language)
        return key


# Summary ---------------------------------------------------------------------------


async def summary(scope: Scope) -> Sheet:
    """Each indicator of the pack at the node: the tallies of bot.services.indicators."""
    columns = (
        Column(T("Indicator")),
        Column(T("Counts")),
        Column(T("Headcount"), "int"),
        Column(T("Joined"), "int"),
        Column(T("Done"), "int"),
        Column(T("Share done"), "percent"),
        Column(T("Share joined"), "percent"),
        Column(T("Target"), "percent"),
        Column(T("Met")),
        Column(T("Classes without a headcount"), "int"),
        Column(T("Schools or units without a staff headcount"), "int"),
    )

    async def read() -> AsyncIterator[Sequence[Any]]:
        found = await indicators.tallies(scope.uow, scope.campaign_id, scope.pack, scope.path)
        for tally in found:
            yield summary_row(scope, tally)

    return Sheet(T("Summary"), columns, read())


def summary_row(scope: Scope, tally: indicators.Tally) -> tuple[Any, ...]:
    indicator = tally.indicator
    coverage = tally.coverage
    title = indicator.title.get(scope.language)
    met = scope.say(MET if tally.met else NOT_MET)
    counts = scope.say(COUNTS[indicator.counts])
    if coverage is None:  # schools, classes, units: of all those at the node
        share = tally.fraction if tally.population else None
        return (title, counts, tally.population, None, tally.achieved, share, None,
                tally.target, met, None, None)  # fmt: skip
    known = coverage.known
    return (
        title,
        counts,
        coverage.headcount if known else None,
        coverage.joined if known else tally.population,
        coverage.achieved if known else tally.achieved,
        tally.progress,
        tally.reach,
        tally.target,
        met,
        coverage.missing_classes,
        coverage.missing_staff,
    )


# People ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A person's roles and places at the node, as cells."""

    name: str
    roles: str
    places: str
    schools: str


def where(scope: Scope, members: Sequence[rows.Member], schools: dict[int, str]) -> Where:
    first = members[0]
    roles = dict.fromkeys(scope.say(ROLE_NAMES[m.role]) for m in members if m.role in ROLE_NAMES)
    places = dict.fromkeys(m.org_name for m in members if m.org_kind not in ("school",))
    found = dict.fromkeys(
        schools[int(part)]
        for m in members
        for part in m.org_path.strip("/").split("/")
        if part and int(part) in schools
    )
    return Where(
        first.name or scope.say(FORGOTTEN),
        ", ".join(roles),
        ", ".join(places),
        ", ".join(found),
    )


def grouped(members: Sequence[rows.Member]) -> dict[int, list[rows.Member]]:
    out: dict[int, list[rows.Member]] = {}
    for member in members:
        out.setdefault(member.person_id, []).append(member)
    return out


async def people_pages(
    scope: Scope, quizzes: bool = False
) -> AsyncIterator[tuple[list[int], dict[int, list[rows.Member]]]]:
    """The node's people, a batch at a time: their ids and memberships at the node."""
    after = 0
    session = scope.uow.reads
    while True:
        ids = await rows.people_after(
            session,
            scope.path,
            after,
            scope.batch,
            quizzes_of=scope.campaign_id if quizzes else None,
        )
        if not ids:
            return
        yield ids, grouped(await rows.members(session, scope.path, ids))
        after = ids[-1]


def personal_milestones(pack: CampaignPack) -> list[Any]:
    return [m for m in pack.milestones if not m.collective]


async def people(scope: Scope) -> Sheet:
    """One row per person: who, where, then each milestone's state and its date."""
    milestones = personal_milestones(scope.pack)
    columns: list[Column] = [Column(NAME), Column(ROLE), Column(PLACE), Column(SCHOOL)]
    for milestone in milestones:
        title = milestone.title.get(scope.language)
        columns.append(Column(Plain(title)))
        columns.append(Column(T("{milestone}: date", milestone=title), "date"))
    keys = [m.id for m in milestones]
    marks = {status: scope.say(text) for status, text in MARKS.items()}

    async def read() -> AsyncIterator[Sequence[Any]]:
        schools = await rows.place_names(scope.uow.reads, scope.path, "school")
        async for ids, members in people_pages(scope):
            reports: dict[int, dict[str, rows.Mark]] = {}
            for mark in await rows.marks(scope.uow.reads, scope.campaign_id, ids):
                reports.setdefault(mark.person_id, {})[mark.milestone] = mark
            for person_id in ids:
                place = where(scope, members[person_id], schools)
                cells: list[Any] = [place.name, place.roles, place.places, place.schools]
                own = reports.get(person_id, {})
                for key in keys:
                    mark = own.get(key)
                    if mark is None:
                        cells.extend((None, None))
                    else:
                        cells.append(marks.get(mark.status))
                        cells.append(mark.decided_at or mark.reported_at)
                yield cells

    return Sheet(T("People"), columns, read())


# Quizzes ---------------------------------------------------------------------------


async def quiz_results(scope: Scope) -> Sheet:
    """Per person and quiz: best score, passed, attempts, the last attempt's date."""
    columns = (
        Column(NAME),
        Column(ROLE),
        Column(PLACE),
        Column(SCHOOL),
        Column(T("Quiz")),
        Column(T("Best score"), "int"),
        Column(T("Questions"), "int"),
        Column(T("Passed")),
        Column(T("Attempts"), "int"),
        Column(T("Last attempt"), "date"),
    )
    titles = {quiz.id: quiz.title.get(scope.language) for quiz in scope.pack.quizzes}
    passed, failed = scope.say(MET), scope.say(NOT_MET)

    async def read() -> AsyncIterator[Sequence[Any]]:
        schools = await rows.place_names(scope.uow.reads, scope.path, "school")
        async for ids, members in people_pages(scope, quizzes=True):
            for result in await rows.quiz_results(scope.uow.reads, scope.campaign_id, ids):
                place = where(scope, members[result.person_id], schools)
                yield (
                    place.name,
                    place.roles,
                    place.places,
                    place.schools,
                    titles.get(result.quiz, result.quiz),
                    result.best,
                    result.total,
                    passed if result.passed else failed,
                    result.attempts,
                    result.last,
                )

    return Sheet(T("Quiz results"), columns, read())


async def questions(scope: Scope) -> Sheet:
    """Per quiz and question, first finished attempts at the node (bot.services.quiz_stats):
    how many answered it, how many wrongly or not at all."""
    columns = (
        Column(T("Quiz")),
        Column(T("Question number"), "int"),
        Column(T("Question")),
        Column(T("Answered"), "int"),
        Column(T("Wrong or unanswered"), "int"),
        Column(T("Share wrong"), "percent"),
    )

    async def read() -> AsyncIterator[Sequence[Any]]:
        for quiz in scope.pack.quizzes:
            misses = await quiz_stats.question_misses(
                scope.uow, scope.campaign_id, quiz, [scope.path]
            )
            for miss in sorted(misses, key=lambda m: m.index):
                yield (
                    quiz.title.get(scope.language),
                    miss.index + 1,
                    quiz.questions[miss.index].text.get(scope.language),
                    miss.answered,
                    miss.wrong,
                    miss.share if miss.answered else None,
                )

    return Sheet(T("Quiz questions"), columns, read())
