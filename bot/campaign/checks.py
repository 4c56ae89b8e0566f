"""Cross-checks of a whole campaign pack: unique ids and references."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.campaign.pack import CampaignPack

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

    def ref(loc: Loc, milestone_id: str | None, audience: Sequence[str]) -> None:
        if milestone_id is None:
            return
        if milestone_id not in roles:
            problems.append((loc, _unknown(milestone_id, roles)))
        elif not set(roles[milestone_id]) & set(audience):
            problems.append(
                (
                    loc,
                    f"milestone '{milestone_id}' is for {', '.join(roles[milestone_id])}, "
                    f"none of {', '.join(audience)}",
                )
            )

    for i, indicator in enumerate(pack.indicators):
        for j, milestone_id in enumerate(indicator.milestones):
            ref(("indicators", i, "milestones", j), milestone_id, indicator.audience)
    for i, quiz in enumerate(pack.quizzes):
        ref(("quizzes", i, "awards"), quiz.awards, quiz.audience)
    for i, figure in enumerate(pack.school_figures):
        ref(("school_figures", i, "awards"), figure.awards, ["principal"])
    if pack.self_assessment is not None:
        ref(("self_assessment", "awards"), pack.self_assessment.awards, ["principal"])
        deadline_id = pack.self_assessment.deadline
        deadlines = {d.id: d for d in pack.deadlines}
        if deadline_id is not None and deadline_id not in deadlines:
            problems.append((("self_assessment", "deadline"), f"unknown deadline '{deadline_id}'"))
        elif deadline_id is not None and "principal" not in deadlines[deadline_id].audience:
            problems.append(
                (("self_assessment", "deadline"), f"deadline '{deadline_id}' is not for principals")
            )
    for i, deadline in enumerate(pack.deadlines):
        ref(("deadlines", i, "completes"), deadline.completes, deadline.audience)
        if deadline.date and not pack.period_start <= deadline.date <= pack.period_end:
            problems.append(
                (
                    ("deadlines", i, "date"),
                    f"{deadline.date.isoformat()} is outside the campaign period "
                    f"({pack.period_start.isoformat()} to {pack.period_end.isoformat()})",
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
