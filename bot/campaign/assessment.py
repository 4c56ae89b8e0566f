"""What a school enters itself once a year: the QĐ 4725 self-assessment and school figures.

QĐ 4725/QĐ-BGDĐT scores a school in criteria groups (teaching and learning;
management), each out of 100, and some of its items are mandatory. Level 1 is
below 50, level 2 from 50 to 75, level 3 above 75 — for every group, so the
school's level is its weakest group's — and a school missing a mandatory item
is at level 1 whatever its scores.

Figures are the school-level indicators that are counted, not reported by
people: records digitised, charges collected cashless. Each is a number out of
a denominator the school gives with it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from bot.campaign.base import LocalText, _Model
from bot.campaign.fields import Percent, Slug, fail, unique


def level_of(
    scores: dict[str, float],
    met: set[str],
    mandatory: list[str],
    level_2_from: float,
    level_3_above: float,
) -> int:
    """1, 2 or 3: the weakest group's level, and 1 while a mandatory item is not met."""
    if any(item not in met for item in mandatory):
        return 1
    weakest = min(scores.values())
    if weakest > level_3_above:
        return 3
    return 2 if weakest >= level_2_from else 1


class CriteriaGroup(_Model):
    id: Slug
    title: LocalText


class MandatoryItem(_Model):
    """An item every school must meet: without it the level is 1."""

    id: Slug
    group: Slug
    title: LocalText


class SelfAssessment(_Model):
    id: Slug
    title: LocalText
    groups: Annotated[list[CriteriaGroup], Field(min_length=1, max_length=4)]
    mandatory: list[MandatoryItem] = []
    level_2_from: Annotated[int, Field(ge=1, le=99)] = 50
    level_3_above: Annotated[int, Field(ge=1, le=99)] = 75
    target_level: Annotated[int, Field(ge=1, le=3)] = 2
    awards: Slug | None = None  # a principal's milestone, counted once the target level is met
    deadline: Slug | None = None  # a pack deadline for principals: entering the year's completes it
    source: Annotated[str, Field(min_length=1, max_length=300)]

    @model_validator(mode="after")
    def _consistent(self) -> SelfAssessment:
        groups = [group.id for group in self.groups]
        unique(groups)
        unique([item.id for item in self.mandatory])
        for item in self.mandatory:
            if item.group not in groups:
                raise fail(
                    "group", f"mandatory item '{item.id}' names unknown group '{item.group}'"
                )
        if self.level_3_above < self.level_2_from:
            raise fail("levels", "level_3_above must not be below level_2_from")
        return self

    def level(self, scores: dict[str, float], met: set[str]) -> int:
        """The level for these group scores (0–100) and mandatory items met."""
        return level_of(
            {group.id: scores[group.id] for group in self.groups},
            met,
            [item.id for item in self.mandatory],
            self.level_2_from,
            self.level_3_above,
        )


class SchoolFigure(_Model):
    """A school-level number out of a denominator, against a target share."""

    id: Slug
    title: LocalText
    unit: LocalText  # what is counted: "hồ sơ" / "records"
    target_percent: Percent
    awards: Slug | None = None  # a principal's milestone, counted once the target share is met
    source: Annotated[str, Field(min_length=1, max_length=300)]

    def met(self, value: float, out_of: float) -> bool:
        return out_of > 0 and value / out_of * 100 >= self.target_percent
