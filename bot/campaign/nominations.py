"""Awards a school's emulation council decides (khen thưởng), and the rules of their shortlist.

An award (`nominations:` in a pack) is for people of some roles (cá nhân: staff,
students…) or for collectives (tập thể: classes, units). Its shortlist is everyone it
is for whose evidence meets every rule (all of them: a council reads the rules as one
list of criteria). A rule is exactly one of:

- `milestones: [ids]` (or `all`: every milestone of the holder's role): each counted;
- `quiz: id`: the quiz passed;
- `registered: id`: the emulation registration milestone (đăng ký thi đua) counted;
- `initiative: id`: an initiative (sáng kiến) counted, recognised at `min_level` or above;
- `families: id` (classes only): at least `percent` of the class's families (its
  headcount) have the milestone counted, the way the families indicators count them.

"Counted" is verified (approved) or accepted; with `verified_only: false`, a report
still waiting for review counts too. Every rule cites where it comes from (`source`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.campaign.base import LocalText, Source, _Model
from bot.campaign.checks import Loc, _unique_ids, _unknown
from bot.campaign.fields import (
    COLLECTIVES,
    LEVELS,
    Holders,
    Level,
    Levels,
    Percent,
    Slug,
    fail,
    unique,
)
from bot.text import normalise

if TYPE_CHECKING:
    from bot.campaign.pack import CampaignPack

KINDS = ("milestones", "quiz", "registered", "initiative", "families")
RuleKind = Literal["milestones", "quiz", "registered", "initiative", "families"]


class Rule(_Model):
    milestones: Literal["all"] | Annotated[list[Slug], Field(min_length=1)] | None = None
    quiz: Slug | None = None
    registered: Slug | None = None
    initiative: Slug | None = None
    min_level: Level | None = None
    families: Slug | None = None
    percent: Percent | None = None
    verified_only: bool = True
    source: Source

    @field_validator("milestones")
    @classmethod
    def _no_twice(cls, value: str | list[str] | None) -> str | list[str] | None:
        return unique(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise fail(
                "rule_kind",
                "needs exactly one of 'milestones', 'quiz', 'registered', 'initiative' or "
                f"'families' (got {', '.join(given) or 'none'})",
            )
        if self.min_level is not None and self.initiative is None:
            raise fail("min_level", "min_level goes with 'initiative' only")
        if (self.percent is None) != (self.families is None):
            raise fail(
                "percent", "'families' needs 'percent' (of the class's headcount), and only it"
            )
        return self

    @property
    def kind(self) -> RuleKind:
        found: RuleKind = next(k for k in KINDS if getattr(self, k) is not None)  # type: ignore[assignment]
        return found

    def recognised(self) -> tuple[str, ...]:
        """The recognition levels an initiative rule accepts (school level by default)."""
        return LEVELS[LEVELS.index(self.min_level or "school") :]

    def milestone_ids(self) -> list[str]:
        """The milestones this rule names (none for a quiz, or for `milestones: all`)."""
        if isinstance(self.milestones, list):
            return list(self.milestones)
        single = self.registered or self.initiative or self.families
        return [single] if single else []


class Award(_Model):
    """An award (Giấy khen, Bằng khen) and what its shortlist asks for."""

    id: Slug
    title: LocalText
    audience: Holders
    rules: Annotated[list[Rule], Field(min_length=1)]
    source: Source
    levels: Levels | None = None

    @field_validator("audience")
    @classmethod
    def _people_or_collectives(cls, value: list[str]) -> list[str]:
        collectives = [v for v in value if v in COLLECTIVES]
        if collectives and len(collectives) != len(value):
            raise fail(
                "audience_mixed",
                "mixes people and collectives: an award is for people (cá nhân) or for "
                "[class], [unit] or [unit, class] (tập thể), not both",
            )
        return value

    @property
    def collective(self) -> bool:
        return self.audience[0] in COLLECTIVES


def award_of(pack: CampaignPack, award_id: str) -> Award | None:
    return next((a for a in pack.nominations if a.id == award_id), None)


def award_problems(pack: CampaignPack) -> list[tuple[Loc, str]]:
    """Awards' references to milestones and quizzes, checked like every other reference."""
    problems = _unique_ids("nominations", pack.nominations)
    milestones = {m.id: m for m in pack.milestones}
    quizzes = {q.id: q for q in pack.quizzes}
    for i, award in enumerate(pack.nominations):
        for j, rule in enumerate(award.rules):
            at: Loc = ("nominations", i, "rules", j)
            problems += _rule_problems(at, award, rule, milestones, quizzes)
    return problems


def _rule_problems(at: Loc, award: Award, rule: Rule, milestones: dict, quizzes: dict) -> list:
    problems: list[tuple[Loc, str]] = []
    audience = set(award.audience)

    def levels_fit(loc: Loc, limited: Sequence[str] | None, what: str) -> None:
        if limited is not None and (award.levels is None or not set(award.levels) <= set(limited)):
            problems.append(
                (
                    loc,
                    f"{what} is only for schools of levels {', '.join(limited)}: give this "
                    "award 'levels' within those",
                )
            )

    def milestone(loc: Loc, milestone_id: str) -> None:
        found = milestones.get(milestone_id)
        if found is None:
            problems.append((loc, _unknown(milestone_id, milestones)))
            return
        if rule.kind != "families" and not set(found.audience) & audience:
            problems.append(
                (
                    loc,
                    f"milestone '{milestone_id}' is for {', '.join(found.audience)}, none of "
                    f"{', '.join(award.audience)}",
                )
            )
        if rule.kind == "initiative" and not found.asks_level:
            problems.append(
                (
                    loc,
                    f"milestone '{milestone_id}' does not ask for a level, so min_level cannot "
                    "be checked (give it asks_level: true)",
                )
            )
        levels_fit(loc, found.levels, f"milestone '{milestone_id}'")

    if rule.kind == "milestones" and isinstance(rule.milestones, list):
        for k, milestone_id in enumerate(rule.milestones):
            milestone((*at, "milestones", k), milestone_id)
    elif rule.kind == "quiz":
        loc = (*at, "quiz")
        quiz = quizzes.get(rule.quiz)
        if quiz is None:
            close = difflib.get_close_matches(str(rule.quiz), list(quizzes), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append((loc, f"unknown quiz '{rule.quiz}'{hint}"))
        elif award.collective or not set(quiz.audience) & audience:
            problems.append(
                (
                    loc,
                    f"quiz '{rule.quiz}' is for {', '.join(quiz.audience)}, none of "
                    f"{', '.join(award.audience)}",
                )
            )
        elif quiz.awards in milestones:
            levels_fit(loc, milestones[quiz.awards].levels, f"quiz '{rule.quiz}'")
    elif rule.kind == "families":
        loc = (*at, "families")
        if award.audience != ["class"]:
            problems.append((loc, "a families rule is for an award to classes ([class]) only"))
        milestone(loc, str(rule.families))
        found = milestones.get(str(rule.families))
        if found is not None and "parent" not in found.audience:
            problems.append((loc, f"milestone '{rule.families}' is not for parents"))
    else:
        kind = rule.kind
        if kind != "milestones":
            milestone((*at, kind), str(getattr(rule, kind)))
    return problems


REASON_LIMIT = 500  # characters of a principal's reason for adding or removing a name


def reason_text(text: str) -> str | None:
    """A reason as it is kept: NFC, control characters dropped, spaces collapsed; None
    when empty or over REASON_LIMIT."""
    cleaned = normalise(text)
    return cleaned if 1 <= len(cleaned) <= REASON_LIMIT else None
