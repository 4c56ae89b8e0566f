"""Province packs: what one Sở adds to, or changes in, the national base pack.

A province pack (`extends: <base id>`) is not a campaign of its own. It is laid over
the base when a school below the org node it is attached to asks for its pack:

- an item whose id is also in the base replaces the base's item (a target, a date);
- an item with a new id is added (the province's own deadlines, announcements…);
- `remove` drops base items by id (indicators, quizzes, deadlines, announcements, awards;
  never milestones: a report made under the base must keep its milestone).

The result is an ordinary `CampaignPack` with the base's id, so reports stay under the
base campaign and a province's progress is not split from the nation's. The merged pack
goes through every cross-check of a pack; problems in the province's own items are
reported at their place in the province file.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.campaign.checks import Loc, PackInconsistent, _unique_ids
from bot.campaign.fields import Slug, Text, unique
from bot.campaign.nominations import Award
from bot.campaign.pack import (
    Announcement,
    CampaignPack,
    Deadline,
    Indicator,
    LocalText,
    Milestone,
    Quiz,
)

SECTIONS = ("milestones", "indicators", "quizzes", "deadlines", "announcements", "nominations")
REMOVABLE = ("indicators", "quizzes", "deadlines", "announcements", "nominations")

Ids = Annotated[list[Slug], Field(default_factory=list)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Removal(_Model):
    """Base items a province does not use, by id."""

    indicators: Ids
    quizzes: Ids
    deadlines: Ids
    announcements: Ids
    nominations: Ids


class PackOverlay(_Model):
    """A province pack: the base's items it replaces or adds, and those it removes."""

    id: Slug
    version: Annotated[int, Field(ge=1)]
    title: LocalText
    extends: Slug
    # The org node a shipped pack attaches itself to at start, by name ("Bắc Ninh").
    attach: Text | None = None
    milestones: list[Milestone] = []
    indicators: list[Indicator] = []
    quizzes: list[Quiz] = []
    deadlines: list[Deadline] = []
    announcements: list[Announcement] = []
    nominations: list[Award] = []
    remove: Removal = Removal()

    @model_validator(mode="after")
    def _own_ids(self) -> PackOverlay:
        problems: list[tuple[Loc, str]] = []
        for name in SECTIONS:
            problems += _unique_ids(name, getattr(self, name))
        for name in REMOVABLE:
            try:
                unique(getattr(self.remove, name))
            except ValueError as exc:
                problems.append((("remove", name), str(exc)))
            for j, item_id in enumerate(getattr(self.remove, name)):
                if item_id in {item.id for item in getattr(self, name)}:
                    problems.append(
                        (("remove", name, j), f"'{item_id}' is both removed and given here")
                    )
        if problems:
            raise PackInconsistent(problems)
        return self


def merge(base: CampaignPack, overlay: PackOverlay) -> CampaignPack:
    """The base as seen below the overlay's node; PackInconsistent names overlay places
    (or says "in the base pack" for a base item the overlay made inconsistent)."""
    if overlay.extends != base.id:
        raise PackInconsistent(
            [(("extends",), f"extends '{overlay.extends}', but the base pack is '{base.id}'")]
        )
    problems: list[tuple[Loc, str]] = []
    fields: dict[str, list[object]] = {}
    origin: dict[tuple[str, int], int | None] = {}  # merged place -> overlay index, or base
    for name in SECTIONS:
        own = {item.id: (j, item) for j, item in enumerate(getattr(overlay, name))}
        removed = set(getattr(overlay.remove, name)) if name in REMOVABLE else set()
        base_ids = {item.id for item in getattr(base, name)}
        if name in REMOVABLE:
            for j, item_id in enumerate(getattr(overlay.remove, name)):
                if item_id not in base_ids:
                    problems.append((("remove", name, j), f"the base pack has no '{item_id}'"))
        merged: list[object] = []
        for item in getattr(base, name):
            if item.id in removed:
                continue
            j, replacement = own.pop(item.id, (None, item))
            origin[(name, len(merged))] = j
            merged.append(replacement)
        for j, item in own.values():
            origin[(name, len(merged))] = j
            merged.append(item)
        fields[name] = merged
    if problems:
        raise PackInconsistent(problems)
    # Everything a province does not overlay (the period, the self-assessment, the school
    # figures…) is the base's, as it is.
    kept = {name: getattr(base, name) for name in type(base).model_fields if name not in fields}
    data = {**kept, **fields}
    try:
        return CampaignPack.model_validate(data)
    except ValidationError as exc:
        raise PackInconsistent(_placed(exc, origin)) from None


def _placed(
    exc: ValidationError, origin: dict[tuple[str, int], int | None]
) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        pairs = (
            cause.problems
            if isinstance(cause, PackInconsistent)
            else [(tuple(error["loc"]), error["msg"])]
        )
        for loc, message in pairs:
            if len(loc) >= 2 and isinstance(loc[1], int):
                j = origin.get((str(loc[0]), loc[1]))
                if j is not None:
                    found.append(((loc[0], j, *loc[2:]), message))
                    continue
                found.append(((loc[0],), f"{message} (in the base pack's item {loc[1]})"))
                continue
            found.append((loc, message))
    return found
