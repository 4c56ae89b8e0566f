"""Quiz statistics and standings for principals (their school) and department admins
(their subtree): where training is needed, and which classes and units do best.

- Per question: the share of people who answered it wrongly (or let it time out) in
  their first finished attempt.
- Per class or unit (a principal's view) or school (a department's): members of the
  quiz's audience, how many took it (finished an attempt), how many passed. Standings
  rank by the share of members who passed, so a small class competes fairly with a big
  one; equal shares share a rank (1, 1, 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.campaign.pack import Quiz
from bot.services.people import PersonView
from storage import quiz_stats
from storage.db import UnitOfWork

CLASS_KINDS = ("class", "unit")
SCHOOL_KINDS = ("school",)


@dataclass(frozen=True)
class QuestionMisses:
    index: int
    answered: int
    wrong: int

    @property
    def share(self) -> float:
        return self.wrong / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class Group:
    org_id: int
    name: str
    members: int
    took: int
    passed: int
    rank: int = 0

    @property
    def participation(self) -> float:
        return self.took / self.members if self.members else 0.0

    @property
    def pass_rate(self) -> float:
        return self.passed / self.took if self.took else 0.0

    @property
    def share_passed(self) -> float:
        return self.passed / self.members if self.members else 0.0


async def question_misses(
    uow: UnitOfWork, campaign_id: int, quiz: Quiz, paths: list[str]
) -> list[QuestionMisses]:
    """Every question of the quiz, most often missed first."""
    rows = {
        q: (answered, wrong)
        for q, answered, wrong in await quiz_stats.first_attempt_answers(
            uow.reads, campaign_id, quiz.id, paths
        )
    }
    found = [
        QuestionMisses(index, *rows.get(index, (0, 0))) for index in range(len(quiz.questions))
    ]
    return sorted(found, key=lambda m: (-m.share, m.index))


def ranked(groups: list[Group]) -> list[Group]:
    """Best share of members passed first; equal shares take the same rank."""
    ordered = sorted(groups, key=lambda g: (-g.share_passed, g.name, g.org_id))
    out: list[Group] = []
    for position, group in enumerate(ordered, start=1):
        same = out and abs(out[-1].share_passed - group.share_passed) < 1e-12
        rank = out[-1].rank if same else position
        out.append(Group(group.org_id, group.name, group.members, group.took, group.passed, rank))
    return out


async def standings(
    uow: UnitOfWork, campaign_id: int, quiz: Quiz, paths: list[str], kinds: tuple[str, ...]
) -> list[Group]:
    """The classes and units (or schools) at or below `paths`, ranked; units without
    members of the quiz's audience are left out."""
    units = await quiz_stats.groups(uow.reads, paths, kinds)
    ids = {unit_id for unit_id, _, _ in units}
    members: dict[int, dict[int, tuple[bool, bool]]] = {unit_id: {} for unit_id in ids}
    for person_id, path, took, passed in await quiz_stats.member_results(
        uow.reads, campaign_id, quiz.id, paths, list(quiz.audience)
    ):
        for part in path.strip("/").split("/"):
            if part and int(part) in ids:
                members[int(part)][person_id] = (took, passed)
                break
    groups = [
        Group(
            unit_id,
            name,
            len(members[unit_id]),
            sum(1 for took, _ in members[unit_id].values() if took),
            sum(1 for _, passed in members[unit_id].values() if passed),
        )
        for unit_id, name, _ in units
        if members[unit_id]
    ]
    return ranked(groups)


def school_path(person: PersonView, roles: tuple[str, ...]) -> tuple[int, str] | None:
    """The class (or unit) this person belongs to with one of `roles`, and its school's
    path: the standing /quiz shows."""
    for membership in person.memberships:
        if membership.role not in roles or membership.org_kind not in CLASS_KINDS:
            continue
        if membership.school_id is None:
            continue
        parts = membership.org_path.strip("/").split("/")
        if str(membership.school_id) not in parts:
            continue
        cut = parts.index(str(membership.school_id)) + 1
        return membership.org_id, "/" + "/".join(parts[:cut]) + "/"
    return None


async def class_standing(
    uow: UnitOfWork, campaign_id: int, quiz: Quiz, person: PersonView
) -> tuple[Group, int] | None:
    """This person's class in its school's standings for the quiz, and how many classes
    and units are ranked."""
    found = school_path(person, tuple(quiz.audience))
    if found is None:
        return None
    org_id, path = found
    groups = await standings(uow, campaign_id, quiz, [path], CLASS_KINDS)
    mine = next((g for g in groups if g.org_id == org_id), None)
    return (mine, len(groups)) if mine is not None else None
