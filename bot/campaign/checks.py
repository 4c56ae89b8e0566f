"""Cross-checks of a whole campaign pack: unique ids, references, everything counted."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.campaign.pack import CampaignPack, Milestone

Loc = tuple[str | int, ...]


def loc_text(loc: Iterable[str | int]) -> str:
    """Render ('milestones', 2, 'domain') as "milestones[2].domain"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class PackInconsistent(ValueError):
    """Cross-reference problems: each a (location, message) pair."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{loc_text(loc)}: {msg}" for loc, msg in problems))


def cross_check(pack: CampaignPack) -> list[tuple[Loc, str]]:
    """Problems that span several parts of the pack, in file order."""
    problems: list[tuple[Loc, str]] = []
    if pack.period_end <= pack.period_start:
        problems.append(
            (("period_end",), f"must be after period_start ({pack.period_start.isoformat()})")
        )
    for name in (
        "milestones",
        "indicators",
        "quizzes",
        "deadlines",
        "announcements",
        "school_figures",
    ):
        problems += _unique_ids(name, getattr(pack, name))

    roles = {m.id: m.audience for m in pack.milestones}
    levels = {m.id: m.levels for m in pack.milestones}

    def ref(
        loc: Loc,
        milestone_id: str | None,
        audience: Sequence[str],
        own_levels: Sequence[str] | None = None,
    ) -> None:
        if milestone_id is None:
            return
        if milestone_id not in roles:
            problems.append((loc, _unknown(milestone_id, roles)))
            return
        limited = levels[milestone_id]
        if limited is not None and (own_levels is None or not set(own_levels) <= set(limited)):
            problems.append(
                (
                    loc,
                    f"milestone '{milestone_id}' is only for schools of levels "
                    f"{', '.join(limited)}: give this item 'levels' within those",
                )
            )
        if not set(roles[milestone_id]) & set(audience):
            problems.append(
                (
                    loc,
                    f"milestone '{milestone_id}' is for {', '.join(roles[milestone_id])}, "
                    f"none of {', '.join(audience)}",
                )
            )

    for i, indicator in enumerate(pack.indicators):
        for j, milestone_id in enumerate(indicator.milestones):
            ref(
                ("indicators", i, "milestones", j),
                milestone_id,
                indicator.audience,
                indicator.levels,
            )
    asks_level = {m.id for m in pack.milestones if m.asks_level}
    for i, indicator in enumerate(pack.indicators):
        if indicator.min_level is None:
            continue
        for j, milestone_id in enumerate(indicator.milestones):
            if milestone_id in roles and milestone_id not in asks_level:
                problems.append(
                    (
                        ("indicators", i, "milestones", j),
                        f"milestone '{milestone_id}' does not ask for a level, so min_level "
                        f"'{indicator.min_level}' cannot be checked (give it asks_level: true)",
                    )
                )
    # Everything tracked is counted: a milestone no indicator counts is a question nobody
    # reads the answer to.
    fed = {m for indicator in pack.indicators for m in indicator.milestones}
    for i, milestone in enumerate(pack.milestones):
        if milestone.id not in fed:
            problems.append(
                (
                    ("milestones", i, "id"),
                    f"milestone '{milestone.id}' feeds no indicator: add it to an indicator's "
                    "milestones, or remove it",
                )
            )
    milestones = {m.id: m for m in pack.milestones}
    for i, quiz in enumerate(pack.quizzes):
        # A quiz goes with the milestone it awards (CampaignPack.for_level): no levels of its own.
        same = levels.get(quiz.awards) if quiz.awards else None
        ref(("quizzes", i, "awards"), quiz.awards, quiz.audience, same)
        awarded = milestones.get(quiz.awards or "")
        if awarded is not None:
            problems += _hand_reportable(("quizzes", i, "awards"), quiz.audience, awarded)
    for i, figure in enumerate(pack.school_figures):
        same = levels.get(figure.awards) if figure.awards else None
        ref(("school_figures", i, "awards"), figure.awards, ["principal"], same)
    if pack.self_assessment is not None:
        # It reaches the schools its milestone reaches (QĐ 4725: general and continuing).
        awards = pack.self_assessment.awards
        same = levels.get(awards) if awards else None
        ref(("self_assessment", "awards"), awards, ["principal"], same)
        deadline_id = pack.self_assessment.deadline
        deadlines = {d.id: d for d in pack.deadlines}
        if deadline_id is not None and deadline_id not in deadlines:
            problems.append((("self_assessment", "deadline"), f"unknown deadline '{deadline_id}'"))
        elif deadline_id is not None and "principal" not in deadlines[deadline_id].audience:
            problems.append(
                (("self_assessment", "deadline"), f"deadline '{deadline_id}' is not for principals")
            )
    for i, deadline in enumerate(pack.deadlines):
        ref(("deadlines", i, "completes"), deadline.completes, deadline.audience, deadline.levels)
        if deadline.date and not pack.period_start <= deadline.date <= pack.period_end:
            problems.append(
                (
                    ("deadlines", i, "date"),
                    f"{deadline.date.isoformat()} is outside the campaign period "
                    f"({pack.period_start.isoformat()} to {pack.period_end.isoformat()})",
                )
            )
    return problems


def _hand_reportable(
    loc: Loc, audience: Sequence[str], milestone: Milestone
) -> list[tuple[Loc, str]]:
    """A quiz's milestone is awarded by passing it, never reported by hand: it takes no
    evidence and no verification, and everyone it is for can take the quiz."""
    problems: list[tuple[Loc, str]] = []
    if milestone.evidence != "none" or milestone.verification:
        problems.append(
            (
                loc,
                f"milestone '{milestone.id}' asks for evidence or verification, so it would "
                "be reported by hand; a quiz's milestone needs evidence: none and no "
                "verification",
            )
        )
    outside = [role for role in milestone.audience if role not in audience]
    if outside:
        problems.append(
            (
                loc,
                f"milestone '{milestone.id}' is also for {', '.join(outside)}, who cannot take "
                "this quiz and would have to report it by hand; give the quiz that audience "
                "too, or the milestone a narrower one",
            )
        )
    return problems


def _unique_ids(name: str, items: Sequence[object]) -> list[tuple[Loc, str]]:
    first: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for i, item in enumerate(items):
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in first:
            problems.append(
                ((name, i, "id"), f"duplicate id '{item_id}' (also {name}[{first[item_id]}])")
            )
        else:
            first[item_id] = i
    return problems


def _unknown(milestone_id: str, known: Iterable[str]) -> str:
    message = f"unknown milestone '{milestone_id}'"
    close = difflib.get_close_matches(milestone_id, list(known), n=1)
    return message + (f" (did you mean '{close[0]}'?)" if close else "")
