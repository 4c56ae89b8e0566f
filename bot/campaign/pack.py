"""Campaign pack models: milestones, indicators, quizzes, deadlines, notices.

A pack is plain data, validated at load. Models are frozen and reject unknown
keys. Types are strict (a quoted "5" is not a number), so YAML typos surface.
Texts are bilingual (`LocalText`) and normalised to Unicode NFC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.campaign.assessment import SchoolFigure, SelfAssessment
from bot.campaign.base import LocalText, Source, _Model
from bot.campaign.checks import PackInconsistent, cross_check
from bot.campaign.fields import (
    COLLECTIVES,
    LEVELS,
    Audience,
    Day,
    DomainNo,
    Evidence,
    Holders,
    Level,
    Levels,
    Offset,
    Percent,
    Roles,
    Slug,
    Yearly,
    between,
    fail,
    unique,
    yearly_dates,
)
from bot.campaign.nominations import Award, award_problems

__all__ = [
    "DOMAINS",
    "Announcement",
    "Audience",
    "CampaignPack",
    "Deadline",
    "Evidence",
    "Indicator",
    "LocalText",
    "Milestone",
    "PackInconsistent",
    "Question",
    "Quiz",
    "Source",
    "reaches",
]


def reaches(levels: list[str] | None, level: str | None) -> bool:
    """Whether an item limited to school `levels` (None: every school) reaches a school of
    `level`. A school whose level is not known, and anything above schools (a province,
    a commune), sees every item: a reminder too many does less harm than one missing."""
    return levels is None or level is None or level in levels


DOMAINS: dict[int, LocalText] = {
    1: LocalText(vi="Khai thác dữ liệu và thông tin", en="Exploiting data and information"),
    2: LocalText(
        vi="Giao tiếp và hợp tác trong môi trường số",
        en="Communicating and collaborating in digital environments",
    ),
    3: LocalText(vi="Sáng tạo nội dung số", en="Creating digital content"),
    4: LocalText(vi="An toàn", en="Safety"),
    5: LocalText(vi="Giải quyết vấn đề", en="Problem solving"),
    6: LocalText(vi="Ứng dụng trí tuệ nhân tạo", en="Applying artificial intelligence"),
}
"""Competency domains of Thông tư 02/2025/TT-BGDĐT."""


class Milestone(_Model):
    """Something a person (or a principal, for the school) reports once done.

    A collective milestone (`audience: [unit]`, `[class]` or both) belongs to a unit or a
    class: the unit's head or the class's homeroom teacher reports it for them. With
    `asks_level`, the report names the level that recognised it (an initiative: school,
    commune, province or national).
    """

    id: Slug
    audience: Holders
    title: LocalText
    description: LocalText
    domain: DomainNo
    evidence: Evidence = "none"
    verification: bool = False
    asks_level: bool = False
    levels: Levels | None = None  # only schools of these levels (None: all)

    @field_validator("audience")
    @classmethod
    def _people_or_collectives(cls, value: list[str]) -> list[str]:
        collectives = [v for v in value if v in COLLECTIVES]
        if collectives and len(collectives) != len(value):
            people = ", ".join(v for v in value if v not in COLLECTIVES)
            raise fail(
                "audience_mixed",
                f"mixes people ({people}) and collectives ({', '.join(collectives)}): "
                "a collective milestone is for [unit], [class] or [unit, class] only",
            )
        return value

    @property
    def collective(self) -> bool:
        return self.audience[0] in COLLECTIVES


COUNTED_AUDIENCE = {"schools": ["principal"], "classes": ["class"], "units": ["unit"]}
"""The audience an indicator that counts schools, classes or units must have."""


class Indicator(_Model):
    """A target: the share of people (or schools, classes, units) who reached milestones.

    With `verified_only`, reports of milestones that need verification count
    only once verified; milestones without verification count when reported.
    With `min_level`, only reports recognised at that level or above count (its
    milestones must ask for the level).
    """

    id: Slug
    title: LocalText
    counts: Literal["people", "schools", "classes", "units"]
    audience: Holders
    milestones: Annotated[list[Slug], Field(min_length=1), AfterValidator(unique)]
    rule: Literal["all", "any"] = "all"
    target_percent: Percent
    verified_only: bool = True
    min_level: Level | None = None
    source: Source
    levels: Levels | None = None

    @field_validator("audience")
    @classmethod
    def _counted_audience(cls, value: list[str], info: ValidationInfo) -> list[str]:
        counts = info.data.get("counts")
        wanted = COUNTED_AUDIENCE.get(str(counts))
        if counts == "schools" and value != wanted:
            raise fail("schools_audience", "must be [principal] when counts is 'schools'")
        if wanted is not None and value != wanted:
            raise fail(f"{counts}_audience", f"must be [{wanted[0]}] when counts is '{counts}'")
        if counts == "people" and set(value) & set(COLLECTIVES):
            raise fail(
                "people_audience",
                "must name people (parent, student, staff, principal) when counts is 'people'; "
                "count classes or units with counts: classes or counts: units",
            )
        return value

    def recognised(self) -> tuple[str, ...] | None:
        """The recognition levels that count, or None when any report counts."""
        if self.min_level is None:
            return None
        return LEVELS[LEVELS.index(self.min_level) :]


# Telegram's limits for a quiz poll (Bot API sendPoll): a question of 1-300 characters,
# 2-10 options of 1-100 characters, an explanation of 0-200 characters with at most two
# line feeds, and open_period of 5-600 seconds.
QUESTION_LIMIT = 300
OPTION_LIMIT = 100
OPTIONS_MAX = 10
EXPLANATION_LIMIT = 200
EXPLANATION_LINES = 2
OPEN_PERIOD = (5, 600)


def _fits(limit: int, lines: int | None = None) -> Callable[[LocalText], LocalText]:
    def check(value: LocalText) -> LocalText:
        for lang in ("vi", "en"):
            text = value.get(lang)
            if len(text) > limit:
                raise fail(
                    "poll_limit",
                    f"{lang} is {len(text)} characters; a Telegram quiz poll takes at most {limit}",
                )
            if lines is not None and text.count("\n") > lines:
                raise fail(
                    "poll_limit",
                    f"{lang} has {text.count(chr(10))} line breaks; a Telegram quiz poll "
                    f"explanation takes at most {lines}",
                )
        return value

    return check


Seconds = Annotated[int, AfterValidator(between(*OPEN_PERIOD))]


class Question(_Model):
    """One quiz question with exactly one correct option: `correct: [i]`, 0-based.

    Texts must fit a Telegram quiz poll; `time_limit` (seconds, 5-600) overrides the
    quiz's for this question.
    """

    text: Annotated[LocalText, AfterValidator(_fits(QUESTION_LIMIT))]
    options: Annotated[
        list[Annotated[LocalText, AfterValidator(_fits(OPTION_LIMIT))]],
        Field(min_length=2, max_length=OPTIONS_MAX),
    ]
    correct: Annotated[list[int], AfterValidator(unique)]
    explanation: Annotated[LocalText, AfterValidator(_fits(EXPLANATION_LIMIT, EXPLANATION_LINES))]
    time_limit: Seconds | None = None

    @field_validator("correct")
    @classmethod
    def _in_range(cls, value: list[int], info: ValidationInfo) -> list[int]:
        if len(value) != 1:
            raise fail(
                "one_correct",
                f"needs exactly one correct option, like [0] (got {len(value)}): a Telegram "
                "quiz poll has one right answer",
            )
        options = info.data.get("options")
        if options is not None:
            for index in value:
                if not 0 <= index < len(options):
                    raise fail(
                        "answer_index",
                        f"answer {index} is out of range: options are numbered "
                        f"0 to {len(options) - 1}",
                    )
        return value

    @property
    def answer(self) -> int:
        """The index of the correct option."""
        return self.correct[0]


class Quiz(_Model):
    """A quiz; passing it awards a milestone (awarded only this way: see checks).

    The pass mark is `pass_mark` correct answers, or `pass_percent` of the questions
    (rounded up); `retake_after_hours` is the cool-down between finished attempts;
    `time_limit` is the seconds each question stays open (none: no limit).
    """

    id: Slug
    title: LocalText
    audience: Roles
    domain: DomainNo
    pass_percent: Percent | None = None
    pass_mark: int | None = None
    retake_after_hours: Annotated[float, AfterValidator(between(0, 24 * 365))] = 24.0
    time_limit: Seconds | None = None
    awards: Slug | None = None
    source: Source
    questions: Annotated[list[Question], Field(min_length=1)]

    @model_validator(mode="after")
    def _pass_mark_fits(self) -> Quiz:
        if self.pass_percent is not None and self.pass_mark is not None:
            raise fail("pass_mark", "give either pass_mark or pass_percent, not both")
        count = len(self.questions)
        if not 1 <= self.passing <= count:
            given = (
                f"pass_mark {self.pass_mark}"
                if self.pass_mark is not None
                else f"pass_percent {self.pass_percent:g} ({self.passing} of {count})"
            )
            raise fail(
                "pass_mark",
                f"{given} is outside the question count: it must come to 1 to {count} "
                "correct answers",
            )
        return self

    @property
    def passing(self) -> int:
        """Correct answers needed to pass."""
        if self.pass_mark is not None:
            return self.pass_mark
        percent = 80.0 if self.pass_percent is None else self.pass_percent
        return math.ceil(round(percent * len(self.questions) / 100, 6))

    def seconds(self, index: int) -> int | None:
        """How long question `index` stays open, if it is timed."""
        return self.questions[index].time_limit or self.time_limit


class Deadline(_Model):
    """A dated or yearly deadline with reminders before it."""

    id: Slug
    title: LocalText
    description: LocalText | None = None
    audience: Roles
    date: Day | None = None
    yearly: Yearly | None = None
    remind_days_before: Annotated[list[Offset], AfterValidator(unique)] = [7, 1]
    completes: Slug | None = None
    source: Source
    levels: Levels | None = None

    @field_validator("remind_days_before")
    @classmethod
    def _descending(cls, value: list[int]) -> list[int]:
        return sorted(value, reverse=True)

    @model_validator(mode="after")
    def _one_date(self) -> Deadline:
        if (self.date is None) == (self.yearly is None):
            raise fail("date_or_yearly", "needs exactly one of 'date' or 'yearly'")
        return self

    def occurrences(self, after: dt.date, until: dt.date) -> list[dt.date]:
        """Due dates from `after` to `until`, both inclusive."""
        if self.date is not None:
            return [self.date] if after <= self.date <= until else []
        assert self.yearly is not None
        return yearly_dates(self.yearly, after, until)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Announcement(_Model):
    """A notice sent again and again: every year on a day (`yearly: DD/MM`), every month
    on a day (`monthly: 1..28`) or every week on a day (`weekly: monday..sunday`)."""

    id: Slug
    audience: Roles
    # One text for all, or one per role of the audience (each worded for its reader).
    text: LocalText | None = None
    texts: dict[Audience, LocalText] | None = None
    yearly: Yearly | None = None
    monthly: Annotated[int, Field(ge=1, le=28)] | None = None
    weekly: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]
    levels: Levels | None = None

    @model_validator(mode="after")
    def _one_rhythm(self) -> Announcement:
        given = [v for v in (self.yearly, self.monthly, self.weekly) if v is not None]
        if len(given) != 1:
            raise fail("rhythm", "needs exactly one of 'yearly', 'monthly' or 'weekly'")
        if (self.text is None) == (self.texts is None):
            raise fail("text_or_texts", "needs exactly one of 'text' or 'texts' (one per role)")
        if self.texts is not None and set(self.texts) != set(self.audience):
            raise fail("texts_roles", "'texts' needs one text for each role of 'audience'")
        return self

    def text_for(self, role: str) -> LocalText:
        """The text for a reader of `role` (a principal reads the staff's, if none of theirs)."""
        if self.texts is None:
            assert self.text is not None
            return self.text
        return self.texts.get(role) or self.texts.get("staff") or next(iter(self.texts.values()))  # type: ignore[call-overload]

    def occurrences(self, after: dt.date, until: dt.date) -> list[dt.date]:
        """Send dates from `after` to `until`, both inclusive."""
        if self.yearly is not None:
            return yearly_dates(self.yearly, after, until)
        days = (after + dt.timedelta(days=n) for n in range((until - after).days + 1))
        if self.monthly is not None:
            return [d for d in days if d.day == self.monthly]
        return [d for d in days if d.weekday() == WEEKDAYS.index(str(self.weekly))]


class CampaignPack(_Model):
    """A whole campaign: what people report, what is counted, what is due."""

    id: Slug
    version: Annotated[int, Field(ge=1)]
    title: LocalText
    period_start: Day
    period_end: Day
    milestones: Annotated[list[Milestone], Field(min_length=1)]
    indicators: list[Indicator] = []
    quizzes: list[Quiz] = []
    deadlines: list[Deadline] = []
    announcements: list[Announcement] = []
    self_assessment: SelfAssessment | None = None
    school_figures: list[SchoolFigure] = []
    nominations: list[Award] = []  # awards and their shortlist rules (bot.campaign.nominations)

    @model_validator(mode="after")
    def _cross_check(self) -> CampaignPack:
        problems = cross_check(self) + award_problems(self)
        if problems:
            raise PackInconsistent(problems)
        return self

    def for_level(self, level: str | None) -> CampaignPack:
        """The pack as a school of `level` sees it: items limited to other levels left out
        (a kindergarten sees no QĐ 4725 self-assessment). Quizzes awarding a milestone left
        out go too. The cross-checks guarantee nothing kept refers to what was dropped."""
        if level is None:
            return self
        milestones = [m for m in self.milestones if reaches(m.levels, level)]
        kept = {m.id for m in milestones}
        return self.model_copy(
            update={
                "milestones": milestones,
                "indicators": [i for i in self.indicators if reaches(i.levels, level)],
                "quizzes": [q for q in self.quizzes if q.awards is None or q.awards in kept],
                "deadlines": [d for d in self.deadlines if reaches(d.levels, level)],
                "announcements": [a for a in self.announcements if reaches(a.levels, level)],
                "nominations": [a for a in self.nominations if reaches(a.levels, level)],
            }
        )

    def milestone(self, milestone_id: str) -> Milestone:
        """The milestone with this id; KeyError if there is none."""
        for item in self.milestones:
            if item.id == milestone_id:
                return item
        raise KeyError(milestone_id)

    def quiz(self, quiz_id: str) -> Quiz:
        """The quiz with this id; KeyError if there is none."""
        for item in self.quizzes:
            if item.id == quiz_id:
                return item
        raise KeyError(quiz_id)

    def awarded(self) -> frozenset[str]:
        """Milestones a quiz awards: earned by passing it, never reported by hand."""
        return frozenset(q.awards for q in self.quizzes if q.awards is not None)

    def entered(self) -> frozenset[str]:
        """Milestones the school's own entries award (the QĐ 4725 self-assessment, school
        figures): reached by the numbers the principal enters, never ticked in /report."""
        found = {f.awards for f in self.school_figures if f.awards is not None}
        if self.self_assessment is not None and self.self_assessment.awards is not None:
            found.add(self.self_assessment.awards)
        return frozenset(found)

    def milestones_for(self, role: str) -> list[Milestone]:
        """Milestones whose audience includes `role`."""
        return [m for m in self.milestones if role in m.audience]

    def quizzes_for(self, role: str) -> list[Quiz]:
        """Quizzes whose audience includes `role`."""
        return [q for q in self.quizzes if role in q.audience]

    def deadlines_for(self, role: str) -> list[Deadline]:
        """Deadlines whose audience includes `role`."""
        return [d for d in self.deadlines if role in d.audience]

    def announcements_for(self, role: str) -> list[Announcement]:
        """Recurring announcements whose audience includes `role`."""
        return [a for a in self.announcements if role in a.audience]
