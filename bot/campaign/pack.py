"""Campaign pack models: milestones, indicators, quizzes, deadlines, notices.

A pack is plain data, validated at load. Models are frozen and reject unknown
keys. Types are strict (a quoted "5" is not a number), so YAML typos surface.
Texts are bilingual (`LocalText`) and normalised to Unicode NFC.
"""

from __future__ import annotations

import datetime as dt
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
    Audience,
    Day,
    DomainNo,
    Evidence,
    Offset,
    Percent,
    Roles,
    Slug,
    Yearly,
    fail,
    unique,
    yearly_dates,
)

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
]


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
    """Something a person (or a principal, for the school) reports once done."""

    id: Slug
    audience: Roles
    title: LocalText
    description: LocalText
    domain: DomainNo
    evidence: Evidence = "none"
    verification: bool = False


class Indicator(_Model):
    """A target: the share of people (or schools) who reached milestones.

    With `verified_only`, reports of milestones that need verification count
    only once verified; milestones without verification count when reported.
    """

    id: Slug
    title: LocalText
    counts: Literal["people", "schools"]
    audience: Roles
    milestones: Annotated[list[Slug], Field(min_length=1), AfterValidator(unique)]
    rule: Literal["all", "any"] = "all"
    target_percent: Percent
    verified_only: bool = True
    source: Source = None

    @field_validator("audience")
    @classmethod
    def _school_audience(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("counts") == "schools" and value != ["principal"]:
            raise fail("schools_audience", "must be [principal] when counts is 'schools'")
        return value


class Question(_Model):
    """One quiz question; `correct` holds 0-based option indexes."""

    text: LocalText
    options: Annotated[list[LocalText], Field(min_length=2, max_length=6)]
    correct: Annotated[list[int], Field(min_length=1), AfterValidator(unique)]
    explanation: LocalText

    @field_validator("correct")
    @classmethod
    def _in_range(cls, value: list[int], info: ValidationInfo) -> list[int]:
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


class Quiz(_Model):
    """A quiz; passing it may award a milestone."""

    id: Slug
    title: LocalText
    audience: Roles
    domain: DomainNo
    pass_percent: Percent = 80.0
    awards: Slug | None = None
    source: Source = None
    questions: Annotated[list[Question], Field(min_length=1)]


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
    source: Source = None

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
    text: LocalText
    yearly: Yearly | None = None
    monthly: Annotated[int, Field(ge=1, le=28)] | None = None
    weekly: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one_rhythm(self) -> Announcement:
        given = [v for v in (self.yearly, self.monthly, self.weekly) if v is not None]
        if len(given) != 1:
            raise fail("rhythm", "needs exactly one of 'yearly', 'monthly' or 'weekly'")
        return self

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

    @model_validator(mode="after")
    def _cross_check(self) -> CampaignPack:
        problems = cross_check(self)
        if problems:
            raise PackInconsistent(problems)
        return self

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
